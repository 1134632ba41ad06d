"""The task journal: a SQLite file that remembers every task, so a paid result is never lost.

A job is recorded (``pending``) before the first byte is sent, marked ``submitted`` just before
the POST, updated as results arrive, and marked ``saved`` only once the files are written. A
host that dies mid-wait leaves a row a later run can find (:meth:`Journal.find_resumable`,
:meth:`Journal.unfinished`) and collect with ``getResponse`` under the same ``taskUUID``.

Status lifecycle::

    pending -> submitted -> running -> succeeded -> saved      (saved is never left)
                    \\____________\\___________\\____> failed | unknown

The file is ``user_data_dir()/journal.sqlite3`` unless a path is given (``MINIMAX_COVER_DATA_DIR``
moves it). It runs in WAL mode with a busy timeout, one connection per thread, and
``BEGIN IMMEDIATE`` for every read-modify-write, so several processes and threads (ComfyUI
workers, parallel CLI runs) can share it. Schema changes are ordered, named migration functions
(as in simonw/llm ``llm/migrations.py``); the ``_migrations`` table lists those applied, so an
old file upgrades in place. Every text written passes through :func:`.redaction.redact`: no key
or header ever reaches a row.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import JournalError
from ..paths import user_data_dir
from ..redaction import redact

__all__ = [
    "BUSY_TIMEOUT_S",
    "FINAL_STATUSES",
    "JOURNAL_FILENAME",
    "MIGRATIONS",
    "RESUMABLE_STATUSES",
    "STATUSES",
    "UNFINISHED_STATUSES",
    "JobRecord",
    "Journal",
    "JournalError",
    "default_journal_path",
    "default_owner",
    "migrate",
    "request_digest",
]

log = logging.getLogger("minimax_cover.journal")

JOURNAL_FILENAME = "journal.sqlite3"
#: How long a writer waits for another process's lock before giving up.
BUSY_TIMEOUT_S = 10.0

#: Every status a job can have, in lifecycle order.
STATUSES = ("pending", "submitted", "running", "succeeded", "saved", "failed", "unknown")
FINAL_STATUSES = frozenset({"saved", "failed"})
#: Jobs a new identical request may resume instead of paying again.
RESUMABLE_STATUSES = ("pending", "submitted", "running", "succeeded", "unknown")
#: Jobs that were (or may have been) paid for but whose files are not saved yet.
UNFINISHED_STATUSES = ("submitted", "running", "succeeded", "unknown")

# Result fields that carry the audio itself; the journal keeps a note, never the data.
_INLINE_KEYS = frozenset({"audiobase64data", "audiodatauri", "base64data", "datauri"})
_MAX_TEXT_FIELD = 4096


# --------------------------------------------------------------------------- migrations

MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = []
migration = MIGRATIONS.append


@migration
def m001_jobs(db: sqlite3.Connection) -> None:
    """The original ``jobs`` table and its digest index."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS jobs (
            task_uuid      TEXT PRIMARY KEY,
            request_digest TEXT NOT NULL,
            backend        TEXT NOT NULL,
            endpoint       TEXT NOT NULL,
            request_json   TEXT NOT NULL,
            status         TEXT NOT NULL,
            number_results INTEGER NOT NULL DEFAULT 1,
            results_json   TEXT NOT NULL DEFAULT '[]',
            files_json     TEXT NOT NULL DEFAULT '[]',
            cost           REAL,
            error          TEXT,
            created_at     TEXT NOT NULL,
            updated_at     TEXT NOT NULL,
            attempts       INTEGER NOT NULL DEFAULT 0,
            host_pid       INTEGER
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS idx_jobs_request_digest ON jobs (request_digest)")


@migration
def m002_updated_at_index(db: sqlite3.Connection) -> None:
    """Index for listing the most recently touched jobs."""
    db.execute("CREATE INDEX IF NOT EXISTS idx_jobs_updated_at ON jobs (updated_at)")


@migration
def m003_leases(db: sqlite3.Connection) -> None:
    """Lease columns, so two processes never resume the same job at once."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
    if "lease_owner" not in columns:
        db.execute("ALTER TABLE jobs ADD COLUMN lease_owner TEXT")
    if "lease_until" not in columns:
        db.execute("ALTER TABLE jobs ADD COLUMN lease_until REAL")


def _applied(db: sqlite3.Connection) -> set[str]:
    exists = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'"
    ).fetchone()
    if not exists:
        return set()
    return {row[0] for row in db.execute("SELECT name FROM _migrations")}


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply, in order and in one transaction, every migration not yet recorded in ``db``.

    Safe to call from several processes at once: the write lock is taken before the applied
    names are read again. ``db`` must be in autocommit mode (``isolation_level=None``).

    :returns: the names of the migrations applied by this call (empty if the file was current).
    """
    names = [fn.__name__ for fn in MIGRATIONS]
    if set(names) <= _applied(db):  # fast path: no write lock for an up-to-date file
        return []
    done: list[str] = []
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
        )
        applied = _applied(db)
        for fn in MIGRATIONS:
            if fn.__name__ not in applied:
                fn(db)
                db.execute(
                    "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                    (fn.__name__, _now()),
                )
                done.append(fn.__name__)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    if done:
        log.debug("journal migrations applied: %s", ", ".join(done))
    return done


# --------------------------------------------------------------------------- helpers


def default_journal_path() -> Path:
    """``user_data_dir()/journal.sqlite3`` (``MINIMAX_COVER_DATA_DIR`` moves it)."""
    return user_data_dir() / JOURNAL_FILENAME


def default_owner() -> str:
    """A lease owner naming this host, process and thread: ``host:pid:thread``."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def request_digest(request: dict[str, Any]) -> str:
    """The sha256 (hex) of ``request`` as canonical JSON (sorted keys), ``taskUUID`` left out.

    Two requests that differ only in ``taskUUID`` or in key order have the same digest, so a
    repeated request can find the unsaved job it duplicates.
    """
    body = {key: value for key, value in request.items() if key != "taskUUID"}
    return hashlib.sha256(_canonical(body).encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _dump(value: Any) -> str:
    return redact(_canonical(value))


def _load(text: str | None, default: Any) -> Any:
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def _clean_endpoint(endpoint: str) -> str:
    """The base URL without user info, query or fragment, redacted."""
    try:
        parts = urlsplit(endpoint)
    except ValueError:
        return redact(endpoint)
    if not parts.scheme or not parts.netloc:
        return redact(endpoint)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return redact(urlunsplit((parts.scheme, netloc, parts.path, "", "")))


def _looks_inline(value: str) -> bool:
    return value.startswith("data:") or len(value) > _MAX_TEXT_FIELD


def _clean_result(value: Any) -> Any:
    """A result item without inline audio: such fields become ``"inline": true``."""
    if isinstance(value, list):
        return [_clean_result(item) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    inline = False
    for key, item in value.items():
        if isinstance(item, str) and (key.lower() in _INLINE_KEYS or _looks_inline(item)):
            inline = inline or bool(item)
            continue
        out[key] = _clean_result(item)
    if inline:
        out["inline"] = True
    return out


def _merge_results(old: list[Any], new: list[Any]) -> list[Any]:
    """``old`` plus ``new``: items with the same ``audioUUID`` are merged (non-null fields of
    the newer item win); items without one are added unless an identical item is present."""
    merged = [dict(item) if isinstance(item, dict) else item for item in old]
    index = {
        item.get("audioUUID"): i
        for i, item in enumerate(merged)
        if isinstance(item, dict) and item.get("audioUUID")
    }
    seen = {_canonical(item) for item in merged}
    for item in new:
        uuid = item.get("audioUUID") if isinstance(item, dict) else None
        if uuid and uuid in index:
            target = merged[index[uuid]]
            target.update({k: v for k, v in item.items() if v is not None})
        elif _canonical(item) not in seen:
            if uuid:
                index[uuid] = len(merged)
            merged.append(item)
            seen.add(_canonical(item))
    return merged


def _sum_costs(results: list[Any]) -> float | None:
    costs = [item.get("cost") for item in results if isinstance(item, dict)]
    known = [float(c) for c in costs if isinstance(c, (int, float)) and not isinstance(c, bool)]
    return sum(known) if known else None


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class JobRecord:
    """One row of the journal, decoded: ``request`` is a dict, ``results`` and ``files`` lists.

    ``cost`` is the job's total in the backend's currency (``None`` while unknown);
    ``attempts`` counts the times the job was marked ``submitted`` (first send and resumes);
    ``host_pid`` is the process that last changed the status; ``lease_until`` is a Unix time.
    """

    task_uuid: str
    request_digest: str
    backend: str
    endpoint: str
    request: dict[str, Any]
    status: str
    number_results: int
    results: list[dict[str, Any]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    cost: float | None = None
    error: str | None = None
    created_at: str = ""
    updated_at: str = ""
    attempts: int = 0
    host_pid: int | None = None
    lease_owner: str | None = None
    lease_until: float | None = None

    @property
    def final(self) -> bool:
        """True once the job is ``saved`` or ``failed``."""
        return self.status in FINAL_STATUSES

    @property
    def resumable(self) -> bool:
        """True while a run may still collect the job's results."""
        return self.status in RESUMABLE_STATUSES

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy of the record (for CLI output)."""
        return dataclasses.asdict(self)

    @classmethod
    def _from_row(cls, row: sqlite3.Row) -> JobRecord:
        keys = row.keys()
        return cls(
            task_uuid=row["task_uuid"],
            request_digest=row["request_digest"],
            backend=row["backend"],
            endpoint=row["endpoint"],
            request=_load(row["request_json"], {}),
            status=row["status"],
            number_results=int(row["number_results"] or 1),
            results=_load(row["results_json"], []),
            files=_load(row["files_json"], []),
            cost=row["cost"],
            error=row["error"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            attempts=int(row["attempts"] or 0),
            host_pid=row["host_pid"],
            lease_owner=row["lease_owner"] if "lease_owner" in keys else None,
            lease_until=row["lease_until"] if "lease_until" in keys else None,
        )


# --------------------------------------------------------------------------- journal


class Journal:
    """The task journal in one SQLite file; share one instance across threads freely.

    :param path: the file; default :func:`default_journal_path`. Its folder is created.

    Use as a context manager or call :meth:`close`. Errors from SQLite (a file that is not a
    database, a lock held longer than :data:`BUSY_TIMEOUT_S`) become :class:`JournalError`.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_journal_path()
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._pid = os.getpid()
        self._closed = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise JournalError(f"journal folder {self.path.parent}: {exc}") from exc
        try:
            with self._errors():
                migrate(self._conn())
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"Journal(path={str(self.path)!r})"

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every connection this journal opened (in any thread)."""
        with self._lock:
            connections, self._connections = self._connections, []
            self._closed = True
        for conn in connections:
            try:
                conn.close()
            except sqlite3.Error:  # pragma: no cover - closing must not fail the caller
                pass
        self._local = threading.local()

    # -- connections -------------------------------------------------------------------

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

    def _conn(self) -> sqlite3.Connection:
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

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise JournalError(f"journal {self.path}: {redact(exc)}") from exc

    @contextmanager
    def _write(self, *, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the lock from its first read (no upgrade races).

        ``durable`` commits with ``synchronous=FULL`` (the WAL is fsynced at commit), for the
        rows that must survive a power cut: the job recorded before it is sent, and the mark
        that it was sent. Other updates use ``NORMAL``, which WAL keeps safe against a crashed
        or killed process (a power cut may roll back the newest of them, and a resume redoes
        that work by ``taskUUID``).
        """
        with self._errors():
            conn = self._conn()
            conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[JobRecord]:
        with self._errors():
            rows = self._conn().execute(sql, tuple(params)).fetchall()
        return [JobRecord._from_row(row) for row in rows]

    @staticmethod
    def _row(db: sqlite3.Connection, task_uuid: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = db.execute(
            "SELECT * FROM jobs WHERE task_uuid = ?", (task_uuid,)
        ).fetchone()
        return row

    def _require(self, db: sqlite3.Connection, task_uuid: str) -> sqlite3.Row:
        row = self._row(db, task_uuid)
        if row is None:
            raise JournalError(f"task_uuid {task_uuid!r}: not in the journal {self.path}")
        return row

    # -- writing -----------------------------------------------------------------------

    def record(
        self,
        task_uuid: str,
        request: dict[str, Any],
        *,
        backend: str,
        endpoint: str,
        digest: str | None = None,
    ) -> JobRecord:
        """Record a job as ``pending``; call it before the request is sent.

        Recording the same ``task_uuid`` again returns the stored row unchanged.

        :param task_uuid: the task's ``taskUUID``, reused for every retry and poll.
        :param request: the task as it will be sent; stored redacted.
        :param backend: the backend's name (``"runware"``, ``"minimax"``, ``"sandbox"``).
        :param endpoint: the base URL; user info, query and fragment are dropped.
        :param digest: the request digest; default :func:`request_digest` of ``request``.
        :returns: the stored record.
        :raises JournalError: the ``task_uuid`` is stored with a different digest.
        """
        if not isinstance(task_uuid, str) or not task_uuid or redact(task_uuid) != task_uuid:
            raise JournalError(f"task_uuid: must be a non-empty id (got {redact(task_uuid)!r})")
        digest = digest or request_digest(request)
        try:
            number_results = int(request.get("numberResults", 1))
        except (TypeError, ValueError):
            number_results = 1
        now = _now()
        with self._write(durable=True) as db:
            row = self._row(db, task_uuid)
            if row is None:
                db.execute(
                    """INSERT INTO jobs (task_uuid, request_digest, backend, endpoint,
                           request_json, status, number_results, results_json, files_json,
                           created_at, updated_at, attempts, host_pid)
                       VALUES (?, ?, ?, ?, ?, 'pending', ?, '[]', '[]', ?, ?, 0, ?)""",
                    (
                        task_uuid,
                        redact(digest),
                        redact(backend),
                        _clean_endpoint(endpoint),
                        _dump(request),
                        number_results,
                        now,
                        now,
                        os.getpid(),
                    ),
                )
                row = self._require(db, task_uuid)
            elif row["request_digest"] != redact(digest):
                raise JournalError(
                    f"task_uuid {task_uuid!r}: already recorded for a different request"
                )
        return JobRecord._from_row(row)

    def mark(self, task_uuid: str, status: str, *, error: str | None = None) -> None:
        """Set a job's status (and error message).

        ``saved`` is final: leaving it is refused with a warning; leaving ``failed`` is allowed
        with a warning. Moving to ``submitted`` counts an attempt. ``error`` replaces the stored
        message; without one, ``succeeded`` and ``saved`` clear it and other statuses keep it.

        :raises JournalError: unknown ``status`` or ``task_uuid``.
        """
        if status not in STATUSES:
            raise JournalError(f"status: must be one of {', '.join(STATUSES)} (got {status!r})")
        with self._write(durable=status == "submitted") as db:
            row = self._require(db, task_uuid)
            current = row["status"]
            if current == "saved" and status != "saved":
                log.warning("journal: task %s is saved; not moving it to %r", task_uuid, status)
                return
            if current == "failed" and status not in FINAL_STATUSES:
                log.warning("journal: task %s moves from failed back to %r", task_uuid, status)
            if error is not None:
                message: str | None = redact(error)
            elif status in ("succeeded", "saved"):
                message = None
            else:
                message = row["error"]
            db.execute(
                """UPDATE jobs SET status = ?, error = ?, attempts = attempts + ?,
                       host_pid = ?, updated_at = ? WHERE task_uuid = ?""",
                (
                    status,
                    message,
                    1 if status == "submitted" else 0,
                    os.getpid(),
                    _now(),
                    task_uuid,
                ),
            )

    def add_results(
        self, task_uuid: str, results: list[dict[str, Any]], *, cost: float | None = None
    ) -> None:
        """Merge result items into a job as they arrive (idempotent).

        Items with the same ``audioUUID`` are merged; inline audio (``audioBase64Data``,
        ``audioDataURI``, ``data:`` strings) is replaced by ``"inline": true``.

        :param cost: the job's total cost when the backend reports one; otherwise the total is
            the sum of the items' ``cost``, never lowered below a total stored before.
        """
        items = [_clean_result(item) for item in results]
        with self._write() as db:
            row = self._require(db, task_uuid)
            merged = _merge_results(_load(row["results_json"], []), items)
            if cost is not None:
                total: float | None = float(cost)
            else:
                summed = _sum_costs(merged)
                previous = row["cost"]
                total = previous if summed is None else max(summed, previous or 0.0)
            db.execute(
                "UPDATE jobs SET results_json = ?, cost = ?, updated_at = ? WHERE task_uuid = ?",
                (_dump(merged), total, _now(), task_uuid),
            )

    def add_files(self, task_uuid: str, files: list[str]) -> None:
        """Add the paths of files written for a job (duplicates ignored, order kept)."""
        with self._write() as db:
            row = self._require(db, task_uuid)
            stored: list[str] = _load(row["files_json"], [])
            for path in files:
                text = redact(os.fspath(path))
                if text not in stored:
                    stored.append(text)
            db.execute(
                "UPDATE jobs SET files_json = ?, updated_at = ? WHERE task_uuid = ?",
                (_dump(stored), _now(), task_uuid),
            )

    def claim(self, task_uuid: str, owner: str, ttl_s: float) -> bool:
        """Take (or renew) the lease on a job for ``ttl_s`` seconds, atomically.

        Succeeds when the job has no live lease or ``owner`` already holds it, so two
        processes never resume the same job at once. See :func:`default_owner`.

        :returns: True if ``owner`` now holds the lease; False if another owner does or the
            job is not in the journal.
        """
        if not owner:
            raise JournalError("owner: must be a non-empty string")
        if not ttl_s > 0:
            raise JournalError(f"ttl_s: must be > 0 (got {ttl_s!r})")
        owner = redact(owner)
        now = time.time()
        with self._write() as db:
            cursor = db.execute(
                """UPDATE jobs SET lease_owner = ?, lease_until = ?
                   WHERE task_uuid = ? AND (lease_owner IS NULL OR lease_until IS NULL
                         OR lease_until < ? OR lease_owner = ?)""",
                (owner, now + ttl_s, task_uuid, now, owner),
            )
            return cursor.rowcount == 1

    def release(self, task_uuid: str, owner: str) -> bool:
        """Give up ``owner``'s lease on a job; returns False if ``owner`` did not hold it."""
        with self._write() as db:
            cursor = db.execute(
                """UPDATE jobs SET lease_owner = NULL, lease_until = NULL
                   WHERE task_uuid = ? AND lease_owner = ?""",
                (task_uuid, redact(owner)),
            )
            return cursor.rowcount == 1

    # -- reading -----------------------------------------------------------------------

    def get(self, task_uuid: str) -> JobRecord | None:
        """The job recorded under ``task_uuid``, or None."""
        found = self._query("SELECT * FROM jobs WHERE task_uuid = ?", (task_uuid,))
        return found[0] if found else None

    def find_resumable(self, digest: str) -> JobRecord | None:
        """The most recent job with this request digest that is neither saved nor failed."""
        marks = ", ".join("?" * len(RESUMABLE_STATUSES))
        found = self._query(
            f"""SELECT * FROM jobs WHERE request_digest = ? AND status IN ({marks})
                ORDER BY created_at DESC, rowid DESC LIMIT 1""",
            (digest, *RESUMABLE_STATUSES),
        )
        return found[0] if found else None

    def list_jobs(
        self, limit: int | None = 20, status: str | Iterable[str] | None = None
    ) -> list[JobRecord]:
        """The most recently updated jobs, newest first.

        :param limit: at most this many (``None``: all).
        :param status: only jobs with this status (or one of these statuses).
        """
        where, params = "", []
        if status is not None:
            wanted = [status] if isinstance(status, str) else list(status)
            unknown = [s for s in wanted if s not in STATUSES]
            if unknown:
                raise JournalError(
                    f"status: must be one of {', '.join(STATUSES)} (got {unknown[0]!r})"
                )
            where = f"WHERE status IN ({', '.join('?' * len(wanted))})"
            params = wanted
        count = -1 if limit is None else max(int(limit), 0)
        return self._query(
            f"SELECT * FROM jobs {where} ORDER BY updated_at DESC, rowid DESC LIMIT ?",
            (*params, count),
        )

    def unfinished(self) -> list[JobRecord]:
        """Jobs that were (or may have been) paid for but are not saved, newest first.

        That is ``submitted``, ``running``, ``succeeded`` and ``unknown``; ``pending`` jobs
        were never sent and ``failed`` ones are final.
        """
        return self.list_jobs(limit=None, status=UNFINISHED_STATUSES)
