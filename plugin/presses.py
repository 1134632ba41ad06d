"""Ctrl-C presses counted instead of raised: the one SIGINT handler of ``cover`` and ``batch``.

Only the main thread can install a signal handler: elsewhere (a host's worker thread) Ctrl-C
keeps Python's behaviour and :attr:`CtrlCPresses.presses` stays 0.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

__all__ = ["CtrlCPresses"]


class CtrlCPresses:
    """A context manager that counts SIGINT presses while it is entered.

    A third press always raises :class:`KeyboardInterrupt` (a way out of any wait); subclasses
    say what the first two mean in :meth:`on_press`.
    """

    def __init__(self) -> None:
        self.presses = 0
        self._previous: Any = None

    def __enter__(self) -> Any:
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
        self.on_press(self.presses)

    def on_press(self, presses: int) -> None:
        """Called for the first and second press (nothing by default)."""
