"""``batch`` as a new user meets it (issue 24): a dry run names the file each row would write,
and a folder manifest leaves out the covers the project wrote into it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from batch_support import PROMPT
from minimax_cover.plugin.cli import main


@pytest.fixture
def env(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The CLI talks to this test's sandbox."""
    monkeypatch.setenv("RUNWARE_API_URL", sandbox.url)
    monkeypatch.setenv("RUNWARE_API_KEY", sandbox.api_key)
    return sandbox


def test_dry_run_names_the_files_each_row_would_write(
        env: Any, songs: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    argv = ["batch", str(songs[0].parent), "-o", str(out_dir), "--prompt", PROMPT]
    assert main([*argv, "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert "X-Runware-Dry-Run" not in text
    assert f"alpha.wav  -> {out_dir / 'alpha.mp3'}" in text
    assert main([*argv, "--dry-run", "--json", "--results", "2"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert rows[1]["wouldWrite"] == [str(out_dir / "bravo_1.mp3"), str(out_dir / "bravo_2.mp3")]
    assert rows[1]["files"] == [] and not out_dir.exists()
    assert main([*argv, "--json", "--no-progress"]) == 0  # the dry run named the real files
    saved = json.loads(capsys.readouterr().out)["rows"]
    assert saved[0]["files"] == [str(out_dir / "alpha.mp3")]


def test_a_folder_manifest_leaves_out_the_projects_own_covers(
        env: Any, songs: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    folder = songs[0].parent
    argv = ["batch", str(folder), "-o", str(folder), "--prompt", PROMPT, "--json",
            "--no-progress"]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)["rows"]
    assert len(first) == 5 and all(r["status"] == "saved" for r in first)
    assert len(list(folder.glob("*.mp3"))) == 5  # the covers sit beside the songs
    assert main([*argv, "--dry-run"]) == 0
    again = json.loads(capsys.readouterr().out)["rows"]
    assert [r["song"] for r in again] == [s.name for s in songs]
    assert {r["status"] for r in again} == {"skipped"}
    (folder / "new.mp3").write_bytes((folder / "alpha.mp3").read_bytes())  # not ours: a song
    assert main([*argv, "--dry-run"]) == 0
    assert [r["song"] for r in json.loads(capsys.readouterr().out)["rows"]][-1] == "new.mp3"


def test_a_remote_scheduler_without_a_key_is_refused_before_anything_starts(
        songs: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Workers elsewhere cannot reach this run's sandbox: refused before connecting (the
    address is a closed port: trying it would fail differently) and before any upload."""
    code = main(["batch", str(songs[0].parent), "-o", str(tmp_path / "out"), "--prompt",
                 PROMPT, "--executor", "dask", "--executor-option",
                 "address=tcp://127.0.0.1:9", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "workers of a remote scheduler need RUNWARE_API_KEY" in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
