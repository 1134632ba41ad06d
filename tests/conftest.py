"""Test isolation: every test gets its own user dirs, no API keys, and no third-party plugins
unless it opts in. No test may reach anything but 127.0.0.1."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

FAKE_KEYS = ("RUNWARE_API_KEY", "MINIMAX_API_KEY", "RUNWARE_API_URL", "MINIMAX_API_URL")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point config/data dirs at a temp dir, drop keys and URLs, load no entry-point plugins."""
    for name in FAKE_KEYS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MINIMAX_COVER_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("MINIMAX_COVER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MINIMAX_COVER_LOAD_PLUGINS", "")
    monkeypatch.delenv("MINIMAX_COVER_BLOCK_PLUGINS", raising=False)
    from minimax_cover.plugin.hooks import registry
    from minimax_cover.plugin.minimax.cache import forget_handles
    from minimax_cover.plugin.money.balance import forget_balances
    from minimax_cover.plugin.transport.ratelimit import forget_limiters

    registry.reset_registry()
    forget_balances()  # each test's jobs ask their sandbox's balance afresh
    forget_handles()  # two-step handles a previous test's process state knew
    forget_limiters()  # each test's endpoints start with an empty rate window
    yield tmp_path
    registry.reset_registry()


_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and self.family in (socket.AF_INET, socket.AF_INET6):
        if not (host.startswith("127.") or host in ("::1", "localhost")):
            raise RuntimeError(f"test tried to reach {host!r}: only loopback is allowed")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def loopback_only() -> None:
    """Fail any test that opens a socket to a non-loopback address."""
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]


@pytest.fixture
def repo_root() -> Path:
    """The repository root (the pack folder)."""
    return Path(__file__).resolve().parent.parent


def pytest_report_header(config: pytest.Config) -> str:
    return f"minimax-cover tests: loopback only; torch imported: {'torch' in os.sys.modules}"
