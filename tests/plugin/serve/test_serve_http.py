"""``minimax-cover serve`` over real HTTP on 127.0.0.1 (issue 23's "done when" for the service)."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from minimax_cover.plugin.audio.sniff import sniff_format
from openapi_spec_validator import validate
from serve_support import PROMPT, media_uuid, serve_env


def _upload(song: Path, **request: Any) -> dict[str, Any]:
    return {"files": {"song": ("song.wav", song.read_bytes(), "audio/wav")},
            "data": {"request": json.dumps(request)}}


def test_openapi_is_valid_and_carries_the_spec_rules(serve: Any) -> None:
    served = serve()
    doc = served.get("/openapi.json").json()
    validate(doc)  # openapi-spec-validator: a valid OpenAPI 3.1 document
    props = doc["components"]["schemas"]["CoverRequest"]["properties"]
    assert (props["numberResults"]["minimum"], props["numberResults"]["maximum"]) == (1, 4)
    assert props["positivePrompt"]["minLength"] == 10
    page = served.get("/docs")
    assert page.status_code == 200 and "/docs/docs.js" in page.text
    assert "http" not in page.text.split("<script", 1)[1].split(">", 1)[0].replace(
        'src="/docs/docs.js"', "")  # the script comes from this service, not a CDN
    assert "fetch(\"/openapi.json\")" in served.get("/docs/docs.js").text


def test_bad_prompt_is_422_naming_the_field_and_nothing_is_sent(serve: Any, sandbox: Any,
                                                                song: Path) -> None:
    served = serve()
    as_json = served.post("/v1/covers", json={"song": "https://example.com/a.mp3",
                                              "positivePrompt": "short"})
    upload = served.post("/v1/covers", **_upload(song, positivePrompt="short", numberResults=9))
    for answer in (as_json, upload):
        assert answer.status_code == 422, answer.text
        assert "positivePrompt" in [v["field"] for v in answer.json()["violations"]]
    assert [v["field"] for v in upload.json()["violations"]] == ["numberResults",
                                                                 "positivePrompt"]
    path = served.post("/v1/covers", json={"song": str(song), "positivePrompt": "short"})
    assert path.status_code == 422  # a server-side path is refused, with the prompt
    assert [v["field"] for v in path.json()["violations"]] == ["song", "positivePrompt"]
    assert sandbox.requests_log == []  # nothing reached the model's endpoint


def test_post_202_then_succeeded_with_two_files_and_idempotent_retry(serve: Any, sandbox: Any,
                                                                     song: Path) -> None:
    served = serve()
    headers = {"Idempotency-Key": "job-1"}
    first = served.post("/v1/covers", headers=headers,
                        **_upload(song, positivePrompt=PROMPT, numberResults=2, seed=7))
    assert first.status_code == 202, first.text
    assert set(first.json()) >= {"id", "status"}
    job_id = first.json()["id"]
    again = served.post("/v1/covers", headers=headers,
                        **_upload(song, positivePrompt=PROMPT, numberResults=2, seed=7))
    assert again.status_code == 202 and again.json()["id"] == job_id
    other = served.post("/v1/covers", headers=headers,
                        **_upload(song, positivePrompt=PROMPT, numberResults=1, seed=7))
    assert other.status_code == 422  # the same key with another request is refused
    doc = served.wait_status(job_id, ("succeeded", "failed", "unknown", "paid-not-saved"))
    assert doc["status"] == "succeeded", doc
    assert len(doc["files"]) == 2 and doc["seed"] == 7 and doc["sandbox"] is True
    for link in doc["files"]:
        got = served.get(link["url"])
        assert got.status_code == 200 and sniff_format(got.content[:64]) == "MP3"
    assert served.get(f"/v1/covers/{job_id}/files/3").status_code == 404
    assert sandbox.submissions() == 1  # one job, one paid submit
    assert sandbox.api_key not in json.dumps(doc)
    assert sandbox.api_key not in served.stop()  # nor in the service's log


def test_cancel_leaves_the_job_resumable(serve: Any, sandbox: Any, song_wav: bytes) -> None:
    sandbox.latency_s = 1.5
    served = serve()
    job = served.post("/v1/covers", json={"song": media_uuid(sandbox, song_wav),
                                          "positivePrompt": PROMPT})
    job_id = job.json()["id"]
    served.wait_status(job_id, ("running",))
    _wait_submitted(sandbox)
    assert served.delete(f"/v1/covers/{job_id}").status_code == 202
    doc = served.wait_status(job_id, ("canceled",))
    assert doc["resumable"] is True
    sandbox.latency_s = 0.0
    assert served.post(f"/v1/covers/{job_id}/resume").status_code == 202
    doc = served.wait_status(job_id, ("succeeded",))
    assert len(doc["files"]) == 1 and sandbox.submissions() == 1  # collected, not paid again


def test_restart_collects_what_was_in_flight(serve: Any, sandbox: Any, tmp_path: Path,
                                             song_wav: bytes) -> None:
    sandbox.latency_s = 1.5
    state = tmp_path / "state"
    first = serve(state=state)
    job_id = first.post("/v1/covers", json={"song": media_uuid(sandbox, song_wav),
                                            "positivePrompt": PROMPT}).json()["id"]
    _wait_submitted(sandbox)
    first.stop()  # the job is paid for and not saved
    second = serve(state=state)
    doc = second.wait_status(job_id, ("succeeded", "failed", "unknown"))
    assert doc["status"] == "succeeded", doc
    assert sandbox.submissions() == 1


def test_token_and_loopback_rules(serve: Any, sandbox: Any) -> None:
    refused = subprocess.run([sys.executable, "-m", "minimax_cover.plugin.cli", "serve",
                              "--host", "0.0.0.0", "--port", "0"], env=serve_env(sandbox),
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--token" in refused.stderr and not refused.stdout
    served = serve("--token", "s3cret-token")
    assert served.get("/v1/spend").status_code == 401
    ok = served.get("/v1/spend", headers={"Authorization": "Bearer s3cret-token"})
    assert ok.status_code == 200
    assert served.get("/openapi.json").status_code == 200  # the document is public


def test_bodies_over_the_limit_are_413(serve: Any, sandbox: Any, song: Path) -> None:
    served = serve("--max-upload-mb", "0.05")
    big = served.post("/v1/covers", **_upload(song, positivePrompt=PROMPT))
    assert big.status_code == 413, big.text
    huge_json = served.post("/v1/covers", data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                            headers={"Content-Type": "application/json"})
    assert huge_json.status_code == 413

    def chunks() -> Any:  # no Content-Length: the limit is counted as the body streams in
        for _ in range(64):
            yield b" " * 65536

    streamed = served.post("/v1/covers", data=chunks(),
                           headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    multipart = served.post("/v1/covers", data=chunks(),
                            headers={"Content-Type": "multipart/form-data; boundary=xyz"})
    assert multipart.status_code == 413
    assert sandbox.requests_log == []


def test_callback_is_signed(serve: Any, sandbox: Any, song_wav: bytes) -> None:
    got: list[tuple[dict[str, str], bytes]] = []
    done = threading.Event()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()
            done.set()

        def log_message(self, *args: Any) -> None:
            pass

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        served = serve("--callback-secret", "hook-secret")
        url = f"http://127.0.0.1:{receiver.server_port}/done"
        job = served.post("/v1/covers", json={"song": media_uuid(sandbox, song_wav),
                                              "positivePrompt": PROMPT, "callbackURL": url})
        assert job.status_code == 202, job.text
        assert done.wait(60)
    finally:
        receiver.shutdown()
        receiver.server_close()
    headers, body = got[0]
    stamp = headers["X-MinimaxCover-Timestamp"]
    mac = hmac.new(b"hook-secret", stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-MinimaxCover-Signature"] == f"sha256={mac}"
    assert json.loads(body)["status"] == "succeeded"


def _wait_submitted(sandbox: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while sandbox.submissions() < 1:
        assert time.monotonic() < deadline, "the job was never submitted"
        time.sleep(0.01)


def test_spending_caps_apply_to_service_jobs(serve: Any, sandbox: Any, song: Path,
                                             monkeypatch: Any) -> None:
    monkeypatch.setenv("MINIMAX_COVER_CAP_DAY_USD", "0.40")  # room for one 2-take job ($0.30)
    served = serve()
    first = served.post("/v1/covers", **_upload(song, positivePrompt=PROMPT, numberResults=2,
                                                seed=1)).json()
    assert served.wait_status(first["id"], ("succeeded", "failed"))["status"] == "succeeded"
    second = served.post("/v1/covers", **_upload(song, positivePrompt=PROMPT, numberResults=2,
                                                 seed=2)).json()
    doc = served.wait_status(second["id"], ("succeeded", "failed"))
    assert doc["status"] == "failed" and "cap" in doc["error"], doc
    assert sandbox.submissions() == 1  # the refused job sent nothing


def test_price_account_and_spend(serve: Any, sandbox: Any, song: Path) -> None:
    served = serve()
    price = served.post("/v1/covers:price", **_upload(song, positivePrompt=PROMPT,
                                                        numberResults=3))
    assert price.status_code == 200, price.text
    assert price.json()["price"] == "$0.45" and price.json()["dryRun"] is True
    by_url = served.post("/v1/covers:price", json={"song": "https://example.com/a.mp3",
                                                   "positivePrompt": PROMPT})
    assert by_url.json()["priceUsd"] == 0.15
    account = served.get("/v1/account")
    assert account.status_code == 200 and account.json()["sandbox"] is True
    assert served.get("/v1/spend", params={"since": "today"}).json()["jobs"] == []
    assert served.get("/v1/spend", params={"since": "someday"}).status_code == 422
    assert sandbox.submissions() == 0  # pricing paid for nothing


def test_paid_but_not_saved_is_its_own_resumable_status(serve: Any, sandbox: Any,
                                                        song_wav: bytes) -> None:
    from minimax_cover.plugin.sandbox import Fault

    served = serve()
    media = media_uuid(sandbox, song_wav)
    sandbox.inject(Fault("truncate_download", times=-1))
    job = served.post("/v1/covers", json={"song": media, "positivePrompt": PROMPT}).json()
    doc = served.wait_status(job["id"], ("succeeded", "failed", "unknown", "paid-not-saved"))
    assert doc["status"] == "paid-not-saved", doc
    assert doc["resumable"] is True and doc["files"] == [] and doc["error"]
    assert sandbox.submissions() == 1


def test_restart_closes_a_job_whose_sandbox_ended(serve: Any, sandbox: Any, tmp_path: Path,
                                                 song_wav: bytes) -> None:
    sandbox.latency_s = 1.5
    state = tmp_path / "state"
    first = serve(state=state)
    job_id = first.post("/v1/covers", json={"song": media_uuid(sandbox, song_wav),
                                            "positivePrompt": PROMPT}).json()["id"]
    _wait_submitted(sandbox)
    first.stop()
    sandbox.stop()  # its synthetic results went with it; nothing was charged
    second = serve(state=state)
    doc = second.wait_status(job_id, ("succeeded", "failed", "unknown"))
    assert doc["status"] == "failed" and "not collected" in (doc.get("error") or ""), doc
