"""Save one generation to disk: stream its URL or decode its inline data, verify, then rename.

Results are written to a hidden ``.part`` file next to ``dest``, and renamed onto ``dest``
(atomic on one file system) only once every check passed: the size cap, the declared
``Content-Length`` (shorter *or* longer bodies), the format sniffed against the requested
``outputFormat``, and the content itself (:func:`~..audio.verify.verify_audio`: the whole
file decodes, or every frame is where its header says). The ``.part`` file is removed on any
failure; ``.part`` files left by a killed process are removed by the next save to the same
``dest`` (and so by ``resume``).

A download runs under one :class:`~.deadline.ExchangeWatch`: a total deadline and a minimum
rate (``Timeout.total_s``, ``Timeout.min_rate_bps``), so a server sending a byte a second
cannot hold it. Inline results (``dataURI``, ``base64Data``) are decoded piece by piece, with
the same cap as downloads, from a string or a :class:`~.jsonstream.SpooledText`.

URLs are fetched with the client's session but **without** an ``Authorization`` header: the
API key is never sent to a result host. Write errors (disk full, read-only folder) become
:class:`~..errors.ResultNotSavedError` naming the task and how to save it elsewhere.
"""

from __future__ import annotations

import base64
import binascii
import errno as errno_codes
import io
import logging
import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import requests

from ..constants import (
    DEFAULT_TIMEOUT_S,
    DOWNLOAD_CHUNK_BYTES,
    DOWNLOAD_RETRIES,
    MAX_DOWNLOAD_BYTES,
)
from ..errors import (
    AudioError,
    DownloadError,
    DownloadTimeoutError,
    NotFoundError,
    ResultNotSavedError,
)
from ..redaction import redact
from ..results import GenerationResult
from .body import iter_body
from .deadline import exchange
from .jsonstream import SpooledText
from .timeouts import Timeout, TimeoutLike

__all__ = ["clean_stale_parts", "decode_inline", "fetch_result", "write_inline"]

log = logging.getLogger("minimax_cover.download")

_SNIFF_BYTES = 4096
_TEXT_PIECE = 256 * 1024
_WHITESPACE = re.compile(r"\s+")
#: A ``.part`` file of a live process is left alone unless it is older than this.
STALE_PART_S = 3600.0


class _TransientDownloadError(DownloadError):
    """A download failure worth another attempt (dropped, truncated, 5xx, failed check)."""


def _strip_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """requests auth hook: drop any Authorization header (and stop .netrc lookups)."""
    request.headers.pop("Authorization", None)
    return request


def _label(result: GenerationResult) -> str:
    return f"result {result.audio_uuid or '?'} of task {result.task_uuid or '?'}"


# --------------------------------------------------------------------------- .part files


def _tmp_path(dest: Path) -> Path:
    return dest.with_name(f".{dest.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.part")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def clean_stale_parts(dest: Path, *, max_age_s: float = STALE_PART_S,
                      prefix_only: bool = False) -> list[Path]:
    """Remove ``.part`` files of ``dest`` left by a process that died (or too old).

    A ``.part`` file is stale when the process that wrote it is gone (its id is in the name),
    its name holds no process id (older versions), or it is older than ``max_age_s``.
    Errors are ignored (a read-only folder keeps its files). Returns the files removed.

    :param prefix_only: ``dest`` is a stem: every ``.<stem>*.part`` file counts (all the
        numbered files of one job, as ``resume`` cleans them).
    """
    removed: list[Path] = []
    prefix = f".{dest.name}" if prefix_only else f".{dest.name}."
    try:
        names = [n for n in os.listdir(dest.parent) if n.startswith(prefix)
                 and n.endswith(".part")]
    except OSError:
        return removed
    now = time.time()
    for name in names:
        tag = name[: -len(".part")].rsplit(".", 1)[-1]
        pid_text, sep, _ = tag.partition("-")
        path = dest.parent / name
        try:
            old = now - path.stat().st_mtime > max_age_s
            pid = int(pid_text) if sep and pid_text.isdigit() else None
            if pid == os.getpid() and not old:
                continue
            if old or pid is None or not _pid_alive(pid):
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    if removed:
        log.info("removed %d stale .part file(s) of %s", len(removed), dest.name)
    return removed


def _discard(tmp: Path) -> None:
    """Remove a ``.part`` file; never raise (the first error is the one to report)."""
    try:
        tmp.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not remove %s: %s", tmp.name, exc.strerror or exc)


@contextmanager
def _disk(result: GenerationResult, path: Path) -> Iterator[None]:
    """Turn a file-system error into :class:`ResultNotSavedError` (task, path, resume hint)."""
    try:
        yield
    except requests.exceptions.RequestException:
        raise
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        full = " (the disk is full)" if exc.errno in (errno_codes.ENOSPC,
                                                       errno_codes.EDQUOT) else ""
        task = result.task_uuid or "?"
        raise ResultNotSavedError(
            f"cannot write {_label(result)} to {path.parent}{full}: {reason}; the task is "
            f"paid and kept in the journal: save it elsewhere with `minimax-cover resume "
            f"{task} -o OTHER_DIR`", task_uuid=result.task_uuid, path=str(path),
            errno=exc.errno) from exc


# --------------------------------------------------------------------------- inline data


class _Base64Stream:
    """Decodes base64 text piece by piece; counts the bytes against ``max_bytes``."""

    def __init__(self, result: GenerationResult, max_bytes: int) -> None:
        self.result = result
        self.max_bytes = max_bytes
        self.carry = ""
        self.size = 0
        self.padded = False

    def _fail(self, why: str) -> DownloadError:
        return DownloadError(f"{_label(self.result)}: inline audio is not valid base64 ({why})",
                             task_uuid=self.result.task_uuid)

    def feed(self, text: str, *, final: bool = False) -> bytes:
        if _WHITESPACE.search(text):
            text = _WHITESPACE.sub("", text)
        compact = self.carry + text if self.carry else text
        usable = len(compact) if final else len(compact) - len(compact) % 4
        part, self.carry = compact[:usable], compact[usable:]
        if not part:
            return b""
        if self.padded:
            raise self._fail("data after the padding")
        try:
            data = base64.b64decode(part, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise self._fail(str(exc)) from None
        self.padded = part.endswith("=")
        self.size += len(data)
        if self.size > self.max_bytes:
            raise DownloadError(f"{_label(self.result)}: inline audio is larger than the "
                                f"{self.max_bytes} byte limit", task_uuid=self.result.task_uuid)
        return data


def _pieces(text: str | SpooledText) -> Iterator[str]:
    if isinstance(text, SpooledText):
        yield from text.chunks(_TEXT_PIECE)
    else:
        for start in range(0, len(text), _TEXT_PIECE):
            yield text[start:start + _TEXT_PIECE]


def write_inline(result: GenerationResult, out: IO[bytes], *,
                 max_bytes: int = MAX_DOWNLOAD_BYTES) -> int:
    """Decode a ``dataURI`` or ``base64Data`` result into ``out``, piece by piece.

    Memory stays at about one piece (256 KiB of text) whatever the size; a
    :class:`~.jsonstream.SpooledText` is read from its temporary file.

    :returns: the bytes written.
    :raises DownloadError: no inline data, a malformed data URI or base64, or too large.
    """
    text: str | SpooledText | None = result.data_uri or result.base64_data
    if not text:
        raise DownloadError(f"{_label(result)} has no audioURL, audioDataURI or audioBase64Data",
                            task_uuid=result.task_uuid)
    pieces = _pieces(text)
    if result.data_uri:
        start = ""
        for piece in pieces:
            start += piece
            if "," in start or len(start) > 1024:
                break
        header, sep, rest = start.partition(",")
        if not sep or not header.lower().startswith("data:") or ";base64" not in header.lower():
            raise DownloadError(f"{_label(result)}: audioDataURI is not a base64 data URI "
                                f"(starts {start[:30]!r})", task_uuid=result.task_uuid)
        pieces = _chain(rest, pieces)
    decoder = _Base64Stream(result, max_bytes)
    for piece in pieces:
        out.write(decoder.feed(piece))
    out.write(decoder.feed("", final=True))
    return decoder.size


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def decode_inline(result: GenerationResult, *, max_bytes: int = MAX_DOWNLOAD_BYTES) -> bytes:
    """The audio bytes of a ``dataURI`` or ``base64Data`` result (in memory; see
    :func:`write_inline` to stream them into a file).

    :raises DownloadError: no inline data, a malformed data URI or base64, or too large.
    """
    buffer = io.BytesIO()
    write_inline(result, buffer, max_bytes=max_bytes)
    return buffer.getvalue()


# --------------------------------------------------------------------------- URL download


def _stream(result: GenerationResult, out: IO[bytes], session: requests.Session,
            max_bytes: int, timeout: Timeout) -> None:
    """Stream ``result.url`` into ``out``: size cap, Content-Length, deadline, minimum rate."""
    url = str(result.url)
    shown = redact(url.split("?", 1)[0])
    with exchange(timeout, f"download of {_label(result)}",
                  error_class=DownloadTimeoutError) as watch:
        try:
            resp = session.get(url, stream=True, timeout=timeout.as_requests(),
                               auth=_strip_auth, headers={"Authorization": None})
        except requests.exceptions.RequestException as exc:
            if watch.expired():
                raise watch.error(0, task_uuid=result.task_uuid) from None
            raise _TransientDownloadError(
                f"{_label(result)}: cannot fetch {shown} ({type(exc).__name__})",
                task_uuid=result.task_uuid) from None
        with resp:
            _check_status(result, resp, shown)
            declared = resp.headers.get("Content-Length", "").strip()
            expected = int(declared) if declared.isdigit() else None
            encoded = resp.headers.get("Content-Encoding", "identity").lower() not in (
                "", "identity")
            if expected is not None and not encoded and expected > max_bytes:
                raise DownloadError(f"{_label(result)}: {expected} bytes is more than the "
                                    f"{max_bytes} byte limit", task_uuid=result.task_uuid)
            received = 0
            try:
                for chunk in iter_body(resp, watch, chunk_bytes=DOWNLOAD_CHUNK_BYTES,
                                       task_uuid=result.task_uuid):
                    received += len(chunk)
                    if received > max_bytes:
                        raise DownloadError(f"{_label(result)}: more than the {max_bytes} "
                                            "byte limit", task_uuid=result.task_uuid)
                    out.write(chunk)
            except requests.exceptions.RequestException as exc:
                raise _TransientDownloadError(
                    f"{_label(result)}: transfer broken after {received} bytes "
                    f"({type(exc).__name__}; Content-Length {declared or 'not sent'})",
                    task_uuid=result.task_uuid) from None
            if expected is not None and not encoded and received != expected:
                raise _TransientDownloadError(
                    f"{_label(result)}: got {received} of the {expected} bytes its "
                    "Content-Length declares", task_uuid=result.task_uuid)


def _check_status(result: GenerationResult, resp: requests.Response, shown: str) -> None:
    if resp.status_code in (404, 410):
        raise NotFoundError(
            f"{_label(result)}: result URL expired or not found (HTTP {resp.status_code}, "
            f"{shown}); resume the task to get a fresh one",
            status_code=resp.status_code, task_uuid=result.task_uuid)
    if resp.status_code >= 500:
        raise _TransientDownloadError(f"{_label(result)}: HTTP {resp.status_code} fetching "
                                      f"{shown}", task_uuid=result.task_uuid)
    if resp.status_code >= 400:
        raise DownloadError(f"{_label(result)}: HTTP {resp.status_code} fetching {shown}",
                            task_uuid=result.task_uuid)


# --------------------------------------------------------------------------- checks


def _check_format(result: GenerationResult, head: bytes, expected_format: str) -> None:
    from ..audio import sniff_format

    if not head:
        raise DownloadError(f"{_label(result)}: empty file", task_uuid=result.task_uuid)
    found = sniff_format(head)
    wanted = expected_format.strip().upper()
    if found != wanted:
        raise DownloadError(f"{_label(result)}: expected {wanted} audio, the content is "
                            f"{found or 'not a known audio format'}", task_uuid=result.task_uuid)


def _check_content(result: GenerationResult, tmp: Path, transient: bool) -> None:
    """The whole file decodes (or every frame is present): else a (transient) DownloadError."""
    from ..audio.verify import verify_audio

    try:
        verify_audio(tmp)
    except AudioError as exc:
        cls = _TransientDownloadError if transient else DownloadError
        reason = str(exc).split(": ", 1)[-1]
        raise cls(f"{_label(result)}: content check failed ({reason}); not saved",
                  task_uuid=result.task_uuid) from None


# --------------------------------------------------------------------------- entry point


def fetch_result(
    result: GenerationResult,
    dest: Path,
    *,
    expected_format: str,
    session: requests.Session,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
    timeout: TimeoutLike = DEFAULT_TIMEOUT_S,
    retries: int = DOWNLOAD_RETRIES,
    verify: bool = True,
) -> Path:
    """Write one generation's audio to ``dest`` and return ``dest``.

    :param result: a successful generation (URL, data URI or base64).
    :param dest: the final path; its folder is created. Written only if every check passes.
    :param expected_format: the requested ``outputFormat`` (``MP3``, ``WAV``, ``FLAC``,
        ``OGG``); the content must sniff as that format.
    :param session: the client's session (see ``RunwareClient.download_session``).
    :param max_bytes: size cap for a download or inline payload.
    :param timeout: a :class:`~.timeouts.Timeout`, ``(connect_s, read_s)`` or one number:
        ``read_s`` per read, ``total_s`` for the whole download, ``min_rate_bps`` its floor.
    :param retries: further attempts after a dropped or truncated transfer, a 5xx or a
        failed content check of a download.
    :param verify: check the content decodes (:func:`~..audio.verify.verify_audio`) before
        the rename; the format is always sniffed.
    :raises NotFoundError: the URL answered 404/410 (expired).
    :raises DownloadTimeoutError: the download passed its deadline or minimum rate (a
        :class:`~..errors.DeadlineExceededError` too).
    :raises DownloadError: too large, truncated, broken, not the expected format, or its
        content does not decode.
    :raises ResultNotSavedError: the file could not be written (disk full, read-only folder).
    """
    dest = Path(dest)
    timeouts = Timeout.of(timeout)
    with _disk(result, dest):
        dest.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_parts(dest)
    attempt = 0
    while True:
        tmp = _tmp_path(dest)
        try:
            with _disk(result, tmp), open(tmp, "xb") as out:
                if result.url:
                    _stream(result, out, session, max_bytes, timeouts)
                else:
                    write_inline(result, out, max_bytes=max_bytes)
                out.flush()
                os.fsync(out.fileno())
            with open(tmp, "rb") as fh:
                _check_format(result, fh.read(_SNIFF_BYTES), expected_format)
            if verify:
                _check_content(result, tmp, transient=bool(result.url))
            with _disk(result, dest):
                os.replace(tmp, dest)
        except _TransientDownloadError as exc:
            _discard(tmp)
            if attempt < retries:
                attempt += 1
                log.info("%s; download attempt %d", exc.message, attempt + 1)
                continue
            raise DownloadError(exc.message, task_uuid=exc.task_uuid) from None
        except BaseException:
            _discard(tmp)
            raise
        log.debug("saved %s (%s)", dest.name, result.output_type)
        return dest
