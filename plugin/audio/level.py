"""Prove a song is loud enough from the top byte of its samples, without numpy.

A song's RMS level is at least what its samples' most significant bytes alone guarantee: a
16-bit sample whose high byte is ``h`` (signed) is at least ``256 (|h| - 1)`` in magnitude,
``(|h| - 1) / 128`` of full scale, and the same holds for 24- and 32-bit samples. Counting those
bytes by magnitude class (``bytes.translate``, C speed) gives a lower bound on the mean square
that grows as samples are read; once the bound over the whole song's sample count reaches the
level asked for, the rest need not be read. Music passes after a fraction of a second of
samples; only a quiet song (whose exact level is wanted anyway) is read to its end, and then
:func:`reaches_rms` answers ``False``: unproven, not quiet.

Samples come straight from an integer-PCM WAV's data chunk, or else from libsndfile as 16-bit
PCM (:mod:`._sndfile`); ``None`` (cannot tell cheaply) for in-memory bytes that are not WAV.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from .io import AudioSource, _resolve, _Source
from .quiet import quiet_native_stderr
from .sniff import sniff_format

__all__ = ["reaches_rms"]

#: Amplitude margin on the bound (1 dB): libsndfile scales decoded floats to 16 bits by 32767
#: and rounds, a hair below the 1/32768 per step the bound assumes.
_MARGIN = 10 ** (1 / 20)
_READ_BYTES = 1 << 20
# (threshold on |h|, the smallest (|h| - 1)^2 of the class [threshold, next threshold)).
_CLASSES = ((2, 1), (8, 49), (32, 961))


def _below(threshold: int) -> bytes:
    """The byte values whose signed magnitude is below ``threshold``."""
    return bytes(v for v in range(256) if (v if v < 128 else 256 - v) < threshold)


_DELETE = tuple(_below(t) for t, _ in _CLASSES)


def _energy(top: bytes) -> int:
    """A lower bound on the sum of squares of samples whose top bytes are ``top``, in units
    of (full scale / 128) squared."""
    counts = [len(top.translate(None, delete)) for delete in _DELETE] + [0]
    return sum((counts[i] - counts[i + 1]) * weight for i, (_, weight) in enumerate(_CLASSES))


def _proves(blocks: Iterable[bytes], width: int, total_samples: int, rms_dbfs: float) -> bool:
    """True once the top bytes read reach the bound for ``total_samples`` samples."""
    if total_samples <= 0:
        return False
    need = total_samples * (128.0 * _MARGIN) ** 2 * 10 ** (rms_dbfs / 10)
    energy = 0
    for block in blocks:
        energy += _energy(block[width - 1::width])
        if energy >= need:
            return True
    return False


def _wav_blocks(src: _Source, offset: int, size: int, align: int) -> Iterator[bytes]:
    step = max(align, _READ_BYTES - _READ_BYTES % align)
    if isinstance(src.data, bytes):
        for at in range(offset, offset + size, step):
            yield src.data[at:min(at + step, offset + size)]
        return
    with open(src.data, "rb") as fh:
        fh.seek(offset)
        left = size
        while left > 0:
            block = fh.read(min(step, left))
            if not block:
                return
            left -= len(block)
            yield block


def reaches_rms(source: AudioSource, rms_dbfs: float) -> bool | None:
    """Whether the song's RMS level provably reaches ``rms_dbfs`` (dBFS, over all samples).

    :returns: ``True``: proven (usually from the first blocks); ``False``: not proven (the
        song may be quieter: measure it exactly); ``None``: cannot tell without decoding it
        with numpy (an encoded song held in memory, no usable libsndfile binding).
    """
    src = _resolve(source, rewind=True)
    if not src.size:
        return False
    kind = sniff_format(src.head())
    header = src.header(kind) if kind in ("WAV", "MP3") else None
    wav = header.wav if header is not None else None
    if wav is not None:
        if not wav.integer or wav.bits < 16:
            return None  # float or 8-bit samples: measured exactly
        blocks = _wav_blocks(src, wav.data_offset, wav.frames * wav.block_align,
                             wav.block_align)
        return _proves(blocks, wav.bits // 8, wav.frames * wav.channels, rms_dbfs)
    if not isinstance(src.data, str) or kind == "WAV":
        return None  # encoded bytes in memory, or a WAV libsndfile may read as floats
        return None
    from ._sndfile import pcm16_blocks

    with quiet_native_stderr():  # libmpg123 prints to fd 2 on a damaged MP3
        pcm = pcm16_blocks(os.fspath(src.data))
        if pcm is None:
            return None
        with pcm:
            frames = pcm.frames
            if header is not None and header.mp3 is not None:  # an estimate without Xing
                frames = max(frames, header.mp3.samples, header.declared_frames)
            return _proves(pcm, 2, frames * pcm.channels, rms_dbfs)
