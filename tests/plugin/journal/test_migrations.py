"""Tests for plugin/journal/migrations.py: ordered, named, applied once, old files upgraded."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from minimax_cover.plugin.journal import migrations
from minimax_cover.plugin.journal.migrations import MIGRATIONS, migrate
from minimax_cover.plugin.journal.store import Journal


def test_migrations_are_ordered_named_functions() -> None:
    names = [fn.__name__ for fn in MIGRATIONS]
    assert names == sorted(names) and len(set(names)) == len(names)
    assert all(name[:1] == "m" and name[1:4].isdigit() for name in names)


def test_migrate_applies_each_once_on_a_bare_connection(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "bare.sqlite3", isolation_level=None)
    try:
        assert migrate(db) == [fn.__name__ for fn in MIGRATIONS]
        assert migrate(db) == []
        columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
        assert {"task_uuid", "request_digest", "lease_owner", "lease_until"} <= columns
    finally:
        db.close()


def test_a_failing_migration_rolls_back_and_applies_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def m999_broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("broken migration")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*MIGRATIONS, m999_broken])
    db = sqlite3.connect(tmp_path / "broken.sqlite3", isolation_level=None)
    try:
        with pytest.raises(RuntimeError, match="broken migration"):
            migrate(db)
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "half_done" not in tables and "jobs" not in tables
    finally:
        db.close()


def test_migrations_run_once(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    with Journal(path):
        pass
    conn = sqlite3.connect(path)
    first = conn.execute("SELECT name, applied_at FROM _migrations ORDER BY name").fetchall()
    conn.close()
    assert [n for n, _ in first] == sorted(fn.__name__ for fn in MIGRATIONS)
    with Journal(path) as j:
        assert migrate(j._conn()) == []
    conn = sqlite3.connect(path)
    assert (
        conn.execute("SELECT name, applied_at FROM _migrations ORDER BY name").fetchall() == first
    )
    conn.close()


V1_SCHEMA = """
CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT);
INSERT INTO _migrations VALUES ('m001_jobs', '2026-01-01T00:00:00+00:00');
CREATE TABLE jobs (
    task_uuid TEXT PRIMARY KEY, request_digest TEXT NOT NULL, backend TEXT NOT NULL,
    endpoint TEXT NOT NULL, request_json TEXT NOT NULL, status TEXT NOT NULL,
    number_results INTEGER NOT NULL DEFAULT 1, results_json TEXT NOT NULL DEFAULT '[]',
    files_json TEXT NOT NULL DEFAULT '[]', cost REAL, error TEXT, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, host_pid INTEGER
);
CREATE INDEX idx_jobs_request_digest ON jobs (request_digest);
INSERT INTO jobs (task_uuid, request_digest, backend, endpoint, request_json, status,
    results_json, files_json, created_at, updated_at, attempts, host_pid)
VALUES ('v1-task', 'abc', 'runware', 'https://api.runware.ai/v1', '{"taskUUID":"v1-task"}',
    'unknown', '[{"audioUUID":"r1"}]', '[]', '2026-01-01T00:00:00+00:00',
    '2026-01-01T00:00:00+00:00', 1, 42);
"""


def test_v1_file_upgrades_in_place(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    conn.close()
    with Journal(path) as j:
        rec = j.get("v1-task")
        assert rec is not None and rec.status == "unknown" and rec.results == [{"audioUUID": "r1"}]
        assert rec.lease_owner is None
        assert j.claim("v1-task", "me", 30)
        assert [r.task_uuid for r in j.unfinished()] == ["v1-task"]
        names = [r[0] for r in j._conn().execute("SELECT name FROM _migrations")]
        indexes = {r[1] for r in j._conn().execute("PRAGMA index_list(jobs)")}
    assert sorted(names) == sorted(fn.__name__ for fn in MIGRATIONS)
    assert {"idx_jobs_request_digest", "idx_jobs_updated_at"} <= indexes
