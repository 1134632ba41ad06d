"""The preprocess cache's parts: keys, reuse wording, the refresh margin, the song at hand."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from minimax_cover.plugin.errors import InvalidParameterError, SpecValidationError
from minimax_cover.plugin.journal.store import Journal
from minimax_cover.plugin.minimax.cache import (
    PreprocessCache,
    cache_key,
    content_hash,
    describe_reuse,
    refresh_margin_s,
    song_at_hand,
    stamped,
)
from minimax_cover.plugin.minimax.handle import CoverHandle, Section
from minimax_cover.plugin.minimax.renewal import (
    expired_message,
    is_unknown_handle,
    renewable_song,
)


def _handle(created: float | None = None, **extra: object) -> CoverHandle:
    return CoverHandle("0123456789abcdef0123456789abcdef", "[Verse]\nla la la la",
                       [Section(0, 5, "intro")], 10.0,
                       created_at=time.time() if created is None else created, **extra)


def test_key_parts_and_no_key_inside() -> None:
    song = content_hash(b"song")
    base = cache_key(song, "music-cover", "http://127.0.0.1:1", "fp1")
    assert base == cache_key(song, "music-cover", "http://127.0.0.1:1/", "fp1")
    assert len({base, cache_key(song, "music-cover-free", "http://127.0.0.1:1", "fp1"),
                cache_key(song, "music-cover", "http://127.0.0.1:2", "fp1"),
                cache_key(song, "music-cover", "http://127.0.0.1:1", "fp2"),
                cache_key(content_hash(b"other"), "music-cover", "http://127.0.0.1:1", "fp1")}
               ) == 5


def test_describe_reuse_says_tomorrow() -> None:
    created = dt.datetime(2026, 12, 7, 9, 14).timestamp()
    text = describe_reuse(_handle(created), now=created + 60)
    assert text == "reused handle from 09:14, valid until tomorrow 09:14"
    later = describe_reuse(_handle(created), now=created + 86400 - 600)
    assert later == "reused handle from yesterday 09:14, valid until 09:14"


def test_refresh_margin(monkeypatch: pytest.MonkeyPatch) -> None:
    assert refresh_margin_s() == 1800
    monkeypatch.setenv("MINIMAX_COVER_PREPROCESS_REFRESH_MIN", "5")
    assert refresh_margin_s() == 300
    monkeypatch.setenv("MINIMAX_COVER_PREPROCESS_REFRESH_MIN", "-1")
    with pytest.raises(SpecValidationError, match="MINIMAX_COVER_PREPROCESS_REFRESH_MIN"):
        refresh_margin_s()


def test_store_lookup_margin_and_drop(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        cache = PreprocessCache(journal)
        handle = stamped(_handle(), song_path=None, song_hash=content_hash(b"x"))
        cache.store("k", handle, endpoint="http://127.0.0.1:1", model="music-cover")
        assert cache.lookup("k", margin_s=60).feature_id == handle.feature_id
        assert cache.lookup("k", margin_s=24 * 3600) is None  # not live enough
        assert cache.by_feature_id(handle.feature_id.upper()).feature_id == handle.feature_id
        cache.drop("k")
        assert cache.lookup("k", margin_s=0) is None


def test_song_at_hand_and_renewal_messages(tmp_path: Path) -> None:
    song = tmp_path / "song.wav"
    song.write_bytes(b"the song")
    handle = stamped(_handle(time.time() - 25 * 3600), song_path=str(song),
                     song_hash=content_hash(b"the song"))
    assert song_at_hand(handle) == b"the song" and renewable_song(handle) is not None
    song.write_bytes(b"another song")
    assert song_at_hand(handle) is None and renewable_song(handle) is None
    message = expired_message(handle.feature_id, handle)
    assert "expired" in message and str(song) in message and "minimax-cover preprocess" in message
    assert renewable_song(None) is None and song_at_hand(_handle()) is None
    refused = InvalidParameterError("MiniMax generation failed with code 2013: invalid params: "
                                    "unknown or expired cover_feature_id", code="2013")
    assert is_unknown_handle(refused)
    assert not is_unknown_handle(InvalidParameterError("code 2013: prompt too short",
                                                       code="2013"))
