"""Helpers for the sandbox tests: a short clip, request helpers, a tiny loopback receiver for
webhooks and uploadEndpoint PUTs, and a fake clock. Real sockets, 127.0.0.1 only."""


from __future__ import annotations

import base64
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import requests
from minimax_cover.plugin.audio import Audio
from minimax_cover.plugin.sandbox import Sandbox

KEY = "test-sandbox-key-123"
TIMEOUT = (2.0, 10.0)
MODEL = "minimax:music@cover"
PROMPT = "warm acoustic folk, fingerpicked guitar"
SR = 16000
CLIP_S = 6.5


def make_clip(seconds: float = CLIP_S, rate: int = SR) -> Audio:
    """A melody with a loudness contour: clearly not silence, deterministic."""
    t = np.arange(int(seconds * rate)) / rate
    notes = 220.0 * 2 ** (np.array([0, 4, 7, 12, 7, 4, 0, -5]) / 12)
    freq = notes[(t * 2).astype(int) % len(notes)]
    phase = 2 * np.pi * np.cumsum(freq) / rate
    contour = 0.3 + 0.25 * np.sin(2 * np.pi * 0.4 * t)
    return Audio((contour * np.sin(phase)).astype(np.float32), rate)


def new_uuid() -> str:
    return str(uuid.uuid4())


def post(sb: Sandbox, tasks: Any, *, key: str | None = KEY, timeout: Any = TIMEOUT,
         **kwargs: Any) -> requests.Response:
    """POST ``tasks`` to the sandbox with the bearer header (``key=None``: no header)."""
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    return requests.post(sb.url, json=tasks, headers=headers, timeout=timeout, **kwargs)


def upload(sb: Sandbox, data: bytes) -> str:
    """Upload ``data`` as raw base64 with mediaStorage; returns the mediaUUID."""
    r = post(sb, [{"taskType": "mediaStorage", "taskUUID": new_uuid(), "operation": "upload",
                   "media": base64.b64encode(data).decode("ascii")}])
    assert r.status_code == 200, r.text
    return r.json()["data"][0]["mediaUUID"]


def cover_task(audio_ref: str, **overrides: Any) -> dict[str, Any]:
    """A valid audioInference task for ``audio_ref`` (a mediaUUID or URL)."""
    task = {"taskType": "audioInference", "taskUUID": new_uuid(), "model": MODEL,
            "positivePrompt": PROMPT, "inputs": {"audio": audio_ref}}
    task.update(overrides)
    return task


def get_response(sb: Sandbox, task_uuid: str) -> requests.Response:
    return post(sb, [{"taskType": "getResponse", "taskUUID": task_uuid}])


class Receiver:
    """A loopback HTTP server that records every request and answers from a status script."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.got = threading.Condition(self.lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.got:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.requests.append({"method": self.command, "path": self.path,
                                              "headers": dict(self.headers), "body": body,
                                              "status": status})
                    receiver.got.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_PUT = _handle  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        with self.got:
            self.got.wait_for(lambda: len(self.requests) >= count, timeout)
            return list(self.requests)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(15)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
