"""Receipts: ``minimax-cover spend`` lists every paid job from the journal, totals by day.

The CLI and the Python API (:func:`spend_report`) give the same totals, and the same totals
as the jobs' own ``cost_total``.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.cli import EXIT_INVALID, main
from minimax_cover.plugin.errors import TaskFailedError
from minimax_cover.plugin.journal.store import Journal
from minimax_cover.plugin.money.receipts import parse_since, spend_report
from minimax_cover.plugin.sandbox import Fault
from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER
from money_support import PROMPT

PRICE = MINIMAX_MUSIC_COVER.price_per_result_usd
REAL = "https://api.runware.ai/v1"


def _real_job(journal: Journal, uuid: str, *, status: str, cost: float | None,
              number_results: int = 1) -> None:
    """A job as a run against the real API leaves it (written straight to the journal)."""
    journal.record(uuid, {"positivePrompt": PROMPT, "numberResults": number_results,
                          "model": "minimax:music@cover"}, backend="runware", endpoint=REAL,
                   song="/songs/a.mp3")
    journal.mark(uuid, "submitted")
    if cost is not None:
        journal.add_results(uuid, [{"audioUUID": uuid[:8], "seed": 42, "cost": cost}],
                            cost=cost)
    journal.mark(uuid, status)


def test_spend_lists_every_paid_job_with_its_cost(
    sandbox: Any, song: Path, run_job: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = run_job(sandbox, song, results=2)
    sandbox.inject(Fault("task_error", times=1))
    with pytest.raises(TaskFailedError):
        run_job(sandbox, song, seed=11)
    with Journal() as journal:
        _real_job(journal, "11111111-1111-4111-8111-111111111111", status="saved", cost=0.30,
                  number_results=2)
        _real_job(journal, "22222222-2222-4222-8222-222222222222", status="unknown",
                  cost=None)
    report = spend_report()
    by_uuid = {e.task_uuid: e for e in report.entries}
    assert len(by_uuid) == 4
    mine = by_uuid[saved.task_uuid]
    assert mine.cost_usd == pytest.approx(saved.cost_total) and mine.sandbox
    assert mine.status == "saved" and mine.files == [str(p) for p in saved.files]
    assert mine.song == str(song) and mine.prompt == PROMPT
    assert mine.seeds == [o.seed for o in saved.outputs]
    unknown = by_uuid["22222222-2222-4222-8222-222222222222"]
    assert (unknown.cost_usd, unknown.cost_kind) == (pytest.approx(PRICE), "estimated")
    [day] = report.days
    assert day.day == date.today().isoformat() and day.jobs == 4
    assert day.usd == pytest.approx(0.30 + PRICE) and day.estimated_usd == pytest.approx(PRICE)
    assert day.sandbox_usd == pytest.approx(saved.cost_total)  # the failed one cost nothing

    assert main(["spend"]) == 0
    out = capsys.readouterr().out
    assert saved.task_uuid in out and "22222222-2222-4222-8222-222222222222" in out
    assert "~   $0.15" in out and "[sandbox]" in out
    assert f"total: $0.45 (~{'$0.15'} estimated)" in out

    assert main(["spend", "--json", "--since", "today"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["totalUsd"] == pytest.approx(report.total_usd)  # CLI and API agree
    assert {j["taskUUID"] for j in doc["jobs"]} == set(by_uuid)

    assert main(["spend", "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["taskUUID"] for r in rows] == [e.task_uuid for e in report.entries]
    assert rows[0].keys() >= {"date", "song", "prompt", "taskUUID", "seeds", "cost_usd",
                              "files", "status"}


def test_since_filters_and_validates(capsys: pytest.CaptureFixture[str]) -> None:
    with Journal() as journal:
        _real_job(journal, "33333333-3333-4333-8333-333333333333", status="saved", cost=0.15)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert spend_report(tomorrow).entries == []
    assert len(spend_report(date.today()).entries) == 1
    assert parse_since("3d") == date.today() - timedelta(days=3)
    assert main(["spend", "--since", "last week"]) == EXIT_INVALID
    assert "--since: must be YYYY-MM-DD" in capsys.readouterr().err
    assert main(["spend", "--since", tomorrow]) == 0
    assert "no jobs since" in capsys.readouterr().err


def test_pending_jobs_are_not_receipts() -> None:
    with Journal() as journal:
        journal.record("44444444-4444-4444-8444-444444444444", {"numberResults": 1},
                       backend="runware", endpoint=REAL)
    assert spend_report().entries == []
