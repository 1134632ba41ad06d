"""Batch rows fail over like a single cover: Runware first, MiniMax when Runware refused a row
before accepting it; never after an unknown outcome. Both doubles run on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from batch_support import PROMPT, fast_options
from minimax_cover.plugin.batch.api import cover_batch
from minimax_cover.plugin.journal.store import Journal
from minimax_cover.plugin.money.providers import provider_estimate
from minimax_cover.plugin.sandbox import Fault
from minimax_cover.plugin.sandbox.minimax_server import MiniMaxSandbox
from minimax_cover.plugin.transport.retry import RetryPolicy

MM_KEY = "mm-FAKEKEY-batch-dont-leak"
AI = "audioInference"


@pytest.fixture
def minimax(monkeypatch: pytest.MonkeyPatch) -> Iterator[MiniMaxSandbox]:
    sb = MiniMaxSandbox(api_key=MM_KEY, banner=False).start()
    monkeypatch.setenv("MINIMAX_API_URL", sb.url)
    monkeypatch.setenv("MINIMAX_API_KEY", MM_KEY)
    monkeypatch.setenv("MINIMAX_COVER_PROVIDERS", "runware,minimax")
    yield sb
    sb.stop()


def _batch(songs: list[Path], out: Path, options: dict[str, Any], **kwargs: Any) -> Any:
    return cover_batch([str(s) for s in songs], prompt=PROMPT, output_dir=out,
                       concurrency=3, backend_options=options, **kwargs)


def _minimax_price() -> float:
    price = provider_estimate("minimax", {"numberResults": 1})
    assert price is not None and price > 0
    return price


def test_rows_refused_by_runware_run_on_minimax_once_each(
        minimax: MiniMaxSandbox, make_sandbox: Any, songs: list[Path], tmp_path: Path) -> None:
    runware = make_sandbox(faults=[Fault("status", task_type=AI, status=503, times=-1)])
    out = tmp_path / "out"
    report = _batch(songs[:3], out, fast_options(runware))
    assert [r.status for r in report.rows] == ["saved"] * 3, [r.error for r in report.rows]
    assert runware.submissions() == 0  # refused every one before accepting it
    refused = [r for r in runware.requests_log if AI in r["task_types"]]
    assert refused and all(r["status"] == 503 for r in refused)
    assert len(minimax.generations) == 3  # each row once, on MiniMax
    price = _minimax_price()
    for row in report.rows:
        assert row.provider == "minimax" and len(row.files) == 1
        assert row.estimate == pytest.approx(price)
    receipt = json.loads((out / "batch.report.json").read_text())
    assert [r["provider"] for r in receipt["rows"]] == ["minimax"] * 3
    assert "provider" in (out / "batch.report.csv").read_text().splitlines()[0]
    assert MM_KEY not in (out / "batch.report.json").read_text()
    with Journal() as journal:
        rows = [journal.get(r.task_uuid or "") for r in report.rows]
    assert all(j is not None and j.backend == "minimax" and j.status == "saved" for j in rows)

    again = _batch(songs[:3], out, fast_options(runware))  # the rerun submits nothing
    assert [r.status for r in again.rows] == ["skipped"] * 3
    assert len(minimax.generations) == 3 and runware.submissions() == 0
    assert again.cost == 0


def test_connection_refused_rows_fail_over(minimax: MiniMaxSandbox, dead_url: str,
                                           songs: list[Path], tmp_path: Path) -> None:
    dead = {"api_key": "rw-FAKEKEY-dead", "base_url": dead_url,
            "timeout": (2.0, 5.0),
            "retry_policy": RetryPolicy(max_retries=1, base_delay_s=0.01, max_delay_s=0.02)}
    report = _batch(songs[:3], tmp_path / "out", dead)
    assert [(r.status, r.provider) for r in report.rows] == [("saved", "minimax")] * 3
    assert len(minimax.generations) == 3


def test_max_cost_prices_rows_at_the_dearest_provider(
        minimax: MiniMaxSandbox, make_sandbox: Any, songs: list[Path], tmp_path: Path) -> None:
    runware = make_sandbox(faults=[Fault("status", task_type=AI, status=503, times=-1)])
    price = _minimax_price()
    report = _batch(songs[:3], tmp_path / "out", fast_options(runware),
                    max_cost=round(2 * price + price / 2, 6))
    statuses = sorted(r.status for r in report.rows)
    assert statuses == ["not-run", "saved", "saved"]  # the third would pass --max-cost
    assert len(minimax.generations) == 2
    assert report.cost == pytest.approx(2 * price)


def test_unknown_outcome_never_fails_over_and_reruns_by_task_uuid(
        minimax: MiniMaxSandbox, make_sandbox: Any, songs: list[Path], tmp_path: Path) -> None:
    runware = make_sandbox(faults=[
        Fault("drop_after", task_type=AI),  # accepted, the answer lost
        Fault("status", status=500, task_type="getResponse", times=-1),
        Fault("status", status=500, task_type="getTaskDetails", times=-1)])
    out = tmp_path / "out"
    options = fast_options(runware, poll_deadline_s=1.0)
    report = _batch(songs[:1], out, options)
    [row] = report.rows
    assert row.status == "unknown" and row.provider == "runware", row.error
    assert minimax.requests == []  # MiniMax never heard of it
    assert runware.submissions() == 1
    with Journal() as journal:
        record = journal.get(row.task_uuid or "")
        assert record is not None and record.backend == "runware"
        assert any(r.task_uuid == row.task_uuid for r in journal.unfinished())

    runware.clear_faults()
    again = _batch(songs[:1], out, fast_options(runware))
    [row2] = again.rows
    assert row2.status == "resumed" and row2.task_uuid == row.task_uuid and row2.files
    assert runware.submissions() == 1 and minimax.requests == []  # collected, not sent again


def test_moved_row_with_an_unknown_outcome_is_resumed_on_its_provider(
        minimax: MiniMaxSandbox, make_sandbox: Any, songs: list[Path], tmp_path: Path) -> None:
    from minimax_cover.plugin.sandbox.minimax_server import MiniMaxFault

    runware = make_sandbox(faults=[Fault("status", task_type=AI, status=503, times=-1)])
    minimax.faults.append(MiniMaxFault(1024, "generation", times=-1))  # sent, outcome unknown
    out = tmp_path / "out"
    [row] = _batch(songs[:1], out, fast_options(runware)).rows
    assert row.status == "unknown" and row.provider == "minimax", row.error
    generations = len(minimax.generations)
    with Journal() as journal:
        record = journal.get(row.task_uuid or "")
        assert record is not None and record.backend == "minimax"

    seen = len(runware.requests_log)
    [again] = _batch(songs[:1], out, fast_options(runware)).rows
    assert again.task_uuid == row.task_uuid and again.provider == "minimax"
    assert again.status == "unknown"  # MiniMax cannot look a job up: never paid twice
    assert len(minimax.generations) == generations  # nothing sent again
    asked = [t for e in runware.requests_log[seen:] for t in e["task_types"]]
    assert AI not in asked and "getResponse" not in asked  # Runware never had it
