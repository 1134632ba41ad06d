"""Claim-then-submit, atomically: two processes (or two batch workers) never submit one job twice.

A job is claimed by its digest (its song and normalized parameters on one endpoint) in one
``BEGIN IMMEDIATE`` transaction that reads every unsaved row of that digest and either

- answers ``busy``: another live owner holds a lease on one of them (it is being staged,
  submitted or collected right now);
- answers ``resume``: a row was submitted (or may have been) and is not saved: the caller
  collects it by its ``taskUUID`` and never submits;
- answers ``run``: no row was ever sent. The caller gets a ``pending`` row (its own, new, or a
  dead owner's, never sent) under its lease, and submits under that row's ``taskUUID``.

A job whose seed the client chose (the user gave none) is also claimed by its identity without
the seed (``seedless``): a rerun finds the row an earlier run planned or submitted, whatever
seed that run drew, and takes its seed and ``taskUUID`` (``record.request``) instead of
drawing a new seed and paying again. Rows written before that column existed carry the
seedless identity as their digest and are found the same way.

A lease is live while ``lease_until`` is in the future and, when it names a process on this
host, that process still exists: a job whose process was killed can be taken over at once.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from ..redaction import redact
from .records import RESUMABLE_STATUSES, UNFINISHED_STATUSES, JobRecord
from .rows import clean_endpoint, dump_json, now_iso

__all__ = ["LEASE_TTL_S", "Claim", "claim_job", "owner_alive"]

#: How long a claim holds without its owner renewing it (covers a whole sync wait).
LEASE_TTL_S = 1800.0


@dataclass(frozen=True)
class Claim:
    """The answer of :func:`claim_job`: ``action`` (``run``, ``resume``, ``busy``) and the row."""

    action: str
    record: JobRecord


def owner_alive(owner: str | None) -> bool:
    """False only when ``owner`` (``host:pid:thread``) names a process of this host that is gone."""
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return True  # another host: only its lease's expiry tells
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _held_by_other(row: sqlite3.Row, owner: str, now: float) -> bool:
    holder = row["lease_owner"]
    until = row["lease_until"]
    return (bool(holder) and holder != owner and until is not None and until > now
            and owner_alive(holder))


def claim_job(
    db: sqlite3.Connection,
    *,
    digest: str,
    task_uuid: str,
    request: dict[str, Any],
    backend: str,
    endpoint: str,
    number_results: int,
    owner: str,
    ttl_s: float = LEASE_TTL_S,
    seedless: str | None = None,
    also: tuple[str, ...] = (),
) -> Claim:
    """Claim the job ``digest`` for ``owner`` inside the caller's write transaction.

    :param also: other endpoints whose rows count as this job's (the providers a job fails over
        to: a row moved there is resumed there, never submitted again).
    :param task_uuid: the taskUUID a new row gets (a dead owner's pending row keeps its own).
    :param request: the request as it stands (stored until :meth:`~.store.Journal.record`).
    :param seedless: the identity without the client-chosen seed (see the module doc).
    :returns: the :class:`Claim`; ``record`` is the row to resume, run or wait for.
    """
    now = time.time()
    place = clean_endpoint(endpoint)
    marks = ", ".join("?" * len(RESUMABLE_STATUSES))
    if seedless:
        where, keys = ("(request_digest = ? OR seedless_digest = ? OR request_digest = ?)",
                       (digest, seedless, seedless))
    else:
        where, keys = "request_digest = ?", (digest,)
    rows = db.execute(
        f"""SELECT * FROM jobs WHERE {where} AND status IN ({marks})
            ORDER BY created_at DESC, rowid DESC""",
        (*keys, *RESUMABLE_STATUSES),
    ).fetchall()
    places = {place, *(clean_endpoint(e) for e in also)}
    rows = [r for r in rows if r["endpoint"] in places]
    for row in rows:
        if _held_by_other(row, owner, now):
            return Claim("busy", JobRecord.from_row(row))
    unfinished = [r for r in rows if r["status"] in UNFINISHED_STATUSES]
    pending = [r for r in rows if r["status"] == "pending"]
    if unfinished or pending:
        chosen = (unfinished or pending)[0]
        db.execute("UPDATE jobs SET lease_owner = ?, lease_until = ? WHERE task_uuid = ?",
                   (owner, now + ttl_s, chosen["task_uuid"]))
        row = db.execute("SELECT * FROM jobs WHERE task_uuid = ?",
                         (chosen["task_uuid"],)).fetchone()
        return Claim("resume" if unfinished else "run", JobRecord.from_row(row))
    stamp = now_iso()
    db.execute(
        """INSERT INTO jobs (task_uuid, request_digest, backend, endpoint, request_json, status,
               number_results, results_json, files_json, created_at, updated_at, attempts,
               host_pid, lease_owner, lease_until, seedless_digest)
           VALUES (?, ?, ?, ?, ?, 'pending', ?, '[]', '[]', ?, ?, 0, ?, ?, ?, ?)""",
        (task_uuid, redact(digest), redact(backend), place, dump_json(request),
         int(number_results), stamp, stamp, os.getpid(), owner, now + ttl_s,
         redact(seedless) if seedless else None),
    )
    row = db.execute("SELECT * FROM jobs WHERE task_uuid = ?", (task_uuid,)).fetchone()
    return Claim("run", JobRecord.from_row(row))
