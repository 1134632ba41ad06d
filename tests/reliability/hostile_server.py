"""A Runware double that misbehaves on purpose, for the hostile-server suites.

Stdlib ``ThreadingHTTPServer`` on 127.0.0.1, port 0. It speaks enough of the protocol for the
whole pipeline (``mediaStorage`` upload, ``audioInference`` sync with ``URL``/``dataURI``/
``base64Data`` results, ``getResponse``, ``getTaskDetails``) and, chosen by the test, answers
in one hostile way:

``answer=`` (the ``audioInference`` POST)
    ``ok``, ``slow_body`` (the answer one byte per ``drip_s``), ``slow_headers`` (the status
    line and headers one byte per ``drip_s``), ``steady`` (an endless body at ``rate_bps``),
    ``huge_json`` (``huge_bytes`` of small JSON objects), ``huge_base64`` (one
    ``audioBase64Data`` string of ``huge_bytes``), ``nested`` (``depth`` nested arrays),
    ``error_500`` (HTTP 500, no Runware body: the task is *not* accepted).
``cost=`` (each result's ``cost``, any JSON value: ``-5``, ``NaN``, ``"abc"``, ``1e12``) and
``dry_cost=`` (the price a dry run, ``X-Runware-Dry-Run: 1``, answers; counted in
``dry_runs``, never accepted).
``poll=`` (``getResponse``)
    ``ok`` or ``nested`` (``depth`` nested arrays).
``download=`` (``GET /results/...``)
    ``ok``, ``lie_long`` (the body is longer than its ``Content-Length``), ``lie_short``
    (shorter: the connection closes early), ``slow`` (one byte per ``drip_s``), ``endless``
    (no ``Content-Length``, never ends), ``truncated`` (a well-formed response whose audio is
    cut to a tenth).

Every loop is bounded (bytes and seconds) and stops when the client goes away. ``paid``
lists the ``audioInference`` taskUUIDs the server accepted (answered, or began to answer,
with results): what the account would have been charged for.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: A loop never runs longer than this, whatever the client does.
MAX_LOOP_S = 60.0
_PIECE = 64 * 1024


class Hostile:
    """The server; use as ``with Hostile(audio=..., answer=...) as h:`` (``h.url``)."""

    def __init__(self, *, audio: bytes, api_key: str, answer: str = "ok",
                 download: str = "ok", output_type: str = "URL", drip_s: float = 0.2,
                 rate_bps: int = 20_000, huge_bytes: int = 300 * 1024 * 1024,
                 depth: int = 200_000, poll: str = "ok", cost: Any = 0.01,
                 dry_cost: Any = 0.15) -> None:
        self.audio = audio
        self.api_key = api_key
        self.answer = answer
        self.download = download
        self.output_type = output_type
        self.drip_s = drip_s
        self.rate_bps = rate_bps
        self.huge_bytes = huge_bytes
        self.depth = depth
        self.poll = poll  # "nested": getResponse answers with ``depth`` nested arrays
        self.cost = cost
        self.dry_cost = dry_cost
        self.dry_runs = 0
        self.paid: list[str] = []
        self.results: dict[str, list[dict[str, Any]]] = {}
        self.requests: list[tuple[str, str]] = []  # (method or taskType, taskUUID or path)
        self.sent_bytes = 0
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    # -- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> Hostile:
        handler = type("HostileHandler", (_Handler,), {"hostile": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.url = self.base + "/v1"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    # -- the protocol ---------------------------------------------------------------------

    def result_item(self, task: dict[str, Any], index: int) -> dict[str, Any]:
        audio_uuid = str(uuid.uuid4())
        item: dict[str, Any] = {"taskType": "audioInference", "taskUUID": task["taskUUID"],
                                "audioUUID": audio_uuid, "seed": 1000 + index, "cost": self.cost,
                                "status": "success"}
        kind = str(task.get("outputType") or self.output_type)
        if kind == "base64Data":
            item["audioBase64Data"] = base64.b64encode(self.audio).decode()
        elif kind == "dataURI":
            item["audioDataURI"] = "data:audio/mpeg;base64," + base64.b64encode(
                self.audio).decode()
        else:
            item["audioURL"] = f"{self.base}/results/{audio_uuid}.mp3"
        return item

    def accept(self, task: dict[str, Any]) -> list[dict[str, Any]]:
        items = [self.result_item(task, i) for i in range(int(task.get("numberResults") or 1))]
        with self.lock:
            self.paid.append(task["taskUUID"])
            self.results[task["taskUUID"]] = items
        return items


def _not_found(task_uuid: str) -> dict[str, Any]:
    return {"code": "taskFailedOrNotFound", "message": "task not found", "taskUUID": task_uuid}


class _Handler(BaseHTTPRequestHandler):
    hostile: Hostile
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    # -- plumbing -------------------------------------------------------------------------

    def _send(self, data: bytes) -> bool:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            return False
        with self.hostile.lock:
            self.hostile.sent_bytes += len(data)
        return True

    def _drip(self, data: bytes) -> None:
        """``data`` one byte per ``drip_s`` (bounded by MAX_LOOP_S and the client)."""
        until = time.monotonic() + MAX_LOOP_S
        for i in range(len(data)):
            if time.monotonic() > until or not self._send(data[i:i + 1]):
                break
            time.sleep(self.hostile.drip_s)
        self.close_connection = True

    def _stream(self, pieces: Iterator[bytes], *, length: int | None = None,
                status: int = 200) -> None:
        head = f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\n"
        head += f"Content-Length: {length}\r\n" if length is not None else "Connection: close\r\n"
        if not self._send((head + "\r\n").encode()):
            return
        until = time.monotonic() + MAX_LOOP_S
        for piece in pieces:
            if time.monotonic() > until or not self._send(piece):
                break
        self.close_connection = True

    def _json(self, status: int, doc: Any) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self._send(body)

    # -- POST /v1 -------------------------------------------------------------------------

    def do_POST(self) -> None:  # noqa: N802 - stdlib API
        h = self.hostile
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.headers.get("Authorization") != f"Bearer {h.api_key}":
            self._json(401, {"errors": [{"code": "invalidApiKey", "message": "bad key"}]})
            return
        tasks = json.loads(raw)
        task = tasks[0]
        kind, task_uuid = task.get("taskType"), str(task.get("taskUUID"))
        with h.lock:
            h.requests.append((str(kind), task_uuid))
        if kind == "mediaStorage":
            self._json(200, {"data": [{"taskType": "mediaStorage", "taskUUID": task_uuid,
                                       "mediaUUID": str(uuid.uuid4())}]})
        elif kind in ("getResponse", "getTaskDetails"):
            items = h.results.get(task_uuid)
            if h.poll == "nested":
                self._stream(iter([b"[" * h.depth, b"]" * h.depth]), length=2 * h.depth)
                return
            if items is None:
                self._json(200, {"errors": [_not_found(task_uuid)]})
            else:
                self._json(200, {"data": items})
        elif kind == "audioInference" and self.headers.get("X-Runware-Dry-Run") == "1":
            with h.lock:
                h.dry_runs += 1
            self._json(200, {"data": [{"taskType": "audioInference", "taskUUID": task_uuid,
                                       "cost": h.dry_cost}]})
        elif kind == "audioInference":
            self._inference(task)
        else:
            self._json(400, {"errors": [{"code": "unsupportedTaskType",
                                         "message": f"unsupported {kind}"}]})

    def _inference(self, task: dict[str, Any]) -> None:
        h = self.hostile
        mode = h.answer
        if mode == "error_500":
            self._json(500, {"message": "internal error"})  # no Runware error body: not queued
            return
        if mode == "nested":
            self._stream(iter([b"[" * h.depth, b"]" * h.depth]), length=2 * h.depth)
            return
        if mode == "huge_json":
            h.accept(task)
            self._stream(_huge_json(h.huge_bytes), length=None)
            return
        if mode == "huge_base64":
            h.accept(task)
            self._stream(_huge_base64(task["taskUUID"], h.huge_bytes), length=None)
            return
        body = json.dumps({"data": h.accept(task)}).encode()
        if mode == "slow_headers":
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            self._drip(head + body)
        elif mode == "slow_body":
            if self._send(f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n"
                          "Content-Type: application/json\r\n\r\n".encode()):
                self._drip(body)
        elif mode == "steady":
            self._stream(_steady(h.rate_bps), length=None)
        else:
            self._json(200, {"data": json.loads(body)["data"]})

    # -- GET /results/* -------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - stdlib API
        h = self.hostile
        with h.lock:
            h.requests.append(("GET", self.path))
        if not self.path.startswith("/results/"):
            self._json(404, {"message": "not found"})
            return
        data, mode = h.audio, h.download
        if mode == "truncated":
            data = data[: len(data) // 10]
        head = "HTTP/1.1 200 OK\r\nContent-Type: audio/mpeg\r\n"
        if mode == "lie_long":  # declares 60 %, sends all: the client stops at the 60 %
            self._send((head + f"Content-Length: {len(data) * 6 // 10}\r\n\r\n").encode()
                       + data)
            self.close_connection = True
        elif mode == "lie_short":  # declares more than it sends, then hangs up
            self._send((head + f"Content-Length: {len(data) + 5000}\r\n\r\n").encode() + data)
            self.close_connection = True
        elif mode == "slow":
            if self._send((head + f"Content-Length: {len(data)}\r\n\r\n").encode()):
                self._drip(data)
        elif mode == "endless":
            if self._send((head + "Connection: close\r\n\r\n").encode() + data):
                until = time.monotonic() + MAX_LOOP_S
                while time.monotonic() < until and self._send(b"\x00" * _PIECE):
                    pass
            self.close_connection = True
        else:
            self._send((head + f"Content-Length: {len(data)}\r\n\r\n").encode() + data)


def _huge_json(total: int) -> Iterator[bytes]:
    """``{"data": [{...}, {...}, ...]}`` of about ``total`` bytes, made as it is sent."""
    item = b'{"taskType":"audioInference","taskUUID":"x","note":"padding padding"},'
    piece = item * (_PIECE // len(item))
    yield b'{"data":['
    sent = 0
    while sent < total:
        yield piece
        sent += len(piece)
    yield b'{"taskUUID":"x"}]}'


def _huge_base64(task_uuid: str, total: int) -> Iterator[bytes]:
    """One result whose ``audioBase64Data`` is ``total`` bytes of valid base64."""
    yield (f'{{"data":[{{"taskType":"audioInference","taskUUID":"{task_uuid}",'
           f'"audioUUID":"{uuid.uuid4()}","status":"success","audioBase64Data":"').encode()
    piece = b"QUFB" * (_PIECE // 4)
    sent = 0
    while sent < total:
        yield piece
        sent += len(piece)
    yield b'"}]}'


def _steady(rate_bps: int) -> Iterator[bytes]:
    """JSON whitespace at ``rate_bps``, forever (the loop bound stops it)."""
    yield b'{"data":[ '
    step = max(1, rate_bps // 20)
    while True:
        time.sleep(0.05)
        yield b" " * step
