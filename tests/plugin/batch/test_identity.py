"""A row's identity and its output names."""

from __future__ import annotations

from pathlib import Path

import pytest
from minimax_cover.plugin.batch.identity import song_stem, unique_stem
from minimax_cover.plugin.jobs.identity import SANDBOX_SERVICE, job_identity, service_of


@pytest.mark.parametrize(("song", "stem"), [
    ("songs/Chorus take 2.wav", "Chorus take 2"),
    ("https://cdn.example.org/a/b/my%20song.mp3?sig=secret", "my song"),
    ("https://cdn.example.org/", "cdn.example.org"),
    ("6f1c2a9e-8b7d-4c3e-9f10-0a1b2c3d4e5f", "media-6f1c2a9e"),
    ("../../etc/pa:ss|wd.wav", "pa_ss_wd"),
    ("...", "song"),
])
def test_song_stem(song: str, stem: str) -> None:
    assert song_stem(song) == stem


def test_identity_ignores_task_uuid_and_key_order() -> None:
    a = {"taskUUID": "1", "positivePrompt": "p" * 12, "seed": 3, "inputs": {"audio": "x"}}
    b = {"seed": 3, "inputs": {"audio": "y"}, "positivePrompt": "p" * 12, "taskUUID": "2"}
    assert job_identity(a, "f", "e") == job_identity(b, "f", "e")
    assert job_identity(a, "f", "e") != job_identity(a, "g", "e")  # another song
    assert job_identity(a, "f", "e") != job_identity({**a, "seed": 4}, "f", "e")


def test_every_local_sandbox_is_one_service() -> None:
    class B:
        sandbox = True
        endpoint = "http://127.0.0.1:4321/v1"

    class Real:
        sandbox = False
        endpoint = "https://api.runware.ai/v1"

    assert service_of(B()) == SANDBOX_SERVICE
    assert service_of(Real()) == "https://api.runware.ai/v1"


def test_a_taken_name_gets_the_identity(tmp_path: Path) -> None:
    taken: set[str] = set()
    assert unique_stem("song", "abcdef0123456789", tmp_path, 1, "MP3", taken, []) == "song"
    # another row of the batch with the same song name
    assert unique_stem("song", "99999999aaaa", tmp_path, 1, "MP3", taken, []) == "song-99999999"
    # a file on disk that is not this job's: never overwritten
    (tmp_path / "other.mp3").write_bytes(b"x")
    assert unique_stem("other", "1234567890", tmp_path, 1, "MP3", set(), []) == "other-12345678"
    # this job's own partial result: same name again
    own = [str(tmp_path / "other.mp3")]
    assert unique_stem("other", "1234567890", tmp_path, 1, "MP3", set(), own) == "other"
    # numbered results count too
    (tmp_path / "multi_2.wav").write_bytes(b"x")
    assert unique_stem("multi", "77777777", tmp_path, 2, "WAV", set(), []) == "multi-77777777"
