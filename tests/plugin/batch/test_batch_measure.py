"""``batch --measure``: each row's takes measured, in the report, receipt and index; picks
recorded with ``minimax-cover pick`` reach the batch report (sandbox on 127.0.0.1)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from batch_support import PROMPT
from minimax_cover.plugin.cli import main


@pytest.fixture
def env(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("RUNWARE_API_URL", sandbox.url)
    monkeypatch.setenv("RUNWARE_API_KEY", sandbox.api_key)
    return sandbox


def test_batch_measure_report_receipt_index_and_picks(env: Any, songs: list[Path],
                                                      write_csv: Callable[..., Path],
                                                      tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    manifest = write_csv([{"song": songs[0].name, "seed": 1},
                          {"song": songs[1].name, "seed": 2, "results": 2}])
    out = tmp_path / "out"
    argv = ["batch", str(manifest), "-o", str(out), "--prompt", PROMPT, "--compare",
            "--measure", "--json"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    for row in doc["rows"]:
        m = row["measures"]
        assert m["source"]["path"].endswith(Path(row["song"]).name)
        assert [t["path"] for t in m["takes"]] == row["files"]
        assert [t["best"] for t in m["takes"]].count(True) == 1
        assert all(t["loudnessLUFS"] is not None and t["melodyKept"] is not None
                   for t in m["takes"])
    receipt = json.loads((out / "m.report.json").read_text(encoding="utf-8"))
    assert receipt["rows"][1]["measures"] == doc["rows"][1]["measures"]

    index = (out / "m.compare.html").read_text(encoding="utf-8")
    players = re.findall(r'<audio\b[^>]*\bsrc="([^"]*)"', index)
    assert len(players) == 2  # one per row: its best take (nothing picked yet)
    melody = [float(x) for x in re.findall(r'data-melody="([0-9.]+)"', index)]
    assert len(melody) == 2 and "sort-melody" in index and "no pick" in index
    bravo = doc["rows"][1]
    best = next(t["path"] for t in bravo["measures"]["takes"] if t["best"])
    assert Path(best).name in index and "best &middot;" in index
    for seed in bravo["seeds"]:
        assert str(seed) in index

    # pick the other take of row 2: a rerun (nothing paid) reports it and plays it
    other = next(f for f in bravo["files"] if f != best)
    assert main(["pick", other]) == 0
    capsys.readouterr()
    submitted = env.submissions()
    assert main(argv) == 0
    again = json.loads(capsys.readouterr().out)
    assert env.submissions() == submitted
    assert again["rows"][1]["picked"] == other and "picked" not in again["rows"][0]
    index = (out / "m.compare.html").read_text(encoding="utf-8")
    assert f">picked</span> {Path(other).name}" in index


def test_without_measure_the_report_has_no_measures(env: Any, songs: list[Path],
                                                    write_csv: Callable[..., Path],
                                                    tmp_path: Path,
                                                    capsys: pytest.CaptureFixture) -> None:
    manifest = write_csv([{"song": songs[0].name}])
    assert main(["batch", str(manifest), "-o", str(tmp_path / "o"), "--prompt", PROMPT,
                 "--json"]) == 0
    row = json.loads(capsys.readouterr().out)["rows"][0]
    assert "measures" not in row and "picked" not in row
