"""verify_audio and its frame walks: the whole song is there, or an AudioError says why."""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest
from minimax_cover.plugin.audio import Audio, encode_audio
from minimax_cover.plugin.audio.flacscan import scan_flac
from minimax_cover.plugin.audio.oggscan import ogg_crc, scan_ogg
from minimax_cover.plugin.audio.verify import verify_audio
from minimax_cover.plugin.errors import AudioError

SECONDS = 8.0
RATE = 22050


def _song(fmt: str, channels: int = 1) -> bytes:
    import numpy as np

    t = np.arange(int(SECONDS * RATE), dtype=np.float64) / RATE
    rng = np.random.default_rng(3)
    rows = [0.3 * np.sin(2 * np.pi * (220 + 110 * c) * t) + 0.02 * rng.standard_normal(t.size)
            for c in range(channels)]
    return encode_audio(Audio(np.stack(rows).astype(np.float32), RATE), fmt)


SONGS: dict[str, bytes] = {fmt: _song(fmt, 2) for fmt in ("WAV", "FLAC", "MP3", "OGG")}


@pytest.mark.parametrize("fmt", list(SONGS))
@pytest.mark.parametrize("decode", [False, True])
def test_sound_songs_pass(fmt: str, decode: bool) -> None:
    info = verify_audio(SONGS[fmt], decode=decode)
    assert info.format == fmt and info.channels == 2 and info.sample_rate == RATE
    assert info.duration_s == pytest.approx(SECONDS, abs=0.1)


@pytest.mark.parametrize("fmt", list(SONGS))
@pytest.mark.parametrize("fraction", [0.1, 0.35, 0.6, 0.9])
def test_truncated_songs_are_refused(fmt: str, fraction: float) -> None:
    data = SONGS[fmt]
    with pytest.raises(AudioError, match="truncated|corrupt|declares"):
        verify_audio(data[: int(len(data) * fraction)])


def _overwrite(data: bytes, at: float, count: int) -> bytes:
    out = bytearray(data)
    start = int(len(out) * at)
    out[start:start + count] = bytes(count)
    return bytes(out)


def _cut_out(data: bytes, at: float, count: int) -> bytes:
    start = int(len(data) * at)
    return data[:start] + data[start + count:]


@pytest.mark.parametrize("damage", [_overwrite, _cut_out])
@pytest.mark.parametrize("fmt", ["FLAC", "OGG"])
def test_missing_or_overwritten_frames_are_refused(
        fmt: str, damage: Callable[[bytes, float, int], bytes]) -> None:
    with pytest.raises(AudioError, match="corrupt|truncated"):
        verify_audio(damage(SONGS[fmt], 0.5, 20_000))  # frames' worth, mid-file


def test_ogg_crc_catches_one_flipped_byte() -> None:
    data = bytearray(SONGS["OGG"])
    data[len(data) // 2] ^= 0x55
    with pytest.raises(AudioError, match="fails its CRC"):
        verify_audio(bytes(data))


def test_ogg_crc_matches_the_reference_algorithm() -> None:
    def slow(page: bytes) -> int:
        crc = 0
        for byte in page:
            crc ^= byte << 24
            for _ in range(8):
                crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
                crc &= 0xFFFFFFFF
        return crc

    data = SONGS["OGG"]
    size = 27 + data[26] + sum(data[27:27 + data[26]])
    page = bytearray(data[:size])
    stored = struct.unpack_from("<I", page, 22)[0]
    page[22:26] = bytes(4)
    assert ogg_crc(bytes(page)) == slow(bytes(page)) == stored


def test_scans_report_the_whole_stream() -> None:
    flac = scan_flac(SONGS["FLAC"])
    assert flac is not None and flac.problem is None
    assert flac.samples == flac.declared_samples == int(SECONDS * RATE)
    ogg = scan_ogg(SONGS["OGG"])
    assert ogg is not None and ogg.problem is None and ogg.pages > 2
    assert scan_flac(SONGS["WAV"]) is None and scan_ogg(SONGS["WAV"]) is None


def _wav(field: bytes, offset: int, fmt: str, value: int) -> bytes:
    out = bytearray(SONGS["WAV"])
    struct.pack_into(fmt, out, out.find(field) + offset, value)
    return bytes(out)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (_wav(b"fmt ", 10, "<H", 0), "declares 0 channels"),
        (_wav(b"fmt ", 12, "<I", 0), "sample rate of 0 Hz"),
        (_wav(b"fmt ", 20, "<H", 0), "0-byte samples"),
        (_wav(b"data", 4, "<I", 0xFFFFFFF0), "declares 4294967280 bytes of audio data"),
        (_wav(b"data", 4, "<I", 0xFFFFFFFF), "streaming placeholder"),
        (b"", "empty"),
        (b"RIFF\x00\x00\x00\x00WAVE", "no data chunk|not a readable"),
    ],
)
def test_wav_headers_that_lie(data: bytes, match: str) -> None:
    with pytest.raises(AudioError, match=match):
        verify_audio(data)


def test_float_wav_with_nan_is_refused() -> None:
    import numpy as np

    data = bytearray(encode_audio(Audio(np.zeros((1, RATE * 7), np.float32), RATE), "WAV",
                                  subtype="FLOAT"))
    data[-4 * (RATE * 2):-4 * (RATE * 2) + 4] = struct.pack("<f", float("nan"))  # at 5 s
    with pytest.raises(AudioError, match="NaN"):
        verify_audio(bytes(data))


def test_a_path_and_bytes_agree(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "song.flac"
    path.write_bytes(SONGS["FLAC"])
    assert verify_audio(path).duration_s == verify_audio(SONGS["FLAC"]).duration_s


def _m4a(seconds: float) -> bytes:
    import io

    import numpy as np

    av = pytest.importorskip("av")
    t = np.arange(int(seconds * 44100), dtype=np.float64) / 44100
    samples = np.stack([0.3 * np.sin(2 * np.pi * 220 * t)] * 2).astype(np.float32)
    buf = io.BytesIO()
    with av.open(buf, "w", format="ipod") as container:
        stream = container.add_stream("aac", rate=44100, layout="stereo")
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="stereo")
        frame.sample_rate = 44100
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buf.getvalue()


def test_m4a_is_decoded_frame_by_frame_with_pyav() -> None:
    data = _m4a(7.0)
    info = verify_audio(data)
    assert info.format == "M4A" and info.duration_s == pytest.approx(7.0, abs=0.2)
    with pytest.raises(AudioError):
        verify_audio(data[: len(data) // 2])
