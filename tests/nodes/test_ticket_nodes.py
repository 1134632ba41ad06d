"""MiniMax Cover Submit / Collect: several covers at the same time, through the headless runner.

The three-prompts template's API twin runs against a sandbox on 127.0.0.1 whose covers take a
while (``latency_s``): all three tasks are submitted before the first result is downloaded (the
covers overlap), one submit each, and the takes come back as one AUDIO batch. Run again after a
"restart" (no job of this process running), the same fixed-seed jobs are reused from the
journal at no cost; a ticket of an earlier session is collected from the journal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.nodes.runner import run_workflow
from minimax_cover.plugin.jobs import tickets
from minimax_cover.plugin.journal.store import Journal

REPO = Path(__file__).resolve().parents[2]
TWIN = REPO / "examples" / "workflows" / "minimax_cover_three_prompts_api.json"
KEY = "rw-TICKETS-test-key"


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Any:
    from minimax_cover.plugin.sandbox import Sandbox

    with Sandbox(api_key=KEY, latency_s=3.0, log=False) as sb:
        monkeypatch.setenv("RUNWARE_API_URL", sb.url)
        monkeypatch.setenv("RUNWARE_API_KEY", KEY)
        yield sb


def _submits_and_downloads(sb: Any) -> tuple[list[int], list[int]]:
    submits, downloads = [], []
    for i, entry in enumerate(sb.requests_log):
        if entry["task_types"] == ["audioInference"]:
            submits.append(i)
        elif entry["method"] == "GET":
            downloads.append(i)
    return submits, downloads


def test_three_submits_run_together_and_collect_returns_every_take(
        sandbox: Any, tmp_path: Path) -> None:
    result = run_workflow(TWIN, output_dir=tmp_path / "out", temp_dir=tmp_path / "temp")
    assert result.order == ["1", "2", "3", "4", "5", "6"]
    submits, downloads = _submits_and_downloads(sandbox)
    assert len(submits) == 3 and sandbox.submissions() == 3  # one submit per cover
    assert downloads and submits[-1] < downloads[0]  # all submitted before any was collected
    audio, cost, uuids = result.runs["5"].outputs
    assert audio["waveform"].shape[0] == 3  # three takes, one per prompt, in ticket order
    tickets_out = [result.runs[n].outputs[0] for n in ("2", "3", "4")]
    assert json.loads(uuids) == [t.task_uuid for t in tickets_out]
    assert cost == pytest.approx(0.45)
    saved = result.ui["6"]["audio"]
    assert len(saved) == 3 and all((tmp_path / "out" / s["subfolder"] / s["filename"]).is_file()
                                   for s in saved)
    with Journal() as journal:
        assert [journal.get(t.task_uuid).status for t in tickets_out] == ["saved"] * 3

    tickets._running.clear()  # a new ComfyUI session: nothing of the first run is running
    again = run_workflow(TWIN, output_dir=tmp_path / "out2", temp_dir=tmp_path / "temp2")
    assert sandbox.submissions() == 3  # fixed seeds, saved before: reused, nothing paid
    assert all(again.runs[n].outputs[0].reused for n in ("2", "3", "4"))
    assert again.runs["5"].outputs[0]["waveform"].shape[0] == 3


def test_a_ticket_of_an_earlier_session_is_collected_from_the_journal(
        sandbox: Any, tmp_path: Path) -> None:
    from minimax_cover.nodes.ticket_nodes import MiniMaxCoverCollect

    first = run_workflow(TWIN, output_dir=tmp_path / "out", temp_dir=tmp_path / "temp")
    ticket = first.runs["2"].outputs[0]
    tickets._running.clear()
    audio, cost, _ = MiniMaxCoverCollect().collect(tickets.CoverTicket(ticket.task_uuid,
                                                                  ticket.journal))
    assert audio["waveform"].shape[0] == 1 and cost == pytest.approx(0.15)
    assert sandbox.submissions() == 3
