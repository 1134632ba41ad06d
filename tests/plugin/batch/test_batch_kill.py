"""kill -9 during a batch, then the same command again: every paid result saved, none paid twice.

A real ``minimax-cover batch`` process runs ``async`` jobs against a sandbox in this process
(over 127.0.0.1) and is killed with SIGKILL once two tasks are accepted; the same command run
again collects those two by ``taskUUID`` and submits only the rows never sent.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from batch_support import PROMPT

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


@pytest.mark.slow
def test_kill_9_then_the_same_command_saves_everything_once(
        make_sandbox: Any, songs: list[Path], write_csv: Callable[..., Path],
        tmp_path: Path) -> None:
    sb = make_sandbox(latency_s=2.0)
    manifest = write_csv([{"song": s.name, "seed": i} for i, s in enumerate(songs[:4])])
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "minimax_cover.plugin.cli", "batch", str(manifest), "-o",
           str(out), "--prompt", PROMPT, "--delivery-method", "async", "--concurrency", "2",
           "--json", "--no-progress"]
    env = {**os.environ, "RUNWARE_API_URL": sb.url, "RUNWARE_API_KEY": sb.api_key}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while sb.submissions() < 2:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no task was submitted"
            time.sleep(0.01)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=20)
    paid = sb.submissions()
    assert paid == 2
    sb.latency_s = 0.1
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    statuses = sorted(r["status"] for r in report["rows"])
    assert statuses == ["resumed", "resumed", "saved", "saved"]
    assert sb.submissions() == 4  # two collected by taskUUID, two submitted once
    for row in report["rows"]:
        assert sb.submissions(row["taskUUID"]) == 1
        assert all(Path(f).is_file() and Path(f).stat().st_size > 0 for f in row["files"])


@pytest.mark.slow
@pytest.mark.parametrize("delivery", [[], ["--delivery-method", "async"]],
                         ids=["default", "async"])
def test_kill_9_of_a_batch_without_seeds_then_the_same_command_never_pays_twice(
        make_sandbox: Any, songs: list[Path], write_csv: Callable[..., Path],
        tmp_path: Path, delivery: list[str]) -> None:
    """No ``seed`` column: the tool chooses each row's seed, and a rerun must find it again
    (issue 20: the rerun chose new seeds and paid for every in-flight row again)."""
    sb = make_sandbox(latency_s=8.0)
    manifest = write_csv([{"song": s.name} for s in songs[:4]])
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "minimax_cover.plugin.cli", "batch", str(manifest), "-o",
           str(out), "--prompt", PROMPT, *delivery, "--concurrency", "4", "--json",
           "--no-progress"]
    env = {**os.environ, "RUNWARE_API_URL": sb.url, "RUNWARE_API_KEY": sb.api_key}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 40
        while sb.submissions() < 4:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "not every row was submitted"
            time.sleep(0.01)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=20)
    assert sb.submissions() == 4
    sb.latency_s = 0.1
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "new taskUUID" not in done.stderr
    report = json.loads(done.stdout)
    assert sorted(r["status"] for r in report["rows"]) == ["resumed"] * 4
    assert sb.submissions() == 4  # submits == rows: every in-flight row collected, not repaid
    for row in report["rows"]:
        assert sb.submissions(row["taskUUID"]) == 1
        assert row["files"] and all(Path(f).is_file() and Path(f).stat().st_size > 0
                                    for f in row["files"])
