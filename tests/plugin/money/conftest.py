"""Fixtures for the money tests: a song, jobs on a sandbox-bound backend, CLI environment.

Every job runs the real stack on 127.0.0.1 (Runware backend, sandbox, journal in tmp_path).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from money_support import PROMPT, backend_options


@pytest.fixture
def song(tmp_path: Path, song_wav: bytes) -> Path:
    """A 7 s WAV song on disk."""
    path = tmp_path / "song.wav"
    path.write_bytes(song_wav)
    return path


@pytest.fixture
def run_job(tmp_path: Path) -> Callable[..., Any]:
    """``run_job(sb, song, **kwargs)``: :func:`cover` on the Runware backend bound to ``sb``."""
    from minimax_cover.plugin.jobs.pipeline import cover

    def run(sb: Any, song: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("prompt", PROMPT)
        if "output" not in kwargs:
            kwargs.setdefault("output_dir", tmp_path / "out")
        return cover(song, backend="runware", backend_options=backend_options(sb), **kwargs)

    return run


@pytest.fixture
def sandbox_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[Any], None]:
    """``sandbox_env(sb)``: point ``RUNWARE_API_URL``/``RUNWARE_API_KEY`` at a sandbox."""
    def point(sb: Any) -> None:
        monkeypatch.setenv("RUNWARE_API_URL", sb.url)
        monkeypatch.setenv("RUNWARE_API_KEY", sb.api_key)

    return point
