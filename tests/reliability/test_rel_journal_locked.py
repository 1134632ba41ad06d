"""A journal locked mid-save (issue 21, item 10): the rerun recognises the file, no duplicate.

The job's file is written, then another connection holds the SQLite file's write lock, so the
journal cannot learn of the file: the job fails with "database is locked" and its row stays
unsaved. The same job run again collects the task by ``taskUUID``, finds the very same file
(same content) at its planned path and marks the job saved: no ``cover_X-1.mp3``, no second
submit.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.errors import JournalError
from minimax_cover.plugin.hooks.registry import get_registry
from minimax_cover.plugin.jobs.pipeline import cover
from minimax_cover.plugin.journal import connections
from minimax_cover.plugin.journal.store import Journal
from rel_support import PROMPT, fast_options


class _LockAfterSave:
    """The sandbox's backend, whose ``fetch`` locks the journal from another connection once
    the file is written (the lock is held until :meth:`unlock`)."""

    def __init__(self, inner: Any, journal_path: Path) -> None:
        self._inner = inner
        self._path = journal_path
        self.locker: sqlite3.Connection | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def fetch(self, result: Any, dest: Path, *, expected_format: str) -> Path:
        path = self._inner.fetch(result, dest, expected_format=expected_format)
        self.locker = sqlite3.connect(self._path, isolation_level=None)
        self.locker.execute("BEGIN EXCLUSIVE")
        return path

    def unlock(self) -> None:
        assert self.locker is not None, "the file was never saved"
        self.locker.execute("ROLLBACK")
        self.locker.close()


def test_a_save_the_journal_missed_is_recognised_on_the_next_run(
        song: Path, tmp_path: Path, make_sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connections, "BUSY_TIMEOUT_S", 0.3)
    sb = make_sandbox()
    out = tmp_path / "out"
    path = tmp_path / "j.sqlite3"
    registry = get_registry()
    with Journal(path) as journal:
        locking = _LockAfterSave(registry.backend("runware", **fast_options(sb)), path)
        with pytest.raises(JournalError, match="locked"):
            cover(song, prompt=PROMPT, seed=11, output_dir=out, backend=locking,
                  journal=journal)
        locking.unlock()
        locking.close()
        first = list(out.glob("*.mp3"))
        assert len(first) == 1  # the file was written
        (row,) = journal.list_jobs(limit=None)
        assert row.status != "saved" and not row.files  # the journal never learned of it

        again = cover(song, prompt=PROMPT, seed=11, output_dir=out, backend="runware",
                      backend_options=fast_options(sb), journal=journal)
        assert again.resumed and again.task_uuid == row.task_uuid
        assert again.files == first  # the same file: no cover_X-1.mp3
        assert sorted(out.glob("*.mp3")) == first
        assert not any("instead" in w for w in again.warnings)
        saved = journal.get(row.task_uuid)
        assert saved.status == "saved" and saved.files == [str(first[0])]
    assert sb.submissions() == 1
