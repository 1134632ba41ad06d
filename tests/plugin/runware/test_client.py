"""RunwareClient against the sandbox over loopback: delivery, partial results, faults, secrets.

No transport is mocked: every request is real HTTP to a sandbox on 127.0.0.1. The client's
``sleep`` is recorded (see ``conftest.SleepRecorder``), so Retry-After and backoff delays are
asserted without being waited for.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.audio import sniff_format
from minimax_cover.plugin.errors import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    InsufficientCreditsError,
    Interrupted,
    InvalidParameterError,
    MissingAPIKeyError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    TaskFailedError,
)
from minimax_cover.plugin.results import ProgressEvent
from minimax_cover.plugin.runware.client import RunwareClient
from minimax_cover.plugin.sandbox import Fault

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def media(client: RunwareClient, song_wav: bytes) -> str:
    """The test song, uploaded to the sandbox once."""
    return client.upload_media(song_wav, mime="audio/wav").media_uuid


def settled(sb: Any, quiet_s: float = 0.02, timeout_s: float = 3.0) -> list[dict[str, Any]]:
    """``sb.requests_log`` once it stopped growing: the sandbox appends an entry only after it
    wrote the answer, so the client may see the answer a moment before the entry exists."""
    deadline = time.monotonic() + timeout_s
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = len(sb.requests_log)
        if count != last:
            last, since = count, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            break
        time.sleep(0.005)
    return list(sb.requests_log)


def inference_posts(sb: Any, task_uuid: str | None = None) -> list[dict[str, Any]]:
    """The POSTs that carried an audioInference task (accepted or not)."""
    return [r for r in settled(sb) if r["method"] == "POST"
            and "audioInference" in r["task_types"]
            and (task_uuid is None or task_uuid in r["task_uuids"])]


def settled_inference_posts(sb: Any, at_least: int = 1, timeout_s: float = 3.0) -> list[Any]:
    """inference_posts once a stalled request has finished (the log is written at its end)."""
    deadline = time.monotonic() + timeout_s
    while len(inference_posts(sb)) < at_least and time.monotonic() < deadline:
        time.sleep(0.02)
    return inference_posts(sb)


def polls(sb: Any) -> list[dict[str, Any]]:
    return [r for r in settled(sb) if "getResponse" in r["task_types"]]


def uploads(sb: Any) -> list[dict[str, Any]]:
    return [r for r in settled(sb) if "mediaStorage" in r["task_types"]]


def upload(sb: Any, make_client: Any, song_wav: bytes) -> str:
    """Upload through a fault-free client sharing the sandbox (faults target other types)."""
    return make_client(sb).upload_media(song_wav).media_uuid


# ------------------------------------------------------------------------- delivery


def test_sync_delivery(sandbox: Any, client: RunwareClient, media: str, make_task: Any) -> None:
    task = make_task(media, seed=42)
    result = client.run(task)
    assert result.task_uuid == task["taskUUID"] and result.sandbox
    assert len(result.results) == 1 and result.cost_total is None
    gen = result.results[0]
    assert gen.status == "success" and gen.output_type == "URL" and gen.audio_uuid
    assert gen.seed is not None and gen.url.startswith(sandbox.base_url)
    assert sandbox.submissions(task["taskUUID"]) == 1
    assert polls(sandbox) == []  # sync: no getResponse needed


def test_submit_returns_the_sync_items(sandbox: Any, client: RunwareClient, media: str,
                                       make_task: Any) -> None:
    items = client.submit(make_task(media, numberResults=2))
    assert [r.status for r in items] == ["success", "success"]
    assert len({r.audio_uuid for r in items}) == 2


def test_async_delivery_with_partial_results(make_sandbox: Any, make_client: Any,
                                             song_wav: bytes, make_task: Any) -> None:
    sb = make_sandbox(latency_s=0.15)
    client = make_client(sb)
    media = client.upload_media(song_wav).media_uuid
    task = make_task(media, deliveryMethod="async", numberResults=3, includeCost=True)
    events: list[ProgressEvent] = []
    seen: list[tuple[str, int]] = []

    def on_result(r: Any) -> None:
        seen.append((r.audio_uuid, sum(1 for e in events if e.phase == "result")))

    result = client.run(task, on_progress=events.append, on_result=on_result)
    assert [r.audio_uuid for r in result.results] == [a for a, _ in seen]
    assert len(seen) == 3 and len(set(seen)) == 3  # de-duplicated across cumulative polls
    assert [n for _, n in seen] == [0, 1, 2]  # each reported as it finished, not at the end
    phases = [e.phase for e in events]
    assert phases[0] == "submitting" and phases[-1] == "done" and "queued" in phases
    assert "processing" in phases and phases.count("result") == 3
    assert [e.done for e in events if e.phase == "result"] == [1, 2, 3]
    assert events[-1].progress == 1.0 and all(e.total == 3 for e in events)
    assert any(e.progress is not None and 0 < e.progress < 1 for e in events)
    assert result.cost_total == pytest.approx(3 * sb.cost_per_result)
    assert events[-1].cost == pytest.approx(result.cost_total)
    assert len(polls(sb)) >= 3 and sb.submissions(task["taskUUID"]) == 1


@pytest.mark.parametrize("output_type", ["URL", "dataURI", "base64Data"])
@pytest.mark.parametrize("fmt", ["MP3", "WAV", "FLAC", "OGG"])
def test_every_output_type_and_format(client: RunwareClient, media: str, make_task: Any,
                                      tmp_path: Path, output_type: str, fmt: str) -> None:
    task = make_task(media, outputType=output_type, outputFormat=fmt,
                     deliveryMethod="async" if output_type != "URL" else "sync")
    gen = client.run(task).results[0]
    assert gen.output_type == output_type
    path = client.fetch(gen, tmp_path / f"out.{fmt.lower()}", expected_format=fmt)
    assert sniff_format(path.read_bytes()[:4096]) == fmt


@pytest.mark.parametrize("include_cost", [True, False])
def test_include_cost_sums(sandbox: Any, client: RunwareClient, media: str, make_task: Any,
                           include_cost: bool) -> None:
    result = client.run(make_task(media, numberResults=4, includeCost=include_cost))
    if include_cost:
        assert [r.cost for r in result.results] == [sandbox.cost_per_result] * 4
        assert result.cost_total == pytest.approx(4 * sandbox.cost_per_result)
    else:
        assert result.cost_total is None and all(r.cost is None for r in result.results)


def test_missing_task_uuid_is_generated(sandbox: Any, client: RunwareClient, media: str,
                                        make_task: Any) -> None:
    task = make_task(media)
    del task["taskUUID"]
    result = client.run(task)
    assert uuid.UUID(result.task_uuid) and sandbox.submissions(result.task_uuid) == 1


# ------------------------------------------------------------------------- retries


def test_429_with_retry_after_is_honoured(make_sandbox: Any, make_client: Any, song_wav: bytes,
                                          make_task: Any, sleeps: Any) -> None:
    sb = make_sandbox(faults=[Fault("status", task_type="audioInference", status=429,
                                    retry_after="1")])
    client = make_client(sb)
    task = make_task(upload(sb, make_client, song_wav))
    assert len(client.run(task).results) == 1
    assert sleeps.calls == [1.0]
    assert [r["status"] for r in inference_posts(sb)] == [429, 200]
    assert sb.submissions(task["taskUUID"]) == 1


def test_429_without_retry_after_backs_off(make_sandbox: Any, make_client: Any,
                                           song_wav: bytes, make_task: Any,
                                           sleeps: Any) -> None:
    sb = make_sandbox(faults=[Fault("status", task_type="audioInference", status=429,
                                    times=2)])
    client = make_client(sb)
    task = make_task(upload(sb, make_client, song_wav))
    client.run(task)
    assert len(sleeps.calls) == 2
    assert 0.0375 <= sleeps.calls[0] <= 0.05 and 0.075 <= sleeps.calls[1] <= 0.1  # 0.05 x 2^n
    assert [r["status"] for r in inference_posts(sb)] == [429, 429, 200]


def test_503_with_runware_body_is_retried(make_sandbox: Any, make_client: Any, song_wav: bytes,
                                          make_task: Any) -> None:
    sb = make_sandbox(faults=[Fault("status", task_type="audioInference", status=503)])
    client = make_client(sb)
    task = make_task(upload(sb, make_client, song_wav))
    client.run(task)
    assert [r["status"] for r in inference_posts(sb)] == [503, 200]


def test_retry_after_above_the_cap_is_not_waited_for(make_sandbox: Any, make_client: Any,
                                                     song_wav: bytes, make_task: Any,
                                                     sleeps: Any) -> None:
    sb = make_sandbox(faults=[Fault("status", task_type="audioInference", status=429,
                                    retry_after="600")])
    client = make_client(sb)
    task = make_task(upload(sb, make_client, song_wav))
    with pytest.raises(RateLimitError) as info:
        client.run(task)
    assert info.value.retry_after_s == 600.0 and info.value.status_code == 429
    assert sleeps.calls == [] and len(inference_posts(sb)) == 1


def test_rate_limit_budget_runs_out(make_sandbox: Any, make_client: Any, song_wav: bytes,
                                    make_task: Any, sleeps: Any) -> None:
    sb = make_sandbox(faults=[Fault("status", task_type="audioInference", status=429,
                                    times=-1)])
    client = make_client(sb, max_retries=2)
    task = make_task(upload(sb, make_client, song_wav))
    with pytest.raises(RateLimitError, match="rateLimitExceeded"):
        client.run(task)
    assert len(inference_posts(sb)) == 3 and len(sleeps.calls) == 2


def test_402_is_surfaced_at_once(make_sandbox: Any, make_client: Any, song_wav: bytes,
                                 make_task: Any, sleeps: Any) -> None:
    sb = make_sandbox(faults=[Fault("status", task_type="audioInference", status=402)])
    client = make_client(sb)
    task = make_task(upload(sb, make_client, song_wav))
    with pytest.raises(InsufficientCreditsError, match="insufficientCredits") as info:
        client.run(task)
    assert info.value.status_code == 402 and info.value.task_uuid == task["taskUUID"]
    assert len(inference_posts(sb)) == 1 and polls(sb) == [] and sleeps.calls == []


def test_wrong_key_is_an_authentication_error(sandbox: Any, make_client: Any,
                                              song_wav: bytes) -> None:
    other = "rw-some-other-key-that-is-wrong-123"
    client = make_client(sandbox, api_key=other)
    with pytest.raises(AuthenticationError, match="RUNWARE_API_KEY") as info:
        client.upload_media(song_wav)
    assert info.value.status_code == 401 and info.value.code == "invalidApiKey"
    assert other not in str(info.value) and len(settled(sandbox)) == 1


def test_rejected_parameter_is_named(sandbox: Any, client: RunwareClient, media: str,
                                     make_task: Any) -> None:
    with pytest.raises(InvalidParameterError) as info:
        client.run(make_task(media, positivePrompt="short"))
    assert info.value.parameter == "positivePrompt" and info.value.status_code == 400
    assert "positivePrompt" in str(info.value)
    assert sandbox.submissions() == 0


def test_connection_refused_is_retried_then_raised(make_client: Any, make_task: Any,
                                                   sleeps: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    stub = type("Stub", (), {"url": f"http://127.0.0.1:{port}/v1"})()
    client = make_client(stub, max_retries=2)
    with pytest.raises(APIConnectionError, match="nothing was sent"):
        client.run(make_task(str(uuid.uuid4())))
    assert len(sleeps.calls) == 2  # retried: a refused connection sent nothing


# ------------------------------------------------------------------------- unknown outcomes


@pytest.mark.parametrize("delivery", ["sync", "async"])
def test_drop_after_accept_is_recovered_without_resubmitting(
    make_sandbox: Any, make_client: Any, song_wav: bytes, make_task: Any, delivery: str
) -> None:
    sb = make_sandbox(faults=[Fault("drop_after", task_type="audioInference")])
    client = make_client(sb)
    task = make_task(upload(sb, make_client, song_wav), deliveryMethod=delivery,
                     numberResults=2)
    result = client.run(task)
    assert len(result.results) == 2
    assert sb.submissions(task["taskUUID"]) == 1
    assert len(inference_posts(sb, task["taskUUID"])) == 1  # never POSTed again
    assert polls(sb)


@pytest.mark.parametrize("status", [500, 502, 504, 408])
def test_5xx_on_submit_is_never_resubmitted(make_sandbox: Any, make_client: Any,
                                            song_wav: bytes, make_task: Any,
                                            status: int) -> None:
    # The sandbox's status fault answers before accepting the task, so getResponse cannot
    # find it: the client must say "outcome unknown", keep the UUID and not POST it again.
    sb = make_sandbox(faults=[Fault("status", task_type="audioInference", status=status)])
    client = make_client(sb)
    task = make_task(upload(sb, make_client, song_wav))
    with pytest.raises(OutcomeUnknownError, match="not submitted again") as info:
        client.run(task)
    assert info.value.task_uuid == task["taskUUID"]
    assert len(inference_posts(sb)) == 1 and sb.submissions() == 0
    assert len(polls(sb)) == 3  # RECOVERY_MAX_MISSES lookups, then give up


def test_drop_before_accept_is_outcome_unknown(make_sandbox: Any, make_client: Any,
                                               song_wav: bytes, make_task: Any) -> None:
    sb = make_sandbox(faults=[Fault("drop_before", task_type="audioInference")])
    client = make_client(sb)
    task = make_task(upload(sb, make_client, song_wav))
    with pytest.raises(OutcomeUnknownError) as info:
        client.run(task)
    assert info.value.task_uuid == task["taskUUID"]
    assert len(inference_posts(sb)) == 1 and sb.submissions() == 0


def test_malformed_json_on_submit_is_outcome_unknown(make_sandbox: Any, make_client: Any,
                                                     song_wav: bytes, make_task: Any) -> None:
    sb = make_sandbox(faults=[Fault("malformed_json", task_type="audioInference")])
    client = make_client(sb)
    task = make_task(upload(sb, make_client, song_wav))
    with pytest.raises(OutcomeUnknownError, match="not JSON"):
        client.run(task)
    assert len(inference_posts(sb)) == 1


def test_malformed_json_on_a_poll_is_retried(make_sandbox: Any, make_client: Any,
                                             song_wav: bytes, make_task: Any) -> None:
    sb = make_sandbox(latency_s=0.05, faults=[Fault("malformed_json", task_type="getResponse")])
    client = make_client(sb)
    task = make_task(upload(sb, make_client, song_wav), deliveryMethod="async")
    assert len(client.run(task).results) == 1
    assert polls(sb)[0]["faults"] == ["malformed_json"]


def test_stalled_sync_submit_is_recovered_by_get_response(
    make_sandbox: Any, make_client: Any, song_wav: bytes, make_task: Any
) -> None:
    sb = make_sandbox(faults=[Fault("stall", task_type="audioInference", delay_s=0.4)])
    client = make_client(sb, sync_read_timeout_s=0.15)
    task = make_task(upload(sb, make_client, song_wav))
    result = client.run(task)
    assert len(result.results) == 1
    assert sb.submissions(task["taskUUID"]) == 1 and len(settled_inference_posts(sb)) == 1


def test_stalled_polls_are_retried(make_sandbox: Any, make_client: Any, song_wav: bytes,
                                   make_task: Any) -> None:
    sb = make_sandbox(latency_s=0.05,
                      faults=[Fault("stall", task_type="getResponse", delay_s=0.4)])
    client = make_client(sb, timeout=(2.0, 0.15))
    task = make_task(upload(sb, make_client, song_wav), deliveryMethod="async")
    assert len(client.run(task).results) == 1


def test_stalled_everything_ends_in_outcome_unknown(make_sandbox: Any, make_client: Any,
                                                    song_wav: bytes, make_task: Any) -> None:
    sb = make_sandbox(faults=[Fault("stall", task_type="audioInference", delay_s=0.4),
                              Fault("stall", task_type="getResponse", delay_s=0.4, times=-1)])
    client = make_client(sb, timeout=(2.0, 0.1), sync_read_timeout_s=0.1, max_retries=1)
    task = make_task(upload(sb, make_client, song_wav))
    with pytest.raises(OutcomeUnknownError, match="could not collect") as info:
        client.run(task)
    assert info.value.task_uuid == task["taskUUID"]
    assert sb.submissions(task["taskUUID"]) == 1 and len(settled_inference_posts(sb)) == 1


def test_poll_deadline(make_sandbox: Any, make_client: Any, song_wav: bytes,
                       make_task: Any) -> None:
    sb = make_sandbox(latency_s=5.0)
    client = make_client(sb, poll_deadline_s=0.3)
    task = make_task(upload(sb, make_client, song_wav), deliveryMethod="async")
    with pytest.raises(OutcomeUnknownError, match="did not finish within 0.3 s"):
        client.run(task)


# ------------------------------------------------------------------------- failed generations


@pytest.mark.parametrize("shape", ["nested", "flat", "errors"])
def test_task_error_keeps_partial_results(make_sandbox: Any, make_client: Any,
                                          song_wav: bytes, make_task: Any, shape: str) -> None:
    sb = make_sandbox(latency_s=0.05, error_shape=shape,
                      faults=[Fault("task_error", result_index=1, code="processingFailed")])
    client = make_client(sb)
    task = make_task(upload(sb, make_client, song_wav), deliveryMethod="async",
                     numberResults=3, includeCost=True)
    delivered: list[Any] = []
    with pytest.raises(TaskFailedError, match="processingFailed") as info:
        client.run(task, on_result=delivered.append)
    err = info.value
    assert err.task_uuid == task["taskUUID"] and err.code == "processingFailed"
    assert "generation 1 failed" in (err.provider_message or "")
    assert len(err.partial_results) == 2  # generations 0 and 2 succeeded: paid, kept
    assert {r.audio_uuid for r in err.partial_results} == {r.audio_uuid for r in delivered}
    assert "2 of 3" in str(err)
    assert sb.submissions(task["taskUUID"]) == 1


def test_sync_task_error_keeps_partial_results(make_sandbox: Any, make_client: Any,
                                               song_wav: bytes, make_task: Any) -> None:
    sb = make_sandbox(faults=[Fault("task_error", result_index=0, code="timeoutProvider")])
    client = make_client(sb)
    task = make_task(upload(sb, make_client, song_wav), numberResults=2)
    with pytest.raises(TaskFailedError, match="timeoutProvider") as info:
        client.run(task)
    assert len(info.value.partial_results) == 1 and len(polls(sb)) == 0


def test_every_generation_failing(make_sandbox: Any, make_client: Any, song_wav: bytes,
                                  make_task: Any) -> None:
    sb = make_sandbox(latency_s=0.02, faults=[Fault("task_error")])
    client = make_client(sb)
    task = make_task(upload(sb, make_client, song_wav), deliveryMethod="async",
                     numberResults=2)
    with pytest.raises(TaskFailedError) as info:
        client.run(task)
    assert info.value.partial_results == []


# ------------------------------------------------------------------------- interrupt, resume


def test_should_cancel_interrupts_the_wait(make_sandbox: Any, make_client: Any,
                                           song_wav: bytes, make_task: Any) -> None:
    from minimax_cover.plugin.runware.collector import WAIT_SLICE_S

    sb = make_sandbox(latency_s=5.0)
    client = make_client(sb, poll_initial_s=2.0)
    task = make_task(upload(sb, make_client, song_wav), deliveryMethod="async")
    asked: list[float] = []

    def should_cancel() -> bool:
        asked.append(time.monotonic())
        return len(asked) > 3

    with pytest.raises(Interrupted) as info:
        client.run(task, should_cancel=should_cancel)
    assert info.value.task_uuid == task["taskUUID"]
    gaps = [b - a for a, b in zip(asked[1:], asked[2:], strict=False)]  # while waiting
    assert gaps and max(gaps) < 10 * WAIT_SLICE_S  # asked every quarter second (generous)
    assert sb.submissions(task["taskUUID"]) == 1


def test_resume_collects_without_submitting(make_sandbox: Any, make_client: Any,
                                            song_wav: bytes, make_task: Any) -> None:
    sb = make_sandbox(latency_s=0.05)
    client = make_client(sb)
    task = make_task(upload(sb, make_client, song_wav), deliveryMethod="async",
                     numberResults=2)
    client.submit(task)
    result = make_client(sb).resume(task)
    assert len(result.results) == 2
    assert len(inference_posts(sb)) == 1


def test_resume_of_an_unknown_task(sandbox: Any, client: RunwareClient, make_task: Any) -> None:
    task = make_task(str(uuid.uuid4()))
    with pytest.raises(OutcomeUnknownError, match="does not know the task") as info:
        client.resume(task)
    assert info.value.task_uuid == task["taskUUID"] and sandbox.submissions() == 0


def test_get_response_unknown_task_is_not_found(sandbox: Any, client: RunwareClient) -> None:
    with pytest.raises(NotFoundError):
        client.get_response(str(uuid.uuid4()))


# ------------------------------------------------------------------------- media


def test_upload_and_delete_media(sandbox: Any, client: RunwareClient, song_wav: bytes) -> None:
    ref = client.upload_media(song_wav, mime="audio/wav")
    assert uuid.UUID(ref.media_uuid) and ref.media_url.startswith(sandbox.base_url)
    client.delete_media(ref.media_uuid)
    with pytest.raises(NotFoundError, match="mediaNotFound"):
        client.delete_media(ref.media_uuid)
    with pytest.raises(ValueError):
        client.upload_media(b"")


def test_upload_dropped_after_acceptance_is_found_not_repeated(make_sandbox: Any,
                                                               make_client: Any,
                                                               song_wav: bytes) -> None:
    sb = make_sandbox(faults=[Fault("drop_after", task_type="mediaStorage")])
    ref = make_client(sb).upload_media(song_wav)
    sent = uploads(sb)
    assert len(sent) == 1 and polls(sb)  # found with getResponse, not uploaded twice
    assert sb.task(sent[0]["task_uuids"][0])["media"]["mediaUUID"] == ref.media_uuid


def test_upload_dropped_before_acceptance_is_sent_again(make_sandbox: Any, make_client: Any,
                                                        song_wav: bytes) -> None:
    sb = make_sandbox(faults=[Fault("drop_before", task_type="mediaStorage")])
    ref = make_client(sb).upload_media(song_wav)
    sent = uploads(sb)
    assert [u["status"] for u in sent] == [None, 200]
    assert sent[0]["task_uuids"] != sent[1]["task_uuids"]  # a fresh taskUUID
    assert ref.media_uuid


def test_upload_failing_twice_is_outcome_unknown(make_sandbox: Any, make_client: Any,
                                                 song_wav: bytes) -> None:
    sb = make_sandbox(faults=[Fault("drop_before", task_type="mediaStorage", times=2)])
    with pytest.raises(OutcomeUnknownError):
        make_client(sb).upload_media(song_wav)


# ------------------------------------------------------------------------- construction, secrets


def test_missing_key_names_the_variable_and_file(sandbox: Any) -> None:
    from minimax_cover.plugin.config import config_file

    with pytest.raises(MissingAPIKeyError) as info:
        RunwareClient(base_url=sandbox.url)
    assert "RUNWARE_API_KEY" in str(info.value) and str(config_file()) in str(info.value)


def test_key_from_environment(sandbox: Any, monkeypatch: pytest.MonkeyPatch, fake_key: str,
                              song_wav: bytes) -> None:
    monkeypatch.setenv("RUNWARE_API_KEY", fake_key)
    monkeypatch.setenv("RUNWARE_API_URL", sandbox.url)
    with RunwareClient() as client:
        assert client.base_url == sandbox.url
        assert client.upload_media(song_wav).media_uuid


def test_with_options_shares_the_session(sandbox: Any, client: RunwareClient,
                                         song_wav: bytes) -> None:
    copy = client.with_options(poll_max_s=3.0, max_retries=0)
    assert copy.poll_max_s == 3.0 and copy.retry_policy.max_retries == 0
    assert copy.download_session is client.download_session
    copy.close()  # must not close the shared session
    assert client.upload_media(song_wav).media_uuid
    with pytest.raises(TypeError, match="nope"):
        client.with_options(nope=1)


def test_session_carries_no_authorization(client: RunwareClient) -> None:
    assert "Authorization" not in client.download_session.headers


def test_the_key_never_leaks(make_sandbox: Any, make_client: Any, song_wav: bytes,
                             make_task: Any, fake_key: str,
                             caplog: pytest.LogCaptureFixture) -> None:
    sb = make_sandbox(faults=[
        Fault("status", task_type="audioInference", status=429, retry_after="0"),
        Fault("status", task_type="audioInference", status=402),  # after the 429
    ])
    caplog.set_level(logging.DEBUG)
    client = make_client(sb)
    surfaces = [repr(client), str(client), repr(client.with_options(poll_max_s=1.0))]
    task = make_task(upload(sb, make_client, song_wav))
    with pytest.raises(InsufficientCreditsError) as info:
        client.run(task)
    surfaces += [str(info.value), repr(info.value), repr(info.value.body)]
    with pytest.raises(AuthenticationError) as bad:
        make_client(sb, api_key=fake_key + "-wrong").upload_media(song_wav)
    surfaces += [str(bad.value), repr(bad.value.body)]
    surfaces += [r.getMessage() for r in caplog.records] + [caplog.text]
    assert caplog.records  # the client did log
    for text in surfaces:
        assert fake_key not in text
    assert repr(client) == f"RunwareClient(base_url={sb.url!r})"


# ------------------------------------------------------- answers the sandbox never gives


class _ScriptedRunware(BaseHTTPRequestHandler):
    """A loopback server answering POSTs from a script (for shapes the sandbox never sends)."""

    script: list[tuple[int, dict[str, str], Any]] = []
    bodies: list[Any] = []

    def do_POST(self) -> None:  # noqa: N802 - stdlib API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).bodies.append(body)
        status, headers, answer = type(self).script.pop(0)
        if callable(answer):
            answer = answer(body)
        data = json.dumps(answer).encode()
        self.send_response(status)
        for k, v in {"Content-Length": str(len(data)), **headers}.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def scripted() -> Any:
    handler = type("S", (_ScriptedRunware,), {"script": [], "bodies": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}/v1"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()


def test_upload_without_media_uuid_is_polled(scripted: Any, make_client: Any) -> None:
    def ack(body: Any) -> Any:  # mediaUUID "1": the upload finishes asynchronously
        return {"data": [{"taskType": "mediaStorage", "taskUUID": body[0]["taskUUID"],
                          "mediaUUID": "1"}]}

    def done(body: Any) -> Any:
        return {"data": [{"taskType": "mediaStorage", "taskUUID": body[0]["taskUUID"],
                          "mediaUUID": "m-123", "mediaURL": "http://127.0.0.1/m-123"}]}

    scripted.script = [(200, {}, ack), (200, {}, {"data": []}), (200, {}, done)]
    ref = make_client(scripted).upload_media(b"RIFF....WAVE")
    assert ref.media_uuid == "m-123"
    assert [b[0]["taskType"] for b in scripted.bodies] == ["mediaStorage", "getResponse",
                                                           "getResponse"]
    assert scripted.bodies[0][0]["media"] == "UklGRi4uLi5XQVZF"  # raw base64, no data: prefix


def test_a_redirect_is_not_followed(scripted: Any, make_client: Any, make_task: Any) -> None:
    scripted.script = [(302, {"Location": "http://127.0.0.1:1/elsewhere"}, {})]
    with pytest.raises(APIStatusError, match="redirected.*RUNWARE_API_URL"):
        make_client(scripted).run(make_task(str(uuid.uuid4())))
    assert len(scripted.bodies) == 1


def test_legacy_error_shape_and_non_json_401(scripted: Any, make_client: Any) -> None:
    scripted.script = [(400, {}, {"error": True, "errorId": 19, "errorMessage": "bad media"})]
    with pytest.raises(APIStatusError, match="bad media"):
        make_client(scripted).upload_media(b"x")
    scripted.script = [(401, {"Content-Type": "text/html"}, "<html>nope</html>")]
    with pytest.raises(AuthenticationError, match="invalidApiKey"):
        make_client(scripted).upload_media(b"x")
