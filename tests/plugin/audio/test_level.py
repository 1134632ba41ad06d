"""The loudness bound from the samples' top bytes: never claims a quiet song is loud, proves
music loud from its first blocks, and leaves the rest to the exact measurement."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from minimax_cover.plugin.audio import Audio, encode_audio, write_audio
from minimax_cover.plugin.audio import level as level_mod
from minimax_cover.plugin.audio._sndfile import pcm16_blocks
from minimax_cover.plugin.audio.level import reaches_rms
from minimax_cover.plugin.jobs.silence import NEAR_SILENT_RMS_DBFS, check_silence, loudness

RATE = 22050


def _song(db: float, kind: str, seconds: float = 3.0) -> Audio:
    rng = np.random.default_rng(11)
    amp = 0.0 if db <= -200 else 10 ** (db / 20)
    t = np.arange(int(seconds * RATE)) / RATE
    if kind == "sine":
        x = np.sqrt(2) * amp * np.sin(2 * np.pi * 220 * t)
    elif kind == "noise":
        x = amp * rng.standard_normal(t.size)
    else:  # one loud burst in silence: loud peak, quiet RMS
        x = np.zeros(t.size)
        x[RATE:RATE + RATE // 10] = amp * np.sqrt(70) * rng.standard_normal(RATE // 10)
    return Audio(np.stack([x, 0.5 * x]).astype(np.float32), RATE)


FORMATS = [("WAV", "PCM_16"), ("WAV", "PCM_24"), ("WAV", "PCM_32"), ("FLAC", None),
           ("MP3", None), ("OGG", None)]


@pytest.mark.parametrize(("fmt", "subtype"), FORMATS)
@pytest.mark.parametrize("kind", ["sine", "noise", "burst"])
def test_a_proof_never_contradicts_the_exact_level(fmt: str, subtype: str | None, kind: str,
                                                   tmp_path: Path) -> None:
    for db in (-200, -55, -50.5, -49.5, -20):
        path = tmp_path / f"{kind}_{db}.{fmt.lower()}"
        write_audio(_song(db, kind), path, fmt, **({"subtype": subtype} if subtype else {}))
        exact = loudness(path)
        assert exact is not None
        proven = reaches_rms(path, NEAR_SILENT_RMS_DBFS)
        if proven:
            assert not exact.near_silent, (path, exact)
        if db >= -20:
            assert proven, (path, exact)  # music-like levels need no exact measurement
        assert (check_silence(path) is None) == (not exact.near_silent)


def test_music_is_proven_from_its_first_blocks(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    energy = level_mod._energy
    monkeypatch.setattr(level_mod, "_energy", lambda top: seen.append(len(top)) or energy(top))
    for fmt in ("WAV", "MP3"):
        path = tmp_path / f"long.{fmt.lower()}"
        write_audio(_song(-20, "noise", seconds=60.0), path, fmt)
        seen.clear()
        assert reaches_rms(path, NEAR_SILENT_RMS_DBFS) is True
        assert len(seen) <= 2  # the first blocks (1 MiB of WAV, 4096 + 32768 MP3 frames)


def test_what_is_left_to_the_exact_measurement(tmp_path: Path) -> None:
    loud = _song(-20, "noise")
    assert reaches_rms(encode_audio(loud, "WAV"), NEAR_SILENT_RMS_DBFS) is True  # bytes: ok
    assert reaches_rms(encode_audio(loud, "MP3"), NEAR_SILENT_RMS_DBFS) is None  # in memory
    assert reaches_rms(encode_audio(loud, "WAV", subtype="FLOAT"),
                       NEAR_SILENT_RMS_DBFS) is None  # float samples
    path = tmp_path / "u8.wav"
    write_audio(loud, path, "WAV", subtype="PCM_U8")
    assert reaches_rms(path, NEAR_SILENT_RMS_DBFS) is None
    assert check_silence(path) is None  # measured exactly instead
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"not audio at all" * 100)
    assert reaches_rms(junk, NEAR_SILENT_RMS_DBFS) is None
    assert pcm16_blocks(str(junk)) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-32768, 32767), min_size=1, max_size=400))
def test_the_bound_is_below_the_true_sum_of_squares(samples: list[int]) -> None:
    data = np.asarray(samples, dtype="<i2").tobytes()
    bound = level_mod._energy(data[1::2]) * 256 ** 2  # MSB units -> 16-bit units
    assert bound <= sum(s * s for s in samples)


def test_the_16_bit_reader_matches_soundfile(tmp_path: Path) -> None:
    import soundfile as sf

    path = tmp_path / "song.flac"
    write_audio(_song(-20, "noise", seconds=3.0), path, "FLAC")
    pcm: Any = pcm16_blocks(str(path))
    assert pcm is not None
    with pcm:
        got = np.frombuffer(b"".join(pcm), dtype="<i2").reshape(-1, pcm.channels)
    expected = sf.read(str(path), dtype="int16", always_2d=True)[0]
    assert (pcm.frames, pcm.sample_rate) == (len(expected), RATE)
    assert np.array_equal(got, expected)
