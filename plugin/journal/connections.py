"""SQLite connections to one journal file: one per thread, WAL, busy timeout, fork-safe.

Every read-modify-write runs in :meth:`Connections.write`, a ``BEGIN IMMEDIATE`` transaction,
so several processes and threads can share the file; SQLite's errors leave as
:class:`~..errors.JournalError`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import JournalError
from ..redaction import redact

__all__ = ["BUSY_TIMEOUT_S", "Connections"]

#: How long a writer waits for another process's lock before giving up.
BUSY_TIMEOUT_S = 10.0


class Connections:
    """The connections one :class:`~.store.Journal` opened to ``path`` (in any thread).

    :param path: the SQLite file (its folder must exist).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._pid = os.getpid()
        self._closed = False

    def close(self) -> None:
        """Close every connection opened so far (in any thread); later use raises."""
        with self._lock:
            connections, self._connections = self._connections, []
            self._closed = True
        for conn in connections:
            try:
                conn.close()
            except sqlite3.Error:  # pragma: no cover - closing must not fail the caller
                pass
        self._local = threading.local()

    def get(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use; a forked child opens its own).

        :raises JournalError: the connections were closed.
        """
        if os.getpid() != self._pid:  # forked: never reuse the parent's connections
            with self._lock:
                self._pid = os.getpid()
                self._connections = []
            self._local = threading.local()
        if self._closed:
            raise JournalError(f"journal {self.path} is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            str(self.path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            deadline = time.monotonic() + BUSY_TIMEOUT_S
            while True:  # switching a new file to WAL needs a moment of exclusive access
                try:
                    conn.execute("PRAGMA journal_mode = WAL")
                    break
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.01)
            conn.execute("PRAGMA synchronous = FULL")
        except BaseException:
            conn.close()
            raise
        return conn

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Turn any :class:`sqlite3.Error` raised inside into a :class:`JournalError`."""
        try:
            yield
        except sqlite3.Error as exc:
            raise JournalError(f"journal {self.path}: {redact(exc)}") from exc

    @contextmanager
    def write(self, *, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the lock from its first read (no upgrade races).

        ``durable`` commits with ``synchronous=FULL`` (the WAL is fsynced at commit), for the
        rows that must survive a power cut: the job recorded before it is sent, and the mark
        that it was sent. Other updates use ``NORMAL``, which WAL keeps safe against a crashed
        or killed process (a power cut may roll back the newest of them, and a resume redoes
        that work by ``taskUUID``).
        """
        with self.errors():
            conn = self.get()
            conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
