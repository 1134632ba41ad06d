"""A total deadline and a minimum rate for one HTTP exchange, whatever the server does.

``requests`` only has per-operation timeouts: the read timeout restarts with every packet, so a
server sending one byte a second (in its headers or its body) holds a call for days.
:func:`exchange` opens an :class:`ExchangeWatch` for the calls made inside it (in this thread):

- a watchdog shuts the exchange's sockets down when ``Timeout.total_s`` has passed, which wakes
  a read blocked anywhere (connect, headers, body) at once (one watchdog thread per process,
  keeping a heap of the open exchanges' deadlines, instead of a timer thread per exchange);
- :meth:`ExchangeWatch.check`, called between reads of a body, raises
  :class:`~..errors.DeadlineExceededError` past the deadline or when the body averages less
  than ``Timeout.min_rate_bps`` once it has run ``Timeout.rate_window_s``.

The sockets are known through :class:`WatchedAdapter`, mounted by
:func:`watch_session` on the sessions the clients own; on a caller's session only the body
phase is watched (``HTTPResponse.shutdown``, urllib3 2.3 and later).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ..errors import DeadlineExceededError
from .timeouts import Timeout

__all__ = ["ExchangeWatch", "WatchedAdapter", "current_watch", "exchange", "watch_session"]

log = logging.getLogger("minimax_cover.transport")

_local = threading.local()


def current_watch() -> ExchangeWatch | None:
    """The watch of the exchange running in this thread, if any."""
    return getattr(_local, "watch", None)


def _shutdown(sock: Any) -> None:
    try:  # the plain socket's shutdown: on TLS sockets it leaves the SSL object alone
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except (OSError, TypeError, ValueError):
        pass


#: The watchdog thread ends after this long with no deadline armed.
_IDLE_EXIT_S = 1.0


class _Watchdog:
    """One daemon thread that fires every armed :class:`ExchangeWatch` at its deadline.

    Deadlines wait in a heap ordered by ``time.monotonic()``; a closed watch is dropped lazily
    (when it reaches the top, or when closed entries outnumber the live ones).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, ExchangeWatch]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, due: float, watch: ExchangeWatch) -> None:
        """Fire ``watch`` at ``due`` (``time.monotonic()`` seconds) unless it closes first."""
        with self._cond:
            heap = self._heap
            if len(heap) > 64:
                live = [e for e in heap if not e[2].closed]
                if len(live) * 2 < len(heap):
                    heapq.heapify(live)
                    self._heap = heap = live
            heapq.heappush(heap, (due, next(self._seq), watch))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="minimax-cover-deadline",
                                                daemon=True)
                self._thread.start()
            elif heap[0][2] is watch:
                self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                heap = self._heap
                while heap and heap[0][2].closed:
                    heapq.heappop(heap)
                if not heap:  # idle: wait a little, then end (arm() starts a new thread)
                    if not self._cond.wait(_IDLE_EXIT_S) and not self._heap:
                        self._thread = None
                        return
                    continue
                delay = heap[0][0] - time.monotonic()
                if delay > 0:  # at least once a second: closed watches are dropped, and an
                    self._cond.wait(min(delay, _IDLE_EXIT_S))  # idle thread ends
                    continue
                watch = heapq.heappop(heap)[2]
            try:
                watch.fire()
            except Exception:  # noqa: BLE001 - the watchdog must outlive one failed shutdown
                log.debug("deadline watchdog: shutting down %s failed", watch.what,
                          exc_info=True)

    def _after_fork(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap = []
        self._thread = None


_watchdog = _Watchdog()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_watchdog._after_fork)


class ExchangeWatch:
    """One exchange's deadline and rate floor; see the module doc.

    :param timeout: ``total_s``, ``min_rate_bps`` and ``rate_window_s`` are used.
    :param what: names the exchange in error messages (``"answer from https://..."``).
    :param error_class: what :meth:`error` raises (a :class:`DeadlineExceededError`).
    :param clock: monotonic seconds (inject in tests).
    """

    def __init__(self, timeout: Timeout, what: str, *,
                 error_class: type[DeadlineExceededError] = DeadlineExceededError,
                 clock: Any = time.monotonic) -> None:
        self.timeout = timeout
        self.what = what
        self.error_class = error_class
        self._clock = clock
        self.started = clock()
        self.deadline = None if timeout.total_s is None else self.started + timeout.total_s
        self.fired = False
        self.closed = False
        self._lock = threading.Lock()
        self._connections: list[Any] = []
        self._sockets: list[Any] = []
        self._responses: list[Any] = []

    # -- lifecycle (used by exchange()) ---------------------------------------------------

    def start(self) -> None:
        """Arm the (shared) watchdog that shuts the exchange down at the deadline."""
        if self.deadline is not None:
            _watchdog.arm(time.monotonic() + max(0.0, self.deadline - self._clock()), self)

    def close(self) -> None:
        """Disarm the watchdog and forget the sockets (they may serve another exchange now)."""
        with self._lock:
            self.closed = True
            self._connections.clear()
            self._sockets.clear()
            self._responses.clear()

    def fire(self) -> None:
        """The deadline passed: shut down every socket this exchange still owns."""
        with self._lock:
            if self.closed:
                return
            self.fired = True
            sockets = list(self._sockets)
            sockets += [c.sock for c in self._connections
                        if getattr(c, "_mmc_watch", None) is self and c.sock is not None]
            responses = list(self._responses)
        log.info("%s: deadline of %gs passed; closing the connection", self.what,
                 self.timeout.total_s or 0)
        for sock in sockets:
            _shutdown(sock)
        for resp in responses:
            stop = getattr(getattr(resp, "raw", None), "shutdown", None)
            if callable(stop):
                try:
                    stop()
                except Exception:  # noqa: BLE001 - best effort: the socket may be gone
                    pass

    # -- registration (adapter and callers) -----------------------------------------------

    def attach_connection(self, conn: Any) -> None:
        """Watch a connection used by this exchange (called by :class:`WatchedAdapter`)."""
        with self._lock:
            if self.closed:
                return
            conn._mmc_watch = self
            self._connections.append(conn)
            if conn.sock is not None:
                self._sockets.append(conn.sock)

    def attach_response(self, resp: requests.Response) -> None:
        """Watch a response's body phase (works on any session with urllib3 2.3+)."""
        with self._lock:
            if not self.closed:
                self._responses.append(resp)

    # -- checks ---------------------------------------------------------------------------

    def elapsed(self) -> float:
        """Seconds since the exchange started."""
        return self._clock() - self.started

    def expired(self) -> bool:
        """True once the deadline has passed (or the timer fired)."""
        return self.fired or (self.deadline is not None and self._clock() >= self.deadline)

    def error(self, received: int, *, rate: float | None = None, task_uuid: str | None = None,
              ) -> DeadlineExceededError:
        """The error for this exchange: deadline passed, or rate too low if ``rate`` is set."""
        if rate is not None:
            reason = (f"arrived at {rate:.0f} bytes/s, below the minimum of "
                      f"{self.timeout.min_rate_bps:g} bytes/s (Timeout.min_rate_bps)")
        else:
            reason = (f"took longer than its {self.timeout.total_s:g} s deadline "
                      "(Timeout.total_s)")
        return self.error_class(f"{self.what} {reason}; {received} bytes received",
                                received_bytes=received, task_uuid=task_uuid)

    def check(self, received: int, body_started: float, *, task_uuid: str | None = None,
              ) -> None:
        """Raise if the deadline passed or the body (started at ``body_started``) is too slow.

        :param received: body bytes received so far.
        :param body_started: the clock value when the body started.
        :raises DeadlineExceededError: past the deadline, or below the minimum rate.
        """
        if self.expired():
            raise self.error(received, task_uuid=task_uuid)
        floor = self.timeout.min_rate_bps
        if floor is None:
            return
        running = self._clock() - body_started
        if running >= self.timeout.rate_window_s:
            rate = received / running
            if rate < floor:
                raise self.error(received, rate=rate, task_uuid=task_uuid)


@contextmanager
def exchange(timeout: Timeout, what: str, *,
             error_class: type[DeadlineExceededError] = DeadlineExceededError,
             ) -> Iterator[ExchangeWatch]:
    """Watch the HTTP calls made in this block (this thread) with ``timeout``'s deadline.

    Read the whole body inside the block; the watchdog is disarmed when it ends.
    """
    watch = ExchangeWatch(timeout, what, error_class=error_class)
    outer = current_watch()
    _local.watch = watch
    watch.start()
    try:
        yield watch
    finally:
        watch.close()
        _local.watch = outer


# --------------------------------------------------------------------------- adapter


class _WatchedMixin:
    """Registers the connection with the exchange watch of the calling thread."""

    sock: Any

    def request(self, *args: Any, **kwargs: Any) -> Any:
        watch = current_watch()
        if watch is not None:
            watch.attach_connection(self)
        else:
            self._mmc_watch = None
        return super().request(*args, **kwargs)  # type: ignore[misc]

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        watch = getattr(self, "_mmc_watch", None)
        if watch is not None and watch is current_watch():
            watch.attach_connection(self)  # the socket, connected by now
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_WatchedMixin, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedMixin, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class WatchedAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose connections can be shut down by an :class:`ExchangeWatch`.

    Without an active :func:`exchange` it behaves exactly like ``HTTPAdapter``. Proxied
    connections are not watched (their pools are urllib3's own); bodies still are.
    """

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:  # noqa: D102
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


def watch_session(session: requests.Session) -> requests.Session:
    """Mount :class:`WatchedAdapter` for ``http://`` and ``https://`` on ``session``."""
    for prefix in ("https://", "http://"):
        session.mount(prefix, WatchedAdapter())
    return session
