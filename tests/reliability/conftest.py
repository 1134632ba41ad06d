"""Fixtures for the reliability suites: a short song, sandboxes on 127.0.0.1.

Every suite talks to a real :class:`Sandbox` over loopback sockets. Client retry delays, poll
intervals and timeouts are tiny (``rel_support.fast_options``) so a fault matrix runs in seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rel_support import FAKE_KEY, write_song


@pytest.fixture
def song(tmp_path: Path) -> Path:
    """A 7-second 8 kHz mono WAV in ``tmp_path``."""
    return write_song(tmp_path / "song.wav")


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Any]]:
    """Start a sandbox (``faults=[...]``, ``latency_s``...) keyed with :data:`FAKE_KEY`."""
    from minimax_cover.plugin.sandbox import Sandbox

    started: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("api_key", FAKE_KEY)
        options.setdefault("log", False)
        sb = Sandbox(**options).start()
        started.append(sb)
        return sb

    yield make
    for sb in started:
        sb.stop()
