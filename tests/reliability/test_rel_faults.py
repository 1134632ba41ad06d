"""Faults through the full pipeline: every injected failure ends in success or a typed error.

Each case runs :func:`cover` (upload, submit, wait, download, save) against a sandbox with one
fault injected, with a journal in ``tmp_path``, and checks the three invariants:

1. the outcome is success (after retries / ``getResponse`` recovery) or the expected error class;
2. the sandbox accepted the task at most once (no double payment);
3. the journal row is consistent: ``saved`` with files that exist, otherwise an error message.

Cases whose result was paid for but not saved must be collectable later with
:func:`resume_job` (``getResponse`` only, still one submission).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.errors import (
    APIError,
    DownloadError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    TaskFailedError,
)
from minimax_cover.plugin.jobs.pipeline import cover, resume_job
from minimax_cover.plugin.journal.store import UNFINISHED_STATUSES, Journal
from minimax_cover.plugin.sandbox import Fault
from rel_support import PROMPT, assert_row_consistent, fast_options

AI = "audioInference"
GR = "getResponse"


@dataclass
class Case:
    """One fault scenario and what must come out of it."""

    faults: list[Fault]
    expect: type[BaseException] | None = None  # None: success
    delivery: str = "sync"
    client: dict[str, Any] = field(default_factory=dict)
    saved_files: int = 2  # files on disk after cover() (success or partial)
    resumable: bool = False  # the job stays unfinished and resume_job() completes it
    accepted: int = 1  # submissions the sandbox accepted (0: it never saw the task)


#: A client whose read timeout is shorter than the sandbox's stall.
SHORT_READ = {"timeout": (2.0, 0.3), "sync_read_timeout_s": 0.3}

CASES: dict[str, Case] = {
    # latency beyond the read timeout: never resubmitted, recovered by getResponse
    "stall-sync": Case([Fault("stall", task_type=AI, delay_s=1.0)], client=SHORT_READ),
    "stall-async": Case([Fault("stall", task_type=AI, delay_s=1.0)], delivery="async",
                        client=SHORT_READ),
    # an answer that leaves the task out: it is still pending, asked about again
    "omit-poll": Case([Fault("omit", task_type="getResponse", times=3)], delivery="async"),
    # 429: the task was not queued; the same taskUUID is sent again after the delay
    "429-retry-after": Case([Fault("status", task_type=AI, status=429, retry_after="0.05")]),
    "429-no-retry-after": Case([Fault("status", task_type=AI, status=429, times=2)]),
    "429-http-date": Case([Fault("status", task_type=AI, status=429,
                                 retry_after="Wed, 21 Oct 2015 07:28:00 GMT")]),
    "429-forever": Case([Fault("status", task_type=AI, status=429, times=-1)],
                        expect=RateLimitError, saved_files=0, accepted=0),
    "429-retry-after-too-long": Case(
        [Fault("status", task_type=AI, status=429, retry_after="86400")],
        expect=RateLimitError, saved_files=0, accepted=0),
    # 5xx on submit: 503 with a Runware body is "not queued" -> retried; 500/502 are unknown
    "500-submit": Case([Fault("status", task_type=AI, status=500)],
                       expect=OutcomeUnknownError, saved_files=0, accepted=0),
    "502-submit": Case([Fault("status", task_type=AI, status=502)],
                       expect=OutcomeUnknownError, saved_files=0, accepted=0),
    "503-submit": Case([Fault("status", task_type=AI, status=503, times=2)]),
    "503-submit-async": Case([Fault("status", task_type=AI, status=503)], delivery="async"),
    # getResponse failures are reads: retried freely within the budget
    "503-getresponse": Case([Fault("status", task_type=GR, status=503, times=2)],
                            delivery="async"),
    "503-getresponse-beyond-budget": Case(
        [Fault("status", task_type=GR, status=503, times=6)], delivery="async",
        expect=OutcomeUnknownError, saved_files=0, resumable=True),
    "malformed-getresponse": Case([Fault("malformed_json", task_type=GR)], delivery="async"),
    # connection reset before / after the server accepted the task
    "drop-before": Case([Fault("drop_before", task_type=AI)],
                        expect=OutcomeUnknownError, saved_files=0, accepted=0),
    "drop-after-sync": Case([Fault("drop_after", task_type=AI)]),
    "drop-after-async": Case([Fault("drop_after", task_type=AI)], delivery="async"),
    # a malformed 200 answer to a submit: outcome unknown, never resubmitted
    "malformed-submit": Case([Fault("malformed_json", task_type=AI)],
                             expect=OutcomeUnknownError, saved_files=0, accepted=0),
    # downloads: one truncated file is fetched again; persistent failures leave it resumable
    "truncated-download": Case([Fault("truncate_download")]),
    "truncated-download-twice": Case([Fault("truncate_download", times=2)],
                                     expect=DownloadError, saved_files=0, resumable=True),
    "expired-url": Case([Fault("expire_url")], expect=NotFoundError, saved_files=0,
                        resumable=True),
    "expired-url-async": Case([Fault("expire_url", skip=1)], delivery="async",
                              expect=NotFoundError, saved_files=1, resumable=True),
    # generation errors are final; the paid successes are kept
    "task-error-one-of-two": Case([Fault("task_error", result_index=1)],
                                  expect=TaskFailedError, saved_files=1),
    "task-error-one-of-two-async": Case([Fault("task_error", result_index=1)],
                                        delivery="async", expect=TaskFailedError,
                                        saved_files=1),
    "task-error-all": Case([Fault("task_error")], expect=TaskFailedError, saved_files=0),
}


@pytest.mark.parametrize("name", list(CASES))
def test_fault_through_pipeline(name: str, song: Path, tmp_path: Path, make_sandbox: Any) -> None:
    case = CASES[name]
    sb = make_sandbox(faults=case.faults)
    out = tmp_path / "out"
    with Journal(tmp_path / "j.sqlite3") as journal:
        error: BaseException | None = None
        try:
            result = cover(song, prompt=PROMPT, number_results=2, output_dir=out,
                           backend="runware", backend_options=fast_options(sb, **case.client),
                           journal=journal, deliveryMethod=case.delivery)
        except APIError as exc:
            error = exc
        if case.expect is None:
            assert error is None, f"{name}: {type(error).__name__}: {error}"
            assert len(result.files) == 2 and all(p.is_file() for p in result.files)
            task_uuid = result.task_uuid
        else:
            assert isinstance(error, case.expect), f"{name}: got {error!r}"
            assert str(error) and "\n" not in str(error)
            task_uuid = error.task_uuid or ""
        jobs = journal.list_jobs(limit=None)
        assert len(jobs) == 1
        record = jobs[0]
        assert task_uuid == record.task_uuid
        assert_row_consistent(record)
        assert record.status == ("saved" if case.expect is None else record.status)
        assert len(record.files) == case.saved_files
        assert sb.submissions(task_uuid) == case.accepted <= 1
        assert sb.submissions() == case.accepted

        if isinstance(error, TaskFailedError):
            assert record.status == "failed"
            assert len(error.partial_results) == case.saved_files
            assert len(error.saved_files) == case.saved_files  # type: ignore[attr-defined]
        if isinstance(error, OutcomeUnknownError) or case.resumable:
            # a paid (or possibly paid) job is never final: `resume` can still collect it
            assert record.status in UNFINISHED_STATUSES
            assert journal.find_resumable(record.request_digest) is not None
        if case.resumable:
            resumed = resume_job(task_uuid, output_dir=out, journal=journal,
                                 backend_options=fast_options(sb))
            assert resumed.resumed and len(resumed.files) == 2
            record = journal.get(task_uuid)
            assert record is not None and record.status == "saved"
            assert_row_consistent(record)
            assert sb.submissions(task_uuid) == 1


def test_rerun_after_unknown_outcome_never_resubmits(song: Path, tmp_path: Path,
                                                     make_sandbox: Any) -> None:
    """The same request after an unknown outcome resumes the journaled task instead of paying
    again; if the server never saw it, the user gets OutcomeUnknownError again, not a resubmit."""
    sb = make_sandbox(faults=[Fault("drop_before", task_type=AI)])
    with Journal(tmp_path / "j.sqlite3") as journal:
        for _ in range(2):
            with pytest.raises(OutcomeUnknownError) as info:
                cover(song, prompt=PROMPT, seed=7, output_dir=tmp_path / "o", backend="runware",
                      backend_options=fast_options(sb), journal=journal)
        assert len(journal.list_jobs(limit=None)) == 1
        assert info.value.task_uuid == journal.list_jobs()[0].task_uuid
    assert sb.submissions() == 0
    assert [r["task_types"] for r in sb.requests_log].count([AI]) == 1


def test_fault_matrix_is_covered() -> None:
    """Every kind the sandbox can inject is exercised by at least one case."""
    from minimax_cover.plugin.sandbox import FAULT_KINDS

    used = {f.kind for case in CASES.values() for f in case.faults}
    assert used >= set(FAULT_KINDS) - {"latency"}
