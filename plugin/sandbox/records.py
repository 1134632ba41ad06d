"""What a sandbox saw: every request, webhook POST and ``uploadEndpoint`` PUT, for tests.

:class:`Recorder` keeps the three lists a test reads (``sandbox.requests_log``,
``.webhook_deliveries``, ``.upload_puts``) behind one lock, and logs one line per request
(method, path, task types, status, faults) when the sandbox's ``log`` setting is on. Entries
never hold the key or a body.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from .settings import Settings

__all__ = ["Recorder"]

log = logging.getLogger("minimax_cover.sandbox")


class Recorder:
    """The records of one sandbox; every method is thread-safe.

    :param settings: read for ``log`` (one INFO line per request when true).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        #: Every request seen: ``{"method", "path", "task_types", "task_uuids", "status",
        #: "faults"}`` (``status`` is ``None`` for a dropped connection).
        self.requests: list[dict[str, Any]] = []
        #: Every webhook POST attempt (or refusal).
        self.webhooks: list[dict[str, Any]] = []
        #: Every ``uploadEndpoint`` PUT attempt (or refusal).
        self.uploads: list[dict[str, Any]] = []

    def request(self, entry: dict[str, Any]) -> None:
        """Append a request's entry (and log it)."""
        with self._lock:
            self.requests.append(entry)
        if self.settings.log:
            types = ",".join(entry["task_types"])
            faults = f" faults={','.join(entry['faults'])}" if entry.get("faults") else ""
            status = entry["status"] if entry["status"] is not None else "dropped"
            log.info("sandbox: %s %s%s -> %s%s", entry["method"], entry["path"],
                     f" [{types}]" if types else "", status, faults)

    def webhook(self, entry: dict[str, Any]) -> None:
        """Append a webhook attempt."""
        with self._lock:
            self.webhooks.append(entry)

    def upload(self, entry: dict[str, Any]) -> None:
        """Append an ``uploadEndpoint`` attempt."""
        with self._lock:
            self.uploads.append(entry)
