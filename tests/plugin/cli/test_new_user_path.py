"""A new user's path with no key (issue 24): every command falls back to the sandbox, global
flags go anywhere, ``--debug`` only adds a traceback, and the JSON says what the text says."""

from __future__ import annotations

import json
import socket
import uuid
from pathlib import Path

import pytest
from minimax_cover.plugin.cli import EXIT_INVALID, main

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "audio" / "example_song.mp3"
PROMPT = "warm acoustic folk, fingerpicked guitar"


def _cover(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    code = main(["cover", str(EXAMPLE), "--prompt", PROMPT, "-o", str(tmp_path / "out"),
                 "--no-progress", "--json", *extra])
    assert code == 0
    return json.loads(capsys.readouterr().out)


def test_account_without_a_key_asks_the_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["account"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("SANDBOX account: minimax-cover sandbox (http://127.0.0.1:")
    assert "balance: unlimited" in out and "spent today: $0.00" in out
    assert main(["--json", "account"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["sandbox"] is True and doc["endpoint"].startswith("http://127.0.0.1:")


def test_resume_of_a_saved_job_names_its_files_and_exits_zero(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    done = _cover(tmp_path, capsys)
    task, path = done["taskUUID"], done["outputs"][0]["path"]
    assert main(["resume", task]) == 0
    assert capsys.readouterr().out.strip() == f"{task}: already saved: {path}"
    assert main(["resume", task, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"taskUUID": task, "status": "saved", "resumed": False, "files": [path]}]


def test_resume_closes_a_job_whose_in_process_sandbox_ended(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], dead_url: str) -> None:
    from minimax_cover.plugin.journal.store import Journal

    task = str(uuid.uuid4())
    with Journal() as journal:
        journal.record(task, {"taskType": "audioInference", "taskUUID": task,
                              "positivePrompt": PROMPT, "model": "minimax:music@cover"},
                       backend="runware", endpoint=dead_url,
                       status="submitted", output_dir=str(tmp_path))
    assert main(["resume"]) == 0  # no "no Runware API key"
    err = capsys.readouterr().err
    assert f"{task}: not collected: it ran on the local sandbox" in err
    assert "nothing was charged" in err
    with Journal() as journal:
        assert journal.get(task).status == "failed"
        assert journal.unfinished() == []
    assert main(["resume"]) == 0
    assert "nothing to resume" in capsys.readouterr().err


def test_a_loopback_job_still_listening_is_not_closed(tmp_path: Path) -> None:
    from minimax_cover.plugin.jobs.ended_sandbox import sandbox_ended
    from minimax_cover.plugin.journal.store import Journal

    with socket.socket() as server, Journal() as journal:
        server.bind(("127.0.0.1", 0))
        server.listen()
        task = str(uuid.uuid4())
        record = journal.record(task, {"taskUUID": task}, backend="runware",
                                endpoint=f"http://127.0.0.1:{server.getsockname()[1]}/v1",
                                status="submitted")
        assert sandbox_ended(record, journal) is None
        remote = journal.record(str(uuid.uuid4()), {"x": 1}, backend="runware",
                                endpoint="https://api.runware.ai/v1", status="submitted")
        assert sandbox_ended(remote, journal) is None


@pytest.mark.parametrize("argv", [
    ["--debug", "--json", "cover", str(EXAMPLE), "--prompt", "short"],
    ["cover", str(EXAMPLE), "--prompt", "short", "--json", "--debug"],
])
def test_debug_adds_a_traceback_and_changes_nothing_else(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == EXIT_INVALID
    captured = capsys.readouterr()
    error = json.loads(captured.out)
    assert error["code"] == EXIT_INVALID and error["parameter"] == "positivePrompt"
    assert "Traceback (most recent call last)" in captured.err
    assert "error: invalid request" in captured.err
    assert main(argv[:-1] if argv[-1] == "--debug" else argv[1:]) == EXIT_INVALID
    plain = capsys.readouterr()
    assert json.loads(plain.out) == error and "Traceback" not in plain.err


@pytest.mark.parametrize("flags", [["--json", "-q"], ["-q", "--json"]])
def test_json_before_the_command(flags: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*flags, "jobs"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["--json", "spend"]) == 0
    assert json.loads(capsys.readouterr().out)["totalUsd"] == 0.0
    assert main(["--json", "cover", "x.mp3", "--prompt", "short"]) == EXIT_INVALID
    assert json.loads(capsys.readouterr().out)["type"] == "SpecValidationError"


def test_cover_json_has_the_wall_time_and_the_compare_page(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _cover(tmp_path, capsys, "--compare")
    assert isinstance(doc["durationSeconds"], float) and 0 < doc["durationSeconds"] < 600
    assert doc["comparePage"].endswith("_compare.html") and Path(doc["comparePage"]).is_file()
    assert doc["outputs"][0]["durationSeconds"] == pytest.approx(12.0, abs=0.5)
