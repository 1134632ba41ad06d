"""A killed ``cover -o out/take.mp3`` is finished where it was meant to go.

``minimax-cover cover SONG -o <tmp>/out/take.mp3`` is SIGKILLed once the sandbox accepted the
task; ``minimax-cover resume``, run from another folder and without ``-o``, saves the result
as ``<tmp>/out/take.mp3`` (the destination journaled with the job), and the task was submitted
once in all.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.journal.store import Journal, default_journal_path
from rel_support import PROMPT, cli, cli_env, kill_once_submitted

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

WAIT_S = 15.0


@pytest.mark.slow
def test_resume_after_kill_writes_the_original_output_path(song: Path, tmp_path: Path,
                                                           make_sandbox: Any) -> None:
    sb = make_sandbox(latency_s=2.0)
    target = tmp_path / "out" / "take.mp3"
    kill_once_submitted(cli("cover", str(song), "--prompt", PROMPT, "-o", str(target),
                            "--no-progress"),  # the CLI's default delivery: async
                        sb, wait_s=WAIT_S)
    assert not target.exists()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(cli("resume"), env=cli_env(sb.url, sb.api_key), cwd=elsewhere,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"saved {target}" in done.stdout
    assert target.is_file() and target.stat().st_size > 0
    assert list(elsewhere.iterdir()) == []
    with Journal(default_journal_path()) as journal:
        (job,) = journal.list_jobs(limit=None)
        assert job.status == "saved" and job.files == [str(target)]
    assert sb.submissions() == 1
