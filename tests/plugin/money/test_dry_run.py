"""Price before spending: ``cover --dry-run`` and ``cover(dry_run=True)`` send no running task.

The request goes out once, with ``X-Runware-Dry-Run: 1``: validated and priced by the
sandbox (as Runware would), nothing uploaded, run, charged or journaled.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from minimax_cover.plugin.cli import EXIT_INVALID, main
from minimax_cover.plugin.errors import InvalidParameterError
from minimax_cover.plugin.journal.store import Journal
from minimax_cover.plugin.money.pricing import format_usd, quote_request, table_quote
from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER
from money_support import PROMPT, task_types

PRICE = MINIMAX_MUSIC_COVER.price_per_result_usd


def test_cli_dry_run_prints_the_price_and_runs_nothing(
    sandbox: Any, song: Path, tmp_path: Path, sandbox_env: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox_env(sandbox)
    out = tmp_path / "not-created"
    code = main(["cover", str(song), "--prompt", PROMPT, "--results", "3", "-o", str(out),
                 "--dry-run"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"price: {format_usd(3 * PRICE)} for 3 result(s) (from the sandbox dry run)" \
        in captured.out
    assert sandbox.submissions() == 0  # no task runs
    assert task_types(sandbox) == ["audioInference"]  # no upload, no balance: one priced task
    assert [e["dry_run"] for e in sandbox.requests_log] == [True]
    assert not out.exists()
    with Journal() as journal:
        assert journal.list_jobs(limit=None) == []


def test_cli_dry_run_json_and_validation(sandbox: Any, song: Path, sandbox_env: Any,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    sandbox_env(sandbox)
    assert main(["cover", str(song), "--prompt", PROMPT, "--dry-run", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["dryRun"] is True and doc["outputs"] == []
    assert doc["estimatedCost"] == pytest.approx(PRICE)
    assert doc["priceSource"] == "sandbox dry run" and doc["sandbox"] is True
    assert main(["cover", str(song), "--prompt", "short", "--dry-run"]) == EXIT_INVALID
    assert sandbox.submissions() == 0


def test_api_dry_run(sandbox: Any, song: Path, run_job: Any, tmp_path: Path) -> None:
    result = run_job(sandbox, song, results=2, dry_run=True, output_dir=tmp_path / "x")
    assert result.dry_run and result.outputs == [] and result.cost_total is None
    assert result.estimated_cost == pytest.approx(2 * PRICE)
    assert result.request["includeCost"] is True
    assert sandbox.submissions() == 0 and not (tmp_path / "x").exists()


def test_dry_run_offline_uses_the_in_process_sandbox(song: Path) -> None:
    from minimax_cover.plugin.jobs.pipeline import cover

    result = cover(song, prompt=PROMPT, results=4, dry_run=True)
    assert result.sandbox and result.estimated_cost == pytest.approx(4 * PRICE)


class _NoDryRun:
    """A backend without ``price``: the price table answers."""

    name, sandbox = "plain", False


class _Refusing:
    """A backend whose dry run rejects the placeholder song (not uploaded for a dry run)."""

    name, sandbox = "strict", False

    def price(self, request: dict[str, Any]) -> float | None:
        raise InvalidParameterError("no such media", parameter="inputs.audio")


def test_price_table_when_the_api_gives_no_price() -> None:
    from minimax_cover.plugin.spec.validation import PLACEHOLDER_AUDIO

    request = {"numberResults": 2, "inputs": {"audio": PLACEHOLDER_AUDIO}}
    quote = quote_request(_NoDryRun(), MINIMAX_MUSIC_COVER, request)
    assert quote.price_usd == pytest.approx(2 * PRICE) and quote.source == "price table"
    assert "has no dry run" in (quote.note or "")
    refused = quote_request(_Refusing(), MINIMAX_MUSIC_COVER, request)
    assert refused.source == "price table" and "uploaded song" in (refused.note or "")
    assert table_quote(MINIMAX_MUSIC_COVER, {}).describe() == \
        f"{format_usd(PRICE)} (1 x {format_usd(PRICE)}, price table)"


def test_sandbox_answers_a_dry_run_without_keeping_the_task(sandbox: Any, make_task: Any
                                                            ) -> None:
    task = make_task(str(uuid.uuid4()), numberResults=2)
    headers = {"Authorization": f"Bearer {sandbox.api_key}", "X-Runware-Dry-Run": "1"}
    answer = requests.post(sandbox.url, json=[task], headers=headers, timeout=5)
    assert answer.status_code == 200
    [item] = answer.json()["data"]
    assert item == {"taskType": "audioInference", "taskUUID": task["taskUUID"],
                    "cost": pytest.approx(2 * PRICE), "dryRun": True, "sandbox": True}
    bad = requests.post(sandbox.url, json=[{**task, "numberResults": 9}], headers=headers,
                        timeout=5)
    assert bad.status_code == 400 and bad.json()["errors"][0]["parameter"] == "numberResults"
    assert sandbox.submissions() == 0 and sandbox.task(task["taskUUID"]) is None
