"""``minimax-cover batch`` in-process (``main(argv)``): output, exit codes, progress lines."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
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


def _manifest(write_csv: Callable[..., Path], songs: list[Path], n: int = 5) -> Path:
    return write_csv([{"song": s.name, "seed": i} for i, s in enumerate(songs[:n])])


def test_json_report_and_rerun(env: Any, songs: list[Path], write_csv: Callable[..., Path],
                               tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = _manifest(write_csv, songs, 3)
    argv = ["batch", str(manifest), "-o", str(tmp_path / "out"), "--prompt", PROMPT, "--json"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in doc["rows"]] == ["saved"] * 3
    for row in doc["rows"]:
        assert {"song", "status", "taskUUID", "files", "seeds", "cost", "error"} <= set(row)
        assert Path(row["files"][0]).is_file() and row["cost"] == pytest.approx(0.15)
    assert doc["totals"]["saved"] == 3 and doc["totals"]["cost"] == pytest.approx(0.45)
    assert doc["sandbox"] is True and doc["exitCode"] == 0
    assert Path(doc["receipt"]["json"]).name == "m.report.json"
    assert main(argv) == 0
    again = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in again["rows"]] == ["skipped"] * 3
    assert env.submissions() == 3


def test_plain_output_and_progress_lines(env: Any, songs: list[Path],
                                         write_csv: Callable[..., Path], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    manifest = _manifest(write_csv, songs, 2)
    assert main(["batch", str(manifest), "-o", str(tmp_path / "out"), "--prompt", PROMPT]) == 0
    out, err = capsys.readouterr()
    assert "SANDBOX" in out and "alpha.wav" in out and "total: 2 saved" in out
    lines = [line for line in err.splitlines() if line.startswith("[")]
    assert len(lines) == 2 and all(": saved (1 file(s) $0.15)" in line for line in lines)


def test_dry_run_and_max_cost_exit_codes(env: Any, songs: list[Path],
                                         write_csv: Callable[..., Path], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    manifest = _manifest(write_csv, songs)
    base = ["batch", str(manifest), "-o", str(tmp_path / "out"), "--prompt", PROMPT]
    assert main([*base, "--dry-run"]) == 0
    assert "price $0.75 for 5 row(s)" in capsys.readouterr().out
    assert env.submissions() == 0
    assert main([*base, "--max-cost", "0.30", "--no-progress"]) == 4
    out = capsys.readouterr().out
    assert "2 saved, 3 not-run" in out and env.submissions() == 2


def test_invalid_manifest_exits_2_listing_rows(env: Any, songs: list[Path],
                                               write_csv: Callable[..., Path],
                                               tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    manifest = write_csv([{"song": songs[0].name, "seed": 1},
                          {"song": songs[1].name, "seed": 5_000_000}])
    code = main(["batch", str(manifest), "-o", str(tmp_path / "out"), "--prompt", PROMPT])
    err = capsys.readouterr().err
    assert code == 2
    assert "row 2 (line 3) [bravo.wav]: seed: must be at most" in err and "5000000" in err
    assert env.requests_log == []


def test_a_folder_with_a_prompt_is_a_manifest(env: Any, songs: list[Path], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["batch", str(songs[0].parent), "-o", str(tmp_path / "out"), "--prompt",
                 PROMPT, "--concurrency", "5", "--format", "FLAC", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and len(doc["rows"]) == 5
    assert sorted(Path(r["files"][0]).name for r in doc["rows"]) == [
        f"{s.stem}.flac" for s in songs]


@pytest.mark.skipif(importlib.util.find_spec("distributed") is not None,
                    reason="Dask is installed here")
def test_dask_executor_without_dask_says_how_to_install(
        env: Any, songs: list[Path], write_csv: Callable[..., Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    manifest = _manifest(write_csv, songs, 1)
    code = main(["batch", str(manifest), "-o", str(tmp_path / "out"), "--prompt", PROMPT,
                 "--executor", "dask"])
    assert code == 2 and "pip install 'minimax-cover[dask]'" in capsys.readouterr().err
    assert env.submissions() == 0
