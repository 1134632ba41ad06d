"""Ctrl-C for one cover: the first press stops before submitting, or keeps collecting what is
in flight; the second stops waiting (within a second), the job left resumable.

Used by ``cover``; ``batch`` has its own two-press handling in its runner. Only the main
thread can install a signal handler: elsewhere Ctrl-C keeps Python's behaviour.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any, TextIO

__all__ = ["CoverInterrupts"]

_IN_FLIGHT = frozenset({"queued", "processing", "result"})


class CoverInterrupts:
    """A context manager counting Ctrl-C presses; pass :meth:`should_cancel` to the job and
    :meth:`progress` (wrapping the progress display) as its ``on_progress``.

    :param on_progress: the display to forward progress events to (or ``None``).
    :param stream: where the messages go (default ``sys.stderr``).
    """

    def __init__(self, on_progress: Any = None, *, stream: TextIO | None = None) -> None:
        self.presses = 0
        self.in_flight = False
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
        if self.presses == 1 and self.in_flight:
            self._say(f"stopping: waiting for task {self.task_uuid} in flight (Ctrl-C again "
                      "to stop waiting; it stays resumable)")
        elif self.presses == 1:
            self._say("stopping: nothing will be submitted")
        else:
            self._say("stopping the wait; the task stays resumable")

    def _say(self, text: str) -> None:
        try:
            print("\n" + text, file=self._stream, flush=True)
        except (OSError, ValueError):
            pass

    def should_cancel(self) -> bool:
        """True on the second press, or on the first one before anything is in flight."""
        return self.presses >= 2 or (self.presses >= 1 and not self.in_flight)

    def progress(self, event: Any) -> None:
        """``on_progress``: notes when the task is in flight, then forwards the event."""
        if getattr(event, "phase", None) in _IN_FLIGHT:
            self.in_flight = True
        self.task_uuid = getattr(event, "task_uuid", None) or self.task_uuid
        if self._forward is not None:
            self._forward(event)
