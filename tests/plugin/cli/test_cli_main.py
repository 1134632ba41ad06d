"""The CLI frame: one-line usage errors, exit codes, global flags anywhere, JSON errors, pipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from minimax_cover.plugin.cli import EXIT_BROKEN_PIPE, EXIT_INVALID, main


def test_bad_int_is_one_line_naming_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["cover", "song.mp3", "--prompt", "warm acoustic folk", "--results", "abc"])
    assert info.value.code == EXIT_INVALID
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "--results" in err[0] and "'abc'" in err[0]


@pytest.mark.parametrize("argv", [["jobs", "--status", "bogus"], ["schema", "--model", "foo"]])
def test_bad_values_exit_two(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    assert code == EXIT_INVALID
    assert argv[2] in capsys.readouterr().err


def test_status_is_case_insensitive(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["jobs", "--status", "SAVED", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


@pytest.mark.parametrize("where", ["before", "after"])
def test_global_flags_before_or_after_the_command(where: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["-q", "jobs", "--json"] if where == "before" else ["jobs", "--json", "-q"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_json_failure_prints_an_error_object(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["cover", "https://example.com/a.mp3", "--prompt", "lofi", "--json"])
    assert code == EXIT_INVALID
    error = json.loads(capsys.readouterr().out)
    assert error["code"] == EXIT_INVALID and error["type"] == "SpecValidationError"
    assert error["parameter"] == "positivePrompt" and "at least 10" in error["error"]


def test_missing_song_is_one_clean_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "schemas-here"
    target.write_text("a file, not a folder")
    code = main(["cover", str(tmp_path / "missing.mp3"), "--prompt", "warm acoustic folk"])
    assert code == EXIT_INVALID
    err = capsys.readouterr().err
    assert "Traceback (most recent" not in err
    assert "inputs.audio: file not found" in err


def test_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """``minimax-cover schema | head -1``: no BrokenPipeError traceback."""
    env = {**os.environ, "MINIMAX_COVER_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "minimax_cover.plugin.cli", "schema"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the command writes
    deadline = time.monotonic() + 30
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) in (0, EXIT_BROKEN_PIPE)
    assert "Traceback" not in err and "BrokenPipeError" not in err
