"""Load: many concurrent jobs with faults mixed in; none lost, none paid twice, nothing leaked.

``REL_LOAD_JOBS`` (default 200) jobs run through :func:`cover` on ``REL_LOAD_WORKERS``
(default 16) threads against one sandbox, sharing one journal. Rate limits, 503s, dropped
connections, truncated downloads, generation errors and unknown outcomes are injected. Every
job must end saved or with a reported (typed) error, be journaled consistently, and be accepted
by the sandbox at most once; no thread may outlive the run.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.errors import (
    MinimaxCoverError,
    OutcomeUnknownError,
    TaskFailedError,
)
from minimax_cover.plugin.jobs.pipeline import cover
from minimax_cover.plugin.journal.store import Journal
from minimax_cover.plugin.sandbox import Fault
from rel_support import PROMPT, assert_row_consistent, fast_options

JOBS = int(os.environ.get("REL_LOAD_JOBS", "200"))
WORKERS = int(os.environ.get("REL_LOAD_WORKERS", "16"))
AI = "audioInference"


def _faults(jobs: int) -> list[Fault]:
    """About 10% rate limits, and a few of every other kind, spread over the run."""
    def at(step: int, start: int = 0) -> range:
        return range(start, max(jobs, 1), step)

    faults = [Fault("status", task_type=AI, status=429, retry_after="0.1", skip=k)
              for k in at(10)]
    faults += [Fault("status", task_type=AI, status=429, skip=k) for k in at(50, 25)]
    faults += [Fault("status", task_type=AI, status=503, skip=k) for k in at(40, 15)]
    # the collector asks about every pending task in one POST: far fewer getResponse requests
    # than jobs (a quarter of the jobs are async), so these come early
    faults += [Fault("status", task_type="getResponse", status=503, skip=k)
               for k in range(3, max(jobs // 8, 4), 6)]
    faults += [Fault("task_error", skip=k) for k in at(50, 20)]
    faults += [Fault("drop_after", task_type=AI, skip=k) for k in at(100, 33)]
    faults += [Fault("status", task_type=AI, status=500, skip=k) for k in at(100, 66)]
    faults += [Fault("truncate_download", skip=k) for k in at(60, 7)]
    return faults


@pytest.mark.slow
def test_concurrent_jobs_none_lost_none_duplicated(song: Path, tmp_path: Path,
                                                   make_sandbox: Any) -> None:
    before = set(threading.enumerate())
    faults = _faults(JOBS)
    sb = make_sandbox(latency_s=0.02, faults=faults)
    out = tmp_path / "out"
    outcomes: dict[int, tuple[str, str | None, str]] = {}
    lock = threading.Lock()

    with Journal(tmp_path / "j.sqlite3") as journal:
        def job(i: int) -> None:
            try:
                result = cover(song, prompt=PROMPT, seed=i, output_dir=out,
                               output_stem=f"job{i:04d}", backend="runware",
                               backend_options=fast_options(sb), journal=journal,
                               deliveryMethod="async" if i % 4 == 0 else "sync")
                outcome = ("saved", result.task_uuid, "")
            except MinimaxCoverError as exc:
                outcome = ("error", getattr(exc, "task_uuid", None), type(exc).__name__)
            with lock:
                outcomes[i] = outcome

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="rel-load") as pool:
            list(pool.map(job, range(JOBS)))
        elapsed = time.monotonic() - started
        records = {r.task_uuid: r for r in journal.list_jobs(limit=None)}

    # every job is accounted for: saved or a reported error, with its taskUUID
    assert sorted(outcomes) == list(range(JOBS))
    assert all(uuid_ for _, uuid_, _ in outcomes.values())
    uuids = [uuid_ for _, uuid_, _ in outcomes.values()]
    assert len(set(uuids)) == JOBS, "two jobs shared a task"
    assert set(records) == set(uuids)
    kinds = Counter(kind for kind, _, _ in outcomes.values())
    errors = Counter(name for kind, _, name in outcomes.values() if kind == "error")
    assert set(errors) <= {TaskFailedError.__name__, OutcomeUnknownError.__name__}, errors

    # the journal agrees with what the callers saw; saved means files on disk
    for kind, uuid_, _ in outcomes.values():
        record = records[uuid_]
        assert_row_consistent(record)
        assert (record.status == "saved") == (kind == "saved"), (record.status, kind)

    # never paid twice: every accepted submit belongs to exactly one job
    per_task = [sb.submissions(uuid_) for uuid_ in uuids]
    assert max(per_task) <= 1
    assert sum(per_task) == sb.submissions()
    assert all(sb.submissions(uuid_) == 1 for kind, uuid_, _ in outcomes.values()
               if kind == "saved")
    files = sorted(out.glob("*.mp3"))
    assert len(files) == kinds["saved"]

    # the injected faults were really hit (a fault aimed past the last request may stay
    # pending), the typed errors they cause showed up, and the run stayed bounded
    spent = len(faults) - len(sb.pending_faults())
    assert spent >= len(faults) * 0.9, f"only {spent} of {len(faults)} faults fired"
    if JOBS >= 50:
        assert kinds["saved"] >= JOBS * 0.8
        assert errors[TaskFailedError.__name__] >= 1, errors
    assert elapsed < max(60.0, JOBS * 0.5)

    sb.stop()
    deadline = time.monotonic() + 3.0
    while (leaked := [t for t in threading.enumerate() if t not in before and t.is_alive()]):
        assert time.monotonic() < deadline, f"threads left running: {leaked}"
        time.sleep(0.05)
    print(f"\nload: {JOBS} jobs x {WORKERS} workers in {elapsed:.1f} s; {dict(kinds)}; "
          f"errors {dict(errors)}; faults left {len(sb.pending_faults())}")
