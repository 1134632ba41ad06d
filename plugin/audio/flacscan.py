"""Walk every frame of a FLAC stream by its headers, without decoding (RFC 9639).

Each FLAC frame starts with a sync code and a header protected by a CRC-8 that carries the
frame's number (fixed block size) or first sample (variable). Walking from frame to frame, each
next header must have the next number, so a missing, cut or overwritten stretch stops the walk
where it starts: the frames found then fall short of ``STREAMINFO``'s total. Frame lengths are
also held to ``STREAMINFO``'s minimum and maximum frame sizes when it declares them. The
residual data itself is not checked (that needs a decoder; see :mod:`.verify`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .sniff import id3v2_size

__all__ = ["FlacScan", "scan_flac"]


def _crc8_table() -> tuple[int, ...]:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
        table.append(crc)
    return tuple(table)


_CRC8 = _crc8_table()
_UTF8_LEADS = ((0x80, 0x00, 1), (0xE0, 0xC0, 2), (0xF0, 0xE0, 3), (0xF8, 0xF0, 4),
               (0xFC, 0xF8, 5), (0xFE, 0xFC, 6), (0xFF, 0xFE, 7))


@dataclass(frozen=True)
class FlacScan:
    """What :func:`scan_flac` found: the declared stream and the frames really present.

    ``problem`` says why the walk stopped early or a frame is out of bounds (else ``None``).
    """

    sample_rate: int
    channels: int
    declared_samples: int  # STREAMINFO's total (0: unknown)
    samples: int  # the block sizes of the frames found, added up
    frames: int
    problem: str | None = None


def _crc8(data: bytes, start: int, end: int) -> int:
    crc = 0
    for i in range(start, end):
        crc = _CRC8[crc ^ data[i]]
    return crc


def _coded_number(data: bytes, pos: int) -> tuple[int, int] | None:
    """The UTF-8-like coded frame/sample number at ``pos``: (value, length)."""
    if pos >= len(data):
        return None
    first = data[pos]
    length = next((n for mask, lead, n in _UTF8_LEADS if first & mask == lead), 0)
    if not length:
        return None
    value = first & (0x7F >> length) if length > 1 else first
    if pos + length > len(data):
        return None
    for i in range(1, length):
        byte = data[pos + i]
        if byte & 0xC0 != 0x80:
            return None
        value = (value << 6) | (byte & 0x3F)
    return value, length


def _block_size(code: int, data: bytes, pos: int) -> tuple[int, int] | None:
    """(block size, extra header bytes read at ``pos``) for a block size code."""
    if code == 1:
        return 192, 0
    if 2 <= code <= 5:
        return 576 << (code - 2), 0
    if code == 6:
        return (data[pos] + 1, 1) if pos < len(data) else None
    if code == 7:
        return ((data[pos] << 8 | data[pos + 1]) + 1, 2) if pos + 1 < len(data) else None
    if code >= 8:
        return 256 << (code - 8), 0
    return None  # 0 is reserved


def _frame_header(data: bytes, pos: int, second: int) -> tuple[int, int, int] | None:
    """(number, block size, header length) of a valid frame header at ``pos``, else None."""
    if pos + 6 > len(data) or data[pos] != 0xFF or data[pos + 1] != second:
        return None
    b2, b3 = data[pos + 2], data[pos + 3]
    rate_code = b2 & 0x0F
    if b2 >> 4 == 0 or rate_code == 15 or b3 >> 4 > 10 or (b3 >> 1) & 7 == 3 or b3 & 1:
        return None
    number = _coded_number(data, pos + 4)
    if number is None:
        return None
    p = pos + 4 + number[1]
    block = _block_size(b2 >> 4, data, p)
    if block is None:
        return None
    p += block[1] + (1 if rate_code == 12 else 2 if rate_code in (13, 14) else 0)
    if p >= len(data) or _crc8(data, pos, p) != data[p]:
        return None
    return number[0], block[0], p + 1 - pos


def _streaminfo(data: bytes, start: int) -> tuple[dict[str, int], int] | str:
    """The STREAMINFO fields and the offset of the first frame, or why they cannot be read."""
    pos, info = start + 4, None
    while True:
        if pos + 4 > len(data):
            return "the metadata blocks are cut short"
        header = data[pos]
        length = int.from_bytes(data[pos + 1:pos + 4], "big")
        if header & 0x7F == 0 and length >= 34 and pos + 4 + 34 <= len(data):
            raw = int.from_bytes(data[pos + 4:pos + 4 + 18], "big")  # first 144 bits
            # min/max block (16 bits each), min/max frame (24), rate (20), channels - 1 (3),
            # bits - 1 (5), total samples (36): the first 144 bits
            info = {"min_frame": (raw >> 88) & 0xFFFFFF, "max_frame": (raw >> 64) & 0xFFFFFF,
                    "rate": (raw >> 44) & 0xFFFFF, "channels": ((raw >> 41) & 0x7) + 1,
                    "total": raw & 0xFFFFFFFFF}
        pos += 4 + length
        if header & 0x80:
            break
    if info is None:
        return "it has no STREAMINFO block"
    return info, pos


def _next_frame(data: bytes, start: int, likely: int, sync: bytes, second: int,
                expected: int) -> tuple[int, tuple[int, int, int] | None]:
    """The next frame header numbered ``expected``: searched from ``likely`` (the smallest
    frame size on: one search per frame, not per byte), then from ``start`` if that fails."""
    for begin in ((likely, start) if likely > start else (start,)):
        nxt = data.find(sync, begin)
        while nxt != -1:
            header = _frame_header(data, nxt, second)
            if header is not None and header[0] == expected:
                return nxt, header
            nxt = data.find(sync, nxt + 1)
    return -1, None


def _end(data: bytes) -> int:
    """Where the audio ends: before a trailing ID3v1 tag, if any."""
    return len(data) - 128 if len(data) >= 128 and data[-128:-125] == b"TAG" else len(data)


def scan_flac(data: bytes) -> FlacScan | None:
    """Walk the frames of the FLAC file held in ``data``; ``None`` if it is not FLAC."""
    start = id3v2_size(data)
    if data[start:start + 4] != b"fLaC":
        return None
    parsed = _streaminfo(data, start)
    if isinstance(parsed, str):
        return FlacScan(0, 0, 0, 0, 0, parsed)
    info, pos = parsed
    rate, channels, declared = info["rate"], info["channels"], info["total"]
    if pos + 2 > len(data) or data[pos] != 0xFF or data[pos + 1] not in (0xF8, 0xF9):
        return FlacScan(rate, channels, declared, 0, 0, "no audio frame after the metadata")
    second = data[pos + 1]
    variable = second == 0xF9
    sync = bytes((0xFF, second))
    header = _frame_header(data, pos, second)
    if header is None or header[0] != 0:
        return FlacScan(rate, channels, declared, 0, 0, "its first frame header is corrupt")
    frames, samples = 0, 0
    low, high = info["min_frame"], info["max_frame"]
    while True:
        number, block, length = header  # the frame at ``pos``, checked
        frames += 1
        samples += block
        expected = samples if variable else frames
        nxt, following = _next_frame(data, pos + length, pos + max(length, low), sync, second,
                                     expected)
        size = (nxt if following is not None else _end(data)) - pos
        if high and size > high:
            what = "is followed by data that is not its next frame" if following is None \
                else "spans more than the largest frame the stream declares"
            return FlacScan(rate, channels, declared, samples - block, frames - 1,
                            f"frame {frames - 1} {what} (corrupt or missing frames)")
        if following is None:
            if low and size < low:
                return FlacScan(rate, channels, declared, samples - block, frames - 1,
                                "its last frame is cut short")
            return FlacScan(rate, channels, declared, samples, frames)
        pos, header = nxt, following
