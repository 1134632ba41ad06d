"""Picks reach the journal (``m022_picks``) and ``spend`` receipts: ``minimax-cover pick``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from minimax_cover.plugin.cli import main
from minimax_cover.plugin.journal.picks import Picks
from minimax_cover.plugin.journal.store import Journal

PROMPT = "A bright synth-pop cover with big drums"


def cover(tmp_path: Path, repo_root: Path, capsys: pytest.CaptureFixture) -> dict:
    song = repo_root / "examples" / "audio" / "example_song.mp3"
    assert main(["cover", str(song), "--prompt", PROMPT, "--results", "2", "-o",
                 f"{tmp_path}/OUT/", "--no-progress", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_page_picks_file_is_recorded_and_shows_on_receipts(
        tmp_path: Path, repo_root: Path, capsys: pytest.CaptureFixture) -> None:
    doc = cover(tmp_path, repo_root, capsys)
    second = doc["outputs"][1]
    # what the page's "download picks" saves: the file's name, the task, seed, label
    picks_file = tmp_path / "Downloads" / "picks.json"
    picks_file.parent.mkdir()
    picks_file.write_text(json.dumps({"picks": [{
        "page": "Cover audition", "taskUUID": doc["taskUUID"], "label": "Take 2",
        "file": Path(second["path"]).name, "seed": second["seed"]}]}), encoding="utf-8")
    assert main(["pick", str(picks_file), "--json"]) == 0
    (pick,) = json.loads(capsys.readouterr().out)
    assert pick["file"] == second["path"] and pick["taskUUID"] == doc["taskUUID"]
    assert pick["seed"] == second["seed"] and pick["via"] == "page"

    assert main(["spend", "--json"]) == 0
    jobs = json.loads(capsys.readouterr().out)["jobs"]
    assert [j["picked"] for j in jobs if j["taskUUID"] == doc["taskUUID"]] == [second["path"]]

    # picking the other take by its path replaces the pick: one per job
    first = doc["outputs"][0]["path"]
    assert main(["pick", first]) == 0
    assert "picked " + first in capsys.readouterr().out
    with Journal() as journal:
        picks = Picks(journal).for_tasks([doc["taskUUID"]])
        assert picks[doc["taskUUID"]].file == first
        assert len(Picks(journal).all()) == 1
    assert main(["spend"]) == 0
    assert f"{first}  [picked]" in capsys.readouterr().out


def test_pick_rejects_what_it_cannot_read(tmp_path: Path,
                                          capsys: pytest.CaptureFixture) -> None:
    assert main(["pick"]) == 2
    bad = tmp_path / "picks.json"
    bad.write_text('{"picks": "nope"}', encoding="utf-8")
    assert main(["pick", str(bad)]) == 2
    assert "picks.json" in capsys.readouterr().err
    assert main(["pick", str(tmp_path / "missing.mp3")]) == 2


def test_a_file_no_job_saved_is_still_picked(tmp_path: Path,
                                             capsys: pytest.CaptureFixture) -> None:
    take = tmp_path / "take.wav"
    take.write_bytes(b"RIFF")
    assert main(["pick", str(take), "--json"]) == 0
    (pick,) = json.loads(capsys.readouterr().out)
    assert pick["taskUUID"] is None and pick["file"] == str(take.resolve())
