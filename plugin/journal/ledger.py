"""The journal as a spending ledger: what each job cost, or was held at, within a time window.

Two tables answer "what was spent": ``jobs`` (status, the cost the API reported, results,
files) and ``spend`` (``m006_spend``): the price a job was *held* at when the spending guard let
it through, before anything was sent. :meth:`Ledger.hold` checks a cap and writes the hold in
one ``BEGIN IMMEDIATE`` transaction, so two processes checking the same daily cap at once are
serialized by SQLite: the second sees the first one's hold. :meth:`Ledger.rows` is the read
side (``minimax-cover spend``). What a row *counts* (reported cost, estimate, nothing) is
decided above this layer (:mod:`..money.receipts`); this module only reads and writes rows.

Times are the journal's UTC ISO 8601 strings; a window is ``[since, until)`` in that form.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..redaction import redact
from .records import JobRecord
from .rows import now_iso

if TYPE_CHECKING:
    from .store import Journal

__all__ = ["Ledger", "LedgerRow"]

_OPEN_START, _OPEN_END = "", "\uffff"


@dataclass(frozen=True)
class LedgerRow:
    """One job as the ledger sees it: its ``jobs`` row (if any) and its hold (if any).

    ``status`` is ``None`` for a hold without a ``jobs`` row: a job run without the journal,
    or one stopped between the guard and its record. ``cost`` is the cost the API reported
    (``jobs.cost``, else the cost settled on the hold); ``estimate_usd`` the price it was held
    at; ``sandbox`` whether it ran on a sandbox (``None``: no hold says).
    """

    task_uuid: str
    created_at: str
    status: str | None
    cost: float | None = None
    estimate_usd: float | None = None
    sandbox: bool | None = None
    number_results: int = 1
    backend: str | None = None
    endpoint: str | None = None
    song: str | None = None
    error: str | None = None
    request: dict[str, Any] = field(default_factory=dict)
    results: list[dict[str, Any]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def held(self) -> bool:
        """True when the spending guard held a price for this job."""
        return self.estimate_usd is not None


def _hold_values(row: sqlite3.Row) -> tuple[float | None, float | None, bool | None]:
    keys = row.keys()
    estimate = row["s_estimate"] if "s_estimate" in keys else None
    actual = row["s_actual"] if "s_actual" in keys else None
    sandbox = row["s_sandbox"] if "s_sandbox" in keys else None
    return estimate, actual, None if sandbox is None else bool(sandbox)


def _from_job(row: sqlite3.Row) -> LedgerRow:
    job = JobRecord.from_row(row)
    estimate, actual, sandbox = _hold_values(row)
    return LedgerRow(
        task_uuid=job.task_uuid, created_at=job.created_at, status=job.status,
        cost=job.cost if job.cost is not None else actual, estimate_usd=estimate,
        sandbox=sandbox, number_results=job.number_results, backend=job.backend,
        endpoint=job.endpoint, song=job.song, error=job.error, request=job.request,
        results=job.results, files=job.files)


def _from_hold(row: sqlite3.Row) -> LedgerRow:
    return LedgerRow(task_uuid=row["task_uuid"], created_at=row["created_at"], status=None,
                     cost=row["actual_usd"], estimate_usd=row["estimate_usd"],
                     sandbox=bool(row["sandbox"]))


def _rows(db: sqlite3.Connection, since: str | None, until: str | None) -> list[LedgerRow]:
    window = (since or _OPEN_START, until or _OPEN_END)
    jobs = db.execute(
        """SELECT j.*, s.estimate_usd AS s_estimate, s.actual_usd AS s_actual,
                  s.sandbox AS s_sandbox
           FROM jobs j LEFT JOIN spend s ON s.task_uuid = j.task_uuid
           WHERE j.created_at >= ? AND j.created_at < ?
           ORDER BY j.created_at, j.rowid""", window).fetchall()
    holds = db.execute(
        """SELECT s.* FROM spend s
           WHERE s.created_at >= ? AND s.created_at < ?
             AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.task_uuid = s.task_uuid)
           ORDER BY s.created_at""", window).fetchall()
    out = [_from_job(r) for r in jobs] + [_from_hold(r) for r in holds]
    out.sort(key=lambda r: r.created_at)
    return out


class Ledger:
    """The spending side of a :class:`~.store.Journal` (same file, same connections)."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._db = journal._db

    def rows(self, since: str | None = None, until: str | None = None) -> list[LedgerRow]:
        """Every job created in ``[since, until)`` (UTC ISO strings; ``None``: open), oldest
        first, holds without a ``jobs`` row included."""
        with self._db.errors():
            return _rows(self._db.get(), since, until)

    def hold(self, task_uuid: str, estimate_usd: float, *, sandbox: bool,
             since: str | None, until: str | None,
             check: Callable[[list[LedgerRow]], None]) -> None:
        """Check a cap and hold ``estimate_usd`` for ``task_uuid``, atomically.

        In one write transaction: read the rows of ``[since, until)``, call ``check(rows)``
        (which raises to refuse; nothing is written then), and record the hold. A task held
        before keeps its first hold.
        """
        with self._db.write() as db:  # WAL keeps it across a crashed process
            check(_rows(db, since, until))
            db.execute(
                """INSERT OR IGNORE INTO spend (task_uuid, created_at, estimate_usd, sandbox)
                   VALUES (?, ?, ?, ?)""",
                (redact(task_uuid), now_iso(), float(estimate_usd), 1 if sandbox else 0))

    def note_sandbox(self, task_uuid: str, estimate_usd: float) -> None:
        """Record that ``task_uuid`` runs on the built-in sandbox (a hold marked sandbox, no
        cap checked): only such a row is free in receipts and caps."""
        with self._db.write() as db:
            db.execute(
                """INSERT OR IGNORE INTO spend (task_uuid, created_at, estimate_usd, sandbox)
                   VALUES (?, ?, ?, 1)""", (redact(task_uuid), now_iso(), float(estimate_usd)))

    def settle(self, task_uuid: str, cost_usd: float | None) -> None:
        """Record what a held job cost once it is done (kept for jobs without a ``jobs`` row)."""
        if cost_usd is None:
            return
        with self._db.write() as db:
            db.execute("UPDATE spend SET actual_usd = ? WHERE task_uuid = ?",
                       (float(cost_usd), task_uuid))
