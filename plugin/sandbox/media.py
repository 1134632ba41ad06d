"""Where the sandbox gets audio bytes: its own media and results, data URIs, base64, loopback.

:class:`MediaSource` resolves ``inputs.audio`` and ``mediaStorage`` ``media`` values. A URL of
this sandbox is read from its own store (no HTTP); another loopback URL is fetched; any other
host is refused with ``downloadFailed``: the sandbox never contacts the outside world.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from ..errors import AudioError, short_repr
from .errors import SandboxTaskError, error_object
from .outbound import OutboundError, fetch_bytes, is_loopback_url, safe_url
from .settings import Endpoint
from .state import Store

__all__ = ["MAX_MEDIA_BYTES", "MediaSource", "content_type", "decode_data_uri"]

#: Largest media accepted by ``mediaStorage`` and as ``inputs.audio`` (MiniMax's 50 MB).
MAX_MEDIA_BYTES = 50 * 1024 * 1024


def _failure(code: str, parameter: str, message: str, task_type: str,
             task_uuid: Any) -> SandboxTaskError:
    return SandboxTaskError(error_object(code, f"{parameter}: {message}", parameter=parameter,
                                         task_type=task_type, task_uuid=task_uuid))


def decode_data_uri(value: str, parameter: str, task_type: str, task_uuid: Any) -> bytes:
    """The payload of a ``data:`` URI (base64 or percent-encoded)."""
    header, sep, payload = value.partition(",")
    if not sep:
        raise _failure("invalidParameter", parameter, "malformed data URI (no comma)",
                       task_type, task_uuid)
    try:
        if header.endswith(";base64"):
            return base64.b64decode("".join(payload.split()), validate=True)
        return unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        raise _failure("invalidParameter", parameter, "the data URI's base64 payload is not valid",
                       task_type, task_uuid) from None


def content_type(data: bytes) -> str:
    """The MIME type of an audio file, sniffed from its first bytes."""
    from ..audio import sniff_format
    from ..audio.formats import FORMATS

    known = FORMATS.get(sniff_format(data[:4096]) or "")
    return known.mime if known else "application/octet-stream"


class MediaSource:
    """Resolves media references for one sandbox.

    :param store: the sandbox's uploads and result files.
    :param endpoint: where the sandbox listens (its own URLs are read from ``store``).
    """

    def __init__(self, store: Store, endpoint: Endpoint) -> None:
        self.store = store
        self.endpoint = endpoint

    def fetch(self, ref: str, parameter: str, task_type: str, task_uuid: Any) -> bytes:
        """The bytes behind a mediaUUID (or result audioUUID), a data URI or a loopback URL."""
        if ref.startswith("data:"):
            return decode_data_uri(ref, parameter, task_type, task_uuid)
        parts = urlsplit(ref)
        if parts.scheme in ("http", "https"):
            if not is_loopback_url(ref):
                raise _failure(
                    "downloadFailed", parameter,
                    f"cannot download {safe_url(ref)}: the sandbox fetches no outside URLs; "
                    "upload the audio with mediaStorage or use a URL this sandbox serves",
                    task_type, task_uuid)
            if parts.port == self.endpoint.port:
                return self._own_file(parts.path, parameter, task_type, task_uuid)
            try:
                return fetch_bytes(ref, max_bytes=MAX_MEDIA_BYTES)
            except OutboundError as exc:
                raise _failure("downloadFailed", parameter, f"cannot download ({exc})",
                               task_type, task_uuid) from None
        media = self.store.media(ref)
        if media is not None:
            return media.data
        result, _ = self.store.result(ref)
        if result is not None:
            return result.data
        raise _failure("mediaNotFound", parameter,
                       f"no media with UUID {short_repr(ref)} on this sandbox (upload it with "
                       "mediaStorage first; uploads do not survive a sandbox restart)",
                       task_type, task_uuid)

    def _own_file(self, path: str, parameter: str, task_type: str, task_uuid: Any) -> bytes:
        kind, _, name = path.strip("/").partition("/")
        if kind == "media":
            media = self.store.media(name)
            if media is not None:
                return media.data
        elif kind == "results":
            audio_uuid, _, ext = name.rpartition(".")
            result, expired = self.store.result(audio_uuid)
            if expired:
                raise _failure("downloadFailed", parameter,
                               f"cannot download {path}: the result URL expired",
                               task_type, task_uuid)
            if result is not None and result.ext == ext:
                return result.data
        raise _failure("downloadFailed", parameter,
                       f"cannot download {path}: not found on this sandbox (404)",
                       task_type, task_uuid)

    def upload_bytes(self, media: str, task_uuid: str) -> bytes:
        """Decode a ``mediaStorage`` upload (raw base64, data URI or loopback URL) and check
        that it is audio of at most :data:`MAX_MEDIA_BYTES`."""
        from ..audio import read_audio

        def fail(message: str) -> SandboxTaskError:
            return _failure("invalidParameter", "media", message, "mediaStorage", task_uuid)

        limit_mb = MAX_MEDIA_BYTES / (1024 * 1024)
        if media.startswith(("data:", "http://", "https://")):
            data = self.fetch(media, "media", "mediaStorage", task_uuid)
        else:
            compact = "".join(media.split())
            if len(compact) * 3 // 4 > MAX_MEDIA_BYTES + 3:
                raise fail(f"larger than {limit_mb:g} MB")
            try:
                data = base64.b64decode(compact, validate=True)
            except (binascii.Error, ValueError):
                raise fail("not valid base64, a data URI or an http(s) URL") from None
        if len(data) > MAX_MEDIA_BYTES:
            raise fail(f"larger than {limit_mb:g} MB ({len(data)} bytes)")
        if not data:
            raise fail("empty")
        try:
            read_audio(data)
        except AudioError as exc:
            raise fail(f"not decodable audio ({exc})") from None
        return data
