"""API key and endpoint lookup: argument, environment, config file; 0o600 writes."""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
from pathlib import Path

import pytest
from minimax_cover.plugin import config
from minimax_cover.plugin.constants import RUNWARE_API_URL
from minimax_cover.plugin.redaction import redact

KEY = "rw-config-test-key-0123456789"


def write_config(data: dict, mode: int = 0o600) -> Path:
    path = config.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    os.chmod(path, mode)
    return path


def test_nothing_configured_gives_none() -> None:
    assert config.resolve_api_key() is None


def test_order_argument_env_file(monkeypatch: pytest.MonkeyPatch) -> None:
    write_config({"runware_api_key": "file-key-123456"})
    assert config.resolve_api_key() == "file-key-123456"
    monkeypatch.setenv("RUNWARE_API_KEY", " env-key-123456 ")
    assert config.resolve_api_key() == "env-key-123456"
    assert config.resolve_api_key("arg-key-123456") == "arg-key-123456"
    assert config.resolve_api_key("   ") == "env-key-123456"  # blank argument ignored


def test_custom_env_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTHER_KEY", "other-key-123456")
    assert config.resolve_api_key(env="OTHER_KEY") == "other-key-123456"


def test_found_keys_are_registered_for_redaction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNWARE_API_KEY", KEY)
    config.resolve_api_key()
    assert KEY not in redact(f"the key is {KEY}")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_world_readable_config_warns(caplog: pytest.LogCaptureFixture) -> None:
    path = write_config({"runware_api_key": KEY}, mode=0o644)
    with caplog.at_level(logging.WARNING, logger="minimax_cover.config"):
        assert config.resolve_api_key() == KEY
    assert any("readable by other users" in r.getMessage() for r in caplog.records)
    assert str(path) in caplog.text and KEY not in caplog.text


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_private_config_does_not_warn(caplog: pytest.LogCaptureFixture) -> None:
    write_config({"runware_api_key": KEY})
    with caplog.at_level(logging.WARNING):
        config.resolve_api_key()
    assert not caplog.records


@pytest.mark.parametrize("content", [b"{not json", bytes(range(256)) * 4,
                                     b"[" * 100_000 + b"]" * 100_000, b"[1, 2]"])
def test_broken_config_is_refused_in_one_line(content: bytes) -> None:
    from minimax_cover.plugin.errors import UsageError

    path = config.config_file()
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(UsageError, match="is not valid JSON") as err:
        config.resolve_api_key()
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    assert config.resolve_base_url() == RUNWARE_API_URL
    monkeypatch.setenv("RUNWARE_API_URL", "http://127.0.0.1:9/v1/")
    assert config.resolve_base_url() == "http://127.0.0.1:9/v1"
    assert config.resolve_base_url("http://localhost:1/v1") == "http://localhost:1/v1"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_save_api_key_is_private_and_keeps_other_settings() -> None:
    write_config({"other": 1}, mode=0o644)
    path = config.save_api_key(f"  {KEY}\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {"other": 1, "runware_api_key": KEY}
    assert config.resolve_api_key() == KEY
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    with pytest.raises(ValueError):
        config.save_api_key("  ")
