"""``mediaStorage``: upload audio once (and look it up before any second try), delete it.

An upload answered without a ``mediaUUID`` is polled with ``getResponse`` for at most
``UPLOAD_POLL_DEADLINE_S``. After an unknown outcome (dropped connection, 5xx...) the upload is
first looked up with ``getResponse`` and only sent again, with a new ``taskUUID``, if the server
does not know it (uploads are free; once at most).
"""

from __future__ import annotations

import base64
import logging
import uuid
from typing import Any

from ..constants import UPLOAD_POLL_DEADLINE_S
from ..errors import NotFoundError, OutcomeUnknownError, ResponseFormatError
from ..results import MediaRef
from .envelope import Envelope
from .errors import error_from
from .polling import PollSettings
from .sleeper import Sleeper
from .transport import RunwareTransport

__all__ = ["MediaStorage"]

log = logging.getLogger("minimax_cover.client")


class MediaStorage:
    """Runware's ``mediaStorage`` task through ``transport``.

    :param transport: sends the task arrays.
    :param sleeper: waits between the polls of an upload without ``mediaUUID``.
    :param settings: the poll intervals (the deadline is ``UPLOAD_POLL_DEADLINE_S``).
    """

    def __init__(self, transport: RunwareTransport, sleeper: Sleeper,
                 settings: PollSettings) -> None:
        self.transport = transport
        self.sleeper = sleeper
        self.settings = settings

    def upload(self, data: bytes, *, mime: str | None = None) -> MediaRef:
        """Upload bytes (raw base64); return the media UUID and URL.

        ``mime`` is only logged (the server sniffs the bytes).
        """
        if not data:
            raise ValueError("upload_media: no data to upload")
        media = base64.b64encode(bytes(data)).decode("ascii")
        log.info("uploading %d bytes (%s) with mediaStorage", len(data), mime or "unknown type")
        for attempt in (1, 2):
            task_uuid = str(uuid.uuid4())
            task = {"taskType": "mediaStorage", "taskUUID": task_uuid, "operation": "upload",
                    "media": media}
            try:
                env = self.transport.post([task])
            except OutcomeUnknownError:
                ref = self._await_upload(task_uuid, known=False)
                if ref is None and attempt == 1:
                    log.info("upload %s not found after an unknown outcome; sending it again",
                             task_uuid)
                    continue
                if ref is None:
                    raise
            else:
                _raise_media_errors(env, task_uuid)
                ref = _media_ref(env.data_for(task_uuid)) or self._await_upload(
                    task_uuid, known=True)
            assert ref is not None
            log.info("uploaded media %s", ref.media_uuid)
            return ref
        raise AssertionError("unreachable")  # pragma: no cover

    def delete(self, media_uuid: str) -> None:
        """Delete uploaded media (``operation: "delete"``).

        After an unknown outcome the delete is sent once more (new ``taskUUID``); a
        not-found answer to that second attempt means the first one worked.

        :raises NotFoundError: the media does not exist.
        """
        for attempt in (1, 2):
            task_uuid = str(uuid.uuid4())
            try:
                env = self.transport.post([{"taskType": "mediaStorage", "taskUUID": task_uuid,
                                            "operation": "delete", "mediaUUID": media_uuid}])
                _raise_media_errors(env, task_uuid)
                return
            except OutcomeUnknownError:
                if attempt == 2:
                    raise
            except NotFoundError:
                if attempt == 1:
                    raise
                return

    def _await_upload(self, task_uuid: str, *, known: bool) -> MediaRef | None:
        """Poll ``getResponse`` until an upload has a ``mediaUUID``.

        Returns ``None`` when ``known`` is false and the server does not know the upload.
        """
        elapsed = self.sleeper.stopwatch()
        interval = self.settings.initial_s
        wait = known
        while True:
            if wait:
                if elapsed() > UPLOAD_POLL_DEADLINE_S:
                    raise ResponseFormatError(
                        f"mediaStorage upload {task_uuid} returned no mediaUUID within "
                        f"{UPLOAD_POLL_DEADLINE_S:g} s", task_uuid=task_uuid)
                self.sleeper.wait(interval)
                interval = self.settings.next_interval(interval)
            wait = True
            try:
                poll = self.transport.post([{"taskType": "getResponse", "taskUUID": task_uuid}])
                _raise_media_errors(poll, task_uuid)
            except NotFoundError:
                if not known:
                    return None
                raise
            items = poll.data_for(task_uuid)
            ref = _media_ref(items)
            if ref is not None:
                return ref
            if not items and not known:
                return None
            known = True


def _media_ref(items: list[dict[str, Any]]) -> MediaRef | None:
    for item in items:
        media_uuid = item.get("mediaUUID")
        if media_uuid not in (None, "", "1"):
            url = item.get("mediaURL")
            return MediaRef(str(media_uuid), str(url) if url else None)
    return None


def _raise_media_errors(env: Envelope, task_uuid: str) -> None:
    errors = env.errors_for(task_uuid)
    if errors:
        raise error_from(None if env.status_code == 200 else env.status_code, errors[0],
                         task_uuid=task_uuid)
