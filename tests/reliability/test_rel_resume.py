"""Crash and resume: a CLI process killed mid-wait loses nothing and never pays twice.

A real ``minimax-cover cover`` process submits an ``async`` task to a sandbox in this process
(2 s generation), is killed with SIGKILL once the sandbox has accepted the task, and a new
process collects the result by ``taskUUID`` (``getResponse``): with ``resume``, or by running
the very same ``cover`` command again (the journal finds the unsaved identical job).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.journal.store import Journal, default_journal_path
from rel_support import PROMPT, cli, cli_env, kill_once_submitted

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

LATENCY_S = 2.0
WAIT_S = 15.0


def _cover_cmd(song: Path, out: Path) -> list[str]:
    return cli("cover", str(song), "--prompt", PROMPT, "--delivery-method", "async",
                "-o", str(out), "--no-progress")


def _start_and_kill(cmd: list[str], sb: Any) -> str:
    """Run ``cmd``, SIGKILL it once the sandbox accepted the task; return the taskUUID."""
    proc = kill_once_submitted(cmd, sb, wait_s=WAIT_S)
    assert proc.returncode == -signal.SIGKILL
    with Journal(default_journal_path()) as journal:
        jobs = journal.list_jobs(limit=None)
        assert len(jobs) == 1
        job = jobs[0]
        assert job.status == "submitted", job.status  # paid for, not saved
        assert [j.task_uuid for j in journal.unfinished()] == [job.task_uuid]
    assert sb.submissions(job.task_uuid) == 1
    return job.task_uuid


def _check_saved(task_uuid: str, out: Path, sb: Any) -> None:
    with Journal(default_journal_path()) as journal:
        job = journal.get(task_uuid)
        assert job is not None and job.status == "saved", job
        assert job.files and all(Path(f).is_file() and Path(f).stat().st_size > 0
                                 for f in job.files)
        assert all(Path(f).parent == out for f in job.files)
        assert journal.unfinished() == []
    assert sb.submissions(task_uuid) == 1
    assert sb.submissions() == 1


@pytest.mark.slow
def test_killed_cover_is_finished_by_resume(song: Path, tmp_path: Path,
                                            make_sandbox: Any) -> None:
    sb = make_sandbox(latency_s=LATENCY_S)
    out = tmp_path / "out"
    task_uuid = _start_and_kill(_cover_cmd(song, out), sb)
    assert not list(out.glob("*.mp3"))  # killed before anything was saved

    done = subprocess.run(cli("resume", "-o", str(out)), env=cli_env(sb.url, sb.api_key),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"{task_uuid}: saved" in done.stdout
    _check_saved(task_uuid, out, sb)


@pytest.mark.slow
def test_same_cover_command_after_kill_resumes(song: Path, tmp_path: Path,
                                               make_sandbox: Any) -> None:
    sb = make_sandbox(latency_s=LATENCY_S)
    out = tmp_path / "out"
    cmd = _cover_cmd(song, out)
    task_uuid = _start_and_kill(cmd, sb)

    again = subprocess.run(cmd, env=cli_env(sb.url, sb.api_key), capture_output=True,
                           text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert task_uuid in again.stdout and "[resumed]" in again.stdout
    _check_saved(task_uuid, out, sb)
    # the second process only polled: one upload, one submit in all
    types = [r["task_types"] for r in sb.requests_log]
    assert types.count(["audioInference"]) == 1
    assert types.count(["mediaStorage"]) == 1


def test_resume_with_nothing_to_do(tmp_path: Path, make_sandbox: Any) -> None:
    sb = make_sandbox()
    done = subprocess.run(cli("resume", "-o", str(tmp_path)), env=cli_env(sb.url, sb.api_key),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "nothing to resume" in done.stderr
    assert sb.requests_log == []
