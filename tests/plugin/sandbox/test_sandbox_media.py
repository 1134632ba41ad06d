"""mediaStorage upload/delete, inputs.audio references, and refusal of outside URLs."""

from __future__ import annotations

import base64

import pytest
import requests
from minimax_cover.plugin.sandbox import Sandbox
from sandbox_support import TIMEOUT, cover_task, new_uuid, post


def media_task(media: str, **extra: object) -> dict:
    return {"taskType": "mediaStorage", "taskUUID": new_uuid(), "operation": "upload",
            "media": media, **extra}


@pytest.mark.parametrize("form", ["base64", "data-uri"])
def test_upload_then_delete(sandbox: Sandbox, clip_wav: bytes, form: str) -> None:
    encoded = base64.b64encode(clip_wav).decode()
    media = encoded if form == "base64" else f"data:audio/wav;base64,{encoded}"
    task = media_task(media)
    r = post(sandbox, [task])
    assert r.status_code == 200, r.text
    (item,) = r.json()["data"]
    assert item["taskType"] == "mediaStorage" and item["operation"] == "upload"
    assert item["taskUUID"] == task["taskUUID"]
    assert item["sandbox"] is True
    assert item["mediaURL"] == f"{sandbox.base_url}/media/{item['mediaUUID']}"
    served = requests.get(item["mediaURL"], timeout=TIMEOUT)
    assert served.content == clip_wav and served.headers["Content-Type"] == "audio/wav"
    assert post(sandbox, [cover_task(item["mediaUUID"], outputFormat="WAV")]).status_code == 200

    delete = {"taskType": "mediaStorage", "taskUUID": new_uuid(), "operation": "delete",
              "mediaUUID": item["mediaUUID"]}
    r = post(sandbox, [delete])
    assert r.json()["data"] == [{"taskType": "mediaStorage", "taskUUID": delete["taskUUID"],
                                 "operation": "delete", "mediaUUID": item["mediaUUID"],
                                 "sandbox": True}]
    assert requests.get(item["mediaURL"], timeout=TIMEOUT).status_code == 404
    r = post(sandbox, [cover_task(item["mediaUUID"])])
    assert r.status_code == 400
    assert r.json()["errors"][0]["code"] == "mediaNotFound"
    again = dict(delete, taskUUID=new_uuid())
    assert post(sandbox, [again]).json()["errors"][0]["code"] == "mediaNotFound"


def test_upload_from_a_loopback_url(sandbox: Sandbox, clip_wav: bytes) -> None:
    first = post(sandbox, [media_task(base64.b64encode(clip_wav).decode())]).json()["data"][0]
    r = post(sandbox, [media_task(first["mediaURL"])])
    assert r.status_code == 200, r.text
    assert r.json()["data"][0]["mediaUUID"] != first["mediaUUID"]


def test_input_from_another_loopback_server(sandbox: Sandbox, clip_wav: bytes) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Files(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", str(len(clip_wav)))
            self.end_headers()
            self.wfile.write(clip_wav)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        url = f"http://localhost:{server.server_address[1]}/song.wav"
        r = post(sandbox, [cover_task(url, outputFormat="WAV")])
        assert r.status_code == 200, r.text
    finally:
        server.shutdown()
        server.server_close()
        thread.join(15)


@pytest.mark.parametrize("url", ["https://example.com/song.mp3", "http://10.0.0.8/a.wav",
                                 "http://169.254.169.254/latest"])
def test_outside_urls_are_refused(sandbox: Sandbox, url: str) -> None:
    r = post(sandbox, [cover_task(url)])
    assert r.status_code == 400
    (error,) = r.json()["errors"]
    assert error["code"] == "downloadFailed"
    assert error["parameter"] == "inputs.audio"
    assert "no outside URLs" in error["message"]
    r = post(sandbox, [media_task(url)])
    assert r.json()["errors"][0]["code"] == "downloadFailed"
    assert sandbox.submissions() == 0


def test_expired_or_missing_own_url_is_download_failed(sandbox: Sandbox) -> None:
    r = post(sandbox, [cover_task(f"{sandbox.base_url}/media/{new_uuid()}")])
    assert r.json()["errors"][0]["code"] == "downloadFailed"


def test_unknown_media_uuid(sandbox: Sandbox) -> None:
    r = post(sandbox, [cover_task(new_uuid())])
    assert r.status_code == 400
    assert r.json()["errors"][0]["code"] == "mediaNotFound"


@pytest.mark.parametrize(
    "media, fragment",
    [("not base64 at all!", "not valid base64"),
     (base64.b64encode(b"hello, this is text and not audio").decode(), "not decodable audio"),
     ("data:audio/wav;base64,%%%", "not valid")],
)
def test_bad_uploads_are_rejected(sandbox: Sandbox, media: str, fragment: str) -> None:
    r = post(sandbox, [media_task(media)])
    assert r.status_code == 400
    (error,) = r.json()["errors"]
    assert error["parameter"] == "media"
    assert fragment in error["message"]


def test_upload_over_the_limit_is_rejected(sandbox: Sandbox, clip_wav: bytes,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from minimax_cover.plugin.sandbox import media as media_module

    assert media_module.MAX_MEDIA_BYTES == 50 * 1024 * 1024
    monkeypatch.setattr(media_module, "MAX_MEDIA_BYTES", len(clip_wav) - 1)
    encoded = base64.b64encode(clip_wav).decode()
    for media in (encoded, f"data:audio/wav;base64,{encoded}", "A" * len(encoded) * 2):
        r = post(sandbox, [media_task(media)])
        assert r.status_code == 400
        assert "larger than" in r.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "task, code, parameter",
    [({"operation": "upload"}, "missingParameter", "media"),
     ({"operation": "rename"}, "invalidParameter", "operation"),
     ({}, "missingParameter", "operation"),
     ({"operation": "delete"}, "missingParameter", "mediaUUID")],
)
def test_media_storage_validation(sandbox: Sandbox, task: dict, code: str,
                                  parameter: str) -> None:
    r = post(sandbox, [{"taskType": "mediaStorage", "taskUUID": new_uuid(), **task}])
    assert r.status_code == 400
    (error,) = r.json()["errors"]
    assert (error["code"], error["parameter"]) == (code, parameter)


def test_reference_limits_when_enforced(clip_wav: bytes) -> None:
    from minimax_cover.plugin.audio import encode_audio
    from sandbox_support import KEY, make_clip, upload

    with Sandbox(api_key=KEY, enforce_reference_limits=True, log=False) as sb:
        short = upload(sb, encode_audio(make_clip(2.0), "WAV"))
        r = post(sb, [cover_task(short)])
        assert r.status_code == 400
        assert "duration must be between 6 s and 360 s" in r.json()["errors"][0]["message"]
        assert post(sb, [cover_task(upload(sb, clip_wav), outputFormat="WAV")]).status_code == 200

