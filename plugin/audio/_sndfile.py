"""libsndfile without numpy: a file's samples as 16-bit PCM bytes, block by block.

``soundfile`` imports numpy (40-140 ms), which a check that only needs a few blocks of
samples (:mod:`.level`) should not pay. This module opens the same libsndfile through
soundfile's own cffi binding (``_soundfile``, the library bundled in ``_soundfile_data``, or
the one ``soundfile`` already loaded) and reads ``short`` frames into a reused buffer.

:func:`pcm16_blocks` returns ``None`` whenever that is not possible (another platform, a
soundfile without its bundled library, a file libsndfile will not open): callers then use
:func:`~.io.read_audio` as before.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Pcm16", "pcm16_blocks"]

_SFM_READ = 0x10
_BLOCK_FRAMES = 1 << 15
_lock = threading.Lock()
_binding: tuple[Any, Any] | None = None
_tried = False


def _load() -> tuple[Any, Any] | None:
    """(ffi, lib) of libsndfile, or ``None``."""
    loaded = sys.modules.get("soundfile")
    if loaded is not None and hasattr(loaded, "_snd") and hasattr(loaded, "_ffi"):
        return loaded._ffi, loaded._snd
    if os.name != "posix":
        return None  # sf_open takes a char* path; elsewhere soundfile knows best
    try:
        import _soundfile_data  # type: ignore[import-not-found]
        from _soundfile import ffi  # type: ignore[import-not-found]

        folder = os.path.dirname(_soundfile_data.__file__)
        names = sorted(n for n in os.listdir(folder) if n.startswith("libsndfile"))
        return (ffi, ffi.dlopen(os.path.join(folder, names[0]))) if names else None
    except (ImportError, OSError, TypeError, AttributeError):
        return None


def _library() -> tuple[Any, Any] | None:
    global _binding, _tried
    with _lock:
        if not _tried or (_binding is None and "soundfile" in sys.modules):
            _binding, _tried = _load(), True
        return _binding


@dataclass(frozen=True)
class Pcm16:
    """An open file: its header figures and its samples as interleaved 16-bit PCM blocks."""

    frames: int
    channels: int
    sample_rate: int
    blocks: Iterator[bytes]


def pcm16_blocks(path: str) -> Pcm16 | None:
    """Open ``path`` with libsndfile; ``None`` when it cannot be done without numpy.

    Iterate ``blocks`` to the end (or close it) to release the file.
    """
    binding = _library()
    if binding is None:
        return None
    ffi, lib = binding
    try:
        info = ffi.new("SF_INFO*")
        handle = lib.sf_open(os.fsencode(path), _SFM_READ, info)
    except (AttributeError, TypeError, ValueError, OSError):
        return None
    if handle == ffi.NULL:
        return None
    if info.channels <= 0:
        lib.sf_close(handle)
        return None
    return Pcm16(int(info.frames), int(info.channels), int(info.samplerate),
                 _blocks(ffi, lib, handle, int(info.channels)))


def _blocks(ffi: Any, lib: Any, handle: Any, channels: int) -> Iterator[bytes]:
    buffer = ffi.new("short[]", _BLOCK_FRAMES * channels)
    try:
        while True:
            count = lib.sf_readf_short(handle, buffer, _BLOCK_FRAMES)
            if count <= 0:
                return
            yield ffi.buffer(buffer, count * channels * 2)[:]
    finally:
        lib.sf_close(handle)
