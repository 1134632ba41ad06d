"""`minimax-cover schema` and `validate` through the real console script and main()."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from minimax_cover.plugin.cli import main

GOOD = {"positivePrompt": "warm acoustic folk cover", "inputs": {"audio": "https://e.com/a.mp3"}}


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "minimax_cover.plugin.cli", *args],
                          input=stdin, capture_output=True, text=True, timeout=60)


def test_console_script_validate_ok_and_bad(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(GOOD))
    ok = run_cli("validate", str(good))
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["taskType"] == "audioInference"
    bad = run_cli("validate", "-", stdin=json.dumps({**GOOD, "seed": -1, "numberResults": 7}))
    assert bad.returncode == 2
    assert "seed: must be at least 0 (got -1)" in bad.stderr
    assert "numberResults: must be at most 4 (got 7)" in bad.stderr
    assert bad.stdout == ""


def test_validate_bad_json_and_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "b.json"
    broken.write_text("{nope")
    assert main(["validate", str(broken)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert main(["validate", str(tmp_path / "absent.json")]) == 2


def test_validate_array_reports_index(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    f = tmp_path / "a.json"
    f.write_text(json.dumps([GOOD, {**GOOD, "ttl": 5}]))
    assert main(["validate", str(f)]) == 2
    assert "[1] ttl: must be at least 60 (got 5)" in capsys.readouterr().err


def test_schema_prints_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["$id"].endswith("request.schema.json")
    assert main(["schema", "--result"]) == 0
    assert "result" in json.loads(capsys.readouterr().out)["title"]
    assert main(["schema", "--check"]) == 0
    assert main(["schema", "--check", "--dir", str(tmp_path)]) == 1
    assert main(["schema", "--write", "--dir", str(tmp_path)]) == 0
    assert main(["schema", "--check", "--dir", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "minimax-music-cover.request.schema.json", "minimax-music-cover.result.schema.json"]
