"""The task journal: a SQLite file that remembers every task, so a paid result is never lost.

A job is recorded (``pending``) before the first byte is sent, marked ``submitted`` just before
the POST, updated as results arrive, and marked ``saved`` only once the files are written. A
host that dies mid-wait leaves a row a later run can find (:meth:`Journal.find_resumable`,
:meth:`Journal.unfinished`) and collect with ``getResponse`` under the same ``taskUUID``. The
statuses and the decoded row are in :mod:`.records`, the schema in :mod:`.migrations`, the
encoding of each value in :mod:`.rows`.

The file is ``user_data_dir()/journal.sqlite3`` unless a path is given (``MINIMAX_COVER_DATA_DIR``
moves it). It runs in WAL mode with a busy timeout, one connection per thread, and
``BEGIN IMMEDIATE`` for every read-modify-write, so several processes and threads (ComfyUI
workers, parallel CLI runs) can share it. Every text written passes through
:func:`.redaction.redact`: no key or header ever reaches a row.

Leases (:meth:`Journal.claim`, :meth:`Journal.release`) are the primitive for making
claim-then-submit atomic across processes: a process takes the lease on a job before it
submits or resumes it, so two hosts never work on the same ``taskUUID`` at once. No job runner
takes them yet; they are kept, tested and migrated (``m003_leases``) for that.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import JournalError
from ..paths import user_data_dir
from ..redaction import redact
from .connections import BUSY_TIMEOUT_S, Connections
from .migrations import MIGRATIONS, migrate
from .records import (
    FINAL_STATUSES,
    RESUMABLE_STATUSES,
    STATUSES,
    UNFINISHED_STATUSES,
    JobRecord,
)
from .rows import (
    clean_endpoint,
    clean_result,
    dump_json,
    load_json,
    merge_results,
    now_iso,
    request_digest,
    sum_costs,
)

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


def default_journal_path() -> Path:
    """``user_data_dir()/journal.sqlite3`` (``MINIMAX_COVER_DATA_DIR`` moves it)."""
    return user_data_dir() / JOURNAL_FILENAME


def default_owner() -> str:
    """A lease owner naming this host, process and thread: ``host:pid:thread``."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


# --------------------------------------------------------------------------- journal


class Journal:
    """The task journal in one SQLite file; share one instance across threads freely.

    :param path: the file; default :func:`default_journal_path`. Its folder is created.

    Use as a context manager or call :meth:`close`. Errors from SQLite (a file that is not a
    database, a lock held longer than :data:`BUSY_TIMEOUT_S`) become :class:`JournalError`.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_journal_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise JournalError(f"journal folder {self.path.parent}: {exc}") from exc
        self._db = Connections(self.path)
        try:
            with self._db.errors():
                migrate(self._db.get())
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
        self._db.close()

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection (for tests and maintenance)."""
        return self._db.get()

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[JobRecord]:
        with self._db.errors():
            rows = self._db.get().execute(sql, tuple(params)).fetchall()
        return [JobRecord.from_row(row) for row in rows]

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
        number_results: int | None = None,
    ) -> JobRecord:
        """Record a job as ``pending``; call it before the request is sent.

        Recording the same ``task_uuid`` again returns the stored row unchanged.

        :param task_uuid: the task's ``taskUUID``, reused for every retry and poll.
        :param request: the task as it will be sent; stored redacted.
        :param backend: the backend's name (``"runware"``, ``"minimax"``, ``"sandbox"``).
        :param endpoint: the base URL; user info, query and fragment are dropped.
        :param digest: the request digest; default :func:`request_digest` of ``request``.
        :param number_results: the results the task asks for (the pipeline passes the spec's
            value); default: the request's ``numberResults``, else one.
        :returns: the stored record.
        :raises JournalError: the ``task_uuid`` is stored with a different digest.
        """
        if not isinstance(task_uuid, str) or not task_uuid or redact(task_uuid) != task_uuid:
            raise JournalError(f"task_uuid: must be a non-empty id (got {redact(task_uuid)!r})")
        digest = digest or request_digest(request)
        if number_results is None:  # the journal sits below the spec: no defaults known here
            try:
                number_results = int(request["numberResults"])
            except (KeyError, TypeError, ValueError):
                number_results = 1
        now = now_iso()
        with self._db.write(durable=True) as db:
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
                        clean_endpoint(endpoint),
                        dump_json(request),
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
        return JobRecord.from_row(row)

    def mark(self, task_uuid: str, status: str, *, error: str | None = None) -> None:
        """Set a job's status (and error message).

        ``saved`` is final: leaving it is refused with a warning; leaving ``failed`` is allowed
        with a warning. Moving to ``submitted`` counts an attempt. ``error`` replaces the stored
        message; without one, ``succeeded`` and ``saved`` clear it and other statuses keep it.

        :raises JournalError: unknown ``status`` or ``task_uuid``.
        """
        if status not in STATUSES:
            raise JournalError(f"status: must be one of {', '.join(STATUSES)} (got {status!r})")
        with self._db.write(durable=status == "submitted") as db:
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
                    now_iso(),
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
        items = [clean_result(item) for item in results]
        with self._db.write() as db:
            row = self._require(db, task_uuid)
            merged = merge_results(load_json(row["results_json"], []), items)
            if cost is not None:
                total: float | None = float(cost)
            else:
                summed = sum_costs(merged)
                previous = row["cost"]
                total = previous if summed is None else max(summed, previous or 0.0)
            db.execute(
                "UPDATE jobs SET results_json = ?, cost = ?, updated_at = ? WHERE task_uuid = ?",
                (dump_json(merged), total, now_iso(), task_uuid),
            )

    def add_files(self, task_uuid: str, files: list[str]) -> None:
        """Add the paths of files written for a job (duplicates ignored, order kept)."""
        with self._db.write() as db:
            row = self._require(db, task_uuid)
            stored: list[str] = load_json(row["files_json"], [])
            for path in files:
                text = redact(os.fspath(path))
                if text not in stored:
                    stored.append(text)
            db.execute(
                "UPDATE jobs SET files_json = ?, updated_at = ? WHERE task_uuid = ?",
                (dump_json(stored), now_iso(), task_uuid),
            )

    def claim(self, task_uuid: str, owner: str, ttl_s: float) -> bool:
        """Take (or renew) the lease on a job for ``ttl_s`` seconds, atomically.

        Succeeds when the job has no live lease or ``owner`` already holds it, so two
        processes never resume the same job at once. This is the primitive for an atomic
        claim-then-submit: take the lease, submit or resume, renew it while waiting, then
        :meth:`release` it. No job runner calls it yet. See :func:`default_owner`.

        :returns: True if ``owner`` now holds the lease; False if another owner does or the
            job is not in the journal.
        """
        if not owner:
            raise JournalError("owner: must be a non-empty string")
        if not ttl_s > 0:
            raise JournalError(f"ttl_s: must be > 0 (got {ttl_s!r})")
        owner = redact(owner)
        now = time.time()
        with self._db.write() as db:
            cursor = db.execute(
                """UPDATE jobs SET lease_owner = ?, lease_until = ?
                   WHERE task_uuid = ? AND (lease_owner IS NULL OR lease_until IS NULL
                         OR lease_until < ? OR lease_owner = ?)""",
                (owner, now + ttl_s, task_uuid, now, owner),
            )
            return cursor.rowcount == 1

    def release(self, task_uuid: str, owner: str) -> bool:
        """Give up ``owner``'s lease on a job; returns False if ``owner`` did not hold it."""
        with self._db.write() as db:
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
