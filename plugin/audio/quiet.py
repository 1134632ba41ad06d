"""Keep C decoders' chatter off the user's terminal: libmpg123 writes to file descriptor 2.

libsndfile decodes MP3 through libmpg123, which prints ``Note: Illegal Audio-MPEG-Header ...``,
``Warning: Xing stream size off ...`` and ``[src/libmpg123/parse.c:...] error: ...`` straight to
fd 2 when a file is damaged, below Python's ``sys.stderr``. The package reports such files
itself (an :class:`~..errors.AudioError` naming the file), so :func:`quiet_native_stderr`
points fd 2 at a temporary file while a decode runs, then restores it: the decoder's lines go
to the ``minimax_cover.audio`` debug log, and any other line written meanwhile (another thread's
log record, a progress line) is written back to the real stderr, late but not lost.

Nested and concurrent decodes share one redirect (reference counted under a lock). Where fd 2
cannot be duplicated (closed, or no such descriptor), decodes run unchanged.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["NATIVE_NOISE", "quiet_native_stderr", "quietly"]

log = logging.getLogger("minimax_cover.audio")

#: Lines C audio libraries print on their own (libmpg123's notes, warnings and errors).
NATIVE_NOISE = re.compile(
    r"^(?:Note|Warning|Error|error|warning): |^\[[^\]]*(?:mpg123|\.c:)[^\]]*\]")

_FD = 2
_lock = threading.Lock()
_depth = 0
_saved: int | None = None
_capture: Any = None

F = TypeVar("F", bound=Callable[..., Any])


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass


def _enter() -> None:
    global _depth, _saved, _capture
    with _lock:
        _depth += 1
        if _depth > 1:
            return
        try:
            _flush()
            saved = os.dup(_FD)
        except OSError:
            return  # no fd 2 to protect
        try:
            import tempfile  # here: importing it costs a few ms the package's import need not pay

            capture = tempfile.TemporaryFile()
            os.dup2(capture.fileno(), _FD)
        except OSError:
            os.close(saved)
            return
        _saved, _capture = saved, capture


def _leave() -> None:
    global _depth, _saved, _capture
    with _lock:
        _depth -= 1
        if _depth > 0 or _saved is None:
            return
        saved, capture = _saved, _capture
        _saved = _capture = None
        _flush()
        try:
            os.dup2(saved, _FD)
        finally:
            os.close(saved)
        try:
            capture.seek(0)
            text = capture.read().decode("utf-8", "replace")
        finally:
            capture.close()
    _replay(text)


def _replay(text: str) -> None:
    """Decoder lines to the debug log; anything else back to stderr."""
    if not text:
        return
    kept = []
    for line in text.splitlines(keepends=True):
        if NATIVE_NOISE.match(line):
            log.debug("decoder: %s", line.rstrip())
        else:
            kept.append(line)
    if kept:
        try:
            os.write(_FD, "".join(kept).encode("utf-8", "replace"))
        except OSError:
            pass


@contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Within the block, what C libraries print on fd 2 is kept off the terminal (see above)."""
    _enter()
    try:
        yield
    finally:
        _leave()


def quietly(fn: F) -> F:
    """Decorate a decoding function so it runs under :func:`quiet_native_stderr`."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with quiet_native_stderr():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
