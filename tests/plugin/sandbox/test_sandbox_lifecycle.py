"""Start/stop, labels, thread hygiene, and the ``minimax-cover sandbox`` command."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests
from minimax_cover.plugin.cli.sandbox_cmd import parse_fault
from minimax_cover.plugin.sandbox import Fault, Sandbox
from sandbox_support import KEY, TIMEOUT, cover_task, post, upload


def test_banner_url_and_repr(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="minimax_cover.sandbox")
    sb = Sandbox(api_key=KEY)
    assert repr(sb) == "Sandbox(not started)"
    with pytest.raises(RuntimeError):
        sb.url  # noqa: B018
    with sb:
        assert sb.url == f"http://127.0.0.1:{sb.port}/v1"
        assert sb.base_url == f"http://127.0.0.1:{sb.port}"
        assert KEY not in repr(sb)
        requests.get(sb.base_url + "/", timeout=TIMEOUT)
    banner = [r.getMessage() for r in caplog.records if "SANDBOX" in r.getMessage()]
    assert banner == [f"SANDBOX: local Runware-compatible test server at {sb.url} — outputs "
                      "are synthetic transformations, NOT MiniMax Music Cover"]
    assert any(r.getMessage().startswith("sandbox: GET / -> 200") for r in caplog.records)
    assert all(KEY not in r.getMessage() for r in caplog.records)


def test_only_loopback_hosts() -> None:
    with pytest.raises(ValueError, match="loopback"):
        Sandbox(host="0.0.0.0")
    with pytest.raises(ValueError):
        Sandbox(api_key="")


def test_fixed_port_and_no_restart() -> None:
    with Sandbox(api_key=KEY, log=False) as first:
        port = first.port
    sb = Sandbox(api_key=KEY, port=port, log=False)
    with sb:
        assert sb.port == port
    with pytest.raises(RuntimeError):
        sb.start()
    sb.stop()  # idempotent


def test_settings_changed_on_the_sandbox_reach_every_part(sandbox: Sandbox,
                                                         media: str) -> None:
    """The parts share one Settings object: a change on the sandbox applies at once."""
    sandbox.cost_per_result = 0.5
    sandbox.error_shape = "flat"
    r = post(sandbox, [cover_task(media, includeCost=True)])
    assert r.status_code == 200 and r.json()["data"][0]["cost"] == 0.5
    assert sandbox.settings.error_shape == "flat"
    sandbox.api_key = "a-new-sandbox-key-456"
    assert post(sandbox, [cover_task(media)]).status_code == 401
    assert post(sandbox, [cover_task(media)], key="a-new-sandbox-key-456").status_code == 200


def test_stop_is_quick_with_work_in_flight(clip_wav: bytes) -> None:
    before = set(threading.enumerate())
    sb = Sandbox(api_key=KEY, latency_s=30.0, log=False,
                 faults=[Fault("stall", delay_s=30.0, task_type="getResponse")]).start()
    ref = upload(sb, clip_wav)
    outcomes: list[object] = []

    def call(tasks: list) -> None:
        try:
            outcomes.append(post(sb, tasks).status_code)
        except requests.RequestException as exc:
            outcomes.append(exc)

    async_task = cover_task(ref, deliveryMethod="async", numberResults=4)
    post(sb, [async_task])
    clients = [threading.Thread(target=call, args=([cover_task(ref)],)),
               threading.Thread(target=call, args=([{"taskType": "getResponse",
                                                     "taskUUID": async_task["taskUUID"]}],))]
    for c in clients:
        c.start()
    time.sleep(0.2)
    start = time.monotonic()
    sb.stop()
    assert time.monotonic() - start < 10.0  # not the 30 s the calls in flight would take
    for c in clients:
        c.join(15)
    assert len(outcomes) == 2
    leaked = [t for t in set(threading.enumerate()) - before if t.is_alive()]
    assert leaked == []
    with pytest.raises(requests.ConnectionError):
        requests.get(sb.base_url + "/", timeout=(0.5, 0.5))


def test_every_answer_is_labelled(sandbox: Sandbox, media: str) -> None:
    answers = [
        post(sandbox, [cover_task(media, outputFormat="WAV", deliveryMethod="async")]),
        post(sandbox, [cover_task(media, outputFormat="WAV")]),
        post(sandbox, [cover_task(media)], key=None),
        requests.get(sandbox.base_url + "/nowhere", timeout=TIMEOUT),
    ]
    assert all(r.headers["X-Sandbox"] == "true" for r in answers)
    for r in answers[:2]:
        assert all(item["sandbox"] is True for item in r.json()["data"])
    assert all("[sandbox]" in e["message"] for e in answers[2].json()["errors"])


@pytest.mark.parametrize(
    "text, expected",
    [("status:429:3", Fault("status", status=429, times=3)),
     ("status:503:forever@getResponse", Fault("status", status=503, times=-1,
                                               task_type="getResponse")),
     ("drop_after", Fault("drop_after")),
     ("drop_before:2", Fault("drop_before", times=2)),
     ("stall:30", Fault("stall", delay_s=30.0)),
     ("task_error:timeoutProvider", Fault("task_error", code="timeoutProvider")),
     ("expire_url:-1", Fault("expire_url", times=-1)),
     ("malformed_json:502:2", Fault("malformed_json", status=502, times=2))],
)
def test_parse_fault(text: str, expected: Fault) -> None:
    assert parse_fault(text) == expected


@pytest.mark.parametrize("text", ["boom", "drop_after:1:2", "status:abc", "status:429:x"])
def test_parse_fault_errors(text: str) -> None:
    with pytest.raises(ValueError):
        parse_fault(text)


def test_cli_runs_until_interrupted() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNWARE_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "minimax_cover.plugin.cli", "sandbox", "--key", "cli-key-123",
         "--fault", "status:503:1", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        info = json.loads(line)
        assert info["sandbox"] is True and info["api_key"] == "cli-key-123"
        assert info["url"].startswith("http://127.0.0.1:") and info["url"].endswith("/v1")
        headers = {"Authorization": "Bearer cli-key-123"}
        body = [{"taskType": "getResponse", "taskUUID": cover_task("x")["taskUUID"]}]
        assert requests.post(info["url"], json=body, headers=headers,
                             timeout=TIMEOUT).status_code == 503
        assert requests.post(info["url"], json=body, headers=headers,
                             timeout=TIMEOUT).status_code == 200
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0
        assert "SANDBOX" in err and "sandbox stopped" in err
        assert "cli-key-123" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_cli_text_hints() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNWARE_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "minimax_cover.plugin.cli", "-q", "sandbox", "--latency", "0.1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        first = proc.stdout.readline()
        second = proc.stdout.readline()
        assert first.startswith("SANDBOX (synthetic audio, NOT MiniMax Music Cover) at http://")
        url = first.rsplit(" ", 1)[1].strip()
        assert second.strip() == f"export RUNWARE_API_URL={url} RUNWARE_API_KEY=sandbox-key"
        proc.terminate()
        proc.communicate(timeout=60)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
