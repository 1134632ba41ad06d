"""Shared helpers of the reliability suites (imported by their conftest and tests)."""

from __future__ import annotations

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
