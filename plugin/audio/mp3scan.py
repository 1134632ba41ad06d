"""Count the frames of an MPEG audio (MP3) stream by walking its frame headers.

Not a decoder: it only reads the 4-byte header of each frame. libsndfile (through mpg123) takes
an MP3's length from its Xing/Info/VBRI header and, when there is none, *estimates* it from the
first frame's bitrate, and then never decodes past that estimate; for a VBR file without such a
header that silently cuts the song short. This scan gives the true length so the reader can
notice and the prober can report the right duration.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .sniff import id3v2_size, is_mpeg_audio_header

__all__ = ["Mp3Scan", "scan_mp3"]

_BITRATES_KBPS: dict[tuple[int, int], tuple[int, ...]] = {
    (1, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (2, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
# Keyed by the header's 2 version bits: 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5.
_SAMPLE_RATES: dict[int, tuple[int, int, int]] = {
    3: (44100, 48000, 32000),
    2: (22050, 24000, 16000),
    0: (11025, 12000, 8000),
}
_SYNC_SEARCH_BYTES = 256 * 1024
#: (frame length, samples per frame, sample rate) of each valid header seen, by its first
#: three bytes (at most a few thousand valid ones exist).
_KNOWN_HEADERS: dict[int, tuple[int, int, int]] = {}
# Encoders whose Xing/Info frame carries a LAME-style tag with the encoder delay and padding,
# read the way mpg123 reads it (checked against libsndfile's lengths; others: no length).
_GAPLESS_ENCODERS = (b"LAME", b"Lavf", b"Lavc")


@dataclass(frozen=True)
class Mp3Scan:
    """Result of :func:`scan_mp3`: audio frames found and what they add up to."""

    sample_rate: int
    channels: int
    frames: int
    samples: int
    has_length_header: bool  # a Xing, Info or VBRI frame was found
    #: The length the Xing/Info frame and its LAME tag declare, as mpg123 (libsndfile) reports
    #: it: ``frames x samples per frame - encoder delay - padding``; ``None`` when there is no
    #: such header, or one this module does not read (VBRI, no frame count, another encoder).
    declared_samples: int | None = None
    layer: int = 3

    @property
    def duration_s(self) -> float:
        return self.samples / self.sample_rate


def _parse(data: bytes, pos: int) -> tuple[int, int, int, int] | None:
    """(frame length, samples per frame, sample rate, channels) of the header at ``pos``."""
    if pos + 4 > len(data):
        return None
    b0, b1, b2, b3 = data[pos], data[pos + 1], data[pos + 2], data[pos + 3]
    if not is_mpeg_audio_header(b0, b1, b2):
        return None
    version_bits = (b1 >> 3) & 0x03
    layer = 4 - ((b1 >> 1) & 0x03)
    bitrate_index = b2 >> 4
    if bitrate_index == 0:  # free format: the length is not in the header
        return None
    mpeg1 = version_bits == 3
    bitrate = _BITRATES_KBPS[(1 if mpeg1 else 2, layer)][bitrate_index] * 1000
    rate = _SAMPLE_RATES[version_bits][(b2 >> 2) & 0x03]
    padding = (b2 >> 1) & 0x01
    if layer == 1:
        length, samples = (12 * bitrate // rate + padding) * 4, 384
    elif layer == 2 or mpeg1:
        length, samples = 144 * bitrate // rate + padding, 1152
    else:
        length, samples = 72 * bitrate // rate + padding, 576
    channels = 1 if (b3 >> 6) == 3 else 2
    return length, samples, rate, channels


def _find_sync(data: bytes, start: int, limit: int) -> int:
    """Offset of the first header at or after ``start`` that is followed by another; else -1."""
    end = min(len(data) - 3, limit)
    pos = data.find(b"\xff", start, end)
    while pos != -1:
        head = _parse(data, pos)
        if head is not None:
            nxt = pos + head[0]
            if nxt + 4 > len(data) or _parse(data, nxt) is not None:
                return pos
        pos = data.find(b"\xff", pos + 1, end)
    return -1


def _declared_samples(data: bytes, pos: int, samples_per_frame: int) -> int | None:
    """The gapless length a Xing/Info frame at ``pos`` declares, or ``None`` (see Mp3Scan)."""
    b1, b3 = data[pos + 1], data[pos + 3]
    mpeg1, mono = ((b1 >> 3) & 0x03) == 3, (b3 >> 6) == 3
    side = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    at = pos + 4 + (0 if b1 & 0x01 else 2) + side  # after the header, its CRC, the side info
    if data[at:at + 4] not in (b"Xing", b"Info") or at + 8 > len(data):
        return None
    flags = struct.unpack_from(">I", data, at + 4)[0]
    if not flags & 0x01:
        return None  # no frame count
    if at + 12 > len(data):
        return None
    count = struct.unpack_from(">I", data, at + 8)[0]
    tag = at + 12 + (4 if flags & 0x02 else 0) + (100 if flags & 0x04 else 0) + (
        4 if flags & 0x08 else 0)
    if data[tag:tag + 4] not in _GAPLESS_ENCODERS or tag + 24 > len(data):
        return None
    d0, d1, d2 = data[tag + 21], data[tag + 22], data[tag + 23]
    delay, padding = (d0 << 4) | (d1 >> 4), ((d1 & 0x0F) << 8) | d2
    return max(0, count * samples_per_frame - delay - padding)


def scan_mp3(data: bytes) -> Mp3Scan | None:
    """Walk the frames of an MP3 held in ``data``; ``None`` if no MPEG audio frame is found.

    Skips a leading ID3v2 tag, the Xing/Info/VBRI frame and junk between frames; a trailing
    partial frame is not counted (decoders drop it too).
    """
    data = bytes(data)
    pos = _find_sync(data, id3v2_size(data), _SYNC_SEARCH_BYTES + id3v2_size(data))
    if pos == -1:
        return None
    first = _parse(data, pos)
    assert first is not None
    _, _, rate, channels = first
    layer = 4 - ((data[pos + 1] >> 1) & 0x03)
    frame = data[pos : pos + first[0]]
    has_header = b"Xing" in frame[:64] or b"Info" in frame[:64] or frame[36:40] == b"VBRI"
    declared = None
    if has_header:
        declared = _declared_samples(data, pos, first[1])
        pos += first[0]
    frames = samples = 0
    size, known = len(data), _KNOWN_HEADERS
    while True:
        head = None
        if pos + 4 <= size:  # the header's first three bytes decide (a memo: few per file)
            key = (data[pos] << 16) | (data[pos + 1] << 8) | data[pos + 2]
            head = known.get(key)
            if head is None:
                parsed = _parse(data, pos)
                if parsed is not None:
                    head = known[key] = parsed[:3]
        if head is None or head[2] != rate:
            pos = _find_sync(data, pos + 1, size)
            if pos == -1:
                break
            continue
        length, spf = head[0], head[1]
        if pos + length > size:
            break
        frames += 1
        samples += spf
        pos += length
    return Mp3Scan(rate, channels, frames, samples, has_header, declared, layer)
