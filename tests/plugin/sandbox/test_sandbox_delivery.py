"""Webhooks, uploadEndpoint PUTs (loopback only, with retries) and result URL expiry."""

from __future__ import annotations

import base64
import json
import time

import pytest
import requests
from minimax_cover.plugin.audio import read_audio, sniff_format
from minimax_cover.plugin.sandbox import Fault, Sandbox
from sandbox_support import KEY, TIMEOUT, FakeClock, Receiver, cover_task, post, upload


def test_webhook_per_result(sandbox: Sandbox, media: str, receiver: Receiver) -> None:
    task = cover_task(media, outputFormat="WAV", numberResults=2, deliveryMethod="async",
                      webhookURL=f"{receiver.url}/hook?token=abc")
    post(sandbox, [task])
    calls = receiver.wait_for(2)
    assert len(calls) == 2
    bodies = sorted((json.loads(c["body"]) for c in calls), key=lambda b: b["resultIndex"])
    for index, body in enumerate(bodies):
        assert body["taskUUID"] == task["taskUUID"]
        assert body["status"] == "success" and body["sandbox"] is True
        assert body["resultIndex"] == index and body["audioURL"]
    assert all(c["method"] == "POST" and c["path"] == "/hook?token=abc" for c in calls)
    assert calls[0]["headers"]["Content-Type"] == "application/json"
    assert sandbox.wait_idle(2)
    assert sorted(d["status"] for d in sandbox.webhook_deliveries) == [200, 200]


def test_webhook_retries_non_2xx_after_250_ms(sandbox: Sandbox, media: str) -> None:
    receiver = Receiver(statuses=[503])
    try:
        task = cover_task(media, outputFormat="WAV", webhookURL=receiver.url + "/hook")
        post(sandbox, [task])
        calls = receiver.wait_for(2)
        assert [c["status"] for c in calls] == [503, 200]
        assert calls[0]["body"] == calls[1]["body"]
        assert sandbox.wait_idle(2)
        attempts = sandbox.webhook_deliveries
        assert [(d["attempt"], d["status"]) for d in attempts] == [(1, 503), (2, 200)]
        assert attempts[1]["at"] - attempts[0]["at"] >= 0.25
    finally:
        receiver.close()


def test_webhook_backoff_doubles_to_a_cap_and_gives_up(clip_wav: bytes,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from minimax_cover.plugin.sandbox import outbound

    assert (outbound.RETRY_FIRST_DELAY_S, outbound.RETRY_MAX_DELAY_S,
            outbound.RETRY_MAX_TRIES) == (0.25, 8.0, 5)
    monkeypatch.setattr(outbound, "RETRY_FIRST_DELAY_S", 0.02)
    monkeypatch.setattr(outbound, "RETRY_MAX_DELAY_S", 0.05)
    receiver = Receiver(statuses=[500] * 10)
    try:
        with Sandbox(api_key=KEY, log=False) as sb:
            ref = upload(sb, clip_wav)
            post(sb, [cover_task(ref, outputFormat="WAV", webhookURL=receiver.url)])
            assert sb.wait_idle(3)
            attempts = sb.webhook_deliveries
        assert [d["attempt"] for d in attempts] == [1, 2, 3, 4, 5]
        assert len(receiver.requests) == 5
        gaps = [b["at"] - a["at"] for a, b in zip(attempts, attempts[1:], strict=False)]
        assert gaps[0] >= 0.02 and gaps[1] >= 0.04 and gaps[2] >= 0.05 and gaps[3] >= 0.05
        assert max(gaps) < 0.5
    finally:
        receiver.close()


def test_webhook_for_a_failed_generation(media: str, clip_wav: bytes,
                                         receiver: Receiver) -> None:
    with Sandbox(api_key=KEY, faults=[Fault("task_error")], log=False) as sb:
        ref = upload(sb, clip_wav)
        post(sb, [cover_task(ref, outputFormat="WAV", webhookURL=receiver.url)])
        (call,) = receiver.wait_for(1)
    body = json.loads(call["body"])
    assert body["status"] == "error" and body["error"]["code"] == "processingFailed"


def test_upload_endpoint_gets_the_raw_bytes(sandbox: Sandbox, media: str,
                                            receiver: Receiver) -> None:
    task = cover_task(media, outputFormat="FLAC", outputType="base64Data",
                      uploadEndpoint=receiver.url + "/bucket/out.flac?sig=1")
    (item,) = post(sandbox, [task]).json()["data"]
    (call,) = receiver.wait_for(1)
    assert call["method"] == "PUT" and call["path"] == "/bucket/out.flac?sig=1"
    assert call["headers"]["Content-Type"] == "audio/flac"
    assert sniff_format(call["body"]) == "FLAC"
    assert call["body"] == base64.b64decode(item["audioBase64Data"])
    assert sandbox.wait_idle(2)
    (put,) = sandbox.upload_puts
    assert put["status"] == 200 and put["bytes"] == len(call["body"])
    assert put["audioUUID"] == item["audioUUID"]


def test_outside_webhook_and_upload_urls_are_refused(sandbox: Sandbox, media: str) -> None:
    task = cover_task(media, outputFormat="WAV", webhookURL="https://example.com/hook",
                      uploadEndpoint="https://bucket.example.com/put")
    r = post(sandbox, [task])
    assert r.status_code == 200
    assert sandbox.wait_idle(2)
    (hook,) = sandbox.webhook_deliveries
    (put,) = sandbox.upload_puts
    for record in (hook, put):
        assert record["refused"] is True and record["status"] is None
        assert "loopback" in record["error"] or "127.0.0.1" in record["error"]


def test_result_url_expires_after_request_ttl(clip_wav: bytes) -> None:
    clock = FakeClock()
    with Sandbox(api_key=KEY, clock=clock, log=False) as sb:
        ref = upload(sb, clip_wav)
        (item,) = post(sb, [cover_task(ref, outputFormat="WAV", ttl=60)]).json()["data"]
        assert requests.get(item["audioURL"], timeout=TIMEOUT).status_code == 200
        clock.now += 59
        assert requests.get(item["audioURL"], timeout=TIMEOUT).status_code == 200
        clock.now += 2
        r = requests.get(item["audioURL"], timeout=TIMEOUT)
        assert r.status_code == 404
        assert r.json()["errors"][0]["code"] == "resultExpired"
        # an expired URL cannot be used as input either
        again = post(sb, [cover_task(item["audioURL"])])
        assert again.json()["errors"][0]["code"] == "downloadFailed"


def test_result_url_expires_after_default_ttl(clip_wav: bytes) -> None:
    with Sandbox(api_key=KEY, default_ttl_s=0, log=False) as sb:
        ref = upload(sb, clip_wav)
        (item,) = post(sb, [cover_task(ref, outputFormat="WAV")]).json()["data"]
        time.sleep(0.01)
        assert requests.get(item["audioURL"], timeout=TIMEOUT).status_code == 404


def test_unknown_result_path(sandbox: Sandbox) -> None:
    r = requests.get(sandbox.base_url + "/results/nope.mp3", timeout=TIMEOUT)
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "notFound"


def test_result_extension_must_match(sandbox: Sandbox, media: str) -> None:
    (item,) = post(sandbox, [cover_task(media, outputFormat="WAV")]).json()["data"]
    wrong = item["audioURL"].replace(".wav", ".mp3")
    assert requests.get(wrong, timeout=TIMEOUT).status_code == 404
    assert read_audio(requests.get(item["audioURL"], timeout=TIMEOUT).content).num_samples > 0
