"""Prove a song is usable end to end before it is uploaded or saved, without keeping samples.

:func:`probe_audio` reads headers only, and headers lie: a truncated FLAC still declares 8 s,
an MP3 cut to a tenth keeps its Xing frame count, a WAV may declare 0 channels or 4 GB of
data. :func:`verify_audio` checks what is really there, per format, at the lowest cost that
proves it:

- **WAV** (integer PCM): every byte pattern is a sample, so the structure is the proof: the
  ``fmt`` chunk (channels, block size) and the ``data`` chunk's declared size against the
  bytes present (a streaming placeholder such as ``0xFFFFFFFF`` is refused too: servers
  reject it). Float PCM is also scanned for NaN/inf, block by block.
- **MP3**: every frame header is walked (:func:`~.mp3scan.scan_mp3`) and the frames found are
  compared with the length the header declares.
- **FLAC**: every frame header is walked (:func:`~.flacscan.scan_flac`: CRC-8, consecutive
  frame numbers, frame sizes within ``STREAMINFO``'s bounds, its total reached), then the last
  frames are decoded, so the end of the file is whole.
- **OGG**: every page is walked (:func:`~.oggscan.scan_ogg`: CRC-32, sequence numbers, the
  end-of-stream page).
- the rest of libsndfile's formats (and FLAC/OGG with ``decode=True``): decoded block by
  block, the samples counted against the header and dropped.
- **M4A/AAC** (PyAV): decoded frame by frame, counted against the declared duration.

An integer-PCM WAV and an MP3 are checked in pure Python (their header figures from
:mod:`.headers`, libsndfile's own), so checking such a song imports neither numpy nor
soundfile. Memory stays at one block (64 k frames) plus the file's bytes for the frame walks;
``bench/decode_check.py`` measures the time on a 6-minute song against a header-only probe.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from . import _pyav
from .data import AudioInfo
from .io import (
    _FLOAT_SUBTYPES,
    _FORMAT_ALIASES,
    _PYAV_FIRST,
    AudioSource,
    _no_pyav,
    _resolve,
    _sf_reason,
    _Source,
    _truncation,
)
from .mp3scan import scan_mp3
from .quiet import quietly
from .sniff import sniff_format

__all__ = ["verify_audio"]

_BLOCK_FRAMES = 1 << 16
_TAIL_FRAMES = 1 << 14  # decoded at the end of a FLAC: its last frames, whole
_WAV_HEAD_BYTES = 1 << 16
_WAV_FORMS = frozenset({"WAV", "WAVEX", "RF64", "W64"})
_SF_ERR_MALFORMED_FILE = 3


def _wav_problem(head: bytes, size: int) -> str | None:
    """Why a RIFF/WAVE header cannot describe the file, or ``None`` (chunks walked in ``head``)."""
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos, fmt_seen = 12, False
    while pos + 8 <= len(head):
        chunk, length = head[pos:pos + 4], struct.unpack_from("<I", head, pos + 4)[0]
        body = pos + 8
        if chunk == b"fmt ":
            if length < 16 or body + 16 > len(head):
                return "its fmt chunk is too short"
            _, channels, rate, _, align, bits = struct.unpack_from("<HHIIHH", head, body)
            if channels == 0:
                return "the header declares 0 channels"
            if rate == 0:
                return "the header declares a sample rate of 0 Hz"
            if align == 0 or bits == 0:
                return "the header declares 0-byte samples (corrupt fmt chunk)"
            fmt_seen = True
        elif chunk == b"data":
            present = size - body
            if not fmt_seen:
                return "its data chunk comes before the fmt chunk"
            if length > present + 1:  # one pad byte of slack
                return (f"the header declares {length} bytes of audio data, the file holds "
                        f"{present} (truncated, or a streaming placeholder size; re-save it)")
            return None
        pos = body + length + (length & 1)
    if pos + 8 > size:
        return "it has no data chunk"
    return None  # chunks past the first 64 KiB: libsndfile's checks below decide


def _sf_open(src: _Source) -> Any:
    import soundfile as sf

    try:
        return sf.SoundFile(src.open_sf())
    except (sf.SoundFileError, RuntimeError, TypeError, ValueError) as exc:
        malformed = getattr(exc, "code", None) == _SF_ERR_MALFORMED_FILE
        return _Unreadable(_sf_reason(exc), malformed)


class _Unreadable:
    def __init__(self, reason: str, malformed: bool) -> None:
        self.reason = reason
        self.malformed = malformed


def _count_decoded(src: _Source, handle: Any, fmt: str, check_finite: bool) -> int:
    """Decode every block, drop it; return the frames decoded (NaN/inf refused if asked)."""
    import numpy as np
    import soundfile as sf

    frames = 0
    try:
        for block in handle.blocks(blocksize=_BLOCK_FRAMES, dtype="float32", always_2d=True):
            frames += len(block)
            if check_finite and not np.isfinite(np.sum(block, dtype=np.float64)):
                raise src.error("contains NaN or infinite samples")
    except (sf.SoundFileError, RuntimeError) as exc:
        raise src.error(f"truncated or corrupt {fmt} data ({_sf_reason(exc)})") from exc
    return frames


@quietly  # FFmpeg's decoders may print to fd 2 as libmpg123 does
def _verify_pyav(src: _Source, kind: str | None, reason: str | None = None,
                 malformed: bool = False) -> AudioInfo:
    if _pyav.import_av() is None:
        if malformed:
            raise src.error(f"malformed or truncated {kind or 'audio'} file ({reason})")
        raise _no_pyav(src, kind, reason)
    return _pyav.verify(src.data, src.name, src.size)


def _flac_frames(src: _Source, handle: Any, declared: int) -> int:
    """Every frame header walked, then the last frames decoded (the end is whole)."""
    import soundfile as sf

    from .flacscan import scan_flac

    with _view(src) as data:
        scan = scan_flac(data)
    if scan is None:
        return _count_decoded(src, handle, "FLAC", False)
    if scan.problem:
        raise src.error(f"truncated or corrupt FLAC: {scan.problem}")
    start = max(0, declared - _TAIL_FRAMES)
    try:
        handle.seek(start)
        tail = sum(len(b) for b in handle.blocks(blocksize=_TAIL_FRAMES, dtype="float32",
                                                   always_2d=True))
    except (sf.SoundFileError, RuntimeError) as exc:
        raise src.error(f"truncated or corrupt FLAC data at its end ({_sf_reason(exc)})") from exc
    if declared and start + tail < declared:
        raise src.error(f"truncated or corrupt FLAC: its last frames decode to "
                        f"{(start + tail) / max(1, handle.samplerate):.1f} s of the "
                        f"{declared / max(1, handle.samplerate):.1f} s declared")
    return scan.samples if declared == 0 else min(scan.samples, declared)


def _ogg_pages(src: _Source, declared: int) -> int:
    """Every page walked, its CRC and sequence checked, the end-of-stream page present."""
    from .oggscan import scan_ogg

    with _view(src) as data:
        scan = scan_ogg(data)
    if scan is not None and scan.problem:
        raise src.error(f"truncated or corrupt OGG: {scan.problem}")
    return declared


def verify_audio(source: AudioSource, *, format: str | None = None,
                 decode: bool = False) -> AudioInfo:
    """Check that the whole of ``source`` is usable audio (see the module doc).

    :param source: a path, the file's bytes, or a binary file object.
    :param format: a routing hint (``"M4A"`` goes to PyAV); the content decides.
    :param decode: decode FLAC and OGG in full instead of walking their frames and pages
        (slower; also checks what only a decoder sees, such as FLAC residuals).
    :returns: what was found, with the duration actually present.
    :raises AudioError: empty, unreadable, truncated, corrupt, 0 channels, a data size the
        file does not hold, no samples, or NaN/infinite samples; the message names the file.
    """
    src = _resolve(source, rewind=True)
    if src.size == 0:
        raise src.error("file is empty (0 bytes)")
    head = src.head() if src.size is None or src.size > 4096 else src.content()
    kind = format.strip().lstrip(".").upper() if format else sniff_format(head)
    if kind in _PYAV_FIRST:
        return _verify_pyav(src, kind)
    if kind == "WAV":
        problem = _wav_problem(_read_head(src, _WAV_HEAD_BYTES), int(src.size or 0))
        if problem:
            raise src.error(problem)
    found = _verify_header(src, kind)
    if found is not None:
        return found
    return _verify_native(src, kind, decode)


def _verify_header(src: _Source, kind: str | None) -> AudioInfo | None:
    """An integer-PCM WAV or an MP3, checked without libsndfile (:mod:`.headers`): the WAV's
    structure, every MP3 frame header against the declared length; ``None``: not such a file
    (or an unusual one), libsndfile decides."""
    header = src.header(kind)
    if header is None or (header.wav is not None and not header.wav.integer):
        return None  # float PCM is scanned for NaN/inf by libsndfile's decoder
    declared = present = header.declared_frames
    if header.mp3 is not None:
        present = header.mp3.samples
    rate = header.sample_rate
    problem = _truncation(header.format, "", declared, present, rate)
    if problem:
        raise src.error(problem)
    if present <= 0:
        raise src.error("contains no audio samples")
    return AudioInfo(format=header.format, duration_s=present / rate, sample_rate=rate,
                     channels=header.channels, size_bytes=src.size, name=src.name,
                     path=src.path, subtype=header.subtype)


@quietly  # libmpg123 prints to fd 2 on a damaged MP3; the AudioError says it once
def _verify_native(src: _Source, kind: str | None, decode: bool) -> AudioInfo:
    """libsndfile's checks (and PyAV's for what it cannot open)."""
    handle = _sf_open(src)
    if isinstance(handle, _Unreadable):
        return _verify_pyav(src, kind, handle.reason, handle.malformed)
    with handle:
        fmt = _FORMAT_ALIASES.get(handle.format, handle.format)
        declared, rate, channels = int(handle.frames), int(handle.samplerate), handle.channels
        subtype = str(handle.subtype or "")
        if channels <= 0 or rate <= 0:
            raise src.error(f"the header declares {channels} channels at {rate} Hz")
        log = handle.extra_info
        if fmt == "MP3":
            scan = scan_mp3(src.content())
            if scan is None or scan.frames == 0:
                raise src.error("contains no MPEG audio frames")
            present = scan.samples
            if not scan.has_length_header:
                declared = present  # libsndfile's figure is only an estimate then
        elif fmt in _WAV_FORMS and subtype.upper() not in _FLOAT_SUBTYPES:
            present = declared  # integer PCM: the structure checked above is the proof
        elif fmt == "FLAC" and not decode:
            present = _flac_frames(src, handle, declared)
        elif fmt == "OGG" and not decode:
            present = _ogg_pages(src, declared)
        else:
            present = _count_decoded(src, handle, fmt, subtype.upper() in _FLOAT_SUBTYPES)
    problem = _truncation(handle.format, log, declared, present, rate)
    if problem:
        raise src.error(problem)
    if present <= 0:
        raise src.error("contains no audio samples")
    return AudioInfo(format=fmt, duration_s=present / rate, sample_rate=rate,
                     channels=int(channels), size_bytes=src.size, name=src.name,
                     path=src.path, subtype=subtype)


@contextmanager
def _view(src: _Source) -> Iterator[Any]:
    """The file's bytes to walk: a read-only memory map of a path (no copy on the heap)."""
    import mmap

    if isinstance(src.data, bytes):
        yield src.data
        return
    with open(src.data, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as m:
        yield m


def _read_head(src: _Source, count: int) -> bytes:
    if isinstance(src.data, bytes):
        return src.data[:count]
    with open(src.data, "rb") as fh:
        return fh.read(count)
