"""Fixtures of the service tests: a song file and ``serve(*args)`` on this test's sandbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from serve_support import Served, serve_env, start_serve


@pytest.fixture
def song(tmp_path: Path, song_wav: bytes) -> Path:
    path = tmp_path / "song.wav"
    path.write_bytes(song_wav)
    return path


@pytest.fixture
def serve(sandbox: Any, tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """``serve(*extra_args)`` starts the service on this test's sandbox (stopped at the end)."""
    started: list[Served] = []

    def make(*extra: str, state: Path | None = None) -> Served:
        served = start_serve(["--port", "0", "--state-dir", str(state or tmp_path / "state"),
                              *extra], serve_env(sandbox))
        started.append(served)
        return served

    yield make
    for served in started:
        served.stop()
