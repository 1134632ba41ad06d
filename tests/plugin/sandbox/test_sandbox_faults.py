"""Each fault kind over real sockets, plus the counting rules (skip, times, order, matching)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from minimax_cover.plugin.sandbox import Fault, Sandbox
from minimax_cover.plugin.sandbox.faults import PRE_KINDS, FaultPlan
from sandbox_support import KEY, TIMEOUT, cover_task, get_response, post, upload


@pytest.fixture
def sb(clip_wav: bytes) -> Iterator[tuple[Sandbox, str]]:
    with Sandbox(api_key=KEY, log=False) as sandbox:
        yield sandbox, upload(sandbox, clip_wav)


@pytest.mark.parametrize(
    "status, code",
    [(402, "insufficientCredits"), (403, "forbidden"), (429, "rateLimitExceeded"),
     (500, "internalServerError"), (502, "serviceUnavailable"), (503, "serviceUnavailable"),
     (504, "timeoutProvider")],
)
def test_status_fault_rejects_without_accepting(sb: tuple[Sandbox, str], status: int,
                                                code: str) -> None:
    sandbox, ref = sb
    sandbox.inject(Fault("status", task_type="audioInference", status=status))
    task = cover_task(ref, outputFormat="WAV")
    r = post(sandbox, [task])
    assert r.status_code == status
    assert r.headers["X-Sandbox"] == "true"
    (error,) = r.json()["errors"]
    assert error["code"] == code
    assert error["taskUUID"] == task["taskUUID"]
    assert "Retry-After" not in r.headers
    assert sandbox.submissions() == 0
    # not accepted, so the same taskUUID may be sent again
    assert post(sandbox, [task]).status_code == 200
    assert sandbox.submissions(task["taskUUID"]) == 1


def test_status_fault_with_retry_after_and_code(sb: tuple[Sandbox, str]) -> None:
    sandbox, ref = sb
    sandbox.inject(Fault("status", status=429, retry_after="1", times=2),
                   Fault("status", status=503, code="noAvailableServer"))
    answers = [post(sandbox, [cover_task(ref, outputFormat="WAV")]) for _ in range(4)]
    assert [r.status_code for r in answers] == [429, 429, 503, 200]
    assert answers[0].headers["Retry-After"] == "1"
    assert "Retry-After" not in answers[2].headers
    assert answers[2].json()["errors"][0]["code"] == "noAvailableServer"


def test_fault_matches_only_its_task_type(sb: tuple[Sandbox, str]) -> None:
    sandbox, ref = sb
    sandbox.inject(Fault("status", task_type="getResponse", status=503, skip=1, times=2))
    task = cover_task(ref, outputFormat="WAV")
    assert post(sandbox, [task]).status_code == 200  # not a getResponse: unaffected
    codes = [get_response(sandbox, task["taskUUID"]).status_code for _ in range(4)]
    assert codes == [200, 503, 503, 200]
    assert sandbox.pending_faults() == []


def test_forever_fault(sb: tuple[Sandbox, str]) -> None:
    sandbox, ref = sb
    sandbox.inject(Fault("status", status=500, times=-1, task_type="mediaStorage"))
    assert all(post(sandbox, [{"taskType": "mediaStorage", "taskUUID": cover_task(ref)[
        "taskUUID"], "operation": "delete", "mediaUUID": ref}]).status_code == 500
               for _ in range(3))
    assert len(sandbox.pending_faults()) == 1


def test_latency_fault(sb: tuple[Sandbox, str]) -> None:
    sandbox, ref = sb
    sandbox.inject(Fault("latency", delay_s=0.3, task_type="getResponse"))
    start = time.monotonic()
    get_response(sandbox, ref)
    assert time.monotonic() - start >= 0.3
    assert sandbox.pending_faults() == []  # spent: the next answer is not delayed


def test_drop_before_does_not_accept(sb: tuple[Sandbox, str]) -> None:
    sandbox, ref = sb
    sandbox.inject(Fault("drop_before", task_type="audioInference"))
    task = cover_task(ref, outputFormat="WAV")
    with pytest.raises(requests.ConnectionError):
        post(sandbox, [task])
    assert sandbox.submissions() == 0
    assert get_response(sandbox, task["taskUUID"]).json()["errors"][0]["code"] == \
        "taskFailedOrNotFound"
    assert sandbox.requests_log[-2]["status"] is None
    assert sandbox.requests_log[-2]["faults"] == ["drop_before"]


@pytest.mark.parametrize("delivery", ["sync", "async"])
def test_drop_after_accepts_then_closes(sb: tuple[Sandbox, str], delivery: str) -> None:
    sandbox, ref = sb
    sandbox.inject(Fault("drop_after", task_type="audioInference"))
    task = cover_task(ref, outputFormat="WAV", deliveryMethod=delivery)
    with pytest.raises(requests.ConnectionError):
        post(sandbox, [task])
    assert sandbox.submissions(task["taskUUID"]) == 1
    assert sandbox.wait_idle(3)
    (item,) = get_response(sandbox, task["taskUUID"]).json()["data"]
    assert item["status"] == "success"
    # resubmitting (what the client must NOT do) is visible as a duplicate
    assert post(sandbox, [task]).json()["errors"][0]["code"] == "duplicateTaskUUID"
    assert sandbox.submissions(task["taskUUID"]) == 1


def test_malformed_json_does_not_accept(sb: tuple[Sandbox, str]) -> None:
    sandbox, ref = sb
    sandbox.inject(Fault("malformed_json", task_type="audioInference"))
    task = cover_task(ref, outputFormat="WAV")
    r = post(sandbox, [task])
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    assert sandbox.submissions() == 0


def test_malformed_error_page_from_a_gateway(sb: tuple[Sandbox, str]) -> None:
    sandbox, ref = sb
    sandbox.inject(Fault("malformed_json", status=502))
    r = post(sandbox, [cover_task(ref, outputFormat="WAV")])
    assert r.status_code == 502
    assert r.headers["Content-Type"] == "text/html"
    assert "<h1>502 Bad Gateway</h1>" in r.text
    assert sandbox.submissions() == 0


def test_stall_exceeds_the_read_timeout_after_accepting(sb: tuple[Sandbox, str]) -> None:
    sandbox, ref = sb
    sandbox.inject(Fault("stall", delay_s=0.6, task_type="audioInference"))
    task = cover_task(ref, outputFormat="WAV")
    with pytest.raises(requests.ReadTimeout):
        post(sandbox, [task], timeout=(2.0, 0.2))
    assert sandbox.submissions(task["taskUUID"]) == 1
    (item,) = get_response(sandbox, task["taskUUID"]).json()["data"]
    assert item["status"] == "success"


def test_task_error_counts_accepted_tasks(sb: tuple[Sandbox, str]) -> None:
    sandbox, ref = sb
    sandbox.inject(Fault("task_error", skip=1))
    rejected = post(sandbox, [cover_task(ref, positivePrompt="short")])
    assert rejected.status_code == 400  # never accepted: not counted
    ok = post(sandbox, [cover_task(ref, outputFormat="WAV")])
    assert "errors" not in ok.json()
    failed = post(sandbox, [cover_task(ref, outputFormat="WAV")])
    assert failed.json()["errors"][0]["code"] == "processingFailed"
    assert "errors" not in post(sandbox, [cover_task(ref, outputFormat="WAV")]).json()


def test_truncate_download(sb: tuple[Sandbox, str]) -> None:
    sandbox, ref = sb
    (item,) = post(sandbox, [cover_task(ref, outputFormat="WAV")]).json()["data"]
    sandbox.inject(Fault("truncate_download"))
    with pytest.raises(requests.RequestException):
        requests.get(item["audioURL"], timeout=TIMEOUT).content  # noqa: B018
    assert sandbox.requests_log[-1]["truncated"] is True
    assert requests.get(item["audioURL"], timeout=TIMEOUT).status_code == 200


def test_expire_url(sb: tuple[Sandbox, str]) -> None:
    sandbox, ref = sb
    (item,) = post(sandbox, [cover_task(ref, outputFormat="WAV")]).json()["data"]
    sandbox.inject(Fault("expire_url"))
    r = requests.get(item["audioURL"], timeout=TIMEOUT)
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "resultExpired"
    assert requests.get(item["audioURL"], timeout=TIMEOUT).status_code == 200


def test_get_faults_ignore_posts_and_post_faults_ignore_gets(sb: tuple[Sandbox, str]) -> None:
    sandbox, ref = sb
    (item,) = post(sandbox, [cover_task(ref, outputFormat="WAV")]).json()["data"]
    sandbox.inject(Fault("expire_url"), Fault("status", status=500))
    assert requests.get(item["audioURL"], timeout=TIMEOUT).status_code == 404
    assert get_response(sandbox, item["taskUUID"]).status_code == 500
    assert requests.get(item["audioURL"], timeout=TIMEOUT).status_code == 200


def test_faults_apply_only_after_authentication(sb: tuple[Sandbox, str]) -> None:
    sandbox, ref = sb
    sandbox.inject(Fault("status", status=503))
    assert post(sandbox, [cover_task(ref)], key="wrong-key-000").status_code == 401
    assert post(sandbox, [cover_task(ref)]).status_code == 503


def test_plan_terminal_faults_queue_in_order() -> None:
    plan = FaultPlan([Fault("status", status=429), Fault("drop_before"),
                      Fault("latency", delay_s=0.1, times=-1)])
    kinds = [[f.kind for f in plan.take(PRE_KINDS, ["getResponse"])] for _ in range(3)]
    assert kinds == [["status", "latency"], ["drop_before", "latency"], ["latency"]]


@pytest.mark.parametrize(
    "kwargs",
    [{"kind": "explode"}, {"kind": "status", "times": 0}, {"kind": "status", "status": 200},
     {"kind": "latency", "delay_s": -1}, {"kind": "status", "skip": -1}],
)
def test_fault_validation(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Fault(**kwargs)


def test_status_fault_defaults_to_500() -> None:
    assert Fault("status").status == 500
