"""Ctrl-C for one cover: a first press before the submit stops at once (nothing paid); once
the task is being sent it keeps collecting it; the second press stops waiting (within a
second), the job left resumable.

Used by ``cover``; ``batch`` has its own two-press handling in its runner. Only the main
thread can install a signal handler: elsewhere Ctrl-C keeps Python's behaviour.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from ..presses import CtrlCPresses

__all__ = ["CoverInterrupts"]

_SENDING = frozenset({"submitting", "queued", "processing", "result"})


class CoverInterrupts(CtrlCPresses):
    """A context manager counting Ctrl-C presses; pass :meth:`should_cancel` to the job and
    :meth:`progress` (wrapping the progress display) as its ``on_progress``.

    :param on_progress: the display to forward progress events to (or ``None``).
    :param stream: where the messages go (default ``sys.stderr``).
    """

    def __init__(self, on_progress: Any = None, *, stream: TextIO | None = None) -> None:
        super().__init__()
        self.submitting = False
        self.task_uuid: str | None = None
        self._forward = on_progress
        self._stream = stream or sys.stderr

    def on_press(self, presses: int) -> None:
        """First press before the send: stop at once; otherwise say what stops."""
        if presses == 1 and not self.submitting:
            self._say("stopped before anything was submitted")
            raise KeyboardInterrupt  # checking or uploading: nothing paid, nothing to resume
        if presses == 1:
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
