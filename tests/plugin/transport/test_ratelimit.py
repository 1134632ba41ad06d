"""The per-process rate limiter: a sliding minute, slots at once, pauses after a refusal."""

from __future__ import annotations

import threading

import pytest
from minimax_cover.plugin.transport.ratelimit import RateLimiter, forget_limiters, limiter_for


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_per_minute_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, 10, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        with limiter.slot():
            pass
    assert clock.slept == []
    with limiter.slot():  # the fourth waits for the first start to leave the minute
        pass
    assert sum(clock.slept) == pytest.approx(60.0)


def test_refusal_pauses_everyone() -> None:
    clock = FakeClock()
    limiter = RateLimiter(120, 20, clock=clock, sleep=clock.sleep)
    limiter.refused(5.0)
    limiter.acquire()
    assert sum(clock.slept) == pytest.approx(5.0)


def test_concurrency_across_threads() -> None:
    limiter = RateLimiter(1000, 2)
    peak = 0
    inside = 0
    lock = threading.Lock()
    gate = threading.Event()

    def work() -> None:
        nonlocal peak, inside
        with limiter.slot():
            with lock:
                inside += 1
                peak = max(peak, inside)
            gate.wait(0.05)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert peak == 2 and limiter.active == 0


def test_one_limiter_per_endpoint() -> None:
    forget_limiters()
    a = limiter_for("http://127.0.0.1:9/", 3, 3)
    assert limiter_for("http://127.0.0.1:9", 3, 3) is a
    assert limiter_for("http://127.0.0.1:10", 3, 3) is not a
    assert limiter_for("http://127.0.0.1:9", 120, 20) is a and a.per_minute == 120


def test_bad_limits() -> None:
    with pytest.raises(ValueError, match=">= 1"):
        RateLimiter(0, 1)
