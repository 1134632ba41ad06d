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

_WRITERS: dict[str, threading.Lock] = {}
_WRITERS_GUARD = threading.Lock()


def _writer_lock(path: Path) -> threading.Lock:
    """One lock per journal file in this process: its threads queue for the write lock here
    instead of in SQLite's busy handler, which sleeps in growing steps (up to 100 ms) and made
    the journal the bottleneck of 16 concurrent jobs. Other processes still meet the busy
    timeout."""
    key = os.path.abspath(path)
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(key, threading.Lock())


def _forget_writers() -> None:  # a forked child never inherits a lock held by a parent thread
    global _WRITERS_GUARD
    _WRITERS.clear()
    _WRITERS_GUARD = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_writers)


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
        self._writer = _writer_lock(path)

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
            self._lock = threading.Lock()
            self._writer = _writer_lock(self.path)
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

        Every commit is ``synchronous=NORMAL``, which WAL keeps safe against a crashed or
        killed process. ``durable`` also fsyncs the WAL file after the commit, before
        returning, for the rows that must survive a power cut (the job recorded as sent before
        its POST): outside the write lock, so concurrent jobs' fsyncs overlap (a group commit)
        instead of queueing behind each other. A checkpoint syncs the WAL before it copies
        frames into the database, so frames it already moved are durable too. Without
        ``durable`` a power cut may roll back the newest updates; a resume redoes that work by
        ``taskUUID``.
        """
        with self.errors():
            conn = self.get()
            with self._writer:
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            if durable:
                self._sync_wal()

    def _sync_wal(self) -> None:
        """fsync the WAL file (every commit so far is then on disk)."""
        wal = f"{self.path}-wal"
        try:
            fd = os.open(wal, os.O_RDONLY)
        except FileNotFoundError:  # checkpointed and removed: the database file holds it
            return
        except OSError as exc:
            raise JournalError(f"journal {self.path}: cannot open its WAL: {exc}") from exc
        try:
            os.fsync(fd)
        except OSError as exc:
            raise JournalError(f"journal {self.path}: fsync failed: {exc}") from exc
        finally:
            os.close(fd)
