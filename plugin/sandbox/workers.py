"""The sandbox's threads: background work (generations, webhooks, uploads) and request threads.

:class:`Workers` starts and tracks them, tells them when the sandbox stops (:attr:`stopping`)
and waits for them, so :meth:`~.server.Sandbox.stop` returns within about a second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["Workers"]


class Workers:
    """The live threads of one sandbox and its stop signal."""

    def __init__(self) -> None:
        #: Set when the sandbox stops: background work ends, waits return early.
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._background: set[threading.Thread] = set()
        self._requests: set[threading.Thread] = set()

    def spawn(self, target: Callable[..., Any], *args: Any, name: str, **kwargs: Any) -> None:
        """Run ``target(*args, **kwargs)`` on a tracked daemon thread."""
        def run() -> None:
            try:
                target(*args, **kwargs)
            finally:
                with self._lock:
                    self._background.discard(thread)

        thread = threading.Thread(target=run, name=name, daemon=True)
        with self._lock:
            self._background.add(thread)
        thread.start()

    def track_request(self, thread: threading.Thread, active: bool) -> None:
        """Add (``active``) or drop a thread serving one HTTP request."""
        with self._lock:
            if active:
                self._requests.add(thread)
            else:
                self._requests.discard(thread)

    def pause(self, seconds: float) -> bool:
        """Sleep ``seconds`` unless the sandbox stops first; True when it is stopping."""
        if seconds <= 0:
            return self.stopping.is_set()
        return self.stopping.wait(seconds)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until background work is done; True if it is, False after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                busy = [t for t in self._background if t.is_alive()]
            if not busy:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            busy[0].join(min(remaining, 0.1))

    def join(self, timeout: float) -> None:
        """Wait at most ``timeout`` in all for every thread (but the calling one) to end."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._background | self._requests)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
