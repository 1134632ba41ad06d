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

Claim-then-submit is atomic across processes and threads (:meth:`Journal.claim_job`, see
:mod:`.claims`): a job is claimed by its digest, under a lease, before anything is staged or
sent, so two identical commands started together never pay twice; :meth:`Journal.claim` and
:meth:`Journal.release` take and give up the lease on one ``taskUUID``.

Each job writes few transactions: the claim, the record as ``submitted`` right before the POST
(the only one synced to disk), one per saved result (item and file together) and
:meth:`Journal.finish`. Threads of one process queue for the write lock in Python, not in
SQLite's busy handler (see :mod:`.connections`).
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
from .claims import LEASE_TTL_S, Claim, claim_job, owner_alive
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
    clean_song,
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
    "LEASE_TTL_S",
    "JOURNAL_FILENAME",
    "MIGRATIONS",
    "RESUMABLE_STATUSES",
    "STATUSES",
    "UNFINISHED_STATUSES",
    "Claim",
    "JobRecord",
    "Journal",
    "JournalError",
    "default_journal_path",
    "default_owner",
    "migrate",
    "owner_alive",
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
        status: str = "pending",
        song: str | None = None,
        output_dir: str | os.PathLike[str] | None = None,
        output_stem: str | None = None,
        seedless: str | None = None,
    ) -> JobRecord:
        """Record a job as ``pending`` (or ``submitted``); call it before the request is sent.

        Recording the same ``task_uuid`` again returns the stored row unchanged, except a
        ``pending`` row (a claim, never sent): it takes the final request, its digest, and
        ``status``.

        :param task_uuid: the task's ``taskUUID``, reused for every retry and poll.
        :param request: the task as it will be sent; stored redacted.
        :param backend: the backend's name (``"runware"``, ``"minimax"``, ``"sandbox"``).
        :param endpoint: the base URL; user info, query and fragment are dropped.
        :param digest: the request digest; default :func:`request_digest` of ``request``.
        :param number_results: the results the task asks for (the pipeline passes the spec's
            value); default: the request's ``numberResults``, else one.
        :param status: ``submitted`` records the job as sent in the same durable transaction
            (one fsync where :meth:`mark` would add a second), counting an attempt.
        :param song: the song as given (a path, URL or UUID; a URL loses its query string).
        :param output_dir: the folder the files are planned to go to (``resume`` uses it).
        :param output_stem: the planned file name stem (``None``: the default naming).
        :param seedless: the identity without the client-chosen seed (see :mod:`.claims`),
            stored when the row is new.
        :returns: the stored record.
        :raises JournalError: the ``task_uuid`` was sent before with a different digest.
        """
        if status not in ("pending", "submitted"):
            raise JournalError(f"status: must be pending or submitted (got {status!r})")
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
            fresh = row is None or row["status"] == "pending"
            if row is None:
                db.execute(
                    """INSERT INTO jobs (task_uuid, request_digest, backend, endpoint,
                           request_json, status, number_results, results_json, files_json,
                           created_at, updated_at, attempts, host_pid, seedless_digest)
                       VALUES (?, ?, ?, ?, ?, ?, ?, '[]', '[]', ?, ?, ?, ?, ?)""",
                    (
                        task_uuid,
                        redact(digest),
                        redact(backend),
                        clean_endpoint(endpoint),
                        dump_json(request),
                        status,
                        number_results,
                        now,
                        now,
                        1 if status == "submitted" else 0,
                        os.getpid(),
                        redact(seedless) if seedless else None,
                    ),
                )
                row = self._require(db, task_uuid)
            elif row["status"] == "pending":  # a claim: the request (and identity) as sent
                db.execute(
                    """UPDATE jobs SET request_json = ?, request_digest = ?,
                           number_results = ?, status = ?, attempts = attempts + ?,
                           host_pid = ?, updated_at = ? WHERE task_uuid = ?""",
                    (dump_json(request), redact(digest), number_results, status,
                     1 if status == "submitted" else 0, os.getpid(), now, task_uuid),
                )
                row = self._require(db, task_uuid)
            elif row["request_digest"] != redact(digest):
                raise JournalError(
                    f"task_uuid {task_uuid!r}: already recorded for a different request"
                )
            if fresh and (song, output_dir, output_stem) != (None, None, None):
                db.execute(
                    "UPDATE jobs SET song = ?, output_dir = ?, output_stem = ? WHERE task_uuid = ?",
                    (clean_song(song), redact(os.fspath(output_dir)) if output_dir else None,
                     redact(output_stem) if output_stem else None, task_uuid),
                )
                row = self._require(db, task_uuid)
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
        self,
        task_uuid: str,
        results: list[dict[str, Any]],
        *,
        cost: float | None = None,
        files: Iterable[str | os.PathLike[str]] = (),
        status: str | None = None,
    ) -> None:
        """Merge result items (and the files saved for them) into a job (idempotent).

        Items with the same ``audioUUID`` are merged; inline audio (``audioBase64Data``,
        ``audioDataURI``, ``data:`` strings) is replaced by ``"inline": true``.

        :param cost: the job's total cost when the backend reports one; otherwise the total is
            the sum of the items' ``cost``, never lowered below a total stored before.
        :param files: paths written for these results, added as :meth:`add_files` does, in
            the same transaction.
        :param status: also move an unsaved job (``submitted``, ``running``, ``unknown``) to
            this status (``succeeded``: results collected); final rows keep theirs.
        """
        if status is not None and status not in STATUSES:
            raise JournalError(f"status: must be one of {', '.join(STATUSES)} (got {status!r})")
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
            moved = row["status"]
            if status is not None and moved in ("submitted", "running", "unknown"):
                moved = status
            db.execute(
                """UPDATE jobs SET results_json = ?, cost = ?, files_json = ?, status = ?,
                       updated_at = ? WHERE task_uuid = ?""",
                (dump_json(merged), total, self._merged_files(row, files), moved, now_iso(),
                 task_uuid),
            )

    @staticmethod
    def _merged_files(row: sqlite3.Row, files: Iterable[str | os.PathLike[str]]) -> str:
        stored: list[str] = load_json(row["files_json"], [])
        for path in files:
            text = redact(os.fspath(path))
            if text not in stored:
                stored.append(text)
        return dump_json(stored)

    def add_files(self, task_uuid: str, files: list[str]) -> None:
        """Add the paths of files written for a job (duplicates ignored, order kept)."""
        with self._db.write() as db:
            row = self._require(db, task_uuid)
            db.execute(
                "UPDATE jobs SET files_json = ?, updated_at = ? WHERE task_uuid = ?",
                (self._merged_files(row, files), now_iso(), task_uuid),
            )

    def finish(self, task_uuid: str, *, cost: float | None = None,
               owner: str | None = None) -> None:
        """Mark a job ``saved`` (its files are written), set its total cost, end its lease.

        One transaction for what :meth:`add_results` (cost) and :meth:`mark` (``saved``) and
        :meth:`release` would do in three.

        :param cost: the job's total when the backend reports one (else the stored total).
        :param owner: the lease holder; any lease is ended when ``None``.
        """
        with self._db.write() as db:
            row = self._require(db, task_uuid)
            if row["status"] == "failed":
                log.warning("journal: task %s moves from failed back to 'saved'", task_uuid)
            lease = row["lease_owner"]
            keep = lease is not None and owner is not None and lease != redact(owner)
            db.execute(
                """UPDATE jobs SET status = 'saved', error = NULL, cost = ?, host_pid = ?,
                       updated_at = ?, lease_owner = ?, lease_until = ?
                   WHERE task_uuid = ?""",
                (float(cost) if cost is not None else row["cost"], os.getpid(), now_iso(),
                 lease if keep else None, row["lease_until"] if keep else None, task_uuid),
            )

    def claim_job(
        self,
        digest: str,
        task_uuid: str,
        request: dict[str, Any],
        *,
        backend: str,
        endpoint: str,
        number_results: int = 1,
        owner: str | None = None,
        ttl_s: float = LEASE_TTL_S,
        seedless: str | None = None,
        also: tuple[str, ...] = (),
    ) -> Claim:
        """Claim the job ``digest`` before anything is staged or sent, atomically.

        :param also: other endpoints whose rows are this job's (failover providers).
        :param seedless: the job's identity without the seed the client chose for it: an
            unsaved row planned under it is claimed whatever its seed (see :mod:`.claims`).
        :returns: a :class:`~.claims.Claim`: ``run`` (submit under ``record.task_uuid``),
            ``resume`` (collect ``record.task_uuid``, never submit) or ``busy`` (another live
            process holds it); the lease is ``owner``'s for the first two.
        """
        if not owner:
            owner = default_owner()
        with self._db.write() as db:
            return claim_job(db, digest=redact(digest), task_uuid=task_uuid, request=request,
                             backend=backend, endpoint=endpoint,
                             number_results=int(number_results), owner=redact(owner),
                             ttl_s=ttl_s, seedless=seedless, also=tuple(also))

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

    # -- forgetting --------------------------------------------------------------------

    def forget(self, task_uuid: str, *, force: bool = False) -> JobRecord:
        """Delete one job's row (its files stay); returns the row as it was.

        :param force: also forget a job that may have been paid for but is not saved (it can
            then no longer be resumed).
        :raises JournalError: the job is unknown, or unfinished without ``force``.
        """
        with self._db.write() as db:
            record = JobRecord.from_row(self._require(db, task_uuid))
            if record.status in UNFINISHED_STATUSES and not force:
                raise JournalError(
                    f"task {task_uuid} is {record.status}: it may have been paid for and is "
                    "not saved; resume it first (or forget it anyway with force)")
            db.execute("DELETE FROM jobs WHERE task_uuid = ?", (task_uuid,))
        return record

    def prune(self, statuses: Iterable[str], *, before: str) -> list[str]:
        """Delete the jobs with one of ``statuses`` last updated before ``before``.

        :param statuses: among ``saved``, ``failed`` and ``pending`` (never sent); unfinished
            statuses are refused (those jobs may still be collected).
        :param before: an ISO 8601 UTC time or date (compared with ``updated_at``).
        :returns: the taskUUIDs forgotten.
        :raises JournalError: an unknown or unfinished status.
        """
        wanted = list(dict.fromkeys(statuses))
        bad = [s for s in wanted if s not in ("saved", "failed", "pending")]
        if bad or not wanted:
            raise JournalError(f"status: prune takes saved, failed or pending (got "
                               f"{bad[0] if bad else 'none'!r})")
        marks = ", ".join("?" * len(wanted))
        with self._db.write() as db:
            rows = db.execute(
                f"SELECT task_uuid FROM jobs WHERE status IN ({marks}) AND updated_at < ?",
                (*wanted, before)).fetchall()
            gone = [row[0] for row in rows]
            db.execute(f"DELETE FROM jobs WHERE status IN ({marks}) AND updated_at < ?",
                       (*wanted, before))
        return gone

    # -- reading -----------------------------------------------------------------------

    def get(self, task_uuid: str) -> JobRecord | None:
        """The job recorded under ``task_uuid``, or None."""
        found = self._query("SELECT * FROM jobs WHERE task_uuid = ?", (task_uuid,))
        return found[0] if found else None

    def find_digests(self, digests: Iterable[str]) -> dict[str, list[JobRecord]]:
        """Every job recorded under each of ``digests`` (its digest, or its identity without
        the client-chosen seed: ``seedless_digest``), most recently updated first."""
        wanted = list(dict.fromkeys(digests))
        found: dict[str, list[JobRecord]] = {d: [] for d in wanted}
        for start in range(0, len(wanted), 400):
            chunk = wanted[start:start + 400]
            marks = ", ".join("?" * len(chunk))
            for record in self._query(
                f"""SELECT * FROM jobs WHERE request_digest IN ({marks})
                        OR seedless_digest IN ({marks})
                    ORDER BY updated_at DESC, rowid DESC""", (*chunk, *chunk)):
                for key in dict.fromkeys((record.request_digest, record.seedless_digest)):
                    if key in found:
                        found[key].append(record)
        return found

    def find_saved(self, digest: str) -> JobRecord | None:
        """The most recently saved job with exactly this digest (for reuse), or None."""
        found = self._query(
            """SELECT * FROM jobs WHERE request_digest = ? AND status = 'saved'
               ORDER BY updated_at DESC, rowid DESC LIMIT 1""", (digest,))
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
