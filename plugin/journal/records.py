"""A journal row, decoded (:class:`JobRecord`), and the statuses a job moves through.

Status lifecycle::

    pending -> submitted -> running -> succeeded -> saved      (saved is never left)
                    \\____________\\___________\\____> failed | unknown
"""

from __future__ import annotations

import dataclasses
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from .rows import load_json

__all__ = [
    "FINAL_STATUSES",
    "RESUMABLE_STATUSES",
    "STATUSES",
    "UNFINISHED_STATUSES",
    "JobRecord",
]

#: Every status a job can have, in lifecycle order.
STATUSES = ("pending", "submitted", "running", "succeeded", "saved", "failed", "unknown")
FINAL_STATUSES = frozenset({"saved", "failed"})
#: Jobs a new identical request may resume instead of paying again.
RESUMABLE_STATUSES = ("pending", "submitted", "running", "succeeded", "unknown")
#: Jobs that were (or may have been) paid for but whose files are not saved yet.
UNFINISHED_STATUSES = ("submitted", "running", "succeeded", "unknown")


@dataclass(frozen=True)
class JobRecord:
    """One row of the journal, decoded: ``request`` is a dict, ``results`` and ``files`` lists.

    ``cost`` is the job's total in the backend's currency (``None`` while unknown);
    ``attempts`` counts the times the job was marked ``submitted`` (first send and resumes);
    ``host_pid`` is the process that last changed the status; ``lease_until`` is a Unix time;
    ``song`` is the song as given (path, URL, UUID, or a label for in-memory audio);
    ``output_dir`` and ``output_stem`` are the planned destination of the files;
    ``seedless_digest`` the job's identity without the seed the client chose for it (``None``
    when the user gave the seed), by which a rerun finds the row and takes its seed again.
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
    song: str | None = None
    output_dir: str | None = None
    output_stem: str | None = None
    seedless_digest: str | None = None

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
    def from_row(cls, row: sqlite3.Row) -> JobRecord:
        keys = row.keys()
        return cls(
            task_uuid=row["task_uuid"],
            request_digest=row["request_digest"],
            backend=row["backend"],
            endpoint=row["endpoint"],
            request=load_json(row["request_json"], {}),
            status=row["status"],
            number_results=int(row["number_results"] or 1),
            results=load_json(row["results_json"], []),
            files=load_json(row["files_json"], []),
            cost=row["cost"],
            error=row["error"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            attempts=int(row["attempts"] or 0),
            host_pid=row["host_pid"],
            lease_owner=row["lease_owner"] if "lease_owner" in keys else None,
            lease_until=row["lease_until"] if "lease_until" in keys else None,
            song=row["song"] if "song" in keys else None,
            output_dir=row["output_dir"] if "output_dir" in keys else None,
            output_stem=row["output_stem"] if "output_stem" in keys else None,
            seedless_digest=row["seedless_digest"] if "seedless_digest" in keys else None,
        )
