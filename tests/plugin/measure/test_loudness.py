"""Loudness, true peak, clipping and silent gaps (plugin/measure/loudness.py, measures.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from minimax_cover.plugin.audio import Audio, write_audio
from minimax_cover.plugin.cli import main
from minimax_cover.plugin.measure import compare_takes, measure_clip
from minimax_cover.plugin.measure.loudness import block_loudness, integrated, true_peak_dbtp


def sine(freq: float, dbfs: float, seconds: float, rate: int = 48000,
         channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    x = (10 ** (dbfs / 20) * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.repeat(x[None], channels, axis=0)


def test_compare_reads_the_bs1770_sine_levels(tmp_path: Path,
                                              capsys: pytest.CaptureFixture) -> None:
    """997 Hz at -20 dBFS: -23.05 LUFS mono (the source), -20.04 LUFS stereo (the take)."""
    mono, stereo = tmp_path / "sine_mono.wav", tmp_path / "sine_stereo.wav"
    write_audio(Audio(sine(997, -20, 10), 48000), mono, "WAV")
    write_audio(Audio(sine(997, -20, 10, channels=2), 48000), stereo, "WAV")
    assert main(["compare", str(mono), str(stereo), "-o", str(tmp_path / "p.html"),
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["source"]["path"] == str(mono)
    assert out["source"]["loudnessLUFS"] == pytest.approx(-23.05, abs=0.3)
    take = out["takes"][0]
    assert take["path"] == str(stereo)
    assert take["loudnessLUFS"] == pytest.approx(-20.04, abs=0.3)
    assert take["truePeakDBTP"] == pytest.approx(-20.0, abs=0.1)
    # matched playback: the louder stereo take is turned down by the difference
    assert take["playbackGainDB"] == pytest.approx(-3.01, abs=0.05)
    assert out["source"]["playbackGainDB"] == 0.0
    assert take["melodyKept"] > 0.95 and take["rank"] == 1 and take["best"] is True


@pytest.mark.parametrize("rate", [16000, 22050, 44100, 48000, 96000])
def test_loudness_is_the_same_at_every_rate(rate: int) -> None:
    # a K-weighted 1 kHz tone reads the same whatever the sample rate (filters designed per rate)
    level = integrated(block_loudness(sine(1000, -20, 5, rate), rate))
    assert level == pytest.approx(-23.0, abs=0.1)


def test_low_tones_are_weighted_down_by_the_high_pass() -> None:
    high = integrated(block_loudness(sine(1000, -20, 5), 48000))
    low = integrated(block_loudness(sine(30, -20, 5), 48000))
    assert high is not None and low is not None and high - low > 3.0  # RLB at 30 Hz


def test_gating_ignores_silence_and_quiet_parts() -> None:
    tone = sine(1000, -20, 4)
    with_silence = np.concatenate([tone, np.zeros((1, 48000 * 4), np.float32)], axis=1)
    # ungated, half silence would read 3 dB lower; gated, only the blocks across the edge count
    assert integrated(block_loudness(with_silence, 48000)) == pytest.approx(-23.05, abs=0.3)
    assert integrated(block_loudness(np.zeros((1, 48000), np.float32), 48000)) is None


def test_true_peak_finds_the_inter_sample_peak() -> None:
    n = np.arange(48000)
    x = np.sin(2 * np.pi * n / 4 + np.pi / 4).astype(np.float32)[None]  # samples at +-0.707
    tp, sp = true_peak_dbtp(x)
    assert sp == pytest.approx(-3.01, abs=0.01)
    assert tp == pytest.approx(0.0, abs=0.2)
    assert true_peak_dbtp(np.zeros((2, 100), np.float32)) == (None, None)


def test_clipped_samples_and_silent_gaps_are_counted() -> None:
    rate = 16000
    x = sine(440, -6, 6, rate)
    x[:, 2 * rate:int(3.5 * rate)] = 0.0  # a 1.5 s dropout
    x[0, 100:110] = 1.0
    m = measure_clip(Audio(x, rate), melody=False)
    assert m.clipped_samples == 10
    assert len(m.silent_gaps) == 1
    start, end = m.silent_gaps[0]
    assert start == pytest.approx(2.0, abs=0.45) and end == pytest.approx(3.5, abs=0.45)


def test_gains_match_every_track_to_the_quietest() -> None:
    rate = 16000
    clips = [Audio(sine(440, db, 3, rate), rate) for db in (-12, -20, -6)]
    c = compare_takes(clips[0], clips[1:])
    levels = [m.loudness_lufs + m.playback_gain_db for m in [c.source, *c.takes]]
    assert max(levels) - min(levels) < 0.01
    assert all(m.playback_gain_db <= 0 for m in [c.source, *c.takes])
    assert c.takes[0].playback_gain_db == 0.0  # the quietest plays as it is
