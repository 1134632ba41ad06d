"""WAV and MP3 header figures read in pure Python: libsndfile's own, side by side; anything
unusual is left to libsndfile; checking such a song loads neither numpy nor soundfile."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from minimax_cover.plugin.audio import Audio, encode_audio, probe_audio
from minimax_cover.plugin.audio.headers import read_header, wav_layout
from minimax_cover.plugin.audio.mp3scan import scan_mp3
from minimax_cover.plugin.audio.sniff import sniff_format
from minimax_cover.plugin.audio.verify import verify_audio


def _signal(rate: int, channels: int, seconds: float) -> Audio:
    rng = np.random.default_rng(rate + channels)
    t = np.arange(int(rate * seconds)) / rate
    rows = [0.3 * np.sin(2 * np.pi * (220 + 50 * c) * t) + 0.02 * rng.standard_normal(t.size)
            for c in range(channels)]
    return Audio(np.stack(rows).astype(np.float32), rate)


def _header(data: bytes):  # type: ignore[no-untyped-def]
    return read_header(sniff_format(data[:4096]), lambda n: data[:n], len(data), lambda: data)


def _wav(subtype: str, channels: int, frames: int, fmt: str = "WAV") -> bytes:
    buf = io.BytesIO()
    with sf.SoundFile(buf, "w", 22050, channels, format=fmt, subtype=subtype) as out:
        out.write(np.zeros((frames, channels), np.float32) + 0.25)
        if frames == 1001:
            out.title = "a LIST chunk"
    return buf.getvalue()


WAVS = [(f, s, c, n) for f in ("WAV", "WAVEX")
        for s in ("PCM_16", "PCM_24", "PCM_32", "PCM_U8", "FLOAT", "DOUBLE")
        for c in (1, 2, 6) for n in (0, 1001)]


@pytest.mark.parametrize(("fmt", "subtype", "channels", "frames"), WAVS)
def test_wav_figures_are_libsndfiles(fmt: str, subtype: str, channels: int, frames: int
                                     ) -> None:
    data = _wav(subtype, channels, frames, fmt)
    info = sf.info(io.BytesIO(data))
    header = _header(data)
    assert header is not None
    assert (header.format, header.subtype, header.sample_rate, header.channels,
            header.declared_frames) == ("WAV", info.subtype, info.samplerate, info.channels,
                                        info.frames)


MP3S = [(rate, channels, kbps) for rate in (8000, 16000, 22050, 32000, 44100, 48000)
        for channels in (1, 2) for kbps in (None, 64)]


@pytest.mark.parametrize(("rate", "channels", "kbps"), MP3S)
def test_mp3_figures_are_libsndfiles(rate: int, channels: int, kbps: int | None) -> None:
    extra = {"bitrate_kbps": kbps} if kbps else {}
    data = encode_audio(_signal(rate, channels, 7.013), "MP3", **extra)
    info = sf.info(io.BytesIO(data))
    header = _header(data)
    assert header is not None and header.mp3 is not None
    expected = info.frames if header.mp3.has_length_header else header.mp3.samples
    assert (header.format, header.subtype, header.sample_rate, header.channels,
            header.declared_frames) == ("MP3", info.subtype, info.samplerate, info.channels,
                                        expected)


def test_an_ffmpeg_mp3s_length_header_is_read_as_mpg123_does() -> None:
    av = pytest.importorskip("av")
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp3") as out:
        stream = out.add_stream("libmp3lame", rate=44100)
        stream.layout = "stereo"
        frame = av.AudioFrame.from_ndarray(_signal(44100, 2, 7.3).samples, format="fltp",
                                           layout="stereo")
        frame.sample_rate = 44100
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    data = buf.getvalue()
    scan = scan_mp3(data)
    assert scan is not None and scan.declared_samples == sf.info(io.BytesIO(data)).frames


def _riff(fmt_body: bytes, data_size: int, present: int) -> bytes:
    fmt = b"fmt " + struct.pack("<I", len(fmt_body)) + fmt_body
    body = b"WAVE" + fmt + b"data" + struct.pack("<I", data_size) + bytes(present)
    return b"RIFF" + struct.pack("<I", len(body)) + body


@pytest.mark.parametrize(
    ("fmt_body", "data_size", "present"),
    [
        (struct.pack("<HHIIHH", 6, 1, 8000, 8000, 1, 8), 800, 800),  # A-law: not PCM
        (struct.pack("<HHIIHH", 1, 2, 8000, 32000, 4, 16), 4000, 3000),  # larger than the file
        (struct.pack("<HHIIHH", 1, 2, 8000, 32000, 3, 16), 4000, 4000),  # block size lies
        (struct.pack("<HHIIHH", 1, 0, 8000, 0, 0, 16), 4000, 4000),  # 0 channels
        (struct.pack("<HHIIHH", 1, 1, 8000, 24000, 3, 12), 3000, 3000),  # 12-bit samples
    ],
)
def test_unusual_wavs_are_left_to_libsndfile(fmt_body: bytes, data_size: int,
                                             present: int) -> None:
    data = _riff(fmt_body, data_size, present)
    assert wav_layout(data, len(data)) is None


def test_probe_and_verify_agree_with_libsndfile_on_disk(tmp_path: Path) -> None:
    for fmt in ("WAV", "MP3"):
        path = tmp_path / f"song.{fmt.lower()}"
        path.write_bytes(encode_audio(_signal(44100, 2, 6.5), fmt))
        info = sf.info(str(path))
        probed, verified = probe_audio(path), verify_audio(path)
        assert probed.duration_s == pytest.approx(info.frames / info.samplerate)
        assert (probed.format, probed.channels, probed.sample_rate, probed.path) == (
            fmt, 2, 44100, str(path))
        assert verified.duration_s == pytest.approx(probed.duration_s, abs=0.06)


CHECKS = """
import sys
from minimax_cover.plugin.audio import probe_audio
from minimax_cover.plugin.audio.verify import verify_audio
from minimax_cover.plugin.jobs.local_audio import check_local_audio
from minimax_cover.plugin.jobs.silence import check_silence
for path in sys.argv[1:]:
    check_local_audio(path)
    assert check_silence(path) is None, path
    probe_audio(path), verify_audio(path)
loaded = sorted({"numpy", "soundfile"} & set(sys.modules))
assert not loaded, loaded
print("ok")
"""


def test_checking_a_wav_or_mp3_song_loads_neither_numpy_nor_soundfile(tmp_path: Path
                                                                        ) -> None:
    paths = []
    for fmt, subtype in (("WAV", "PCM_16"), ("WAV", "PCM_24"), ("MP3", None)):
        path = tmp_path / f"song_{subtype}.{fmt.lower()}"
        extra = {"subtype": subtype} if subtype else {}
        path.write_bytes(encode_audio(_signal(44100, 2, 7.0), fmt, **extra))
        paths.append(str(path))
    done = subprocess.run([sys.executable, "-c", CHECKS, *paths], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
