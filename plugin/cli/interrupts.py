"""Ctrl-C for one cover: a first press before the submit stops at once (nothing paid); once
the task is being sent it keeps collecting it; the second press stops waiting (within a
second), the job left resumable.

Used by ``cover``; ``batch`` has its own two-press handling in its runner. Only the main
thread can install a signal handler: elsewhere Ctrl-C keeps Python's behaviour.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any, TextIO

__all__ = ["CoverInterrupts"]

_SENDING = frozenset({"submitting", "queued", "processing", "result"})


class CoverInterrupts:
    """A context manager counting Ctrl-C presses; pass :meth:`should_cancel` to the job and
    :meth:`progress` (wrapping the progress display) as its ``on_progress``.

    :param on_progress: the display to forward progress events to (or ``None``).
    :param stream: where the messages go (default ``sys.stderr``).
    """

    def __init__(self, on_progress: Any = None, *, stream: TextIO | None = None) -> None:
        self.presses = 0
        self.submitting = False
        self.task_uuid: str | None = None
        self._forward = on_progress
        self._stream = stream or sys.stderr
        self._previous: Any = None

    def __enter__(self) -> CoverInterrupts:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def _on_sigint(self, signum: int, frame: Any) -> None:
        self.presses += 1
        if self.presses > 2:
            raise KeyboardInterrupt
        if self.presses == 1 and not self.submitting:
            self._say("stopped before anything was submitted")
            raise KeyboardInterrupt  # checking or uploading: nothing paid, nothing to resume
        if self.presses == 1:
            self._say(f"stopping: waiting for task {self.task_uuid} in flight (Ctrl-C again "
                      "to stop waiting; it stays resumable)")
        else:
            self._say("stopping the wait; the task stays resumable")

    def _say(self, text: str) -> None:
        try:
            print("\n" + text, file=self._stream, flush=True)
        except (OSError, ValueError):
            pass

    def should_cancel(self) -> bool:
        """True from the second press on (the first one lets the task in flight finish)."""
        return self.presses >= 2

    def progress(self, event: Any) -> None:
        """``on_progress``: notes when the task is being sent, then forwards the event."""
        if getattr(event, "phase", None) in _SENDING:
            self.submitting = True
        self.task_uuid = getattr(event, "task_uuid", None) or self.task_uuid
        if self._forward is not None:
            self._forward(event)
