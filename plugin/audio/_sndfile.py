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
from typing import Any

__all__ = ["Pcm16", "pcm16_blocks"]

_SFM_READ = 0x10
_FIRST_FRAMES = 1 << 12
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


class Pcm16:
    """An open file: its header figures and its samples as interleaved 16-bit PCM blocks.

    Use it as a context manager (``with pcm16_blocks(path) as pcm: for block in pcm: ...``);
    the file is closed on leaving the block.
    """

    def __init__(self, ffi: Any, lib: Any, handle: Any, info: Any) -> None:
        self.frames = int(info.frames)
        self.channels = int(info.channels)
        self.sample_rate = int(info.samplerate)
        self._ffi, self._lib, self._handle = ffi, lib, handle

    def __iter__(self) -> Iterator[bytes]:
        """Blocks of interleaved frames: a small first one (a check may need no more), then
        ``_BLOCK_FRAMES`` each."""
        ffi, lib = self._ffi, self._lib
        buffer = ffi.new("short[]", _BLOCK_FRAMES * self.channels)
        want = _FIRST_FRAMES
        while self._handle is not None:
            count = lib.sf_readf_short(self._handle, buffer, want)
            if count <= 0:
                return
            yield ffi.buffer(buffer, count * self.channels * 2)[:]
            want = _BLOCK_FRAMES

    def close(self) -> None:
        """Close the file (again: nothing)."""
        if self._handle is not None:
            self._lib.sf_close(self._handle)
            self._handle = None

    def __enter__(self) -> Pcm16:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def pcm16_blocks(path: str) -> Pcm16 | None:
    """Open ``path`` with libsndfile; ``None`` when it cannot be done without numpy, or
    libsndfile will not open the file."""
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
    pcm = Pcm16(ffi, lib, handle, info)
    if pcm.channels <= 0 or pcm.sample_rate <= 0:
        pcm.close()
        return None
    return pcm
