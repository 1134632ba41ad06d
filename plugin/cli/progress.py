"""The progress line on stderr: every event as it comes, and a heartbeat so it never freezes.

A job reports events (``submitting``, ``queued``, ``processing``, ``result``, ``done``) only
when something changes; a ``sync`` generation sends nothing for minutes. :class:`ProgressLine`
keeps the line alive from a small daemon thread: on a terminal it redraws the line (elapsed
time, phase, results) every :data:`TTY_REFRESH_S`; in a log or pipe it adds a "still ..." line
every :data:`LOG_HEARTBEAT_S`, so a CI log shows the job is alive without flooding.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, TextIO

__all__ = ["LOG_HEARTBEAT_S", "TTY_REFRESH_S", "ProgressLine"]

TTY_REFRESH_S = 1.0
LOG_HEARTBEAT_S = 15.0

#: What the line says while waiting after each event.
_WAITING = {
    "starting": "preparing (checks, upload)",
    "submitting": "generating",
    "queued": "queued",
    "processing": "generating",
    "result": "generating",
}
_MODES = {"sync": " (sync: one request until the answer)", "async": " (async: collecting)"}


class ProgressLine:
    """``on_progress`` for the CLI; use as a context manager around the job.

    :param enabled: False prints nothing (``--no-progress``, ``-q``).
    :param delivery: the request's ``deliveryMethod`` (shown while waiting).
    :param stream: where to write (default ``sys.stderr``).
    :param interval_s: the heartbeat; default :data:`TTY_REFRESH_S` on a terminal, else
        :data:`LOG_HEARTBEAT_S`.
    """

    def __init__(self, enabled: bool, *, delivery: str | None = None,
                 stream: TextIO | None = None, interval_s: float | None = None) -> None:
        self.enabled = enabled
        self.delivery = delivery
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval_s = interval_s or (TTY_REFRESH_S if self.tty else LOG_HEARTBEAT_S)
        self.started = time.monotonic()
        self._phase, self._done, self._total = "starting", 0, 0
        self._extra = ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._dirty = False  # a TTY line is open (no newline yet)

    def __enter__(self) -> ProgressLine:
        if self.enabled:
            self._thread = threading.Thread(target=self._beat, name="progress-line", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the heartbeat and end an open terminal line."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        with self._lock:
            if self._dirty:
                self._write("\n")
                self._dirty = False

    def __call__(self, event: Any) -> None:
        """Show a :class:`~..results.ProgressEvent`."""
        if not self.enabled:
            return
        fraction = getattr(event, "progress", None)
        cost = getattr(event, "cost", None)
        extra = f" {fraction * 100:.0f}%" if fraction is not None else ""
        extra += f" ${cost:.4f}" if cost is not None else ""
        with self._lock:
            self._phase, self._done, self._total = event.phase, event.done, event.total
            self._extra = extra
            self._show(event.phase)

    # ------------------------------------------------------------------ drawing

    def _beat(self) -> None:
        while not self._stop.wait(self.interval_s):
            with self._lock:
                if self._phase == "done":
                    continue
                self._show(_WAITING.get(self._phase, self._phase), heartbeat=True)

    def _show(self, what: str, *, heartbeat: bool = False) -> None:
        elapsed = time.monotonic() - self.started
        waiting = heartbeat and self._phase != "starting"
        mode = _MODES.get(self.delivery or "", "") if waiting else ""
        counts = f": {self._done}/{self._total} result(s)" if self._total else ""
        line = f"[{elapsed:6.1f}s] {what}{mode}{counts}{self._extra}"
        if self.tty:
            self._write("\r\x1b[K" + line)
            self._dirty = True
        else:
            self._write(line + "\n")

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # stderr closed: progress is best effort
            self.enabled = False
