"""A silent or near-silent song is noticed before it is paid for: a warning, or a refusal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from minimax_cover.plugin.audio import Audio, encode_audio
from minimax_cover.plugin.errors import SilentSongError
from minimax_cover.plugin.jobs.silence import check_silence, loudness
from money_support import task_types


def _song(tmp_path: Path, amplitude: float, name: str = "quiet.wav") -> Path:
    rate = 16000
    t = np.arange(7 * rate, dtype=np.float32) / rate
    samples = (amplitude * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)
    path = tmp_path / name
    path.write_bytes(encode_audio(Audio(samples[np.newaxis, :], rate), "WAV"))
    return path


def test_levels(tmp_path: Path, song: Path) -> None:
    assert check_silence(song) is None
    assert check_silence("https://example.com/a.mp3") is None  # nothing local to measure
    silent = _song(tmp_path, 0.0)
    level = loudness(silent)
    assert level is not None and level.silent and level.peak_dbfs == -200.0
    assert "the song is silent (peak -200 dBFS" in (check_silence(silent) or "")
    quiet = _song(tmp_path, 0.004, "near.wav")  # about -48 dBFS peak, -51 dBFS RMS
    assert "is near-silent" in (check_silence(quiet, what="row 3") or "")
    assert (check_silence(quiet, what="row 3") or "").startswith("row 3: ")
    with pytest.raises(SilentSongError, match="refused"):
        check_silence(silent, allow=False)
    samples = Audio(np.zeros((2, 16000), dtype=np.float32), 16000)
    assert loudness(samples) is not None and loudness(samples).silent  # type: ignore[union-attr]


def test_a_silent_song_is_sent_with_a_warning(sandbox: Any, tmp_path: Path,
                                              run_job: Any) -> None:
    result = run_job(sandbox, _song(tmp_path, 0.0), journal=False)
    assert any("the song is silent" in w for w in result.warnings)


def test_refused_when_silent_songs_are_not_allowed(sandbox: Any, tmp_path: Path,
                                                   run_job: Any) -> None:
    with pytest.raises(SilentSongError):
        run_job(sandbox, _song(tmp_path, 0.0), journal=False, allow_silent=False)
    assert task_types(sandbox) == []
