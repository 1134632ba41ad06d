"""The service's jobs: one SQLite row per accepted ``POST /v1/covers``, beside the journal.

The cover job itself lives in the task journal under its ``taskUUID`` (decided here, at
``POST``, before anything is sent); this table holds what the HTTP face adds: the job id, the
``Idempotency-Key`` (unique: a retried ``POST`` finds the same row), the song as stored, the
request, the callback URL, the outcome and its summary. A restarted service reads the rows
left ``queued`` or ``running`` and collects them (see :mod:`.runner`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..redaction import redact

__all__ = ["ACTIVE", "STATUSES", "TERMINAL", "ServiceJob", "ServiceStore"]

#: Every status a service job shows (``GET /v1/covers/{id}``).
STATUSES = ("queued", "running", "succeeded", "failed", "canceled", "unknown", "paid-not-saved")
ACTIVE = ("queued", "running")
TERMINAL = tuple(s for s in STATUSES if s not in ACTIVE)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS service_jobs (
    id              TEXT PRIMARY KEY,
    idempotency_key TEXT UNIQUE,
    body_digest     TEXT NOT NULL,
    status          TEXT NOT NULL,
    task_uuid       TEXT NOT NULL,
    song            TEXT NOT NULL,
    request_json    TEXT NOT NULL,
    output_dir      TEXT NOT NULL,
    callback_url    TEXT,
    summary_json    TEXT,
    error           TEXT,
    created_at      REAL NOT NULL,
    updated_at      REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_service_jobs_status ON service_jobs (status);
"""


@dataclass(frozen=True)
class ServiceJob:
    """One row: ``request`` and ``summary`` decoded (``summary``: files, seeds, cost...)."""

    id: str
    idempotency_key: str | None
    body_digest: str
    status: str
    task_uuid: str
    song: str
    request: dict[str, Any]
    output_dir: str
    callback_url: str | None
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ServiceJob:
        return cls(id=row["id"], idempotency_key=row["idempotency_key"],
                   body_digest=row["body_digest"], status=row["status"],
                   task_uuid=row["task_uuid"], song=row["song"],
                   request=json.loads(row["request_json"]), output_dir=row["output_dir"],
                   callback_url=row["callback_url"],
                   summary=json.loads(row["summary_json"] or "{}"), error=row["error"],
                   created_at=row["created_at"], updated_at=row["updated_at"])


class ServiceStore:
    """The table of service jobs in ``path`` (WAL, one connection per thread).

    :param path: the SQLite file; its folder is created.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[sqlite3.Connection] = []
        db = self._db()
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(_SCHEMA)

    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None,
                                   check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        """Close every connection opened (in any thread)."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()

    def create(self, *, idempotency_key: str | None, body_digest: str, task_uuid: str,
               song: str, request: dict[str, Any], output_root: str,
               callback_url: str | None) -> tuple[ServiceJob, bool]:
        """Add a ``queued`` job whose files go to ``<output_root>/<id>``; ``(job, True)``, or
        ``(the job already holding the idempotency key, False)``."""
        job_id = uuid.uuid4().hex
        output_dir = str(Path(output_root) / job_id)
        now = time.time()
        try:
            self._db().execute(
                "INSERT INTO service_jobs (id, idempotency_key, body_digest, status, task_uuid, "
                "song, request_json, output_dir, callback_url, created_at, updated_at) "
                "VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)",
                (job_id, idempotency_key, body_digest, task_uuid, song,
                 redact(json.dumps(request)), output_dir, callback_url, now, now))
        except sqlite3.IntegrityError:
            existing = self.by_key(idempotency_key) if idempotency_key else None
            if existing is None:
                raise
            return existing, False
        job = self.get(job_id)
        assert job is not None
        return job, True

    def get(self, job_id: str) -> ServiceJob | None:
        """The job ``job_id``, or ``None``."""
        row = self._db().execute("SELECT * FROM service_jobs WHERE id = ?", (job_id,)).fetchone()
        return ServiceJob.from_row(row) if row else None

    def by_key(self, key: str) -> ServiceJob | None:
        """The job created with Idempotency-Key ``key``, or ``None``."""
        row = self._db().execute("SELECT * FROM service_jobs WHERE idempotency_key = ?",
                                 (key,)).fetchone()
        return ServiceJob.from_row(row) if row else None

    def update(self, job_id: str, status: str, *, task_uuid: str | None = None,
               summary: dict[str, Any] | None = None, error: str | None = None,
               only_from: tuple[str, ...] | None = None) -> bool:
        """Set the status (and the outcome); with ``only_from``, only from those statuses.

        :returns: whether the row changed.
        """
        assert status in STATUSES, status
        sets = ["status = ?", "updated_at = ?", "error = ?"]
        params: list[Any] = [status, time.time(), redact(error) if error else None]
        if task_uuid is not None:
            sets.append("task_uuid = ?")
            params.append(task_uuid)
        if summary is not None:
            sets.append("summary_json = ?")
            params.append(redact(json.dumps(summary)))
        sql = f"UPDATE service_jobs SET {', '.join(sets)} WHERE id = ?"
        params.append(job_id)
        if only_from:
            sql += f" AND status IN ({', '.join('?' for _ in only_from)})"
            params.extend(only_from)
        return self._db().execute(sql, params).rowcount > 0

    def active(self) -> list[ServiceJob]:
        """Jobs left ``queued`` or ``running`` (oldest first): what a restart collects."""
        rows = self._db().execute(
            "SELECT * FROM service_jobs WHERE status IN ('queued', 'running') "
            "ORDER BY created_at").fetchall()
        return [ServiceJob.from_row(r) for r in rows]

    def counts(self) -> dict[str, int]:
        """``{status: jobs}``."""
        rows = self._db().execute(
            "SELECT status, COUNT(*) AS n FROM service_jobs GROUP BY status").fetchall()
        return {r["status"]: r["n"] for r in rows}
