"""Save one generation to disk: stream its URL or decode its inline data, check, then rename.

Results are written to a hidden temporary file next to ``dest``, content-checked with
:func:`~.audio.sniff_format` against the requested ``outputFormat``, and only then renamed onto
``dest`` (atomic on one file system); the temporary file is removed on any failure. URLs are
fetched with the client's session but **without** an ``Authorization`` header: the API key is
never sent to a result host.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import uuid
from pathlib import Path
from typing import IO

import requests

from ..constants import (
    DEFAULT_TIMEOUT_S,
    DOWNLOAD_CHUNK_BYTES,
    DOWNLOAD_RETRIES,
    MAX_DOWNLOAD_BYTES,
)
from ..errors import DownloadError, NotFoundError
from ..redaction import redact
from ..results import GenerationResult
from .timeouts import Timeout, TimeoutLike

__all__ = ["decode_inline", "fetch_result"]

log = logging.getLogger("minimax_cover.download")

_SNIFF_BYTES = 4096


class _TransientDownloadError(DownloadError):
    """A download failure worth another attempt (dropped, truncated, 5xx)."""


def _strip_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """requests auth hook: drop any Authorization header (and stop .netrc lookups)."""
    request.headers.pop("Authorization", None)
    return request


def _label(result: GenerationResult) -> str:
    return f"result {result.audio_uuid or '?'} of task {result.task_uuid or '?'}"


def _tmp_path(dest: Path) -> Path:
    return dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.part")


def decode_inline(result: GenerationResult, *, max_bytes: int = MAX_DOWNLOAD_BYTES) -> bytes:
    """The audio bytes of a ``dataURI`` or ``base64Data`` result.

    :raises DownloadError: no inline data, a malformed data URI or base64, or too large.
    """
    text = result.data_uri or result.base64_data
    if not text:
        raise DownloadError(f"{_label(result)} has no audioURL, audioDataURI or audioBase64Data",
                            task_uuid=result.task_uuid)
    if result.data_uri:
        header, sep, payload = text.partition(",")
        if not sep or not header.lower().startswith("data:") or ";base64" not in header.lower():
            raise DownloadError(f"{_label(result)}: audioDataURI is not a base64 data URI "
                                f"(starts {text[:30]!r})", task_uuid=result.task_uuid)
        text = payload
    compact = "".join(text.split())
    if len(compact) * 3 // 4 > max_bytes:
        raise DownloadError(f"{_label(result)}: inline audio is larger than the "
                            f"{max_bytes} byte limit", task_uuid=result.task_uuid)
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DownloadError(f"{_label(result)}: inline audio is not valid base64 ({exc})",
                            task_uuid=result.task_uuid) from None


def _stream(result: GenerationResult, out: IO[bytes], session: requests.Session,
            max_bytes: int, timeout: Timeout) -> None:
    """Stream ``result.url`` into ``out``, enforcing the size cap and Content-Length."""
    assert result.url is not None
    url = result.url
    shown = redact(url.split("?", 1)[0])
    try:
        resp = session.get(url, stream=True, timeout=timeout.as_requests(), auth=_strip_auth,
                           headers={"Authorization": None})
    except requests.exceptions.RequestException as exc:
        raise _TransientDownloadError(
            f"{_label(result)}: cannot fetch {shown} ({type(exc).__name__})",
            task_uuid=result.task_uuid) from None
    with resp:
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
        declared = resp.headers.get("Content-Length")
        expected = int(declared) if declared and declared.isdigit() else None
        encoded = resp.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
        if expected is not None and expected > max_bytes:
            raise DownloadError(f"{_label(result)}: {expected} bytes is more than the "
                                f"{max_bytes} byte limit", task_uuid=result.task_uuid)
        received = 0
        try:
            for chunk in resp.iter_content(DOWNLOAD_CHUNK_BYTES):
                received += len(chunk)
                if received > max_bytes:
                    raise DownloadError(f"{_label(result)}: more than the {max_bytes} byte "
                                        "limit", task_uuid=result.task_uuid)
                out.write(chunk)
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError,
                requests.exceptions.ContentDecodingError) as exc:
            raise _TransientDownloadError(
                f"{_label(result)}: transfer broken after {received} bytes ({type(exc).__name__})",
                task_uuid=result.task_uuid) from None
        if expected is not None and not encoded and received != expected:
            raise _TransientDownloadError(
                f"{_label(result)}: truncated, got {received} of {expected} bytes",
                task_uuid=result.task_uuid)


def _check_format(result: GenerationResult, head: bytes, expected_format: str) -> None:
    from ..audio import sniff_format

    if not head:
        raise DownloadError(f"{_label(result)}: empty file", task_uuid=result.task_uuid)
    found = sniff_format(head)
    wanted = expected_format.strip().upper()
    if found != wanted:
        raise DownloadError(f"{_label(result)}: expected {wanted} audio, the content is "
                            f"{found or 'not a known audio format'}", task_uuid=result.task_uuid)


def fetch_result(
    result: GenerationResult,
    dest: Path,
    *,
    expected_format: str,
    session: requests.Session,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
    timeout: TimeoutLike = DEFAULT_TIMEOUT_S,
    retries: int = DOWNLOAD_RETRIES,
) -> Path:
    """Write one generation's audio to ``dest`` and return ``dest``.

    :param result: a successful generation (URL, data URI or base64).
    :param dest: the final path; its folder is created. Written only if every check passes.
    :param expected_format: the requested ``outputFormat`` (``MP3``, ``WAV``, ``FLAC``,
        ``OGG``); the content must sniff as that format.
    :param session: the client's session (see ``RunwareClient.download_session``).
    :param max_bytes: size cap for a download or inline payload.
    :param timeout: a :class:`~.timeouts.Timeout`, ``(connect_s, read_s)`` or one number, for
        the GET (read applies per chunk).
    :param retries: further attempts after a dropped or truncated transfer or a 5xx.
    :raises NotFoundError: the URL answered 404/410 (expired).
    :raises DownloadError: too large, truncated, broken, or not the expected format.
    """
    dest = Path(dest)
    timeouts = Timeout.of(timeout)
    dest.parent.mkdir(parents=True, exist_ok=True)
    attempt = 0
    while True:
        tmp = _tmp_path(dest)
        try:
            with open(tmp, "xb") as out:
                if result.url:
                    _stream(result, out, session, max_bytes, timeouts)
                else:
                    out.write(decode_inline(result, max_bytes=max_bytes))
            with open(tmp, "rb") as fh:
                _check_format(result, fh.read(_SNIFF_BYTES), expected_format)
            os.replace(tmp, dest)
        except _TransientDownloadError as exc:
            tmp.unlink(missing_ok=True)
            if attempt < retries:
                attempt += 1
                log.info("%s; download attempt %d", exc.message, attempt + 1)
                continue
            raise
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        log.debug("saved %s (%s)", dest.name, result.output_type)
        return dest
