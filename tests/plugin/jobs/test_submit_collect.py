"""A job's life through ``Backend.submit`` and ``Backend.collect`` (issue 20).

Against the Runware sandbox over loopback; submits and getResponse POSTs are counted at the
sandbox. ``run``/``resume`` of the backends are made to fail: the job never calls them.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.errors import Interrupted
from minimax_cover.plugin.jobs.pipeline import cover, resume_job
from minimax_cover.plugin.journal.store import Journal
from minimax_cover.plugin.minimax.backend import MiniMaxBackend
from minimax_cover.plugin.runware.backend import RunwareBackend
from minimax_cover.plugin.sandbox import Fault
from minimax_cover.plugin.transport.retry import RetryPolicy

PROMPT = "warm acoustic folk, fingerpicked guitar"


def _options(sb: Any) -> dict[str, Any]:
    return {"api_key": sb.api_key, "base_url": sb.url, "timeout": (2.0, 5.0),
            "sync_read_timeout_s": 10.0, "poll_initial_s": 0.02, "poll_max_s": 0.05,
            "retry_policy": RetryPolicy(base_delay_s=0.01, max_delay_s=0.05)}


@pytest.fixture(autouse=True)
def no_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """The job path never uses the third-party wrappers ``run``/``resume``."""
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the job called run/resume instead of submit/collect")

    for cls in (RunwareBackend, MiniMaxBackend):
        monkeypatch.setattr(cls, "run", refuse)
        monkeypatch.setattr(cls, "resume", refuse)


@pytest.fixture
def song(tmp_path: Path, song_wav: bytes) -> Path:
    path = tmp_path / "song.wav"
    path.write_bytes(song_wav)
    return path


def _polls(sb: Any) -> list[dict[str, Any]]:
    return [r for r in sb.requests_log if "getResponse" in r["task_types"]]


def test_concurrent_covers_submit_once_each_and_share_getresponse_posts(
        make_sandbox: Any, song: Path, tmp_path: Path) -> None:
    sb = make_sandbox(latency_s=0.6)
    results: list[Any] = []
    errors: list[BaseException] = []

    def one(n: int) -> None:
        try:
            with Journal(tmp_path / f"j{n}.sqlite3") as journal:
                results.append(cover(song, prompt=f"{PROMPT} {n}", backend="runware",
                                     backend_options=_options(sb), journal=journal,
                                     deliveryMethod="async", output_dir=tmp_path / f"o{n}"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(results) == 4 and all(len(r.files) == 1 for r in results)
    assert all(sb.submissions(r.task_uuid) == 1 for r in results)  # exactly one submit each
    assert sb.submissions() == 4
    asked = _polls(sb)
    assert asked, "collected through getResponse"
    assert max(len(r["task_uuids"]) for r in asked) >= 2  # the jobs' tasks asked together
    assert len(asked) < sum(len(r["task_uuids"]) for r in asked)  # POSTs shared


def test_ctrl_c_before_the_send_sends_nothing_and_the_rerun_submits_the_same_task(
        make_sandbox: Any, song: Path, tmp_path: Path) -> None:
    sb = make_sandbox()
    with Journal(tmp_path / "j.sqlite3") as journal:
        with pytest.raises(Interrupted, match="nothing was sent") as info:
            cover(song, prompt=PROMPT, backend="runware", backend_options=_options(sb),
                  journal=journal, deliveryMethod="async", output_dir=tmp_path / "out",
                  should_cancel=lambda: True)
        assert sb.submissions() == 0
        planned = journal.get(info.value.task_uuid or "")
        assert planned is not None and planned.status == "pending"  # planned, never sent
        result = cover(song, prompt=PROMPT, seed=planned.request["seed"], backend="runware",
                       backend_options=_options(sb), journal=journal, deliveryMethod="async",
                       output_dir=tmp_path / "out")
    assert result.task_uuid == planned.task_uuid and sb.submissions() == 1


def test_ctrl_c_while_collecting_leaves_the_ticket_and_resume_collects_it(
        make_sandbox: Any, song: Path, tmp_path: Path) -> None:
    sb = make_sandbox(latency_s=0.3)
    phases: list[str] = []
    with Journal(tmp_path / "j.sqlite3") as journal:
        with pytest.raises(Interrupted) as info:
            cover(song, prompt=PROMPT, backend="runware", backend_options=_options(sb),
                  journal=journal, deliveryMethod="async", output_dir=tmp_path / "out",
                  on_progress=lambda e: phases.append(e.phase),
                  should_cancel=lambda: "queued" in phases)
        task = info.value.task_uuid or ""
        assert phases[0] == "submitting" and sb.submissions(task) == 1
        assert journal.get(task).status == "submitted"
        result = resume_job(task, journal=journal, backend_options=_options(sb))
        assert result.resumed and len(result.files) == 1 and sb.submissions(task) == 1
        again = resume_job(task, journal=journal)  # idempotent: the saved files, nothing sent
    assert again.files == result.files and not again.resumed
    assert "already saved" in again.warnings[0] and sb.submissions() == 1


def test_failover_is_decided_by_the_submit(make_sandbox: Any, song: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from minimax_cover.plugin.sandbox.minimax_server import MiniMaxSandbox

    mm = MiniMaxSandbox(api_key="mm-FAKEKEY-wiring", banner=False).start()
    try:
        monkeypatch.setenv("MINIMAX_API_URL", mm.url)
        monkeypatch.setenv("MINIMAX_API_KEY", "mm-FAKEKEY-wiring")
        monkeypatch.setenv("MINIMAX_COVER_PROVIDERS", "runware,minimax")
        runware = make_sandbox(faults=[Fault("status", task_type="audioInference",
                                             status=503, times=-1)])
        monkeypatch.setenv("RUNWARE_API_URL", runware.url)
        monkeypatch.setenv("RUNWARE_API_KEY", runware.api_key)
        with Journal(tmp_path / "j.sqlite3") as journal:
            result = cover(song, prompt=PROMPT, journal=journal, deliveryMethod="async",
                           output_dir=tmp_path / "out",
                           backend_options={"retry_policy": RetryPolicy(
                               max_retries=1, base_delay_s=0.01, max_delay_s=0.02)})
            row = journal.get(result.task_uuid)
        assert result.backend == "minimax" and len(result.files) == 1
        assert len(mm.generations) == 1 and not _polls(runware)  # nothing collected there
        assert row.backend == "minimax" and row.status == "saved"  # moved by the ledger
    finally:
        mm.stop()
