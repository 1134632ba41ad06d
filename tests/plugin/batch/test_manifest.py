"""Manifests: CSV cells typed like JSONL values, rows numbered, problems kept per row."""

from __future__ import annotations

from pathlib import Path

import pytest
from batch_support import PROMPT
from minimax_cover.plugin.batch.manifest import (
    coerce_cell,
    read_manifest,
    rows_from_folder,
    rows_from_mappings,
)
from minimax_cover.plugin.errors import UsageError
from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER as SPEC


@pytest.mark.parametrize(("key", "text", "value"), [
    ("seed", "42", 42),
    ("numberResults", " 2 ", 2),
    ("results", "3", 3),
    ("includeCost", "yes", True),
    ("includeCost", "false", False),
    ("audioSettings", '{"bitrate": 192}', {"bitrate": 192}),
    ("seed", "forty", "forty"),       # left as text: validation names field, rule and value
    ("prompt", "007", "007"),        # strings stay strings
])
def test_csv_cells_take_the_field_type(key: str, text: str, value: object) -> None:
    assert coerce_cell(text, key, SPEC) == value


def test_csv_and_jsonl_read_the_same_rows(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text(f"song,prompt,seed,format\na.wav,{PROMPT},7,WAV\n"
                                    f"b.wav,{PROMPT},,\n", encoding="utf-8")
    (tmp_path / "m.jsonl").write_text(
        f'{{"song": "a.wav", "prompt": "{PROMPT}", "seed": 7, "format": "WAV"}}\n\n'
        f'{{"song": "b.wav", "prompt": "{PROMPT}"}}\n', encoding="utf-8")
    csv_rows = read_manifest(tmp_path / "m.csv", SPEC)
    jsonl_rows = read_manifest(tmp_path / "m.jsonl", SPEC)
    assert [r.params for r in csv_rows] == [r.params for r in jsonl_rows]
    assert [r.number for r in csv_rows] == [1, 2] and [r.line for r in csv_rows] == [2, 3]
    assert [r.line for r in jsonl_rows] == [1, 3]  # blank lines are skipped, lines counted
    assert csv_rows[0].source == str(tmp_path / "a.wav")  # relative to the manifest's folder


def test_urls_and_uuids_are_songs_as_they_are(tmp_path: Path) -> None:
    rows = rows_from_mappings(["https://example.org/x/song%20one.mp3",
                               "6f1c2a9e-8b7d-4c3e-9f10-0a1b2c3d4e5f"], tmp_path)
    assert rows[0].source == "https://example.org/x/song%20one.mp3"
    assert rows[1].source == "6f1c2a9e-8b7d-4c3e-9f10-0a1b2c3d4e5f"


def test_bad_rows_keep_their_problems(tmp_path: Path) -> None:
    (tmp_path / "m.jsonl").write_text('{"song": "a.wav"}\nnot json\n[1, 2]\n{"prompt": "x"}\n'
                                      '{"song": 5}\n', encoding="utf-8")
    rows = read_manifest(tmp_path / "m.jsonl", SPEC)
    assert [r.problems[0][0] if r.problems else None for r in rows] == [
        None, "(row)", "(row)", "song", "song"]
    assert "not JSON" in rows[1].problems[0][1]


def test_csv_without_song_column_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text("file,prompt\na.wav,x\n", encoding="utf-8")
    with pytest.raises(UsageError, match="'song' column.*file, prompt"):
        read_manifest(tmp_path / "m.csv", SPEC)


@pytest.mark.parametrize("name", ["missing.csv", "m.txt"])
def test_unreadable_manifests_are_usage_errors(tmp_path: Path, name: str) -> None:
    (tmp_path / "m.txt").write_text("song\n", encoding="utf-8")
    with pytest.raises(UsageError, match="MANIFEST"):
        read_manifest(tmp_path / name, SPEC)


def test_a_folder_is_a_manifest_of_its_songs(tmp_path: Path) -> None:
    for name in ("b.wav", "a.MP3", "notes.txt", "c.flac"):
        (tmp_path / name).write_bytes(b"x")
    rows = rows_from_folder(tmp_path)
    assert [r.song for r in rows] == ["a.MP3", "b.wav", "c.flac"]
    assert [r.number for r in rows] == [1, 2, 3]
