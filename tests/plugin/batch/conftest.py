"""Fixtures for the batch tests: songs on disk, manifests, fast backend options.

Every batch runs the real stack against a :class:`Sandbox` on 127.0.0.1, with its journal in
``tmp_path`` (the autouse fixture points the data dir there).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

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


@pytest.fixture
def songs(tmp_path: Path) -> list[Path]:
    """Five different songs in ``tmp_path/songs``."""
    folder = tmp_path / "songs"
    folder.mkdir()
    return [write_song(folder / f"{name}.wav", 200.0 + 40 * i)
            for i, name in enumerate(("alpha", "bravo", "charlie", "delta", "echo"))]


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """``write_csv(rows, name="m.csv")``: a CSV manifest next to the songs (header from keys)."""
    def write(rows: list[dict[str, Any]], name: str = "m.csv") -> Path:
        import csv

        path = tmp_path / "songs" / name
        keys = list(dict.fromkeys(k for row in rows for k in row))
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=keys)
            writer.writeheader()
            writer.writerows(rows)
        return path
    return write


@pytest.fixture
def write_jsonl(tmp_path: Path) -> Callable[..., Path]:
    """``write_jsonl(rows, name="m.jsonl")``: a JSONL manifest next to the songs."""
    def write(rows: list[dict[str, Any]], name: str = "m.jsonl") -> Path:
        path = tmp_path / "songs" / name
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        return path
    return write
