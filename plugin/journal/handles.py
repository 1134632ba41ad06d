"""The journal as a preprocess cache: MiniMax handles by song content (``m012_preprocess_cache``).

A row is one ``cover_feature_id`` for one song content under one cache key (the song's hash,
the model, the endpoint and a fingerprint of the key, computed above this layer: see
:mod:`..minimax.cache`). The handle itself is stored as the JSON its class writes; this module
only reads and writes rows, it decides nothing about validity.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..redaction import redact

if TYPE_CHECKING:
    import sqlite3

    from .store import Journal

__all__ = ["HandleRow", "HandleStore"]


@dataclass(frozen=True)
class HandleRow:
    """One cached preprocess result.

    :param cache_key: what it is found by (content, model, endpoint, key fingerprint).
    :param feature_id: MiniMax's ``cover_feature_id``.
    :param content_hash: SHA-256 of the song's bytes as sent.
    :param song_path: where the song was read from (``None``: bytes or a URL).
    :param handle: the handle's JSON form (``CoverHandle.to_dict``).
    :param created_at: UNIX time of the preprocess call.
    :param expires_at: UNIX time MiniMax stops knowing ``feature_id``.
    """

    cache_key: str
    feature_id: str
    content_hash: str
    song_path: str | None
    endpoint: str
    model: str
    handle: dict[str, Any]
    created_at: float
    expires_at: float

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> HandleRow:
        """Decode a ``preprocess_cache`` row."""
        try:
            handle = json.loads(row["handle_json"])
        except ValueError:
            handle = {}
        return cls(row["cache_key"], row["feature_id"], row["content_hash"], row["song_path"],
                   row["endpoint"], row["model"], handle if isinstance(handle, dict) else {},
                   float(row["created_at"]), float(row["expires_at"]))


class HandleStore:
    """The ``preprocess_cache`` table of a :class:`~.store.Journal` (same file, connections)."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._db = journal._db

    def get(self, cache_key: str) -> HandleRow | None:
        """The row cached under ``cache_key``, or ``None``."""
        with self._db.errors():
            row = self._db.get().execute(
                "SELECT * FROM preprocess_cache WHERE cache_key = ?", (cache_key,)).fetchone()
        return HandleRow.from_row(row) if row is not None else None

    def by_feature_id(self, feature_id: str) -> HandleRow | None:
        """The newest row holding ``feature_id`` (any key), or ``None``."""
        with self._db.errors():
            row = self._db.get().execute(
                "SELECT * FROM preprocess_cache WHERE feature_id = ? "
                "ORDER BY created_at DESC LIMIT 1", (feature_id.lower(),)).fetchone()
        return HandleRow.from_row(row) if row is not None else None

    def by_content_hash(self, song_hash: str) -> HandleRow | None:
        """The newest row for a song's content (any model, endpoint or key), or ``None``."""
        with self._db.errors():
            row = self._db.get().execute(
                "SELECT * FROM preprocess_cache WHERE content_hash = ? "
                "ORDER BY created_at DESC LIMIT 1", (song_hash,)).fetchone()
        return HandleRow.from_row(row) if row is not None else None

    def put(self, row: HandleRow) -> None:
        """Insert or replace the row under its ``cache_key``."""
        with self._db.write() as db:
            db.execute(
                """INSERT OR REPLACE INTO preprocess_cache
                   (cache_key, feature_id, content_hash, song_path, endpoint, model,
                    handle_json, created_at, expires_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (row.cache_key, row.feature_id.lower(), row.content_hash,
                 redact(row.song_path) if row.song_path else None, redact(row.endpoint),
                 row.model, redact(json.dumps(row.handle)), row.created_at, row.expires_at))

    def drop(self, cache_key: str) -> None:
        """Forget the row under ``cache_key`` (MiniMax no longer knows its handle)."""
        with self._db.write() as db:
            db.execute("DELETE FROM preprocess_cache WHERE cache_key = ?", (cache_key,))
