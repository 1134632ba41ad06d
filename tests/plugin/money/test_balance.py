"""Balance: ``minimax-cover account`` shows it; a job it cannot pay is refused, nothing sent.

The sandbox holds a configurable balance (``Sandbox(balance_usd=...)``, ``minimax-cover
sandbox --balance``), answers ``accountManagement`` ``getDetails`` and refuses a task it
cannot pay with HTTP 402 ``insufficientCredits``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from minimax_cover.plugin.cli import EXIT_INVALID, main
from minimax_cover.plugin.errors import InsufficientBalanceError, InsufficientCreditsError
from minimax_cover.plugin.journal.store import Journal
from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER
from money_support import PROMPT, run_cli, task_types

PRICE = MINIMAX_MUSIC_COVER.price_per_result_usd


def test_low_balance_refuses_the_job_before_anything_is_sent(
    make_sandbox: Any, song: Path, run_job: Any
) -> None:
    sb = make_sandbox(balance_usd=0.20)
    with pytest.raises(InsufficientBalanceError) as err:
        run_job(sb, song, results=2)
    assert str(err.value) == ("the job costs $0.30 but the sandbox account balance is $0.20; "
                              "nothing was sent (add credit, or ask for fewer results)")
    assert err.value.balance_usd == pytest.approx(0.20)
    assert task_types(sb) == ["accountManagement"]  # no upload, no task
    assert sb.balance_usd == pytest.approx(0.20)
    with Journal() as journal:  # the claim was released, nothing is left to resume
        assert journal.unfinished() == []


def test_enough_balance_runs_and_is_charged(make_sandbox: Any, song: Path, run_job: Any
                                            ) -> None:
    sb = make_sandbox(balance_usd=0.50)
    result = run_job(sb, song, results=2)
    assert len(result.files) == 2 and result.cost_total == pytest.approx(2 * PRICE)
    assert sb.balance_usd == pytest.approx(0.50 - 2 * PRICE)
    assert task_types(sb)[0] == "accountManagement"


def test_cli_refusal_is_one_line_exit_2(make_sandbox: Any, song: Path, sandbox_env: Any,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    sb = make_sandbox(balance_usd=0.10)
    sandbox_env(sb)
    assert main(["cover", str(song), "--prompt", PROMPT, "--no-progress"]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert err == ("error: the job costs $0.15 but the sandbox account balance is $0.10; "
                   "nothing was sent (add credit, or ask for fewer results)\n")
    assert sb.submissions() == 0


def test_without_the_check_the_api_402_stops_it(make_sandbox: Any, song: Path, run_job: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIMAX_COVER_CHECK_BALANCE", "0")
    sb = make_sandbox(balance_usd=0.10)
    with pytest.raises(InsufficientCreditsError):
        run_job(sb, song, journal=False)
    assert "accountManagement" not in task_types(sb)
    assert sb.submissions() == 0 and sb.balance_usd == pytest.approx(0.10)


def test_unlimited_balance_is_not_reported(sandbox: Any) -> None:
    headers = {"Authorization": f"Bearer {sandbox.api_key}"}
    task = {"taskType": "accountManagement", "taskUUID": "a" * 8, "operation": "getDetails"}
    [item] = requests.post(sandbox.url, json=[task], headers=headers, timeout=5).json()["data"]
    assert "balance" not in item and item["organizationName"] == "minimax-cover sandbox"
    bad = requests.post(sandbox.url, json=[{**task, "operation": "delete"}], headers=headers,
                        timeout=5)
    assert bad.status_code == 400 and bad.json()["errors"][0]["parameter"] == "operation"


def test_account_command(make_sandbox: Any, sandbox_env: Any,
                         capsys: pytest.CaptureFixture[str]) -> None:
    sb = make_sandbox(balance_usd=12.5)
    sandbox_env(sb)
    assert main(["account"]) == 0
    out = capsys.readouterr().out
    assert "SANDBOX account: minimax-cover sandbox" in out and "balance: $12.50" in out
    assert "spent today: $0.00" in out and "caps: no caps" in out
    assert main(["account", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["balanceUsd"] == 12.5 and doc["sandbox"] is True and doc["endpoint"] == sb.url


def test_account_at_a_url_needs_its_key(capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """No key and no URL is the sandbox (tests/plugin/cli/test_new_user_path.py); a URL
    without its key is an error naming what to set."""
    monkeypatch.setenv("RUNWARE_API_URL", "http://127.0.0.1:9/v1")
    assert main(["account"]) == 1
    assert "no Runware API key: set RUNWARE_API_KEY" in capsys.readouterr().err


def test_sandbox_command_balance_flag(tmp_path: Path) -> None:
    env = {**os.environ, "MINIMAX_COVER_DATA_DIR": str(tmp_path / "data"),
           "MINIMAX_COVER_CONFIG_DIR": str(tmp_path / "config")}
    with subprocess.Popen([sys.executable, "-m", "minimax_cover.plugin.cli", "sandbox",
                           "--balance", "0.45", "--json"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True, env=env) as proc:
        try:
            assert proc.stdout is not None
            info = json.loads(proc.stdout.readline())
            account = run_cli("account", "--json", env={**env, "RUNWARE_API_URL": info["url"],
                                                         "RUNWARE_API_KEY": info["api_key"]})
            assert account.returncode == 0, account.stderr
            assert json.loads(account.stdout)["balanceUsd"] == pytest.approx(0.45)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)
