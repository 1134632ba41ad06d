"""Parse a JSON answer as it streams in, with bounded memory whatever the server sends.

A JSON text alternates between structure (outside strings, no ``"`` in it) and strings, so
one pass that finds each string's closing quote splits it without a full parser:

- short strings and the structure are kept (at most ``max_bytes``); the nesting depth is
  followed as the brackets arrive and refused past ``max_depth``, so deep nesting is an
  answer error found early, never a ``RecursionError``;
- a string longer than ``spool_bytes`` (inline audio: ``audioBase64Data``,
  ``audioDataURI``) goes to a temporary file as it arrives, capped at ``max_string_bytes``
  each and ``max_spooled_bytes`` in all, and appears in the parsed document as a
  :class:`SpooledText`, which reads it back in pieces.

So a 300 MB answer is refused after ``max_bytes`` and a 400 MB base64 result after its cap,
both with memory bounded by the chunk size and the caps on what is kept.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from ..constants import MAX_ANSWER_BYTES, MAX_ANSWER_DEPTH, SPOOL_TEXT_BYTES

__all__ = [
    "AnswerLimits",
    "DepthError",
    "JsonAnswer",
    "SpooledText",
    "TooLargeError",
    "encoded_size",
    "parse_stream",
]

_QUOTE = 0x22
_BACKSLASH = b"\\"
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_TEXT_CHUNK_BYTES = 256 * 1024


class TooLargeError(ValueError):
    """The answer (or one of its strings) is larger than its cap; ``what`` says which."""

    def __init__(self, what: str, limit: int) -> None:
        self.what = what
        self.limit = limit
        super().__init__(f"{what} is larger than the {limit} byte limit")


class DepthError(ValueError):
    """The answer nests deeper than allowed."""


def encoded_size(max_bytes: int) -> int:
    """The longest JSON string that may hold ``max_bytes`` of base64 audio: the base64 text,
    1/8 for escaped ``/`` and line breaks, and 4 KiB for a data URI header."""
    return (max_bytes + 2) // 3 * 4 * 9 // 8 + 4096


# --------------------------------------------------------------------------- spooled text


def _safe_cut(buf: bytes) -> int:
    """The longest prefix of a JSON string's raw bytes that ends between two characters.

    A cut is safe when the byte before it is ASCII (not inside a UTF-8 sequence) and the six
    bytes before it hold no backslash (an escape is at most six bytes: ``\\uXXXX``).
    Returns 0 when no such cut exists.
    """
    p = len(buf)
    while p > 0:
        lo = max(0, p - 6)
        j = buf.rfind(_BACKSLASH, lo, p)
        if j != -1:
            p = j
            continue
        if buf[p - 1] < 0x80:
            return p
        p -= 1
    return 0


class SpooledText:
    """A long string of an API answer, kept in a temporary file instead of in memory.

    It stands where the ``str`` would be (``audioBase64Data``, ``audioDataURI``...). Read it
    in pieces with :meth:`chunks` (unescaped text); :meth:`read_text` builds the whole
    ``str`` on purpose. ``str()`` of it is a short description, never the content, so nothing
    materializes it by accident. ``len()`` is the raw (JSON-escaped) size in bytes.
    """

    def __init__(self, file: IO[bytes], size: int) -> None:
        self._file = file
        self._size = size

    def __len__(self) -> int:
        return self._size

    def __bool__(self) -> bool:
        return self._size > 0

    def __str__(self) -> str:
        return f"<spooled text, {self._size} bytes>"

    __repr__ = __str__

    def raw_chunks(self, chunk_bytes: int = _TEXT_CHUNK_BYTES) -> Iterator[bytes]:
        """The raw (still JSON-escaped) bytes, in pieces (``os.pread``: thread-safe)."""
        fd = self._file.fileno()
        offset = 0
        while offset < self._size:
            piece = os.pread(fd, min(chunk_bytes, self._size - offset), offset)
            if not piece:
                raise OSError(f"spooled text: file ended at {offset} of {self._size} bytes")
            offset += len(piece)
            yield piece

    def chunks(self, chunk_bytes: int = _TEXT_CHUNK_BYTES) -> Iterator[str]:
        """The text, unescaped, in pieces of about ``chunk_bytes``.

        :raises ValueError: the string holds an invalid escape or invalid UTF-8.
        """
        carry = b""
        for piece in self.raw_chunks(chunk_bytes):
            buf = carry + piece
            cut = _safe_cut(buf)
            if cut:
                yield _unescape(buf[:cut])
            carry = buf[cut:]
        if carry:
            yield _unescape(carry)

    def head(self, chars: int = 64) -> str:
        """The first ``chars`` characters (for a ``data:`` header and messages)."""
        out = ""
        for text in self.chunks(max(4096, chars * 8)):
            out += text
            if len(out) >= chars:
                break
        return out[:chars]

    def startswith(self, prefix: str) -> bool:
        """``str.startswith`` without reading more than the prefix needs."""
        return self.head(len(prefix)) == prefix

    def read_text(self) -> str:
        """The whole text as one ``str`` (memory: the full size; prefer :meth:`chunks`)."""
        return "".join(self.chunks())

    def close(self) -> None:
        """Delete the temporary file now (it also goes when the object is collected)."""
        self._file.close()

    def __del__(self) -> None:
        try:
            self._file.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown: nothing left to do
            pass


def _unescape(raw: bytes) -> str:
    value = json.loads(b'"' + raw + b'"')
    assert isinstance(value, str)
    return value


# --------------------------------------------------------------------------- the splitter


@dataclass(frozen=True)
class AnswerLimits:
    """Caps on one answer (bytes).

    :param max_bytes: the structure and short strings kept in memory.
    :param spool_bytes: strings longer than this are spooled to a temporary file.
    :param max_string_bytes: the longest spooled string.
    :param max_spooled_bytes: all spooled strings together.
    :param max_depth: deepest nesting of arrays and objects.
    """

    max_bytes: int = MAX_ANSWER_BYTES
    spool_bytes: int = SPOOL_TEXT_BYTES
    max_string_bytes: int = MAX_ANSWER_BYTES
    max_spooled_bytes: int = MAX_ANSWER_BYTES
    max_depth: int = MAX_ANSWER_DEPTH


class _Splitter:
    """Feeds raw answer bytes; keeps the structure and short strings, spools long strings."""

    def __init__(self, limits: AnswerLimits) -> None:
        self.limits = limits
        self.kept = bytearray()
        self.level = 0  # nesting depth at the end of what was read
        self.deepest = 0
        self.spooled: dict[str, SpooledText] = {}
        self.spooled_bytes = 0
        self.token = "\x00spool:" + secrets.token_hex(8) + ":"
        self.in_string = False
        self.escape_pending = False
        self.current = bytearray()
        self.spool: IO[bytes] | None = None
        self.spool_size = 0

    def _keep(self, data: bytes | bytearray) -> None:
        if len(self.kept) + len(data) > self.limits.max_bytes:
            raise TooLargeError("the answer", self.limits.max_bytes)
        self.kept += data

    def _structure(self, data: bytes) -> None:
        self._keep(data)
        marks = data.translate(None, _NOT_BRACKETS)
        if marks:
            self._nest(marks)

    def _nest(self, marks: bytes) -> None:
        """Follow the nesting depth through brackets (outside strings); refuse it early."""
        if len(marks) <= 64:
            for mark in marks:
                self.level += 1 if mark in b"[{" else -1
                self.deepest = max(self.deepest, self.level)
        else:
            import numpy as np

            steps = np.frombuffer(marks, dtype=np.uint8)
            opening = (steps == ord("[")) | (steps == ord("{"))
            levels = np.cumsum(np.where(opening, 1, -1).astype(np.int32), dtype=np.int64)
            self.deepest = max(self.deepest, self.level + int(levels.max()))
            self.level += int(levels[-1])
        if self.deepest > self.limits.max_depth:
            raise DepthError(f"the answer nests deeper than {self.limits.max_depth} levels")

    def _string_bytes(self, data: bytes) -> None:
        if self.spool is None:
            self.current += data
            if len(self.current) <= self.limits.spool_bytes:
                return
            self.spool = tempfile.TemporaryFile(prefix="minimax-cover-answer-")
            data, self.current = bytes(self.current), bytearray()
        self.spool_size += len(data)
        self.spooled_bytes += len(data)
        if self.spool_size > self.limits.max_string_bytes:
            raise TooLargeError("a string of the answer", self.limits.max_string_bytes)
        if self.spooled_bytes > self.limits.max_spooled_bytes:
            raise TooLargeError("the long strings of the answer", self.limits.max_spooled_bytes)
        self.spool.write(data)

    def _close_string(self) -> None:
        if self.spool is None:
            self._keep(b'"' + self.current + b'"')
        else:
            self.spool.flush()
            key = f"{self.token}{len(self.spooled)}"
            self.spooled[key] = SpooledText(self.spool, self.spool_size)
            self._keep(json.dumps(key).encode("ascii"))
            self.spool, self.spool_size = None, 0
        self.current = bytearray()

    def _string_end(self, chunk: bytes, pos: int) -> int:
        """Index of the closing quote in ``chunk`` from ``pos`` (-1: not in this chunk)."""
        lo = pos
        if self.escape_pending and lo < len(chunk):
            lo += 1  # that byte is escaped, whatever it is
            self.escape_pending = False
        i = lo
        while True:
            q = chunk.find(b'"', i)
            if q == -1:
                tail = chunk[lo:]
                run = len(tail) - len(tail.rstrip(_BACKSLASH))
                self.escape_pending = run % 2 == 1
                return -1
            before = chunk[lo:q]
            run = len(before) - len(before.rstrip(_BACKSLASH))
            if run % 2 == 0:
                return q
            i = q + 1

    def feed(self, chunk: bytes) -> None:
        pos, n = 0, len(chunk)
        while pos < n:
            if not self.in_string:
                q = chunk.find(b'"', pos)
                self._structure(chunk[pos:] if q == -1 else chunk[pos:q])
                if q == -1:
                    return
                self.in_string, pos = True, q + 1
                continue
            end = self._string_end(chunk, pos)
            self._string_bytes(chunk[pos:] if end == -1 else chunk[pos:end])
            if end == -1:
                return
            self._close_string()
            self.in_string, pos = False, end + 1

    def discard(self) -> None:
        """Close every temporary file (the answer was refused)."""
        if self.spool is not None:
            self.spool.close()
        for text in self.spooled.values():
            text.close()

    def finish(self) -> bytes:
        if self.in_string:
            if self.spool is not None:
                raise ValueError("the answer ends inside a long string")
            self.kept += b'"' + self.current  # unterminated: json.loads names the place
        return bytes(self.kept)


@dataclass
class JsonAnswer:
    """A parsed answer: the document (long strings as :class:`SpooledText`), its first bytes
    (for messages) and its size in bytes."""

    doc: Any
    head: bytes
    size: int


def _substitute(doc: Any, spooled: dict[str, SpooledText]) -> Any:
    """``doc`` with every spool placeholder replaced by its :class:`SpooledText` (iterative)."""
    if not spooled:
        return doc
    if isinstance(doc, str):
        return spooled.get(doc, doc)
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict) and any(key in spooled for key in node):
            raise ValueError("the answer has an object key too long to be the protocol")
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(items):
            if isinstance(value, str):
                if value in spooled:
                    node[key] = spooled[value]
            elif isinstance(value, (dict, list)):
                stack.append(value)
    return doc


def parse_stream(chunks: Iterable[bytes], limits: AnswerLimits = AnswerLimits(),
                 *, head: bytearray | None = None, head_bytes: int = 256) -> JsonAnswer:
    """Parse a JSON text arriving as ``chunks`` (see the module doc).

    An empty body gives ``doc = None``.

    :param head: filled with the first ``head_bytes`` bytes as they arrive (for messages,
        also when parsing fails).
    :raises TooLargeError: the kept part, one long string or all of them pass their caps.
    :raises ValueError: not JSON (``json.JSONDecodeError``, ``UnicodeDecodeError``), or
        nested deeper than ``limits.max_depth`` (``DepthError``).
    """
    splitter = _Splitter(limits)
    head = bytearray() if head is None else head
    size = 0
    try:
        for chunk in chunks:
            if len(head) < head_bytes:
                head += chunk[: head_bytes - len(head)]
            size += len(chunk)
            splitter.feed(chunk)
        text = splitter.finish()
        if not text.strip():
            return JsonAnswer(None, bytes(head), size)
        try:
            doc = json.loads(text)
        except RecursionError:  # cannot happen below max_depth; kept as a last line
            raise DepthError("the answer nests too deep to parse") from None
    except BaseException:
        splitter.discard()
        raise
    return JsonAnswer(_substitute(doc, splitter.spooled), bytes(head), size)
