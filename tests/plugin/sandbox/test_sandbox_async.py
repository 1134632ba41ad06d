"""Async delivery and getResponse: ack, partial and cumulative polls, sync recovery, shapes."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from minimax_cover.plugin.sandbox import Fault, Sandbox
from minimax_cover.plugin.sandbox.synth import result_seeds
from sandbox_support import KEY, cover_task, get_response, post, upload


@pytest.fixture
def slow() -> Iterator[Sandbox]:
    with Sandbox(api_key=KEY, latency_s=0.3, log=False) as sb:
        yield sb


def poll_until(sb: Sandbox, task_uuid: str, done: int, timeout: float = 5.0) -> list[dict]:
    """Poll every 20 ms until ``done`` items are terminal; return the last answer's items."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = get_response(sb, task_uuid)
        assert r.status_code == 200
        items = r.json().get("data", [])
        if sum(i["status"] in ("success", "error") for i in items) >= done:
            return items
        time.sleep(0.02)
    raise AssertionError(f"task {task_uuid} did not reach {done} terminal items")


def test_async_ack_then_partial_then_cumulative(slow: Sandbox, clip_wav: bytes) -> None:
    ref = upload(slow, clip_wav)
    task = cover_task(ref, deliveryMethod="async", numberResults=2, outputFormat="WAV")
    start = time.monotonic()
    r = post(slow, [task])
    assert r.status_code == 200
    assert r.json() == {"data": [{"taskType": "audioInference", "taskUUID": task["taskUUID"],
                                  "status": "processing", "sandbox": True}]}
    assert slow.submissions(task["taskUUID"]) == 1

    first = get_response(slow, task["taskUUID"]).json()["data"]
    assert [i["status"] for i in first] == ["processing", "processing"]
    assert all(0 <= i["progress"] <= 99 and i["taskType"] == "audioInference" for i in first)

    partial = poll_until(slow, task["taskUUID"], 1)
    first_at = time.monotonic() - start
    assert first_at >= 0.25  # the first result after one latency
    assert [i["status"] for i in partial] == ["success", "processing"]
    done_item = partial[0]
    assert done_item["audioURL"] and done_item["sandbox"] is True
    assert done_item["resultIndex"] == 0

    final = poll_until(slow, task["taskUUID"], 2)
    assert time.monotonic() - start - first_at >= 0.2  # the second one a latency later
    assert [i["status"] for i in final] == ["success", "success"]
    assert final[0] == done_item  # cumulative: finished items are repeated unchanged
    assert final[0]["audioUUID"] != final[1]["audioUUID"]
    assert slow.task(task["taskUUID"])["status"] == "success"


def test_get_response_recovers_a_sync_task(sandbox: Sandbox, media: str) -> None:
    task = cover_task(media, outputFormat="WAV", numberResults=2, includeCost=True)
    sync_items = post(sandbox, [task]).json()["data"]
    polled = get_response(sandbox, task["taskUUID"]).json()["data"]
    assert [i["status"] for i in polled] == ["success", "success"]
    for sync_item, poll_item in zip(sync_items, polled, strict=True):
        assert {k: v for k, v in poll_item.items() if k not in ("status", "resultIndex")} \
            == sync_item


def test_get_response_of_a_media_upload(sandbox: Sandbox, clip_wav: bytes) -> None:
    import base64

    from sandbox_support import new_uuid

    upload_uuid = new_uuid()
    r = post(sandbox, [{"taskType": "mediaStorage", "taskUUID": upload_uuid,
                        "operation": "upload", "media": base64.b64encode(clip_wav).decode()}])
    (item,) = get_response(sandbox, upload_uuid).json()["data"]
    assert item == r.json()["data"][0]


@pytest.mark.parametrize("shape", ["nested", "flat", "errors"])
def test_failed_generation_shapes(clip_wav: bytes, shape: str) -> None:
    fault = Fault("task_error", result_index=1, code="processingFailed")
    with Sandbox(api_key=KEY, faults=[fault], error_shape=shape, log=False) as sb:
        ref = upload(sb, clip_wav)
        task = cover_task(ref, deliveryMethod="async", numberResults=2, outputFormat="WAV")
        post(sb, [task])
        assert sb.wait_idle(5)
        body = get_response(sb, task["taskUUID"]).json()
    items = body["data"]
    assert items[0]["status"] == "success"
    if shape == "errors":
        assert len(items) == 1
        (error,) = body["errors"]
        assert error["code"] == "processingFailed"
        assert error["taskUUID"] == task["taskUUID"]
        assert error["responseContent"]["status"] == "error"
    else:
        failed = items[1]
        assert failed["status"] == "error"
        assert failed["taskUUID"] == task["taskUUID"]
        code = failed["error"]["code"] if shape == "nested" else failed["code"]
        assert code == "processingFailed"


def test_sync_failed_generation_is_reported_in_errors(clip_wav: bytes) -> None:
    with Sandbox(api_key=KEY, faults=[Fault("task_error", result_index=0)], log=False) as sb:
        ref = upload(sb, clip_wav)
        task = cover_task(ref, numberResults=2, outputFormat="WAV")
        r = post(sb, [task])
        assert r.status_code == 200
        body = r.json()
        (item,) = body["data"]
        assert item["seed"] == result_seeds(None, task["taskUUID"], 2)[1]
        (error,) = body["errors"]
        assert (error["code"], error["taskUUID"], error["resultIndex"]) == (
            "processingFailed", task["taskUUID"], 0)
        assert sb.task(task["taskUUID"])["status"] == "partial"


def test_all_generations_fail(clip_wav: bytes) -> None:
    with Sandbox(api_key=KEY, faults=[Fault("task_error", code="timeoutProvider")],
                 log=False) as sb:
        ref = upload(sb, clip_wav)
        task = cover_task(ref, numberResults=2, outputFormat="WAV")
        r = post(sb, [task])
        assert r.status_code == 200  # accepted and run: the failures are the task's outcome
        assert [e["code"] for e in r.json()["errors"]] == ["timeoutProvider"] * 2
        assert sb.task(task["taskUUID"])["status"] == "error"


def test_the_async_ack_does_not_wait_for_generation(clip_wav: bytes) -> None:
    """30 s of generation, an ack well before: a bound generous for a loaded machine."""
    with Sandbox(api_key=KEY, latency_s=30.0, log=False) as sb:
        task = cover_task(upload(sb, clip_wav), deliveryMethod="async")
        start = time.monotonic()
        r = post(sb, [task])
        assert time.monotonic() - start < 10.0
        assert r.json()["data"][0]["status"] == "processing"
