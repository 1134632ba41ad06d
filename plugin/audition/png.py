"""A small PNG writer: an RGB ``uint8`` array to PNG bytes with :mod:`zlib`, no imaging library.

Rows use PNG's "Up" filter (each byte minus the byte above), which suits the pictures drawn
here: waveform columns and spectrogram bands change little from row to row, so the filtered
rows are mostly zeros and deflate well.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

__all__ = ["encode_png", "png_size"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def encode_png(rgb: Any, *, level: int = 6) -> bytes:
    """Encode ``rgb`` (``uint8`` shaped ``[height, width, 3]``) as a PNG file's bytes.

    :param rgb: the image, top row first.
    :param level: zlib compression level (0-9).
    :returns: the complete PNG file.
    :raises ValueError: for any other shape or dtype.
    """
    import numpy as np

    image = np.asarray(rgb)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"rgb: expected a uint8 array [height, width, 3] "
                         f"(got {image.dtype} {image.shape})")
    height, width = image.shape[:2]
    if height < 1 or width < 1:
        raise ValueError(f"rgb: expected at least 1x1 pixels (got {width}x{height})")
    rows = image.reshape(height, width * 3)
    filtered = np.empty((height, width * 3 + 1), dtype=np.uint8)
    filtered[:, 0] = 2  # filter type "Up"
    filtered[0, 1:] = rows[0]
    filtered[1:, 1:] = rows[1:] - rows[:-1]  # uint8 arithmetic wraps modulo 256, as PNG wants
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"".join([
        _SIGNATURE,
        _chunk(b"IHDR", header),
        _chunk(b"IDAT", zlib.compress(filtered.tobytes(), level)),
        _chunk(b"IEND", b""),
    ])


def png_size(data: bytes) -> tuple[int, int]:
    """``(width, height)`` read from a PNG file's header."""
    if data[:8] != _SIGNATURE or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)
