"""Tests of the torch-free audio layer: decode, encode, probe, sniff, limits."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from minimax_cover.plugin.audio import (
    REFERENCE_MAX_BYTES,
    REFERENCE_MAX_DURATION_S,
    REFERENCE_MIN_DURATION_S,
    Audio,
    AudioInfo,
    check_reference_limits,
    encode_audio,
    pad_to,
    probe_audio,
    read_audio,
    resample_linear,
    sniff_format,
    to_channels,
    write_audio,
)
from minimax_cover.plugin.audio.mp3scan import _find_sync, _parse, scan_mp3
from minimax_cover.plugin.audio.sniff import id3v2_size
from minimax_cover.plugin.errors import AudioError, AudioLimitError

SR = 44100
FORMATS = ["WAV", "FLAC", "MP3", "OGG"]
LOSSLESS = {"WAV", "FLAC"}
HINT = 'pip install "minimax-cover[m4a]"'


def tone(seconds: float = 0.5, rate: int = SR, channels: int = 2) -> Audio:
    t = np.arange(int(seconds * rate)) / rate
    freqs = [440.0, 660.0, 550.0, 330.0][:channels]
    return Audio(np.stack([0.4 * np.sin(2 * np.pi * f * t) for f in freqs]), rate)


def corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


@pytest.fixture(scope="module")
def clip() -> Audio:
    return tone()


@pytest.fixture(scope="module")
def encoded(clip: Audio) -> dict[str, bytes]:
    return {fmt: encode_audio(clip, fmt) for fmt in FORMATS}


def no_pyav(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "av", None)  # makes `import av` raise ImportError


# --- Audio ---------------------------------------------------------------------------------


def test_audio_coerces_and_reports_shape() -> None:
    a = Audio(np.zeros((2, 100), dtype=np.float64), np.int64(8000))
    assert a.samples.dtype == np.float32 and a.samples.flags.c_contiguous
    assert (a.channels, a.num_samples, a.sample_rate) == (2, 100, 8000)
    assert type(a.sample_rate) is int
    assert a.duration_s == pytest.approx(100 / 8000)
    assert Audio(np.zeros(10), 8000).channels == 1


def test_audio_from_frames_is_transposed() -> None:
    frames = np.arange(12, dtype=np.float32).reshape(6, 2)
    a = Audio.from_frames(frames, 8000)
    assert a.samples.shape == (2, 6)
    np.testing.assert_array_equal(a.to_frames(), frames)


@pytest.mark.parametrize(
    ("samples", "rate", "match"),
    [
        (np.zeros((1, 2, 3)), 8000, "expected 2 dimensions"),
        (np.zeros((2, 10), dtype=np.int16), 8000, "floating-point"),
        (np.zeros((0, 10)), 8000, "at least 1 channel"),
        (np.zeros((1000, 2)), 8000, "from_frames"),
        (np.zeros((2, 10)), 0, "positive"),
        (np.zeros((2, 10)), 44100.0, "integer"),
        (np.zeros((2, 10)), True, "integer"),
    ],
)
def test_audio_rejects_bad_input(samples: np.ndarray, rate: object, match: str) -> None:
    with pytest.raises(AudioError, match=match):
        Audio(samples, rate)  # type: ignore[arg-type]


# --- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_bytes(fmt: str, clip: Audio, encoded: dict[str, bytes]) -> None:
    back = read_audio(encoded[fmt])
    assert back.samples.dtype == np.float32 and back.samples.flags.c_contiguous
    assert (back.channels, back.sample_rate) == (2, SR)
    assert back.duration_s == pytest.approx(clip.duration_s, abs=0.03)
    n = min(back.num_samples, clip.num_samples)
    c = corr(back.samples[:, :n], clip.samples[:, :n])
    assert c > (0.9999 if fmt in LOSSLESS else 0.95)
    if fmt in LOSSLESS:
        assert back.num_samples == clip.num_samples
        np.testing.assert_allclose(back.samples, clip.samples, atol=1e-4)


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_path_and_file_objects(fmt: str, clip: Audio, tmp_path) -> None:
    path = tmp_path / f"take.{fmt.lower()}"
    write_audio(clip, path, fmt.lower())  # format names are case-insensitive
    assert os.listdir(tmp_path) == [path.name]  # atomic write leaves no temporary file
    from_path = read_audio(path)
    from_str = read_audio(str(path))
    with open(path, "rb") as fh:
        from_file = read_audio(fh)
    from_bytesio = read_audio(io.BytesIO(path.read_bytes()))
    from_view = read_audio(memoryview(bytearray(path.read_bytes())))
    for other in (from_str, from_file, from_bytesio, from_view):
        np.testing.assert_array_equal(other.samples, from_path.samples)


def test_write_to_file_object(clip: Audio) -> None:
    buf = io.BytesIO()
    write_audio(clip, buf, "Flac")
    assert buf.getvalue()[:4] == b"fLaC"


def test_mono_and_other_rates_round_trip() -> None:
    mono = tone(0.3, rate=22050, channels=1)
    for fmt in FORMATS:
        back = read_audio(encode_audio(mono, fmt))
        assert (back.channels, back.sample_rate) == (1, 22050)


def test_wav_subtypes_and_clipping() -> None:
    loud = Audio(np.array([[0.5, 1.5, -2.0, 0.25]] * 2, dtype=np.float32), 8000)
    pcm = read_audio(encode_audio(loud, "WAV"))
    assert pcm.samples.max() <= 1.0 and pcm.samples.min() >= -1.0
    assert pcm.samples[0, 1] == pytest.approx(1.0, abs=1e-3)  # clipped, not wrapped around
    flt = read_audio(encode_audio(loud, "WAV", subtype="FLOAT"))
    np.testing.assert_array_equal(flt.samples, loud.samples)
    assert probe_audio(encode_audio(loud, "wav", subtype="pcm_24")).subtype == "PCM_24"


def test_mp3_bitrate_sets_constant_bitrate() -> None:
    noise = Audio(np.random.default_rng(0).standard_normal((2, SR)) * 0.2, SR)
    for kbps in (64, 128, 320):
        data = encode_audio(noise, "MP3", bitrate_kbps=kbps)
        scan = scan_mp3(data)
        assert scan is not None
        assert len(data) * 8 / 1000 / scan.duration_s == pytest.approx(kbps, rel=0.03)


@pytest.mark.parametrize(
    ("audio", "fmt", "kwargs", "match"),
    [
        (tone(0.1), "AIFF", {}, "format must be one of WAV, FLAC, MP3, OGG"),
        (tone(0.1, channels=3), "MP3", {}, "at most 2 channels"),
        (tone(0.1, rate=96000), "MP3", {}, "sample rate must be one of"),
        (tone(0.1), "OGG", {"bitrate_kbps": 128}, "MP3 only"),
        (tone(0.1), "MP3", {"bitrate_kbps": 500}, "between 32 and 320"),
        (tone(0.1, rate=22050), "MP3", {"bitrate_kbps": 192}, "between 8 and 160"),
        (tone(0.1), "MP3", {"bitrate_kbps": 128, "compression_level": 0.5}, "not both"),
        (tone(0.1), "FLAC", {"subtype": "FLOAT"}, "not available for FLAC"),
        (tone(0.1), "WAV", {"compression_level": 2.0}, "between 0 and 1"),
        (Audio(np.zeros((2, 0)), SR), "WAV", {}, "no samples"),
        (Audio(np.array([[0.0, np.nan]]), SR), "WAV", {}, "NaN"),
        (Audio(np.array([[0.0, np.inf]]), SR), "FLAC", {}, "NaN or infinite"),
    ],
)
def test_write_rejects(audio: Audio, fmt: str, kwargs: dict, match: str) -> None:
    with pytest.raises(AudioError, match=match):
        encode_audio(audio, fmt, **kwargs)


# --- probe ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_probe_values(fmt: str, clip: Audio, encoded: dict[str, bytes], tmp_path) -> None:
    data = encoded[fmt]
    info = probe_audio(data)
    assert info.format == fmt
    assert (info.sample_rate, info.channels, info.size_bytes) == (SR, 2, len(data))
    assert info.duration_s == pytest.approx(clip.duration_s, abs=0.03)
    assert info.name == "<bytes>" and info.path is None
    path = tmp_path / f"song.{fmt.lower()}"
    path.write_bytes(data)
    on_disk = probe_audio(path)
    assert (on_disk.name, on_disk.path, on_disk.size_bytes) == (path.name, str(path), len(data))


def test_probe_rewinds_file_objects(encoded: dict[str, bytes]) -> None:
    buf = io.BytesIO(b"xx" + encoded["WAV"])
    buf.seek(2)
    assert probe_audio(buf).format == "WAV"
    assert buf.tell() == 2
    assert read_audio(buf).num_samples > 0


# --- sniff ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_sniff_encoded(fmt: str, encoded: dict[str, bytes]) -> None:
    assert sniff_format(encoded[fmt]) == fmt


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"ID3\x04\x00\x00\x00\x00\x00\x05" + b"\x00" * 5 + b"\xff\xfb\x90\x64", "MP3"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00fLaC", "FLAC"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00", "M4A"),
        (b"\xff\xf1\x50\x80\x02\x1f\xfc", "AAC"),
        (b"\xff\xfb\x90\x64", "MP3"),
        (b"", None),
        (b"\xff\xfb", None),
        (b"\xff\xff\xff\xff", None),  # MPEG sync but reserved fields
        (b"<!DOCTYPE html><html>", None),
        (b'{"error": "expired"}', None),
        (b"RIFF\x00\x00\x00\x00AVI LIST", None),
    ],
)
def test_sniff_cases(data: bytes, expected: str | None) -> None:
    assert sniff_format(data) == expected


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=256))
def test_sniff_and_scan_never_raise(data: bytes) -> None:
    assert sniff_format(data) in {None, "WAV", "FLAC", "OGG", "MP3", "M4A", "AAC"}
    scan_mp3(data)


# --- broken input --------------------------------------------------------------------------


def test_empty_file(tmp_path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    for func in (read_audio, probe_audio):
        with pytest.raises(AudioError, match=r"empty\.wav: file is empty") as info:
            func(path)
        assert info.value.path == str(path)


def test_zero_length_audio(tmp_path) -> None:
    import soundfile as sf

    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros((0, 2), dtype=np.float32), SR)
    with pytest.raises(AudioError, match=r"silence\.wav: contains no audio samples"):
        read_audio(path)
    assert probe_audio(path).duration_s == 0.0


@pytest.mark.parametrize("pyav", [True, False])
def test_garbage(pyav: bool, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not pyav:
        no_pyav(monkeypatch)
    else:
        pytest.importorskip("av")
    path = tmp_path / "noise.mp3"
    path.write_bytes(np.random.default_rng(1).bytes(5000).replace(b"\xff", b"\x00"))
    for func in (read_audio, probe_audio):
        with pytest.raises(AudioError, match=r"noise\.mp3: not a readable audio file"):
            func(path)


def test_missing_file_and_directory(tmp_path) -> None:
    with pytest.raises(AudioError, match=r"nope\.wav: file not found"):
        read_audio(tmp_path / "nope.wav")
    with pytest.raises(AudioError, match="not a regular file"):
        read_audio(tmp_path)
    with pytest.raises(AudioError, match="path, bytes or a binary file object"):
        read_audio(12345)  # type: ignore[arg-type]
    with pytest.raises(AudioError, match="binary stream"):
        read_audio(io.StringIO("RIFF"))  # type: ignore[arg-type]


@pytest.mark.parametrize("pyav", [True, False])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("keep", [0.5, 0.8])
def test_truncated(
    fmt: str, keep: float, pyav: bool, encoded: dict[str, bytes], tmp_path, monkeypatch
) -> None:
    if not pyav:
        no_pyav(monkeypatch)
    data = encoded[fmt]
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(AudioError, match=r"cut\.\w+: .*(truncated|corrupt|no audio samples)"):
        read_audio(path)


def test_header_only_wav_is_truncated() -> None:
    with pytest.raises(AudioError, match="truncated: the header declares 1764 bytes"):
        read_audio(encode_audio(tone(0.01), "WAV")[:44])


def test_streamed_wav_size_placeholder_is_accepted(encoded: dict[str, bytes]) -> None:
    data = bytearray(encoded["WAV"])
    at = data.find(b"data")
    data[at + 4 : at + 8] = struct.pack("<I", 0xFFFFFFFF)
    data[4:8] = struct.pack("<I", 0xFFFFFFFF)
    assert read_audio(bytes(data)).num_samples == tone().num_samples


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_samples(bad: float, tmp_path) -> None:
    import soundfile as sf

    frames = np.zeros((1000, 2), dtype=np.float32)
    frames[500, 1] = bad
    path = tmp_path / "nan.wav"
    sf.write(path, frames, SR, subtype="FLOAT")
    with pytest.raises(AudioError, match=r"nan\.wav: contains NaN or infinite samples"):
        read_audio(path)


# --- MP3 without a length header -----------------------------------------------------------


@pytest.fixture(scope="module")
def headerless_vbr_mp3() -> tuple[bytes, float]:
    """A VBR MP3 (loud then near-silent) with its Xing frame removed."""
    rng = np.random.default_rng(2)
    loud = rng.standard_normal((2, SR // 2)) * 0.3
    quiet = np.zeros((2, 3 * SR)) + 1e-4
    audio = Audio(np.concatenate([loud, quiet], axis=1), SR)
    data = encode_audio(audio, "MP3")
    pos = _find_sync(data, id3v2_size(data), len(data))
    length = _parse(data, pos)[0]
    assert scan_mp3(data).has_length_header
    return data[:pos] + data[pos + length :], audio.duration_s


def test_scan_mp3_counts_frames(clip: Audio, encoded: dict[str, bytes]) -> None:
    scan = scan_mp3(encoded["MP3"])
    assert scan is not None and scan.has_length_header
    assert (scan.sample_rate, scan.channels) == (SR, 2)
    assert scan.duration_s == pytest.approx(clip.duration_s, abs=3 * 1152 / SR)
    assert scan_mp3(b"not an mp3 at all") is None


def test_headerless_vbr_mp3_probe_counts_frames(headerless_vbr_mp3: tuple[bytes, float]) -> None:
    data, seconds = headerless_vbr_mp3
    assert probe_audio(data).duration_s == pytest.approx(seconds, abs=0.1)


def test_headerless_vbr_mp3_read_with_pyav(headerless_vbr_mp3: tuple[bytes, float]) -> None:
    pytest.importorskip("av")
    data, seconds = headerless_vbr_mp3
    assert read_audio(data).duration_s == pytest.approx(seconds, abs=0.1)


def test_headerless_vbr_mp3_read_without_pyav(
    headerless_vbr_mp3: tuple[bytes, float], monkeypatch: pytest.MonkeyPatch
) -> None:
    no_pyav(monkeypatch)
    with pytest.raises(AudioError, match=r"no Xing/Info length header.*minimax-cover\[m4a\]"):
        read_audio(headerless_vbr_mp3[0])


# --- M4A through PyAV ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def m4a_bytes(clip: Audio) -> bytes:
    av = pytest.importorskip("av")
    buf = io.BytesIO()
    with av.open(buf, "w", format="ipod") as container:
        stream = container.add_stream("aac", rate=SR, layout="stereo")
        frame = av.AudioFrame.from_ndarray(clip.samples, format="fltp", layout="stereo")
        frame.sample_rate = SR
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buf.getvalue()


def test_m4a_read_and_probe_with_pyav(m4a_bytes: bytes, clip: Audio, tmp_path) -> None:
    assert sniff_format(m4a_bytes) == "M4A"
    path = tmp_path / "take.m4a"
    path.write_bytes(m4a_bytes)
    audio = read_audio(path)
    assert (audio.channels, audio.sample_rate) == (2, SR)
    assert audio.duration_s == pytest.approx(clip.duration_s, abs=0.06)
    info = probe_audio(path)
    assert (info.format, info.channels, info.sample_rate) == ("M4A", 2, SR)
    assert info.duration_s == pytest.approx(clip.duration_s, abs=0.06)
    assert info.size_bytes == len(m4a_bytes) and info.subtype == "aac"


def test_m4a_without_pyav_names_the_extra(m4a_bytes: bytes, monkeypatch) -> None:
    no_pyav(monkeypatch)
    for func in (read_audio, probe_audio):
        with pytest.raises(AudioError, match=r"M4A audio needs the optional PyAV decoder") as info:
            func(io.BytesIO(m4a_bytes))
        assert HINT in str(info.value)
    with pytest.raises(AudioError, match=r"minimax-cover\[m4a\]"):
        read_audio(b"\x00" * 100)


def test_truncated_m4a(m4a_bytes: bytes) -> None:
    with pytest.raises(AudioError, match="not a readable audio file|truncated or corrupt"):
        read_audio(m4a_bytes[: len(m4a_bytes) // 2], format="m4a")


# --- limits --------------------------------------------------------------------------------


def info_for(**kw: object) -> AudioInfo:
    base: dict[str, object] = dict(
        format="WAV", duration_s=30.0, sample_rate=SR, channels=2, size_bytes=1000, name="song.wav"
    )
    base.update(kw)
    return AudioInfo(**base)  # type: ignore[arg-type]


def test_limits_constants() -> None:
    assert (REFERENCE_MIN_DURATION_S, REFERENCE_MAX_DURATION_S) == (6.0, 360.0)
    assert REFERENCE_MAX_BYTES == 50 * 1024 * 1024


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (
            {"duration_s": 3.2},
            "inputs.audio: duration must be between 6 s and 360 s (got 3.2 s, song.wav)",
        ),
        (
            {"duration_s": 5.99},
            "inputs.audio: duration must be between 6 s and 360 s (got 5.990 s, song.wav)",
        ),
        (
            {"duration_s": 400.0},
            "inputs.audio: duration must be between 6 s and 360 s (got 400.0 s, song.wav)",
        ),
        (
            {"size_bytes": 60 * 1024 * 1024},
            "inputs.audio: file size must be at most 50 MiB (got 60.0 MiB, song.wav)",
        ),
        (
            {"format": "AIFF", "name": "song.aiff"},
            "inputs.audio: format must be one of WAV, FLAC, MP3, OGG, M4A (got AIFF, song.aiff)",
        ),
    ],
)
def test_limit_messages(kw: dict, message: str) -> None:
    with pytest.raises(AudioLimitError) as info:
        check_reference_limits(info_for(**kw))
    assert str(info.value) == message
    assert isinstance(info.value, AudioError)


def test_limits_accept_bounds_and_report_all_problems() -> None:
    check_reference_limits(info_for(duration_s=6.0))
    check_reference_limits(info_for(duration_s=360.0, size_bytes=REFERENCE_MAX_BYTES))
    check_reference_limits(info_for(size_bytes=None))
    with pytest.raises(AudioLimitError) as info:
        check_reference_limits(
            info_for(format="AAC", duration_s=1.0, size_bytes=REFERENCE_MAX_BYTES + 1),
            param="reference",
        )
    parts = str(info.value).split("; ")
    assert len(parts) == 3 and all(p.startswith("reference: ") for p in parts)
    with pytest.raises(AudioLimitError, match="between 1 s and 2 s"):
        check_reference_limits(info_for(format="wav"), min_s=1, max_s=2, formats=("wav",))


def test_limits_on_a_probed_file(clip: Audio, tmp_path) -> None:
    path = tmp_path / "short.flac"
    write_audio(clip, path, "FLAC")
    with pytest.raises(AudioLimitError, match=r"\(got 0\.5 s, short\.flac\)") as info:
        check_reference_limits(probe_audio(path))
    assert info.value.path == str(path)


# --- ops -----------------------------------------------------------------------------------


def test_resample_linear_keeps_pitch() -> None:
    src = tone(0.5, rate=22050, channels=1)
    out = resample_linear(src, 44100)
    assert (out.sample_rate, out.num_samples) == (44100, 2 * src.num_samples)
    spectrum = np.abs(np.fft.rfft(out.samples[0]))
    assert np.argmax(spectrum) * 44100 / out.num_samples == pytest.approx(440, abs=3)
    assert resample_linear(src, 22050) is src


def test_channel_and_pad_helpers() -> None:
    mono = tone(0.1, channels=1)
    stereo = to_channels(mono, 2)
    np.testing.assert_array_equal(stereo.samples[0], stereo.samples[1])
    np.testing.assert_allclose(to_channels(stereo, 1).samples, mono.samples)
    with pytest.raises(AudioError, match="only mono"):
        to_channels(tone(0.1, channels=3), 2)
    padded = pad_to(mono, mono.num_samples + 10)
    assert padded.num_samples == mono.num_samples + 10 and not padded.samples[:, -10:].any()
    with pytest.raises(AudioError):
        pad_to(mono, 1)


# --- import cost ---------------------------------------------------------------------------


def test_import_is_cheap_and_torch_free() -> None:
    code = (
        "import sys; import minimax_cover.plugin.audio as a; "
        "print(sorted(m for m in ('torch', 'soundfile', 'av') if m in sys.modules))"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "[]"


def test_write_to_missing_folder_names_the_file(clip: Audio, tmp_path) -> None:
    with pytest.raises(AudioError, match=r"out\.wav: cannot write WAV \(No such file"):
        write_audio(clip, tmp_path / "missing" / "out.wav", "WAV")


def test_long_ogg_does_not_crash_libvorbis() -> None:
    """One ~100 s write crashes libvorbis (stack overflow); write_audio must write in blocks.

    Run in a subprocess so that a regression fails this test instead of killing pytest.
    """
    code = (
        "import numpy as np; from minimax_cover.plugin.audio import Audio, encode_audio; "
        "data = encode_audio(Audio(np.zeros((2, 44100 * 100), np.float32), 44100), 'OGG'); "
        "print(len(data) > 0)"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, f"exit {out.returncode}: {out.stderr[-500:]}"
    assert out.stdout.strip() == "True"
