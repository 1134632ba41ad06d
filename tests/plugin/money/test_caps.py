"""Spending caps per job and per day, enforced by the built-in ``spending_guard`` plugin.

The journal is the ledger: the daily cap counts today's spending plus what is in flight, and
the check and the hold of a job's price are one SQLite transaction, so it holds across
processes (two real ``minimax-cover`` processes below).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.errors import SpendingCapError, UsageError
from minimax_cover.plugin.hooks.registry import make_registry
from minimax_cover.plugin.journal.ledger import Ledger
from minimax_cover.plugin.journal.store import Journal
from minimax_cover.plugin.money.caps import Caps, load_caps
from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER
from money_support import PROMPT, task_types

PRICE = MINIMAX_MUSIC_COVER.price_per_result_usd


def test_caps_from_config_file_and_environment(isolated_env: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_caps() == Caps() and not load_caps().any
    config = isolated_env / "config" / "config.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"spending_caps": {"job_usd": 0.6, "day_usd": "10"}}))
    assert load_caps() == Caps(job_usd=0.6, day_usd=10.0)
    monkeypatch.setenv("MINIMAX_COVER_CAP_DAY_USD", "off")
    monkeypatch.setenv("MINIMAX_COVER_CAP_BATCH_USD", "2.5")
    assert load_caps() == Caps(job_usd=0.6, batch_usd=2.5)
    assert load_caps().describe() == "job $0.60, batch $2.50"
    monkeypatch.setenv("MINIMAX_COVER_CAP_JOB_USD", "-1")
    with pytest.raises(UsageError, match="MINIMAX_COVER_CAP_JOB_USD: must be 0 or more"):
        load_caps()


def test_job_cap_refuses_before_the_upload(sandbox: Any, song: Path, run_job: Any,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIMAX_COVER_CAP_JOB_USD", "0.40")
    with pytest.raises(SpendingCapError) as err:
        run_job(sandbox, song, results=3)
    assert err.value.cap == "job" and err.value.estimate_usd == pytest.approx(3 * PRICE)
    assert "above the per-job cap of $0.40 (MINIMAX_COVER_CAP_JOB_USD or " \
           "spending_caps.job_usd); nothing was sent" in str(err.value)
    assert "mediaStorage" not in task_types(sandbox) and sandbox.submissions() == 0
    assert len(run_job(sandbox, song, results=2).files) == 2  # $0.30 fits


def test_daily_cap_counts_todays_jobs(sandbox: Any, song: Path, run_job: Any,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIMAX_COVER_CAP_DAY_USD", "0.45")
    run_job(sandbox, song, results=2)
    with pytest.raises(SpendingCapError) as err:
        run_job(sandbox, song, results=2, seed=7)
    assert err.value.cap == "day" and err.value.committed_usd == pytest.approx(2 * PRICE)
    assert "today's sandbox spending is already $0.30" in str(err.value)
    assert sandbox.submissions() == 1
    assert len(run_job(sandbox, song, results=1, seed=8).files) == 1  # $0.45 exactly fits


def test_the_guard_is_what_enforces_them(sandbox: Any, song: Path, run_job: Any,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIMAX_COVER_CAP_JOB_USD", "0.01")
    monkeypatch.setenv("MINIMAX_COVER_BLOCK_PLUGINS", "spending_guard")
    result = run_job(sandbox, song, registry=make_registry(entry_points=False))
    assert len(result.files) == 1


def test_a_job_without_journal_still_counts(sandbox: Any, song: Path, run_job: Any,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIMAX_COVER_CAP_DAY_USD", "0.20")
    run_job(sandbox, song, journal=False)
    with Journal() as journal:
        [row] = Ledger(journal).rows()
    assert row.status is None and row.cost == pytest.approx(PRICE) and row.sandbox
    with pytest.raises(SpendingCapError, match="already \\$0.15"):
        run_job(sandbox, song, journal=False, seed=3)


def test_sandbox_and_real_spending_are_counted_apart(sandbox: Any, song: Path, run_job: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    with Journal() as journal:  # a real job of $0.40 today, held by the guard elsewhere
        journal.record("0f0f0f0f-1111-4222-8333-444455556666", {"numberResults": 1},
                       backend="runware", endpoint="https://api.runware.ai/v1")
        journal.mark("0f0f0f0f-1111-4222-8333-444455556666", "saved")
        journal.add_results("0f0f0f0f-1111-4222-8333-444455556666", [], cost=0.40)
    monkeypatch.setenv("MINIMAX_COVER_CAP_DAY_USD", "0.45")
    assert len(run_job(sandbox, song).files) == 1  # the sandbox's own ledger is empty


def _cli(song: Path, out: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "minimax_cover.plugin.cli", "cover", str(song), "--prompt",
         PROMPT, "--results", "2", "-o", str(out), "--no-progress", "--no-resume",
         "--delivery-method", "sync"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_daily_cap_holds_across_two_processes(make_sandbox: Any, song: Path, tmp_path: Path
                                              ) -> None:
    """Two processes start $0.30 jobs at once under a $0.45 daily cap: one runs, one is
    refused with nothing sent, whichever is first (its price is held while it runs)."""
    sb = make_sandbox(latency_s=0.5)
    env = {**os.environ, "RUNWARE_API_URL": sb.url, "RUNWARE_API_KEY": sb.api_key,
           "MINIMAX_COVER_CAP_DAY_USD": "0.45", "MINIMAX_COVER_LOAD_PLUGINS": ""}
    started = time.monotonic()
    procs = [_cli(song, tmp_path / f"out{i}", env) for i in range(2)]
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        outcomes.append((proc.returncode, err))
    codes = sorted(code for code, _ in outcomes)
    assert codes == [0, 2], outcomes
    refused = next(err for code, err in outcomes if code == 2)
    assert "daily cap of $0.45" in refused and "nothing was sent" in refused
    assert sb.submissions() == 1
    with Journal(Path(env["MINIMAX_COVER_DATA_DIR"]) / "journal.sqlite3") as journal:
        rows = Ledger(journal).rows()
    assert [r.status for r in rows if r.status != "pending"] == ["saved"]
    assert time.monotonic() - started < 30


def test_batch_cap_from_the_environment(sandbox: Any, song: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from minimax_cover.plugin.batch.api import cover_batch
    from money_support import backend_options

    monkeypatch.setenv("MINIMAX_COVER_CAP_BATCH_USD", "0.30")
    rows = [{"song": str(song), "prompt": PROMPT, "seed": seed} for seed in (1, 2, 3)]
    report = cover_batch(rows, output_dir=tmp_path / "batch", concurrency=1, backend="runware",
                         backend_options=backend_options(sandbox), receipt_name=None)
    assert report.max_cost == pytest.approx(0.30)
    assert report.count("saved") == 2 and sandbox.submissions() == 2
