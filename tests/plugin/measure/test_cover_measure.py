"""``cover --measure`` / ``--best``: measures in the summary, off the default path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from minimax_cover.plugin.cli import main

PROMPT = "A bright synth-pop cover with big drums"


def test_cover_best_adds_measures_and_marks_one_take(tmp_path: Path, repo_root: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    song = repo_root / "examples" / "audio" / "example_song.mp3"
    out = tmp_path / "OUT"
    assert main(["cover", str(song), "--prompt", PROMPT, "--results", "2", "--best",
                 "--compare", "-o", f"{out}/", "--no-progress", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    m = doc["measures"]
    assert m["source"]["path"] == str(song) and m["source"]["loudnessLUFS"] is not None
    assert [t["path"] for t in m["takes"]] == [o["path"] for o in doc["outputs"]]
    assert sorted(t["rank"] for t in m["takes"]) == [1, 2]
    assert [t["best"] for t in m["takes"]].count(True) == 1
    best = next(t for t in m["takes"] if t["best"])
    assert doc["best"]["path"] == best["path"]
    assert all(0.0 <= t["melodyKept"] <= 1.0 for t in m["takes"])
    page = next(out.glob("*_compare.html")).read_text(encoding="utf-8")
    assert "melody kept" in page and 'id="matched"' in page


def test_cover_text_summary_names_the_best(tmp_path: Path, repo_root: Path,
                                          capsys: pytest.CaptureFixture) -> None:
    song = repo_root / "examples" / "audio" / "example_song.mp3"
    assert main(["cover", str(song), "--prompt", PROMPT, "--measure", "-o", f"{tmp_path}/",
                 "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "LUFS" in text and "best: " in text


def test_measures_stay_off_the_default_cover_path(tmp_path: Path, repo_root: Path) -> None:
    song = repo_root / "examples" / "audio" / "example_song.mp3"
    code = (
        "import sys, json\n"
        "from minimax_cover.plugin.cli import main\n"
        f"main(['cover', {str(song)!r}, '--prompt', {PROMPT!r}, '-o', {str(tmp_path) + '/'!r},"
        " '--no-progress', '-q'])\n"
        "print(json.dumps('minimax_cover.plugin.measure' in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "false"
