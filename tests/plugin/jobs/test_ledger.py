"""The ledger: the one writer of a job's journal statuses, and identity before money."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from minimax_cover.plugin.jobs.ledger import LIFECYCLE, JobLedger
from minimax_cover.plugin.journal.records import STATUSES
from minimax_cover.plugin.journal.store import Journal
from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER as SPEC
from minimax_cover.plugin.spec.task import CoverTask

ROOT = Path(__file__).resolve().parents[3]
#: Journal methods that write a job's status (or its results and files).
_WRITES = re.compile(r"journal\)?\.(mark|finish|record|add_results|add_files|claim_job|claim)\(")
BACKEND = SimpleNamespace(name="runware", endpoint="https://api.example.invalid/v1",
                          sandbox=False, label="Runware")


def _request(**extra: Any) -> dict[str, Any]:
    return {"taskType": "audioInference", "model": SPEC.model_id,
            "positivePrompt": "warm acoustic folk, fingerpicked guitar",
            "inputs": {"audio": "https://example.invalid/song.mp3"}, "numberResults": 2,
            "taskUUID": extra.pop("taskUUID", "9f0c2a8e-3b1d-4c5e-8f7a-6b5c4d3e2f1a"), **extra}


@pytest.fixture
def journal(tmp_path: Path) -> Any:
    with Journal(tmp_path / "j.sqlite3") as j:
        yield j


def test_only_the_ledger_writes_a_status() -> None:
    offenders = []
    for folder in ("plugin", "nodes"):
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("plugin/journal/") or rel == "plugin/jobs/ledger.py":
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if _WRITES.search(line):
                    offenders.append(f"{rel}:{n}: {line.strip()}")
    assert offenders == []


def test_the_lifecycle_maps_onto_the_statuses_users_see() -> None:
    shown = [s for statuses in LIFECYCLE.values() for s in statuses]
    assert sorted(shown) == sorted(STATUSES)


def test_a_rerun_takes_the_journaled_seed_and_task_uuid_again(journal: Journal) -> None:
    first = JobLedger(journal, BACKEND, CoverTask(SPEC, _request()))
    assert first.plan("song-content").action == "run"
    seed = first.task.seed
    assert seed is not None and first.seedless  # chosen before the identity, journaled
    first.submitting(song="song.mp3", output_dir="/tmp/out", output_stem=None)
    first.release()
    row = journal.get(first.task_uuid)
    assert row.status == "submitted" and row.request["seed"] == seed
    assert row.seedless_digest == first.seedless and row.request_digest == first.digest

    rerun = JobLedger(journal, BACKEND, CoverTask(SPEC, _request(taskUUID="new-uuid")))
    plan = rerun.plan("song-content")
    assert plan.action == "resume" and rerun.task_uuid == first.task_uuid
    assert rerun.task.seed == seed  # never a new seed, never a second submit


def test_a_planned_row_never_sent_is_run_with_its_seed(journal: Journal) -> None:
    first = JobLedger(journal, BACKEND, CoverTask(SPEC, _request()))
    first.plan("song-content")
    seed = first.task.seed
    first.owner = None  # killed before the submit: its lease was never released
    journal.release(first.task_uuid, journal.get(first.task_uuid).lease_owner)
    rerun = JobLedger(journal, BACKEND, CoverTask(SPEC, _request(taskUUID="new-uuid")))
    assert rerun.plan("song-content").action == "run"
    assert rerun.task_uuid == first.task_uuid and rerun.task.seed == seed
    assert rerun.digest == first.digest


def test_a_given_seed_is_part_of_the_identity(journal: Journal) -> None:
    a = JobLedger(journal, BACKEND, CoverTask(SPEC, _request(seed=1)))
    a.plan("song-content")
    assert a.seedless is None and a.task.seed == 1
    b = JobLedger(journal, BACKEND, CoverTask(SPEC, _request(seed=2, taskUUID="other")))
    assert b.plan("song-content").action == "run" and b.digest != a.digest


def test_without_a_journal_a_seed_is_still_chosen() -> None:
    ledger = JobLedger(None, BACKEND, CoverTask(SPEC, _request()))
    assert ledger.plan("song-content").action == "run"
    assert ledger.task.seed is not None
    ledger.submitting(song=None, output_dir=None, output_stem=None)  # nothing to write
    ledger.saved(0.3)
