"""Helpers shared by the batch tests (imported by their conftest and tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

PROMPT = "warm acoustic folk with brushed drums"


def write_song(path: Path, freq: float = 220.0, seconds: float = 7.0, rate: int = 8000) -> Path:
    """A mono sine WAV inside the model's limits."""
    import numpy as np
    from minimax_cover.plugin.audio import Audio, write_audio

    t = np.arange(int(seconds * rate), dtype=np.float64) / rate
    write_audio(Audio((0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate), path,
                "WAV")
    return path


def fast_options(sb: Any, **overrides: Any) -> dict[str, Any]:
    """Backend options for this sandbox with tiny delays."""
    from minimax_cover.plugin.transport.retry import RetryPolicy

    options: dict[str, Any] = {
        "api_key": sb.api_key, "base_url": sb.url, "timeout": (2.0, 5.0),
        "sync_read_timeout_s": 10.0, "poll_initial_s": 0.02, "poll_max_s": 0.05,
        "poll_deadline_s": 20.0, "retry_policy": RetryPolicy(base_delay_s=0.01,
                                                             max_delay_s=0.05),
    }
    options.update(overrides)
    return options
