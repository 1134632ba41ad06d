"""A WAV's or an MP3's length, rate and channels from its own bytes, without libsndfile.

:func:`probe_audio` and :func:`~.verify.verify_audio` need a song's header figures; for the
two most common song formats this module reads them in pure Python, so a job on a WAV or MP3
song never imports numpy or soundfile for its checks (together 50-140 ms of a CLI run):

- **WAV**: the RIFF chunks are walked for ``fmt`` (integer PCM or IEEE float, plain or
  ``WAVE_FORMAT_EXTENSIBLE``) and ``data``; frames = data bytes / block size.
- **MP3** (layer III): every frame header is walked (:func:`~.mp3scan.scan_mp3`); the declared
  length is the Xing/Info frame count less the LAME tag's encoder delay and padding, as mpg123
  computes it, or the frames walked when there is no length header.

The figures are libsndfile's (``sf.info``), tested side by side. Anything unusual (RF64,
compressed WAV codecs, a data chunk larger than the file, a VBRI header, another encoder's
Xing frame, layer I/II) gives ``None``: the caller then asks libsndfile as before.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple

from .mp3scan import Mp3Scan, scan_mp3

__all__ = ["WAV_HEAD_BYTES", "SongHeader", "WavLayout", "read_header", "wav_layout"]

#: Bytes of a WAV read to find its ``fmt`` and ``data`` chunks.
WAV_HEAD_BYTES = 1 << 16

_PCM, _FLOAT, _EXTENSIBLE = 0x0001, 0x0003, 0xFFFE
_INT_SUBTYPES = {8: "PCM_U8", 16: "PCM_16", 24: "PCM_24", 32: "PCM_32"}
_FLOAT_SUBTYPES = {32: "FLOAT", 64: "DOUBLE"}
# The GUID tail every WAVE_FORMAT_EXTENSIBLE sub-format shares (KSDATAFORMAT_SUBTYPE_*).
_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"


class WavLayout(NamedTuple):
    """Where a WAV's samples are and how they are laid out (a tuple: cheap to define, which
    every CLI run pays)."""

    integer: bool  # PCM integer samples (else IEEE float)
    channels: int
    sample_rate: int
    bits: int
    block_align: int
    data_offset: int
    data_size: int

    @property
    def subtype(self) -> str:
        """libsndfile's name of the sample format (``PCM_16``, ``FLOAT``...)."""
        return (_INT_SUBTYPES if self.integer else _FLOAT_SUBTYPES)[self.bits]

    @property
    def frames(self) -> int:
        """Sample frames in the data chunk."""
        return self.data_size // self.block_align


def _fmt(head: bytes, body: int, length: int) -> tuple[bool, int, int, int, int] | None:
    """(integer, channels, rate, block align, bits) of a plain PCM/float ``fmt`` chunk."""
    if length < 16 or body + 16 > len(head):
        return None
    tag, channels, rate, _, align, bits = struct.unpack_from("<HHIIHH", head, body)
    if tag == _EXTENSIBLE:
        if length < 40 or body + 40 > len(head) or head[body + 26:body + 40] != _GUID_TAIL:
            return None
        tag = struct.unpack_from("<H", head, body + 24)[0]
    if tag not in (_PCM, _FLOAT):
        return None
    integer = tag == _PCM
    if bits not in (_INT_SUBTYPES if integer else _FLOAT_SUBTYPES):
        return None
    if channels <= 0 or rate <= 0 or align != channels * bits // 8:
        return None
    return integer, channels, rate, align, bits


def wav_layout(head: bytes, size: int) -> WavLayout | None:
    """The layout of a plain RIFF/WAVE file whose first bytes are ``head`` (see the module
    doc); ``None`` when libsndfile should decide (unusual, damaged or lying headers)."""
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos, fmt = 12, None
    while pos + 8 <= len(head):
        chunk, length = head[pos:pos + 4], struct.unpack_from("<I", head, pos + 4)[0]
        body = pos + 8
        if chunk == b"fmt ":
            fmt = _fmt(head, body, length)
            if fmt is None:
                return None
        elif chunk == b"data":
            if fmt is None or length > size - body:
                return None  # before fmt, or more than the file holds: libsndfile says why
            integer, channels, rate, align, bits = fmt
            return WavLayout(integer, channels, rate, bits, align, body, length)
        pos = body + length + (length & 1)
    return None


class SongHeader(NamedTuple):
    """What :func:`read_header` found: libsndfile's figures for a WAV or MP3."""

    format: str  # "WAV" or "MP3"
    subtype: str
    sample_rate: int
    channels: int
    declared_frames: int  # what the header declares (MP3 without a length header: walked)
    wav: WavLayout | None = None
    mp3: Mp3Scan | None = None


def read_header(kind: str | None, head: Callable[[int], bytes], size: int | None,
                content: Callable[[], bytes]) -> SongHeader | None:
    """The header figures of a WAV or MP3 (``kind`` is the sniffed format), else ``None``.

    :param head: returns the file's first ``n`` bytes.
    :param size: the file's size in bytes.
    :param content: returns the whole file (an MP3's frames are all walked).
    """
    if kind == "WAV" and size is not None:
        layout = wav_layout(head(WAV_HEAD_BYTES), size)
        if layout is None:
            return None
        return SongHeader("WAV", layout.subtype, layout.sample_rate, layout.channels,
                          layout.frames, wav=layout)
    if kind == "MP3":
        scan = scan_mp3(content())
        if scan is None or scan.layer != 3 or scan.frames == 0:
            return None
        if scan.has_length_header and scan.declared_samples is None:
            return None  # a length header this module does not read: libsndfile's figure
        declared = scan.declared_samples if scan.has_length_header else scan.samples
        assert declared is not None
        return SongHeader("MP3", "MPEG_LAYER_III", scan.sample_rate, scan.channels, declared,
                          mp3=scan)
    return None
