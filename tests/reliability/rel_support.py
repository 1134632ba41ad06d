"""Shared helpers of the reliability suites (imported by their conftest and tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

#: A recognisable fake key: it must never appear in any output, log, file or error.
FAKE_KEY = "rw-FAKEKEY-7f3a9c1e5b"
PROMPT = "warm acoustic folk guitar, brushed drums"
SONG_SECONDS = 7.0
SONG_RATE = 8000


def write_song(path: Path, *, seconds: float = SONG_SECONDS, rate: int = SONG_RATE,
               freq: float = 220.0) -> Path:
    """A mono sine WAV written with the package's own ``write_audio``."""
    import numpy as np
    from minimax_cover.plugin.audio import Audio, write_audio

    t = np.arange(int(seconds * rate), dtype=np.float64) / rate
    samples = (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    write_audio(Audio(samples, rate), path, "WAV")
    return path


def fast_options(sb: Any, **overrides: Any) -> dict[str, Any]:
    """``backend_options`` for the Runware backend: this sandbox, tiny delays and timeouts."""
    from minimax_cover.plugin.transport.retry import RetryPolicy

    options: dict[str, Any] = {
        "api_key": sb.api_key,
        "base_url": sb.url,
        "timeout": (2.0, 5.0),
        "sync_read_timeout_s": 10.0,
        "retry_policy": RetryPolicy(base_delay_s=0.01, max_delay_s=0.05),
        "poll_initial_s": 0.02,
        "poll_max_s": 0.05,
        "poll_deadline_s": 20.0,
    }
    options.update(overrides)
    return options


def assert_row_consistent(record: Any) -> None:
    """A journal row is either saved with existing, non-empty files, or unsaved with an error."""
    assert record is not None, "the job is missing from the journal"
    if record.status == "saved":
        assert record.files, f"{record.task_uuid}: saved without files"
        for path in record.files:
            assert Path(path).is_file() and Path(path).stat().st_size > 0, path
        assert not record.error
    else:
        assert record.status in ("failed", "unknown", "running", "succeeded", "submitted"), (
            record.status)
        assert record.error, f"{record.task_uuid}: {record.status} without an error message"
        for path in record.files:  # partial results that were saved really exist
            assert Path(path).is_file(), path


def cli(*args: str) -> list[str]:
    """The ``minimax-cover`` command line, as a subprocess argv."""
    return [sys.executable, "-m", "minimax_cover.plugin.cli", *args]


def cli_env(url: str, key: str) -> dict[str, str]:
    """This process's environment (data dirs already in tmp) pointed at ``url`` with ``key``."""
    return {**os.environ, "RUNWARE_API_URL": url, "RUNWARE_API_KEY": key,
            "PYTHONUNBUFFERED": "1"}


def kill_once_submitted(cmd: list[str], sb: Any, *, wait_s: float = 15.0
                        ) -> subprocess.Popen[bytes]:
    """Run ``cmd`` against sandbox ``sb`` and SIGKILL it once the sandbox accepted a task."""
    proc = subprocess.Popen(cmd, env=cli_env(sb.url, sb.api_key), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + wait_s
        while sb.submissions() < 1:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the task was never submitted"
            time.sleep(0.01)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=wait_s)
    return proc
