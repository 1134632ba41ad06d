"""The Dask executor on a real LocalCluster with worker processes, against the sandbox.

Marked ``dask``: run by ``.ci/run-dask`` (its own venv with the ``.[dask]`` extra), deselected in
the default run. Workers talk to a sandbox in this process over 127.0.0.1 and read the key and URL
from their environment. A worker killed with SIGKILL mid-job leaves a task the driver sends
again; that attempt finds the task marked as sent and resumes it by ``taskUUID``: each task is
submitted exactly once.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from batch_support import PROMPT

pytestmark = [
    pytest.mark.dask,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture
def sandbox_env(make_sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A sandbox whose URL and key worker processes inherit through the environment."""
    sb = make_sandbox(latency_s=1.5)
    monkeypatch.setenv("RUNWARE_API_URL", sb.url)
    monkeypatch.setenv("RUNWARE_API_KEY", sb.api_key)
    return sb


def _rows(songs: list[Path]) -> list[dict[str, Any]]:
    return [{"song": str(s), "prompt": PROMPT, "seed": i, "deliveryMethod": "async"}
            for i, s in enumerate(songs[:4])]


def _check_once(sb: Any, report: Any) -> None:
    assert [r.status for r in report.rows] == ["saved"] * 4, [r.error for r in report.rows]
    assert sb.submissions() == 4
    for row in report.rows:
        assert sb.submissions(row.task_uuid) == 1
        assert all(Path(f).is_file() and Path(f).stat().st_size > 0 for f in row.files)


def test_a_batch_runs_on_worker_processes(sandbox_env: Any, songs: list[Path],
                                          tmp_path: Path) -> None:
    from minimax_cover.plugin.batch.api import cover_batch
    from minimax_cover.plugin.journal.store import Journal, default_journal_path

    report = cover_batch(_rows(songs), output_dir=tmp_path / "out", executor="dask",
                         concurrency=4, executor_options={"workers": 2})
    assert report.executor == "dask"
    _check_once(sandbox_env, report)
    with Journal(default_journal_path()) as journal:  # the driver kept the journal
        assert {journal.get(r.task_uuid).status for r in report.rows} == {"saved"}
    again = cover_batch(_rows(songs), output_dir=tmp_path / "out", executor="dask",
                        concurrency=4, executor_options={"workers": 1})
    assert [r.status for r in again.rows] == ["skipped"] * 4
    assert sandbox_env.submissions() == 4


@pytest.mark.parametrize("allowed_failures", [0, 3], ids=["driver-resends", "scheduler-retries"])
def test_a_worker_killed_mid_job_never_causes_a_second_submit(
        sandbox_env: Any, songs: list[Path], tmp_path: Path, allowed_failures: int) -> None:
    import dask
    from distributed import Client, LocalCluster
    from minimax_cover.plugin.batch.api import cover_batch

    with dask.config.set({"distributed.scheduler.allowed-failures": allowed_failures}):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
    client = Client(cluster)
    try:
        box: dict[str, Any] = {}

        def drive() -> None:
            box["report"] = cover_batch(
                _rows(songs), output_dir=tmp_path / "out", executor="dask", concurrency=4,
                executor_options={"address": cluster.scheduler_address})

        driver = threading.Thread(target=drive)
        driver.start()
        deadline = time.monotonic() + 60
        while sandbox_env.submissions() < 2:  # both workers are waiting on a paid task
            assert driver.is_alive() and time.monotonic() < deadline
            time.sleep(0.02)
        pids = client.run(os.getpid)
        busy = [addr for addr, keys in client.processing().items() if keys]
        os.kill(pids[busy[0]], signal.SIGKILL)
        driver.join(120)
        assert not driver.is_alive()
    finally:
        client.close()
        cluster.close()
    _check_once(sandbox_env, box["report"])


class _DriverKilled(BaseException):
    """The driver dies (nothing catches it): its jobs are never journaled as done."""


def test_a_seedless_batch_whose_driver_died_is_collected_not_repaid(
        sandbox_env: Any, songs: list[Path], tmp_path: Path) -> None:
    """No seed column on Dask workers: the driver's ledger chooses and journals each row's
    seed and taskUUID before dispatch, so the rerun after the driver died finds every row it
    sent and collects it by taskUUID."""
    from minimax_cover.plugin.batch.api import cover_batch
    from minimax_cover.plugin.journal.store import Journal, default_journal_path

    rows = [{"song": str(s), "prompt": PROMPT, "deliveryMethod": "async"} for s in songs[:4]]

    def die() -> bool:
        if sandbox_env.submissions() >= 2:
            raise _DriverKilled
        return False

    with pytest.raises(_DriverKilled):
        cover_batch(rows, output_dir=tmp_path / "out", executor="dask", concurrency=2,
                    executor_options={"workers": 2}, should_cancel=die)
    assert sandbox_env.submissions() == 2
    with Journal(default_journal_path()) as journal:
        sent = journal.list_jobs(limit=None)
        assert len(sent) == 2 and {r.status for r in sent} == {"submitted"}
        for row in sent:
            assert row.request.get("seed") is not None and row.seedless_digest
    again = cover_batch(rows, output_dir=tmp_path / "out", executor="dask", concurrency=4,
                        executor_options={"workers": 2})
    assert sorted(r.status for r in again.rows) == ["resumed", "resumed", "saved", "saved"], [
        (r.status, r.error) for r in again.rows]
    assert sandbox_env.submissions() == 4  # submits == rows
    for row in again.rows:
        assert sandbox_env.submissions(row.task_uuid) == 1


def test_without_a_key_local_workers_use_the_runs_sandbox_quietly(
        songs: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No key, no URL: like every other command the batch runs on the sandbox (its local
    workers reach it over loopback; nothing charged), and distributed's INFO lines stay out
    of a normal run (issue 24)."""
    import logging

    from minimax_cover.plugin.cli import main

    assert "RUNWARE_API_KEY" not in os.environ and "RUNWARE_API_URL" not in os.environ
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    root.handlers = [logging.StreamHandler(sys.stderr)]  # what the console script sees
    try:
        code = main(["batch", str(songs[0].parent), "-o", str(tmp_path / "out"), "--prompt",
                     PROMPT, "--executor", "dask", "--executor-option", "workers=1",
                     "--json", "--no-progress"])
    finally:
        root.handlers = handlers
        root.setLevel(level)
    out, err = capsys.readouterr()
    assert code == 0, err
    import json

    doc = json.loads(out)
    assert doc["sandbox"] is True and doc["executor"] == "dask"
    assert [r["status"] for r in doc["rows"]] == ["saved"] * 5
    assert "distributed" not in err and "INFO" not in err, err
    from minimax_cover.plugin.cli import main as again

    assert again(["spend", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["totalUsd"] == 0.0  # sandbox covers are free
