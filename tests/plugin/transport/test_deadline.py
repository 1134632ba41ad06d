"""A total deadline and a minimum rate per exchange, over real loopback sockets.

A tiny server on 127.0.0.1 trickles its headers or its body one byte at a time; the per-read
timeout never fires (every byte comes in time), so only the watch can end the exchange.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from minimax_cover.plugin.errors import DeadlineExceededError
from minimax_cover.plugin.transport.body import iter_body
from minimax_cover.plugin.transport.deadline import ExchangeWatch, exchange, watch_session
from minimax_cover.plugin.transport.timeouts import Timeout

BODY = b"x" * 200


class _Trickle(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _drip(self, data: bytes) -> None:
        until = time.monotonic() + 20
        for i in range(len(data)):
            try:
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
            except OSError:
                return
            if time.monotonic() > until:
                return
            time.sleep(0.05)

    def do_GET(self) -> None:  # noqa: N802 - stdlib API
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(BODY)}\r\n\r\n".encode()
        if self.path == "/headers":
            self._drip(head + BODY)
            self.close_connection = True
        elif self.path == "/body":
            self.wfile.write(head)
            self.wfile.flush()
            self._drip(BODY)
            self.close_connection = True
        else:
            self.wfile.write(head + BODY)


@pytest.fixture
def server() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, args=(0.02,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture
def watched() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield watch_session(s)


def _read_all(session: requests.Session, url: str, timeout: Timeout) -> bytes:
    with exchange(timeout, "test exchange") as watch:
        try:
            resp = session.get(url, stream=True, timeout=timeout.as_requests())
        except requests.exceptions.RequestException:
            assert watch.expired()
            raise watch.error(0) from None
        with resp:
            return b"".join(iter_body(resp, watch))


# --------------------------------------------------------------------------- the value object


def test_timeout_has_a_deadline_and_a_rate_floor_by_default() -> None:
    t = Timeout(10, 60)
    assert t.total_s == 600.0 and t.min_rate_bps == 4096.0 and t.rate_window_s == 10.0
    assert Timeout.of((10, 60)) == t
    assert t.with_deadline(None, None).total_s is None
    assert Timeout(1, 2, total_s=float("inf")).total_s is None


def test_for_wait_adds_the_long_wait_to_the_deadline() -> None:
    t = Timeout(10, 60, total_s=600)
    sync = t.for_wait(900)
    assert (sync.read_s, sync.total_s) == (900.0, 1500.0)
    assert Timeout(1, 2, total_s=None).for_wait(9).total_s is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"total_s": 0}, "total_s: must be > 0"),
        ({"min_rate_bps": -1}, "min_rate_bps: must be > 0"),
        ({"rate_window_s": 0}, "rate_window_s: must be > 0"),
        ({"total_s": "60"}, "total_s: must be a number of seconds"),
    ],
)
def test_bad_deadline_values_are_refused(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Timeout(1, 2, **kwargs)


def test_rate_floor_is_judged_after_the_window() -> None:
    now = [100.0]
    watch = ExchangeWatch(Timeout(1, 1, total_s=None, min_rate_bps=100, rate_window_s=2),
                          "x", clock=lambda: now[0])
    now[0] = 101.0
    watch.check(0, 100.0)  # within the window: not judged yet
    now[0] = 103.0
    watch.check(300, 100.0)  # 100 B/s
    with pytest.raises(DeadlineExceededError, match="below the minimum of 100 bytes/s") as info:
        watch.check(299, 100.0)
    assert info.value.received_bytes == 299


# --------------------------------------------------------------------------- over sockets


def test_trickled_headers_end_at_the_deadline(server: str, watched: requests.Session) -> None:
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError, match="0.5 s deadline"):
        _read_all(watched, server + "/headers", Timeout(2, 5, total_s=0.5, min_rate_bps=None))
    assert time.monotonic() - started < 8.0  # 10 s of headers without the watch


def test_trickled_body_ends_at_the_deadline(server: str, watched: requests.Session) -> None:
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError, match="deadline") as info:
        _read_all(watched, server + "/body", Timeout(2, 5, total_s=0.5, min_rate_bps=None))
    assert time.monotonic() - started < 8.0
    assert 0 < info.value.received_bytes < len(BODY)


def test_trickled_body_is_below_the_rate_floor(server: str, watched: requests.Session) -> None:
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError, match="bytes/s"):
        _read_all(watched, server + "/body",
                  Timeout(2, 5, total_s=30, min_rate_bps=1000, rate_window_s=0.3))
    assert time.monotonic() - started < 8.0


def test_a_callers_session_still_bounds_the_body(server: str) -> None:
    with requests.Session() as plain:  # no WatchedAdapter: the body phase is still watched
        started = time.monotonic()
        with pytest.raises(DeadlineExceededError):
            _read_all(plain, server + "/body", Timeout(2, 5, total_s=0.5, min_rate_bps=None))
        assert time.monotonic() - started < 8.0


def test_normal_exchanges_reuse_the_connection_unharmed(server: str,
                                                        watched: requests.Session) -> None:
    timeout = Timeout(2, 5, total_s=0.3)
    for _ in range(5):  # keep-alive: the previous exchange's timer must not touch it
        assert _read_all(watched, server + "/fast", timeout) == BODY
        time.sleep(0.1)
    time.sleep(0.4)  # past every deadline: disarmed timers fire nothing
    assert _read_all(watched, server + "/fast", timeout) == BODY
    assert watched.get(server + "/fast", timeout=(2, 5)).content == BODY  # no exchange active


def test_one_watchdog_thread_serves_every_exchange() -> None:
    """Deadlines share one watchdog thread; an early deadline fires before later ones."""
    def watchdogs() -> int:
        return sum(t.name == "minimax-cover-deadline" for t in threading.enumerate())

    late = [ExchangeWatch(Timeout(1, 1, total_s=30), f"late {i}") for i in range(20)]
    for w in late:
        w.start()
    early = ExchangeWatch(Timeout(1, 1, total_s=0.05), "early")
    early.start()
    until = time.monotonic() + 5
    while not early.fired and time.monotonic() < until:
        time.sleep(0.01)
    assert early.fired and not any(w.fired for w in late)
    assert watchdogs() == 1
    for w in late:
        w.close()
    closed = ExchangeWatch(Timeout(1, 1, total_s=0.02), "closed")
    closed.start()
    closed.close()
    time.sleep(0.1)
    assert not closed.fired
