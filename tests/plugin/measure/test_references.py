"""Our numpy measures against the reference libraries, on real and generated audio.

pyloudnorm (BS.1770-4) and librosa (chroma) are not dependencies: the ``measure_ref`` job
(.ci/run-measure, called by .ci/run) installs them in its own venv and runs these tests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from minimax_cover.plugin.audio import read_audio
from minimax_cover.plugin.measure.chroma import chroma, pitch_frames
from minimax_cover.plugin.measure.loudness import block_loudness, integrated
from minimax_cover.plugin.measure.synth import RATE, make_case

pytestmark = pytest.mark.measure_ref


def generated() -> list[tuple[str, np.ndarray, int]]:
    rng = np.random.default_rng(5)
    case = make_case(3, bars=4)
    n = 44100 * 8
    bursts = rng.normal(0, 0.1, (2, n)) * np.repeat(rng.choice([0.001, 0.05, 1.0], 16), n // 16)
    bass = 0.3 * np.sin(2 * np.pi * 30 * np.arange(n) / 44100)[None]
    return [("synth song", case.source[None], RATE), ("synth cover", case.cover[None], RATE),
            ("bursts", bursts.astype(np.float32), 44100),
            ("30 Hz", bass.astype(np.float32), 44100)]


def test_loudness_matches_pyloudnorm(repo_root: Path) -> None:
    import pyloudnorm

    song = read_audio(repo_root / "examples" / "audio" / "example_song.mp3")
    clips = [("example song", song.samples, song.sample_rate), *generated()]
    for name, samples, rate in clips:
        ref = pyloudnorm.Meter(rate).integrated_loudness(samples.T.astype(np.float64))
        ours = integrated(block_loudness(samples, rate))
        assert ours == pytest.approx(ref, abs=0.05), name


def test_chroma_agrees_with_librosa(repo_root: Path) -> None:
    import librosa

    song = read_audio(repo_root / "examples" / "audio" / "example_song.mp3")
    for samples, rate in ((song.samples, song.sample_rate),
                          (make_case(4, bars=4).source[None], RATE)):
        mono = samples.mean(axis=0)
        ref = librosa.feature.chroma_stft(y=mono, sr=rate, n_fft=4096, hop_length=1024).T
        ours = chroma(pitch_frames(samples, rate), log=False)  # librosa's is power
        # the same pitch-class profile over the clip...
        a, b = ref.mean(axis=0), ours.mean(axis=0)
        assert a @ b / np.linalg.norm(a) / np.linalg.norm(b) > 0.9
        # ...and frame by frame, once both are on one time grid
        grid = np.linspace(0, 1, 200)
        ra = np.stack([np.interp(grid, np.linspace(0, 1, len(ref)), ref[:, k])
                       for k in range(12)], 1)
        ob = np.stack([np.interp(grid, np.linspace(0, 1, len(ours)), ours[:, k])
                       for k in range(12)], 1)
        ra /= np.linalg.norm(ra, axis=1, keepdims=True) + 1e-9
        ob /= np.linalg.norm(ob, axis=1, keepdims=True) + 1e-9
        assert np.median(np.sum(ra * ob, axis=1)) > 0.8
