"""The process's collector: every pending task asked about in one getResponse POST per tick.

Against the sandbox over loopback; POSTs are counted at the sandbox (``requests_log``).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from minimax_cover.plugin.errors import Interrupted, TaskFailedError
from minimax_cover.plugin.runware.collector import WAIT_SLICE_S, lane_for
from minimax_cover.plugin.runware.pacing import PaceSettings, TaskPace
from minimax_cover.plugin.sandbox import Fault


def polls(sb: Any) -> list[dict[str, Any]]:
    """The sandbox's POSTs carrying getResponse."""
    return [r for r in sb.requests_log if "getResponse" in r["task_types"]]


def upload(sb: Any, make_client: Any, song: bytes) -> str:
    return str(make_client(sb).upload_media(song).media_uuid)


def async_tasks(make_task: Any, audio: str, n: int, **overrides: Any) -> list[dict[str, Any]]:
    return [make_task(audio, deliveryMethod="async", **overrides) for _ in range(n)]


def test_several_pending_tasks_share_one_post_per_tick(make_sandbox: Any, make_client: Any,
                                                        song_wav: bytes, make_task: Any) -> None:
    sb = make_sandbox(latency_s=0.4)
    client = make_client(sb)
    tasks = async_tasks(make_task, upload(sb, make_client, song_wav), 4)
    tickets = [client.submit_ticket(t) for t in tasks]
    assert all(t.accepted and not t.complete for t in tickets)
    saved: list[Any] = []
    outcome = client.collect(tickets, on_result=saved.append)
    assert set(outcome) == {t["taskUUID"] for t in tasks}
    assert all(len(r.results) == 1 for r in outcome.values())
    assert len(saved) == 4
    asked = polls(sb)
    assert any(len(r["task_uuids"]) == 4 for r in asked)  # one POST, four getResponse tasks
    # Asked separately, each task would need its own POST every tick.
    per_task = sum(len(r["task_uuids"]) for r in asked)
    assert len(asked) < per_task
    assert all(sb.submissions(t["taskUUID"]) == 1 for t in tasks)


def test_threads_waiting_on_their_own_ticket_share_the_collector(
        make_sandbox: Any, make_client: Any, song_wav: bytes, make_task: Any) -> None:
    sb = make_sandbox(latency_s=0.5)
    client = make_client(sb)
    tasks = async_tasks(make_task, upload(sb, make_client, song_wav), 6)
    results: dict[str, Any] = {}
    errors: list[BaseException] = []

    def one(task: dict[str, Any]) -> None:
        try:
            results[task["taskUUID"]] = client.run(task)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(t,)) for t in tasks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(results) == 6
    asked = polls(sb)
    assert max(len(r["task_uuids"]) for r in asked) >= 2  # the threads' tasks asked together
    assert len(asked) < sum(len(r["task_uuids"]) for r in asked)


def test_falls_back_to_one_task_per_post_when_arrays_are_refused(
        make_sandbox: Any, make_client: Any, song_wav: bytes, make_task: Any) -> None:
    sb = make_sandbox(latency_s=0.3)
    audio = upload(sb, make_client, song_wav)
    sb.max_tasks_per_request = 1
    client = make_client(sb)
    tasks = async_tasks(make_task, audio, 3)
    tickets = [client.submit_ticket(t) for t in tasks]
    outcome = client.collect(tickets)
    assert all(len(r.results) == 1 for r in outcome.values())  # type: ignore[union-attr]
    asked = polls(sb)
    refused = [r for r in asked if r["status"] == 400]
    assert len(refused) == 1 and len(refused[0]["task_uuids"]) == 3  # tried once, remembered
    assert all(len(r["task_uuids"]) == 1 for r in asked if r["status"] == 200)
    assert lane_for(client._transport).single


def test_a_task_left_out_of_an_answer_stays_pending(make_sandbox: Any, make_client: Any,
                                                     song_wav: bytes, make_task: Any) -> None:
    sb = make_sandbox(latency_s=0.2)
    client = make_client(sb)
    tasks = async_tasks(make_task, upload(sb, make_client, song_wav), 2)
    tickets = [client.submit_ticket(t) for t in tasks]
    time.sleep(0.4)  # both are done: only the answers' omissions keep one waiting
    sb.inject(Fault("omit", task_type="getResponse", times=3))
    outcome = client.collect(tickets)
    assert all(len(r.results) == 1 for r in outcome.values())  # type: ignore[union-attr]
    omitted = [r for r in polls(sb) if "omit" in r["faults"]]
    assert len(omitted) == 3
    left_out = omitted[0]["task_uuids"][0]
    # The left-out task was asked again after each answer that said nothing about it.
    assert sum(left_out in r["task_uuids"] for r in polls(sb)) >= 4
    assert all(sb.submissions(t["taskUUID"]) == 1 for t in tasks)


def test_retry_after_is_honoured_between_ticks(make_sandbox: Any, make_client: Any,
                                               song_wav: bytes, make_task: Any) -> None:
    sb = make_sandbox(latency_s=0.2)
    client = make_client(sb, max_retries=0, sleep=time.sleep)
    task = make_task(upload(sb, make_client, song_wav), deliveryMethod="async")
    sb.inject(Fault("status", task_type="getResponse", status=429, retry_after="1"))
    result = client.run(task)
    assert len(result.results) == 1
    asked = polls(sb)
    limited = next(i for i, r in enumerate(asked) if r["status"] == 429)
    after = asked[limited + 1]
    assert after["at"] - asked[limited]["at"] >= 0.95  # not asked again before Retry-After


def test_should_cancel_stops_a_collect_of_several_tickets(
        make_sandbox: Any, make_client: Any, song_wav: bytes, make_task: Any) -> None:
    sb = make_sandbox(latency_s=30.0)
    client = make_client(sb)
    tasks = async_tasks(make_task, upload(sb, make_client, song_wav), 3)
    tickets = [client.submit_ticket(t) for t in tasks]
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    with pytest.raises(Interrupted) as info:
        client.collect(tickets, should_cancel=cancel.is_set)
    stopped = time.monotonic()
    assert info.value.task_uuid in {t["taskUUID"] for t in tasks}
    assert lane_for(client._transport).pending == 0  # nothing left asked about
    assert stopped  # and the tasks are resumable by taskUUID:
    assert sb.task(tasks[0]["taskUUID"]) is not None


def test_collect_reports_each_tasks_outcome(make_sandbox: Any, make_client: Any,
                                            song_wav: bytes, make_task: Any) -> None:
    sb = make_sandbox(latency_s=0.05)
    client = make_client(sb)
    audio = upload(sb, make_client, song_wav)
    good = client.submit_ticket(make_task(audio, deliveryMethod="async"))
    sb.inject(Fault("task_error", code="processingFailed"))
    bad = client.submit_ticket(make_task(audio, deliveryMethod="async"))
    outcome = client.collect([good, bad])
    assert len(outcome[good.task_uuid].results) == 1  # type: ignore[union-attr]
    assert isinstance(outcome[bad.task_uuid], TaskFailedError)


# ------------------------------------------------------------------------- the pace (pure)


def test_pace_with_nothing_known_asks_once_a_second() -> None:
    pace = TaskPace(PaceSettings(), started=0.0, expected_s=None, now=0.0)
    assert pace.next_at == pytest.approx(1.0)
    pace.observe(1.0, None)
    assert pace.next_at == pytest.approx(2.0)


def test_pace_lands_on_the_expected_end_and_tightens_after_it() -> None:
    s = PaceSettings()
    pace = TaskPace(s, started=0.0, expected_s=None, now=0.0)
    pace.observe(1.0, 1.0 / 30.0)  # progress says: 30 s in all
    times = [1.0]
    while pace.next_at < 30.0:
        times.append(pace.next_at)
        pace.observe(pace.next_at, times[-1] / 30.0)
    assert pace.next_at == pytest.approx(30.0 + s.lead_s)
    assert len(times) <= 18  # far from the end: fewer questions than once a second
    assert all(b - a <= s.far_s + 1e-9 for a, b in zip(times, times[1:], strict=False))
    pace.observe(30.05, None)  # "processing" past the estimate: asked again soon
    assert pace.next_at - 30.05 == pytest.approx(s.near_s)
    for _ in range(s.overdue_polls - 1):
        pace.observe(pace.next_at, None)
    last = pace.next_at
    pace.observe(last, None)
    assert pace.next_at - last == pytest.approx(s.idle_s)  # estimate not trusted alone


def test_pace_uses_an_expected_duration_from_earlier_jobs() -> None:
    pace = TaskPace(PaceSettings(), started=0.0, expected_s=10.0, now=0.0)
    assert pace.next_at == pytest.approx(1.0)
    pace.observe(1.0, None)
    assert pace.next_at == pytest.approx(2.0)  # a hint alone never stretches the gaps
    while pace.next_at < 10.0:
        pace.observe(pace.next_at, None)
    assert pace.next_at == pytest.approx(10.0 + PaceSettings().lead_s)


def test_pace_follows_up_a_99_percent_answer_sooner_than_the_lanes_gap_once() -> None:
    """A 1-s job asked just before it is ready says 99 %: the next question comes at the
    expected end, not ``min_gap_s`` later (issue 20's start-up regression); only once."""
    s = PaceSettings()
    pace = TaskPace(s, started=0.0, expected_s=None, now=0.0)
    assert pace.gap == s.min_gap_s
    pace.observe(1.0, 0.995)  # "processing", progress 99
    assert pace.next_at - 1.0 < s.min_gap_s
    assert pace.gap < s.min_gap_s and pace.gap <= pace.next_at - 1.0
    pace.observe(pace.next_at, 0.995)  # 99 % again: no more short gaps for this task
    assert pace.gap == s.min_gap_s
    far = TaskPace(s, started=0.0, expected_s=None, now=0.0)
    far.observe(1.0, 0.5)  # far from the end: the lane's gap holds
    assert far.gap == s.min_gap_s


def test_ticket_paces_from_the_submits_answer(make_sandbox: Any, make_client: Any,
                                              song_wav: bytes, make_task: Any) -> None:
    """The first poll is timed from the submit's answer (the server's clock runs from its
    acceptance), so a job of ``first_s`` is not asked about just before it is ready."""
    sb = make_sandbox(latency_s=0.0)
    client = make_client(sb)
    task = make_task(upload(sb, make_client, song_wav), deliveryMethod="async")
    before = time.monotonic()
    ticket = client.submit_ticket(task)
    sent = next(r for r in sb.requests_log if "audioInference" in r["task_types"])
    assert before <= sent["at"] <= ticket.started <= time.monotonic()


def test_pace_holds_for_retry_after() -> None:
    pace = TaskPace(PaceSettings(), started=0.0, expected_s=None, now=0.0)
    pace.hold(7.0)
    assert pace.next_at == 7.0
    assert WAIT_SLICE_S <= 0.25


# ------------------------------------------------------------------------- the counts


@pytest.mark.parametrize(("jobs", "most_posts"), [(1, 45), (8, 70)])
def test_getresponse_posts_for_a_30s_job_time_scaled(make_sandbox: Any, make_client: Any,
                                                     song_wav: bytes, make_task: Any,
                                                     jobs: int, most_posts: int) -> None:
    """A 30-s job (8 rows of them at concurrency 8) at 1/20 of real time, the collector's pace
    scaled alike: within the issue's POST counts (times are measured in bench/collect.py)."""
    factor = 0.05
    sb = make_sandbox(latency_s=30.0 * factor)
    client = make_client(sb, pace=PaceSettings().scaled(factor))
    tasks = async_tasks(make_task, upload(sb, make_client, song_wav), jobs)
    done: list[Any] = []
    threads = [threading.Thread(target=lambda t=t: done.append(client.run(t))) for t in tasks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(done) == jobs
    assert 1 <= len(polls(sb)) <= most_posts


def test_runware_backend_submit_collect_and_ticket_for(make_sandbox: Any, make_client: Any,
                                                        song_wav: bytes, make_task: Any) -> None:
    from minimax_cover.plugin.hooks.types import Backend
    from minimax_cover.plugin.runware.backend import RunwareBackend

    sb = make_sandbox(latency_s=0.2)
    backend = RunwareBackend(client=make_client(sb))
    assert isinstance(backend, Backend)
    audio = upload(sb, make_client, song_wav)
    sync_ticket = backend.submit(make_task(audio))  # sync: the ticket carries the result
    assert sync_ticket.complete and len(sync_ticket.results) == 1
    task = make_task(audio, deliveryMethod="async")
    ticket = backend.submit(task)
    assert ticket.accepted and not ticket.complete and ticket.backend == "runware"
    again = backend.ticket_for(task)  # e.g. after a restart: from the journaled request
    outcome = backend.collect([sync_ticket, again])
    assert len(outcome[sync_ticket.task_uuid].results) == 1  # type: ignore[union-attr]
    assert len(outcome[task["taskUUID"]].results) == 1  # type: ignore[union-attr]
    assert sb.submissions() == 2
