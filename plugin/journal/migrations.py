"""The journal's schema, as ordered, named migration functions (simonw/llm's ``migrations.py``).

Each function takes the connection and changes the schema one step; :func:`migrate` applies, in
list order and in one transaction, those whose names are not yet in the ``_migrations`` table,
so an old file upgrades in place. Never edit or reorder a released migration: append a new one.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

from .rows import now_iso

__all__ = ["MIGRATIONS", "migrate"]

log = logging.getLogger("minimax_cover.journal")

#: Every migration, oldest first; the ``@migration`` decorator appends to it.
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


@migration
def m004_job_origin(db: sqlite3.Connection) -> None:
    """Where a job came from and where it goes: the song as given (path, URL, UUID or a
    ``<bytes>``-style label), and the planned destination (output folder and file stem), so
    ``resume`` and ``jobs`` need not guess."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
    for name in ("song", "output_dir", "output_stem"):
        if name not in columns:
            db.execute(f"ALTER TABLE jobs ADD COLUMN {name} TEXT")


@migration
def m006_spend(db: sqlite3.Connection) -> None:
    """The spending ledger's own rows (:mod:`.ledger`): the price each job was held at when the
    spending guard let it through (before the ``jobs`` row knows a cost), whether it ran on a
    sandbox, and what it cost once done."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS spend (
            task_uuid    TEXT PRIMARY KEY,
            created_at   TEXT NOT NULL,
            estimate_usd REAL,
            actual_usd   REAL,
            sandbox      INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS idx_spend_created_at ON spend (created_at)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_jobs_created_at ON jobs (created_at)")


@migration
def m010_ledger_seedless(db: sqlite3.Connection) -> None:
    """A job's identity without the seed the client chose for it (``NULL`` when the user gave
    the seed), so a rerun of a seedless job finds its planned or submitted row and takes its
    seed and taskUUID again instead of drawing a new seed and paying twice (the ledger,
    :mod:`...jobs.ledger`)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
    if "seedless_digest" not in columns:
        db.execute("ALTER TABLE jobs ADD COLUMN seedless_digest TEXT")
    db.execute("CREATE INDEX IF NOT EXISTS idx_jobs_seedless_digest ON jobs (seedless_digest)")


@migration
def m012_preprocess_cache(db: sqlite3.Connection) -> None:
    """The two-step preprocess cache (:mod:`.handles`): one MiniMax ``cover_feature_id`` per
    song content, model, endpoint and key fingerprint (never the key), with the handle's JSON,
    the song's path and content hash, and when it was made and stops being valid."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS preprocess_cache (
            cache_key    TEXT PRIMARY KEY,
            feature_id   TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            song_path    TEXT,
            endpoint     TEXT NOT NULL,
            model        TEXT NOT NULL,
            handle_json  TEXT NOT NULL,
            created_at   REAL NOT NULL,
            expires_at   REAL NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS idx_preprocess_cache_feature "
               "ON preprocess_cache (feature_id)")


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
                    (fn.__name__, now_iso()),
                )
                done.append(fn.__name__)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    if done:
        log.debug("journal migrations applied: %s", ", ".join(done))
    return done


@migration
def m022_picks(db: sqlite3.Connection) -> None:
    """Picks: the take a user chose (``minimax-cover pick``, from an audition page's picks
    file or a take's path), at most one per job; ``task_uuid`` is ``NULL`` for a file no
    journaled job saved."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS picks (
            file       TEXT PRIMARY KEY,
            task_uuid  TEXT,
            seed       INTEGER,
            label      TEXT,
            picked_at  TEXT NOT NULL,
            via        TEXT NOT NULL DEFAULT 'cli'
        )
        """
    )
    db.execute("CREATE INDEX IF NOT EXISTS idx_picks_task_uuid ON picks (task_uuid)")
