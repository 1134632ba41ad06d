"""Pictures: sizes, shared time axis, what the waveform and spectrogram show; the PNG writer."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from minimax_cover.plugin.audio import Audio
from minimax_cover.plugin.audition.pictures import PictureStyle, picture_png, render_picture
from minimax_cover.plugin.audition.png import encode_png, png_size

SR = 22050


def tone(freq: float, seconds: float, amp: float = 0.5, channels: int = 1) -> Audio:
    t = np.arange(int(SR * seconds)) / SR
    row = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return Audio(np.stack([row] * channels), SR)


def decode_png(data: bytes) -> np.ndarray:
    """A reference decoder for 8-bit RGB PNGs with filters None/Sub/Up (enough to check ours)."""
    width, height = png_size(data)
    pos, idat = 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc
        if kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, width * 3 + 1)
    out = np.zeros((height, width * 3), dtype=np.uint8)
    for y in range(height):
        f, row = raw[y, 0], raw[y, 1:]
        prev = out[y - 1] if y else np.zeros_like(row)
        if f == 0:
            out[y] = row
        elif f == 2:
            out[y] = row + prev
        else:
            raise AssertionError(f"unexpected filter {f}")
    return out.reshape(height, width, 3)


def test_png_round_trip() -> None:
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    data = encode_png(img)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert png_size(data) == (53, 37)
    assert np.array_equal(decode_png(data), img)


@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 3), np.float32),
                                 np.zeros((0, 4, 3), np.uint8)])
def test_png_rejects_other_arrays(bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match="rgb"):
        encode_png(bad)


def test_picture_size_and_decodes() -> None:
    style = PictureStyle()
    data = picture_png(tone(440, 2.0, channels=2))
    assert png_size(data) == (style.width, style.height)
    assert style.width >= 300
    img = decode_png(data)
    assert img.shape == (style.height, style.width, 3)


def test_shared_axis_leaves_the_rest_empty() -> None:
    style = PictureStyle(width=400)
    short = render_picture(tone(440, 1.0), axis_seconds=4.0, style=style)
    background = short[0, -1].copy()
    # a quarter of the width is drawn, the rest is background in both parts
    drawn = (short != background).any(axis=(0, 2))
    assert drawn[:95].any() and not drawn[105:].any()
    full = render_picture(tone(440, 4.0), axis_seconds=4.0, style=style)
    assert (full != background).any(axis=(0, 2))[350:].any()


def test_waveform_follows_loudness() -> None:
    style = PictureStyle(width=200)
    quiet = render_picture(tone(440, 1.0, amp=0.1), style=style)[: style.wave_height]
    loud = render_picture(tone(440, 1.0, amp=0.9), style=style)[: style.wave_height]
    bg = quiet[0, 0]
    assert (loud != bg).any(axis=2).sum() > 3 * (quiet != bg).any(axis=2).sum()


def test_spectrogram_puts_low_notes_low() -> None:
    style = PictureStyle(width=100)
    top = style.wave_height + style.gap

    def brightest_row(freq: float) -> int:
        spec = render_picture(tone(freq, 1.0), style=style)[top:].astype(int).sum(axis=2)
        return int(spec.mean(axis=1).argmax())

    assert brightest_row(110) > brightest_row(880) > brightest_row(5000)


def test_silence_and_tiny_clips_draw() -> None:
    silent = Audio(np.zeros((1, SR), np.float32), SR)
    assert render_picture(silent).shape[1] == PictureStyle().width
    tiny = Audio(np.ones((1, 10), np.float32) * 0.1, SR)
    assert render_picture(tiny, axis_seconds=1.0).shape[1] == PictureStyle().width
