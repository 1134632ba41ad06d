"""The preprocess cache: one live MiniMax handle per song, reused instead of asking again.

A ``cover_feature_id`` lasts 24 hours. Preprocessing the same song again (a second
``preprocess``, a two-step cover of the song, the Preprocess node after a restart) reuses the
handle cached in the journal (:mod:`..journal.handles`) while more than the refresh margin
remains (``MINIMAX_COVER_PREPROCESS_REFRESH_MIN``, else ``preprocess_refresh_minutes`` in
``config.json``, else 30 minutes); ``fresh=True`` (``--fresh``, the node's toggle) asks anew.

The cache key is the SHA-256 of the song's bytes, the model, the endpoint and a fingerprint of
the key (:attr:`MiniMaxClient.key_fingerprint`), never the key itself. A handle records the
song's path and content hash, so :func:`song_at_hand` can tell whether an expired or unknown
handle can be made again from the same file.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import logging
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import read_setting
from ..errors import JournalError, SpecValidationError, Violation
from .handle import CoverHandle

if TYPE_CHECKING:
    from ..journal.handles import HandleStore

__all__ = [
    "REFRESH_ENV",
    "PreprocessCache",
    "cache_key",
    "content_hash",
    "describe_reuse",
    "forget_handles",
    "known_handle",
    "note_handle",
    "refresh_margin_s",
    "song_at_hand",
    "song_sections",
]

log = logging.getLogger("minimax_cover.minimax")

REFRESH_ENV = "MINIMAX_COVER_PREPROCESS_REFRESH_MIN"
REFRESH_KEY = "preprocess_refresh_minutes"
DEFAULT_REFRESH_MIN = 30.0

#: Handles this process has seen (a ``--preprocess`` file, a node's socket), by feature id.
_SEEN: dict[str, CoverHandle] = {}


def content_hash(data: bytes) -> str:
    """SHA-256 hex of the song's bytes."""
    return hashlib.sha256(bytes(data)).hexdigest()


def cache_key(song_hash: str, model: str, endpoint: str, key_fingerprint: str) -> str:
    """The cache key of a song under a model, endpoint and key (fingerprinted)."""
    text = "\0".join((song_hash, model, endpoint.rstrip("/").lower(), key_fingerprint))
    return hashlib.sha256(text.encode()).hexdigest()


def refresh_margin_s(minutes: float | None = None) -> float:
    """Seconds a cached handle must still have to be reused (default 30 minutes).

    :raises SpecValidationError: the setting is not a number from 0 to 1440.
    """
    raw = minutes if minutes is not None else read_setting(REFRESH_KEY, REFRESH_ENV)
    if raw is None or raw == "":
        return DEFAULT_REFRESH_MIN * 60
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = -1.0
    if not 0 <= value <= 1440:
        raise SpecValidationError([Violation(REFRESH_ENV, "must be minutes from 0 to 1440",
                                             str(raw))])
    return value * 60


def _clock(ts: float, now: float) -> str:
    when = _dt.datetime.fromtimestamp(ts)
    today = _dt.datetime.fromtimestamp(now).date()
    day = {today: "", today + _dt.timedelta(days=1): "tomorrow ",
           today - _dt.timedelta(days=1): "yesterday "}.get(when.date(),
                                                            when.strftime("%Y-%m-%d "))
    return f"{day}{when:%H:%M}"


def describe_reuse(handle: CoverHandle, now: float | None = None) -> str:
    """``reused handle from 09:14, valid until tomorrow 09:14`` (local time)."""
    now = time.time() if now is None else now
    return (f"reused handle from {_clock(handle.created_at, now)}, valid until "
            f"{_clock(handle.expires_at, now)}")


def song_at_hand(handle: CoverHandle) -> bytes | None:
    """The song's bytes when the handle's recorded path still holds the same content."""
    if not handle.song_path or not handle.content_hash:
        return None
    try:
        data = Path(handle.song_path).read_bytes()
    except OSError:
        return None
    return data if content_hash(data) == handle.content_hash else None


def note_handle(handle: CoverHandle) -> None:
    """Remember a handle this process was given (a handle file, a node's socket)."""
    _SEEN[handle.feature_id.lower()] = handle


def forget_handles() -> None:
    """Forget the handles this process was given and close the cache's journals (tests, a
    host resetting its state)."""
    _SEEN.clear()
    with _JOURNALS_LOCK:
        for journal in _JOURNALS.values():
            journal.close()
        _JOURNALS.clear()


def known_handle(feature_id: str) -> CoverHandle | None:
    """A handle this process was given, else the newest cached one, for ``feature_id``."""
    fid = feature_id.lower()
    if fid in _SEEN:
        return _SEEN[fid]
    return PreprocessCache().by_feature_id(fid)


_JOURNALS: dict[str, Any] = {}
_JOURNALS_LOCK = threading.Lock()


def _default_journal() -> Any:
    """One open journal per file for the process (a Journal is shared across threads)."""
    from ..journal.store import Journal, default_journal_path

    path = str(default_journal_path())
    with _JOURNALS_LOCK:
        journal = _JOURNALS.get(path)
        if journal is None:
            journal = _JOURNALS[path] = Journal(path)
        return journal


class PreprocessCache:
    """Cached handles in the task journal (the default journal file unless one is given).

    A journal that cannot be opened or written makes the cache a no-op (logged), never an
    error: the cache saves time, it is not the job.
    """

    def __init__(self, journal: Any = None) -> None:
        self._journal = journal
        self._store: HandleStore | None = None

    def _handles(self) -> HandleStore | None:
        if self._store is None:
            from ..journal.handles import HandleStore

            try:
                self._store = HandleStore(self._journal or _default_journal())
            except JournalError as exc:
                log.warning("preprocess cache unavailable: %s", exc)
                return None
        return self._store

    def lookup(self, key: str, *, margin_s: float) -> CoverHandle | None:
        """The handle cached under ``key`` with more than ``margin_s`` left, else ``None``."""
        store = self._handles()
        try:
            row = store.get(key) if store is not None else None
        except JournalError as exc:
            log.warning("preprocess cache: %s", exc)
            return None
        if row is None:
            return None
        handle = CoverHandle.from_dict(row.handle)
        if handle.remaining_s() <= margin_s:
            return None
        return handle

    def store(self, key: str, handle: CoverHandle, *, endpoint: str, model: str) -> None:
        """Cache ``handle`` under ``key`` (replacing an older one)."""
        from ..journal.handles import HandleRow

        store = self._handles()
        if store is None or not handle.content_hash:
            return
        try:
            store.put(HandleRow(key, handle.feature_id, handle.content_hash, handle.song_path,
                                endpoint, model, handle.to_dict(), handle.created_at,
                                handle.expires_at))
        except JournalError as exc:
            log.warning("preprocess cache: %s", exc)

    def drop(self, key: str) -> None:
        """Forget ``key`` (MiniMax refused its handle)."""
        store = self._handles()
        try:
            if store is not None:
                store.drop(key)
        except JournalError as exc:
            log.warning("preprocess cache: %s", exc)

    def by_feature_id(self, feature_id: str) -> CoverHandle | None:
        """The newest cached handle for ``feature_id``, live or not."""
        store = self._handles()
        try:
            row = store.by_feature_id(feature_id) if store is not None else None
        except JournalError as exc:
            log.warning("preprocess cache: %s", exc)
            return None
        return CoverHandle.from_dict(row.handle) if row is not None else None


def song_sections(source: Any) -> tuple[str | None, list[dict[str, Any]] | None]:
    """The song's path and structure for pictures: from a handle (its recorded song), else
    from the preprocess cache for a local file analysed before; ``(path or None, None)``
    when the structure is not known. Never calls MiniMax."""
    if isinstance(source, CoverHandle):
        path = source.song_path if song_at_hand(source) is not None else None
        return path, [s.to_dict() for s in source.structure] or None
    if not isinstance(source, (str, Path)) or "://" in str(source) or not Path(source).is_file():
        return None, None
    try:
        data = Path(source).read_bytes()
    except OSError:
        return str(source), None
    store = PreprocessCache()._handles()
    try:
        row = store.by_content_hash(content_hash(data)) if store is not None else None
    except JournalError:
        row = None
    if row is None:
        return str(source), None
    handle = CoverHandle.from_dict(row.handle)
    return str(source), [s.to_dict() for s in handle.structure] or None


def stamped(handle: CoverHandle, *, song_path: str | None, song_hash: str | None
            ) -> CoverHandle:
    """``handle`` with the song's path and content hash recorded."""
    return replace(handle, song_path=song_path, content_hash=song_hash)
