"""Claim-then-submit is atomic: one submit per job across threads and processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.journal.store import Journal, default_owner, owner_alive

ENDPOINT = "http://127.0.0.1:9/v1"


def _claim(journal: Journal, digest: str, uuid_: str, owner: str, endpoint: str = ENDPOINT
           ) -> Any:
    return journal.claim_job(digest, uuid_, {"taskUUID": uuid_}, backend="runware",
                             endpoint=endpoint, number_results=1, owner=owner)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def journal(tmp_path: Path) -> Any:
    with Journal(tmp_path / "j.sqlite3") as j:
        yield j


def test_claims_run_then_busy_then_resume(journal: Journal) -> None:
    me = default_owner()
    other = f"{socket.gethostname()}:{os.getpid()}:other-thread"  # alive: this process
    first = _claim(journal, "d1", "t1", me)
    assert first.action == "run" and first.record.task_uuid == "t1"
    assert first.record.status == "pending" and first.record.lease_owner == me
    assert _claim(journal, "d1", "t2", other).action == "busy"  # nothing may be sent
    assert journal.get("t2") is None
    journal.record("t1", {"taskUUID": "t1"}, backend="runware", endpoint=ENDPOINT,
                   digest="d1", status="submitted")
    assert journal.get("t1").attempts == 1
    journal.release("t1", me)
    again = _claim(journal, "d1", "t3", other)
    assert again.action == "resume" and again.record.task_uuid == "t1"  # never a new submit
    journal.finish("t1", cost=0.15, owner=other)
    saved = journal.get("t1")
    assert saved.status == "saved" and saved.cost == 0.15 and saved.lease_owner is None
    assert _claim(journal, "d1", "t4", me).action == "run"  # saved: a new job may run


def test_a_dead_owners_claim_is_taken_over_with_its_task_uuid(journal: Journal) -> None:
    dead = f"{socket.gethostname()}:{_dead_pid()}:1"
    assert not owner_alive(dead) and owner_alive(default_owner())
    assert owner_alive("another-host:1:1")  # another host: only the lease's expiry tells
    assert _claim(journal, "d2", "t-dead", dead).action == "run"
    taken = _claim(journal, "d2", "t-new", default_owner())
    assert taken.action == "run" and taken.record.task_uuid == "t-dead"  # never sent: reused
    assert journal.get("t-new") is None


def test_other_endpoints_are_other_jobs(journal: Journal) -> None:
    _claim(journal, "d3", "t-a", default_owner())
    journal.record("t-a", {"taskUUID": "t-a"}, backend="runware", endpoint=ENDPOINT,
                   digest="d3", status="submitted")
    elsewhere = _claim(journal, "d3", "t-b", "h:1:1", endpoint="http://127.0.0.1:10/v1")
    assert elsewhere.action == "run" and elsewhere.record.task_uuid == "t-b"


def test_threads_racing_for_one_job_get_one_claim(journal: Journal) -> None:
    answers: list[str] = []
    barrier = threading.Barrier(8)

    def race(i: int) -> None:
        barrier.wait()
        answers.append(_claim(journal, "d4", f"t{i}", f"{default_owner()}-{i}").action)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == ["busy"] * 7 + ["run"]


@pytest.mark.slow
def test_two_identical_commands_started_together_pay_once(tmp_path: Path) -> None:
    from minimax_cover.plugin.sandbox import Sandbox

    song = tmp_path / "song.wav"
    import numpy as np
    from minimax_cover.plugin.audio import Audio, write_audio

    t = np.arange(7 * 8000) / 8000
    write_audio(Audio((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 8000), song,
                "WAV")
    with Sandbox(api_key="claims-key", latency_s=1.5, log=False) as sb:
        env = {**os.environ, "RUNWARE_API_URL": sb.url, "RUNWARE_API_KEY": sb.api_key}
        cmd = [sys.executable, "-m", "minimax_cover.plugin.cli", "cover", str(song),
               "--prompt", "warm acoustic folk with brushed drums", "-o", str(tmp_path / "o"),
               "--no-progress", "--seed", "5"]
        procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
        results = [p.communicate(timeout=60) for p in procs]
        codes = sorted(p.returncode for p in procs)
        time.sleep(0.1)
        assert sb.submissions() == 1, results
        assert codes[0] == 0
        if codes[1] != 0:  # the loser said why, and sent nothing
            assert any("being run by another process" in err for _, err in results), results


def test_a_seedless_claim_finds_the_row_an_earlier_run_drew_a_seed_for(journal: Journal) -> None:
    """A job whose seed the client chose is found again by its identity without the seed,
    whatever seed the rerun drew (issue 20: a killed seedless batch paid twice)."""
    me = default_owner()
    first = journal.claim_job("d-seed-5", "t1", {"taskUUID": "t1", "seed": 5},
                              backend="runware", endpoint=ENDPOINT, owner=me, seedless="s1")
    assert first.action == "run" and first.record.seedless_digest == "s1"
    journal.record("t1", {"taskUUID": "t1", "seed": 5}, backend="runware", endpoint=ENDPOINT,
                   digest="d-seed-5", status="submitted", seedless="s1")
    journal.release("t1", me)
    rerun = journal.claim_job("d-seed-77", "t2", {"taskUUID": "t2", "seed": 77},
                              backend="runware", endpoint=ENDPOINT, owner=me, seedless="s1")
    assert rerun.action == "resume" and rerun.record.task_uuid == "t1"
    assert rerun.record.request["seed"] == 5
    assert journal.get("t2") is None  # nothing new planned
    # a user-given seed is another job: never matched by the seedless key
    given = journal.claim_job("d-seed-77", "t3", {"taskUUID": "t3", "seed": 77},
                              backend="runware", endpoint=ENDPOINT, owner=me)
    assert given.action == "run" and given.record.task_uuid == "t3"


def test_a_seedless_claim_finds_rows_journaled_before_the_seedless_column(
        journal: Journal) -> None:
    """Rows written before ``m010_ledger_seedless`` carry the seedless identity as digest."""
    journal.record("old", {"taskUUID": "old", "seed": 9}, backend="runware",
                   endpoint=ENDPOINT, digest="s-old", status="submitted")
    claim = journal.claim_job("d-seed-1", "new", {"taskUUID": "new", "seed": 1},
                              backend="runware", endpoint=ENDPOINT, owner=default_owner(),
                              seedless="s-old")
    assert claim.action == "resume" and claim.record.task_uuid == "old"


def test_a_planned_row_takes_its_final_identity_when_recorded(journal: Journal) -> None:
    me = default_owner()
    journal.claim_job("d-a", "t1", {"taskUUID": "t1"}, backend="runware",
                      endpoint=ENDPOINT, owner=me)
    journal.record("t1", {"taskUUID": "t1", "seed": 3}, backend="runware", endpoint=ENDPOINT,
                   digest="d-b", status="submitted")
    assert journal.get("t1").request_digest == "d-b"
    with pytest.raises(Exception, match="different request"):  # sent: its identity stays
        journal.record("t1", {"taskUUID": "t1"}, backend="runware", endpoint=ENDPOINT,
                       digest="d-c")
