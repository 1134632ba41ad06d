"""Picks in the journal (``m022_picks``): which take of a job the user chose.

A pick names a file and, when a journaled job saved it, that job's ``taskUUID``; a job has at
most one pick (picking another take of it replaces the first). ``spend`` receipts and batch
reports read them with :meth:`Picks.for_tasks`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .rows import now_iso

if TYPE_CHECKING:
    from .store import Journal

__all__ = ["Pick", "Picks"]


@dataclass(frozen=True)
class Pick:
    """One pick: the file, its job (if journaled), seed, label and when."""

    file: str
    task_uuid: str | None
    seed: int | None
    label: str | None
    picked_at: str
    via: str = "cli"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"file": self.file, "taskUUID": self.task_uuid, "seed": self.seed,
                "label": self.label, "pickedAt": self.picked_at, "via": self.via}


class Picks:
    """Read and write picks in ``journal``."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def find_job(self, file: str | os.PathLike[str], task_uuid: str | None = None
                 ) -> tuple[str | None, str, int | None]:
        """``(taskUUID, the job's path of the file, its seed)`` of the job that saved ``file``
        (matched by path, else by name, within ``task_uuid`` when given); no job:
        ``(None, file, None)``."""
        path = Path(file)
        name = path.name
        db = self.journal._conn()
        if task_uuid:
            rows = db.execute("SELECT task_uuid, files_json, results_json FROM jobs "
                              "WHERE task_uuid = ?", (task_uuid,)).fetchall()
        else:
            rows = db.execute("SELECT task_uuid, files_json, results_json FROM jobs "
                              "WHERE files_json LIKE ? ORDER BY created_at DESC",
                              (f"%{name}%",)).fetchall()
        exact = os.path.abspath(path) if path.parent != Path() else None
        for row in rows:
            files = json.loads(row["files_json"] or "[]")
            results = json.loads(row["results_json"] or "[]")
            for k, saved in enumerate(files):
                if (exact and os.path.abspath(saved) == exact) or Path(saved).name == name:
                    seed = results[k].get("seed") if k < len(results) and isinstance(
                        results[k], dict) else None
                    return row["task_uuid"], saved, seed
        return None, os.fspath(file), None

    def record(self, file: str | os.PathLike[str], *, task_uuid: str | None = None,
               seed: int | None = None, label: str | None = None, via: str = "cli") -> Pick:
        """Record ``file`` as the pick (of its job, found here when not given)."""
        found, path, found_seed = self.find_job(file, task_uuid)
        task = found or task_uuid
        pick = Pick(file=path, task_uuid=task, seed=seed if seed is not None else found_seed,
                    label=label, picked_at=now_iso(), via=via)
        db = self.journal._conn()
        with self.journal._db.errors():
            db.execute("BEGIN IMMEDIATE")
            try:
                if task:
                    db.execute("DELETE FROM picks WHERE task_uuid = ?", (task,))
                db.execute("INSERT OR REPLACE INTO picks (file, task_uuid, seed, label, "
                           "picked_at, via) VALUES (?, ?, ?, ?, ?, ?)",
                           (pick.file, pick.task_uuid, pick.seed, pick.label, pick.picked_at,
                            pick.via))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return pick

    def for_tasks(self, task_uuids: list[str]) -> dict[str, Pick]:
        """The pick of each of ``task_uuids`` that has one."""
        out: dict[str, Pick] = {}
        db = self.journal._conn()
        for start in range(0, len(task_uuids), 500):
            chunk = task_uuids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in db.execute(f"SELECT * FROM picks WHERE task_uuid IN ({marks})", chunk):
                out[row["task_uuid"]] = _pick(row)
        return out

    def all(self) -> list[Pick]:
        """Every pick, newest first."""
        rows = self.journal._conn().execute("SELECT * FROM picks ORDER BY picked_at DESC")
        return [_pick(row) for row in rows]


def _pick(row: Any) -> Pick:
    return Pick(file=row["file"], task_uuid=row["task_uuid"], seed=row["seed"],
                label=row["label"], picked_at=row["picked_at"], via=row["via"])
