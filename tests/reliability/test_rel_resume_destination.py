"""A killed ``cover -o out/take.mp3`` is finished where it was meant to go.

``minimax-cover cover SONG -o <tmp>/out/take.mp3`` is SIGKILLed once the sandbox accepted the
task; ``minimax-cover resume``, run from another folder and without ``-o``, saves the result
as ``<tmp>/out/take.mp3`` (the destination journaled with the job), and the task was submitted
once in all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.journal.store import Journal, default_journal_path
from rel_support import PROMPT

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

WAIT_S = 15.0


def _env(sb: Any) -> dict[str, str]:
    env = dict(os.environ)
    env.update(RUNWARE_API_URL=sb.url, RUNWARE_API_KEY=sb.api_key, PYTHONUNBUFFERED="1")
    return env


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "minimax_cover.plugin.cli", *args]


@pytest.mark.slow
def test_resume_after_kill_writes_the_original_output_path(song: Path, tmp_path: Path,
                                                           make_sandbox: Any) -> None:
    sb = make_sandbox(latency_s=2.0)
    target = tmp_path / "out" / "take.mp3"
    proc = subprocess.Popen(_cli("cover", str(song), "--prompt", PROMPT, "-o", str(target),
                                 "--no-progress"),  # the CLI's default delivery: async
                            env=_env(sb), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + WAIT_S
        while sb.submissions() < 1:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the task was never submitted"
            time.sleep(0.01)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=WAIT_S)
    assert not target.exists()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(_cli("resume"), env=_env(sb), cwd=elsewhere, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"saved {target}" in done.stdout
    assert target.is_file() and target.stat().st_size > 0
    assert list(elsewhere.iterdir()) == []
    with Journal(default_journal_path()) as journal:
        (job,) = journal.list_jobs(limit=None)
        assert job.status == "saved" and job.files == [str(target)]
    assert sb.submissions() == 1
