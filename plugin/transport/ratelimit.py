"""A per-process rate limiter: at most N requests a minute and M at once, across threads.

:func:`limiter_for` gives one :class:`RateLimiter` per endpoint for the whole process, so every
client, batch thread and node talking to one endpoint shares it. A client takes a
:meth:`RateLimiter.slot` around each attempt (a retry is a request too) and calls
:meth:`RateLimiter.refused` when the endpoint answered "too many requests", so the other
threads hold off as long as the refused one waits. Which answers count as refusals, and how
long to wait, stay the client's decision (its retry policy).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["RateLimiter", "forget_limiters", "limiter_for"]

WINDOW_S = 60.0


class RateLimiter:
    """At most ``per_minute`` starts in any 60 s window and ``concurrent`` slots held at once.

    :param per_minute: requests started per sliding minute (>= 1).
    :param concurrent: requests in flight at once (>= 1).
    :param clock: monotonic seconds (inject in tests).
    :param sleep: waits (inject in tests); called with slices of at most 0.5 s.
    """

    def __init__(self, per_minute: int, concurrent: int, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._cond = threading.Condition()
        self._starts: deque[float] = deque()
        self._active = 0
        self._paused_until = 0.0
        self._clock = clock
        self._sleep = sleep
        self.per_minute = self.concurrent = 1
        self.configure(per_minute, concurrent)

    def __repr__(self) -> str:
        return f"RateLimiter(per_minute={self.per_minute}, concurrent={self.concurrent})"

    def configure(self, per_minute: int, concurrent: int) -> None:
        """Change the limits (a new plan); slots already held are kept."""
        if int(per_minute) < 1 or int(concurrent) < 1:
            raise ValueError(f"rate limits must be >= 1 (got {per_minute}/min, "
                             f"{concurrent} at once)")
        with self._cond:
            self.per_minute, self.concurrent = int(per_minute), int(concurrent)
            self._cond.notify_all()

    @property
    def active(self) -> int:
        """Slots held right now."""
        return self._active

    def _wait_s(self, now: float) -> float:
        """Seconds until a start is allowed (0: now), under the lock."""
        while self._starts and now - self._starts[0] >= WINDOW_S:
            self._starts.popleft()
        waits = [self._paused_until - now]
        if len(self._starts) >= self.per_minute:
            waits.append(self._starts[0] + WINDOW_S - now)
        return max(0.0, *waits)

    def acquire(self) -> float:
        """Wait for a slot and take it; returns the seconds waited."""
        started = self._clock()
        while True:
            with self._cond:
                while self._active >= self.concurrent:
                    self._cond.wait(0.5)
                now = self._clock()
                wait = self._wait_s(now)
                if wait <= 0:
                    self._active += 1
                    self._starts.append(now)
                    return now - started
            self._sleep(min(wait, 0.5))

    def release(self) -> None:
        """Give a slot back."""
        with self._cond:
            self._active = max(0, self._active - 1)
            self._cond.notify()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the duration of the block (one request, answer included)."""
        self.acquire()
        try:
            yield
        finally:
            self.release()

    def refused(self, delay_s: float) -> None:
        """The endpoint refused a request for its rate: no one starts for ``delay_s``."""
        with self._cond:
            self._paused_until = max(self._paused_until, self._clock() + max(0.0, delay_s))


_LIMITERS: dict[str, RateLimiter] = {}
_LOCK = threading.Lock()


def limiter_for(endpoint: str, per_minute: int, concurrent: int) -> RateLimiter:
    """The process's limiter for ``endpoint`` (made on first use; limits updated after)."""
    key = endpoint.rstrip("/").lower()
    with _LOCK:
        limiter = _LIMITERS.get(key)
        if limiter is None:
            limiter = _LIMITERS[key] = RateLimiter(per_minute, concurrent)
        elif (limiter.per_minute, limiter.concurrent) != (per_minute, concurrent):
            limiter.configure(per_minute, concurrent)
        return limiter


def forget_limiters() -> None:
    """Drop every limiter (tests)."""
    with _LOCK:
        _LIMITERS.clear()
