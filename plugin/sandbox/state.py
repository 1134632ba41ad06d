"""What the sandbox remembers: uploaded media, result files with their expiry, and tasks.

Everything lives in memory for the life of one :class:`~.server.Sandbox`; one lock guards it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Generation", "Media", "ResultFile", "Store", "Task"]


@dataclass
class Media:
    """An uploaded file (``mediaStorage``), served at ``/media/<uuid>``."""

    data: bytes
    content_type: str


@dataclass
class ResultFile:
    """A generated file served at ``/results/<audioUUID>.<ext>`` until ``expires_at`` (clock)."""

    data: bytes
    content_type: str
    ext: str
    expires_at: float


@dataclass
class Generation:
    """One result of an ``audioInference`` task and its lifecycle.

    ``status`` is ``processing``, ``success`` or ``error``; ``item`` is the flat success item
    (without ``status``); ``error`` is ``{"code", "message"}``. ``starts_at``/``ends_at`` are
    ``time.monotonic()`` instants of the planned processing window (for ``progress``).
    """

    index: int
    seed: int
    starts_at: float
    ends_at: float
    status: str = "processing"
    item: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    #: ``time.monotonic()`` when the result was ready (benchmarks measure collection from it).
    finished_at: float | None = None

    def progress(self, now: float | None = None) -> int:
        """0-99 while processing (share of the planned window elapsed), 100 when finished."""
        if self.status != "processing":
            return 100
        now = time.monotonic() if now is None else now
        span = self.ends_at - self.starts_at
        if span <= 0 or now <= self.starts_at:
            return 0
        return max(0, min(99, int(100 * (now - self.starts_at) / span)))


@dataclass
class Task:
    """A task the sandbox accepted (``audioInference`` or ``mediaStorage``)."""

    task_uuid: str
    task_type: str
    request: dict[str, Any]
    delivery: str = "sync"
    generations: list[Generation] = field(default_factory=list)
    media_item: dict[str, Any] | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able copy of the state (for tests), without any audio data."""
        gens = [
            {
                "index": g.index,
                "seed": g.seed,
                "status": g.status,
                "progress": g.progress(),
                "audioUUID": (g.item or {}).get("audioUUID"),
                "error": dict(g.error) if g.error else None,
            }
            for g in self.generations
        ]
        statuses = {g["status"] for g in gens}
        if self.task_type != "audioInference":
            status = "success"
        elif "processing" in statuses:
            status = "processing"
        elif statuses == {"success"}:
            status = "success"
        else:
            status = "error" if "success" not in statuses else "partial"
        request = {k: v for k, v in self.request.items() if k != "inputs"}
        return {
            "taskUUID": self.task_uuid,
            "taskType": self.task_type,
            "deliveryMethod": self.delivery,
            "status": status,
            "generations": gens,
            "request": request,
            "media": dict(self.media_item) if self.media_item else None,
        }


class Store:
    """Media, result files and tasks of one sandbox; all methods are thread-safe.

    ``clock`` measures result lifetimes (``ttl``); tests pass a fake one.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._media: dict[str, Media] = {}
        self._results: dict[str, ResultFile] = {}
        self._tasks: dict[str, Task] = {}
        self._submissions: dict[str, int] = {}

    # --- media
    def put_media(self, media_uuid: str, media: Media) -> None:
        with self._lock:
            self._media[media_uuid] = media

    def media(self, media_uuid: str) -> Media | None:
        with self._lock:
            return self._media.get(media_uuid)

    def delete_media(self, media_uuid: str) -> bool:
        with self._lock:
            return self._media.pop(media_uuid, None) is not None

    # --- result files
    def put_result(self, audio_uuid: str, result: ResultFile) -> None:
        with self._lock:
            self._results[audio_uuid] = result

    def result(self, audio_uuid: str) -> tuple[ResultFile | None, bool]:
        """``(file, expired)``: the file while it lives; ``(None, True)`` once expired."""
        with self._lock:
            found = self._results.get(audio_uuid)
            if found is None:
                return None, False
            if self.clock() >= found.expires_at:
                found.data = b""  # free the bytes, remember that it existed
                return None, True
            return found, False

    # --- tasks
    def add_task(self, task: Task) -> bool:
        """Register ``task``; False (and nothing stored) when its UUID is already taken."""
        with self._lock:
            if task.task_uuid in self._tasks:
                return False
            self._tasks[task.task_uuid] = task
            if task.task_type == "audioInference":
                self._submissions[task.task_uuid] = self._submissions.get(task.task_uuid, 0) + 1
            return True

    def has_task(self, task_uuid: str) -> bool:
        with self._lock:
            return task_uuid in self._tasks

    def task(self, task_uuid: str) -> Task | None:
        with self._lock:
            return self._tasks.get(task_uuid)

    def submissions(self, task_uuid: str | None = None) -> int:
        with self._lock:
            if task_uuid is None:
                return sum(self._submissions.values())
            return self._submissions.get(task_uuid, 0)
