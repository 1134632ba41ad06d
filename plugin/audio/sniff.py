"""Magic-byte detection of audio containers (no decoding, no dependencies)."""

from __future__ import annotations

__all__ = ["id3v2_size", "is_mpeg_audio_header", "sniff_format"]


def id3v2_size(data: bytes) -> int:
    """Length of the ID3v2 tag at the start of ``data`` (header, body and footer), else 0."""
    if len(data) < 10 or data[:3] != b"ID3":
        return 0
    size_bytes = data[6:10]
    if any(b & 0x80 for b in size_bytes):  # not a syncsafe integer: not a real tag
        return 0
    size = 0
    for b in size_bytes:
        size = (size << 7) | b
    footer = 10 if data[5] & 0x10 else 0
    return 10 + size + footer


def is_mpeg_audio_header(b0: int, b1: int, b2: int) -> bool:
    """Whether three bytes are a plausible MPEG-1/2/2.5 layer I-III frame header."""
    if b0 != 0xFF or (b1 & 0xE0) != 0xE0:
        return False
    version = (b1 >> 3) & 0x03  # 1 is reserved
    layer = (b1 >> 1) & 0x03  # 0 is reserved (and is ADTS AAC's value)
    bitrate_index = b2 >> 4  # 15 is invalid
    rate_index = (b2 >> 2) & 0x03  # 3 is reserved
    return version != 1 and layer != 0 and bitrate_index != 15 and rate_index != 3


def _is_adts(data: bytes) -> bool:
    return len(data) >= 2 and data[0] == 0xFF and (data[1] & 0xF6) == 0xF0


def sniff_format(data: bytes) -> str | None:
    """Guess an audio container from its first bytes.

    Returns ``"WAV"`` (RIFF/WAVE), ``"FLAC"``, ``"OGG"``, ``"MP3"`` (ID3v2 tag or MPEG audio
    frame sync), ``"M4A"`` (ISO-BMFF ``ftyp``), ``"AAC"`` (raw ADTS) or ``None``. A dozen bytes
    suffice for most formats; give the first few KiB so an ID3 tag can be skipped. Used to
    content-check downloads, not to validate them: a match says nothing about the rest.
    """
    head = bytes(data[:64])
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "WAV"
    if head[:4] == b"fLaC":
        return "FLAC"
    if head[:4] == b"OggS":
        return "OGG"
    if len(head) >= 8 and head[4:8] == b"ftyp":
        return "M4A"
    tag = id3v2_size(head)
    if tag:
        rest = bytes(data[tag : tag + 4])
        if rest[:4] == b"fLaC":
            return "FLAC"
        if _is_adts(rest):
            return "AAC"
        return "MP3"
    if len(head) >= 3 and is_mpeg_audio_header(head[0], head[1], head[2]):
        return "MP3"
    if _is_adts(head):
        return "AAC"
    return None
