"""The sandbox's HTTP routes: ``POST /v1``, ``GET /results/<file>``, ``GET /media/<uuid>``.

Every answer carries ``X-Sandbox: true``; errors use Runware's ``{"errors": [...]}`` body.
Bodies and keys are never logged: a log line holds the method, path, task types and status.
"""

from __future__ import annotations

import hmac
import json
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from .errors import STATUS_CODES, error_object
from .faults import GET_KINDS, POST_KINDS, PRE_KINDS, Fault, FaultPlan
from .records import Recorder
from .settings import Endpoint, Settings
from .state import Store
from .tasks import TaskProcessor
from .workers import Workers

__all__ = ["MAX_BODY_BYTES", "HandlerContext", "SandboxHandler"]

#: Largest accepted ``POST /v1`` body: a 50 MB upload as base64 plus room for JSON.
MAX_BODY_BYTES = 72 * 1024 * 1024
_MALFORMED_BODY = b'{"data": [{"taskType": "audioInference", "taskUUID": '  # cut short on purpose
_NOT_PARSED = object()


@dataclass(frozen=True)
class HandlerContext:
    """What the routes work with; the server that creates the handlers holds it as
    ``context``."""

    settings: Settings
    endpoint: Endpoint
    plan: FaultPlan
    store: Store
    processor: TaskProcessor
    recorder: Recorder
    workers: Workers


class SandboxHandler(BaseHTTPRequestHandler):
    """One HTTP request to a sandbox (its parts in ``self.server.context``)."""

    server_version = "minimax-cover-sandbox/0.1"
    sys_version = ""
    timeout = 10.0  # seconds a client may take to send its request

    @property
    def context(self) -> HandlerContext:
        """The sandbox parts this request works with."""
        return self.server.context  # type: ignore[attr-defined, no-any-return]

    # --------------------------------------------------------------- plumbing
    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence the stdlib's stderr access log (the sandbox logs its own lines)."""

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """The stdlib's own errors (bad request line, unsupported method) as Runware JSON."""
        entry = self._begin(str(getattr(self, "command", None) or "?"))
        code = int(code)
        error_code = "methodNotAllowed" if code in (405, 501) else "invalidRequest"
        text = message or self.responses.get(code, ("error",))[0]
        body = json.dumps({"errors": [error_object(error_code, f"HTTP {code}: {text}")]})
        entry["status"] = code
        self._end(entry)
        try:
            self.send_response(code, message)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Sandbox", "true")
            self.send_header("Connection", "close")
            data = body.encode("utf-8") if getattr(self, "command", None) != "HEAD" else b""
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass
        self.close_connection = True

    def _begin(self, method: str) -> dict[str, Any]:
        self._recorded = False
        path = urlsplit(getattr(self, "path", "") or "").path
        return {"method": method, "path": path, "task_types": [],
                "task_uuids": [], "status": None, "faults": [], "at": time.monotonic()}

    def _end(self, entry: dict[str, Any]) -> None:
        """Record the request once, before the client can see the outcome."""
        if not self._recorded:
            self._recorded = True
            self.context.recorder.request(entry)

    def _send(self, entry: dict[str, Any], status: int, body: bytes,
              content_type: str = "application/json",
              headers: dict[str, str] | None = None, declared_length: int | None = None) -> None:
        entry["status"] = status
        self._end(entry)
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(declared_length or len(body)))
            self.send_header("X-Sandbox", "true")
            self.send_header("Connection", "close")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            entry["client_gone"] = True  # the client stopped waiting (e.g. its read timeout)
        self.close_connection = True

    def _send_json(self, entry: dict[str, Any], status: int, obj: Any,
                   headers: dict[str, str] | None = None) -> None:
        self._send(entry, status, json.dumps(obj).encode("utf-8"), headers=headers)

    def _send_error(self, entry: dict[str, Any], status: int, code: str, message: str,
                    **fields: Any) -> None:
        self._send_json(entry, status, {"errors": [error_object(code, message, **fields)]})

    def _drop(self, entry: dict[str, Any]) -> None:
        """Close the connection without an answer."""
        entry["status"] = None
        self._end(entry)
        self.close_connection = True

    # --------------------------------------------------------------- POST /v1
    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        entry = self._begin("POST")
        try:
            self._post(entry)
        finally:
            self._end(entry)

    def _read_body(self, entry: dict[str, Any]) -> bytes | None:
        raw_length = self.headers.get("Content-Length")
        if raw_length is None:
            self._send_error(entry, 411, "invalidRequestBody",
                             "Content-Length is required (no chunked bodies)")
            return None
        try:
            length = int(raw_length)
            if length < 0:
                raise ValueError
        except ValueError:
            self._send_error(entry, 400, "invalidRequestBody",
                             f"bad Content-Length {raw_length[:20]!r}")
            return None
        if length > MAX_BODY_BYTES:
            self._send_error(entry, 413, "payloadTooLarge",
                             f"request body of {length} bytes is over the sandbox's limit of "
                             f"{MAX_BODY_BYTES} bytes")
            return None
        return self.rfile.read(length)

    def _authenticate(self, entry: dict[str, Any], body: Any) -> Any:
        """The body without its authentication element, or ``_NOT_PARSED`` after a 401."""
        header = self.headers.get("Authorization")
        keys: list[Any] = []
        if header is not None:
            scheme, _, value = header.strip().partition(" ")
            keys.append(value.strip() if scheme.lower() == "bearer" else None)
        if (isinstance(body, list) and body and isinstance(body[0], dict)
                and body[0].get("taskType") == "authentication"):
            keys.append(body[0].get("apiKey"))
            body = body[1:]
        expected = self.context.settings.api_key.encode("utf-8")
        if not keys:
            message = ("missing API key: send 'Authorization: Bearer <key>' or a first "
                       '{"taskType": "authentication", "apiKey": ...} element')
        elif all(isinstance(k, str) and hmac.compare_digest(k.encode("utf-8"), expected)
                 for k in keys):
            return body
        else:
            message = ("invalid API key (this sandbox's key is set with Sandbox(api_key=...) "
                       "or --key)")
        self._send_error(entry, 401, "invalidApiKey", message, parameter="apiKey",
                         task_type="authentication")
        return _NOT_PARSED

    def _post(self, entry: dict[str, Any]) -> None:
        ctx = self.context
        if entry["path"] != "/v1":
            self._send_error(entry, 404, "notFound",
                             f"no endpoint POST {entry['path']}; the API is POST /v1")
            return
        raw = self._read_body(entry)
        if raw is None:
            return
        try:
            body: Any = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            body = _NOT_PARSED
        had_auth_only = (isinstance(body, list) and len(body) == 1 and isinstance(body[0], dict)
                         and body[0].get("taskType") == "authentication")
        body = self._authenticate(entry, body)
        if entry["status"] == 401:
            return
        if body is _NOT_PARSED:
            self._send_error(entry, 400, "invalidRequestBody", "the body is not valid JSON")
            return
        if not isinstance(body, list):
            kind = {dict: "object", str: "string", bool: "boolean", int: "number",
                    float: "number"}.get(type(body), "null")
            self._send_error(entry, 400, "invalidRequestBody",
                             f"the body must be a JSON array of tasks (got a JSON {kind})")
            return
        if not body:
            if had_auth_only:
                self._send_json(entry, 200, {"data": []})
            else:
                self._send_error(entry, 400, "invalidRequestBody",
                                 "the body is an empty array: send at least one task")
            return
        tasks = [t for t in body if isinstance(t, dict)]
        entry["task_types"] = sorted({t["taskType"] for t in tasks
                                      if isinstance(t.get("taskType"), str)})
        entry["task_uuids"] = [t["taskUUID"] for t in tasks if isinstance(t.get("taskUUID"), str)]
        most = ctx.settings.max_tasks_per_request
        if most is not None and len(body) > most:
            self._send_error(entry, 400, "invalidRequestBody",
                             f"this endpoint takes at most {most} task(s) per request "
                             f"(got {len(body)})")
            return

        pre = ctx.plan.take(PRE_KINDS, entry["task_types"])
        entry["faults"] = [f.kind for f in pre]
        if ctx.workers.pause(sum(f.delay_s for f in pre if f.kind == "latency")):
            self._send_error(entry, 503, "serviceUnavailable", "the sandbox is stopping")
            return
        terminal = next((f for f in pre if f.kind != "latency"), None)
        if terminal is not None:
            self._apply_pre_fault(entry, terminal, tasks)
            return

        entry["dry_run"] = self.headers.get("X-Runware-Dry-Run", "").strip().lower() in (
            "1", "true")
        batch = ctx.processor.process(body, dry_run=entry["dry_run"])
        post = ctx.plan.take(POST_KINDS, entry["task_types"])
        entry["faults"] += [f.kind for f in post]
        if any(f.kind == "drop_after" for f in post):
            self._drop(entry)
            return
        status, envelope = batch.finish()
        if any(f.kind == "omit" for f in post):
            envelope = _omit_first_poll(envelope, tasks)
        ctx.workers.pause(sum(f.delay_s for f in post if f.kind == "stall"))
        self._send_json(entry, status, envelope)

    def _apply_pre_fault(self, entry: dict[str, Any], fault: Fault,
                         tasks: list[dict[str, Any]]) -> None:
        if fault.kind == "drop_before":
            self._drop(entry)
        elif fault.kind == "malformed_json":
            status = int(fault.status or 200)
            if status == 200:
                self._send(entry, 200, _MALFORMED_BODY)
            else:  # what a gateway in front of an API sends
                phrase = self.responses.get(status, ("Error",))[0]
                page = f"<html><body><h1>{status} {phrase}</h1>sandbox</body></html>"
                self._send(entry, status, page.encode("ascii"), "text/html")
        else:  # status
            status = int(fault.status or 500)
            code, message = STATUS_CODES.get(status, ("unknownError", f"HTTP {status}"))
            code = fault.code or code
            errors = [error_object(code, message, task_type=t.get("taskType"),
                                   task_uuid=t.get("taskUUID")) for t in tasks]
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
            self._send_json(entry, status, {"errors": errors or [error_object(code, message)]},
                            headers)

    # --------------------------------------------------------------- GET
    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        entry = self._begin("GET")
        try:
            self._get(entry)
        finally:
            self._end(entry)

    def _get(self, entry: dict[str, Any]) -> None:
        ctx = self.context
        kind, _, name = entry["path"].strip("/").partition("/")
        if entry["path"] in ("/", ""):
            self._send_json(entry, 200, {
                "sandbox": True, "endpoint": ctx.endpoint.url,
                "message": "local Runware-compatible test server; outputs are synthetic "
                           "transformations, NOT MiniMax Music Cover"})
        elif entry["path"] == "/v1":
            self._send_error(entry, 405, "methodNotAllowed", "use POST /v1 with a JSON array")
        elif kind == "results" and name:
            self._get_result(entry, name)
        elif kind == "media" and name:
            media = ctx.store.media(name)
            if media is None:
                self._send_error(entry, 404, "mediaNotFound", f"no media {name[:40]!r}")
            else:
                self._send(entry, 200, media.data, media.content_type)
        else:
            self._send_error(entry, 404, "notFound", f"no such path {entry['path'][:80]!r}")

    def _get_result(self, entry: dict[str, Any], name: str) -> None:
        ctx = self.context
        audio_uuid, _, ext = name.rpartition(".")
        faults = ctx.plan.take(GET_KINDS, None)
        entry["faults"] = [f.kind for f in faults]
        result, expired = ctx.store.result(audio_uuid)
        if result is not None and result.ext != ext:
            result = None
        if result is None or any(f.kind == "expire_url" for f in faults):
            if expired or result is not None:
                self._send_error(entry, 404, "resultExpired",
                                 f"the result {name[:60]!r} expired (its ttl ran out)")
            else:
                self._send_error(entry, 404, "notFound", f"no result {name[:60]!r}")
            return
        if any(f.kind == "truncate_download" for f in faults):
            entry["truncated"] = True
            self._send(entry, 200, result.data[: len(result.data) // 2], result.content_type,
                       declared_length=len(result.data))
            return
        self._send(entry, 200, result.data, result.content_type)

    # --------------------------------------------------------------- other methods
    def _not_allowed(self) -> None:
        entry = self._begin(self.command)
        try:
            self._send_error(entry, 405, "methodNotAllowed",
                             f"{self.command} is not supported; use POST /v1")
        finally:
            self._end(entry)

    do_PUT = do_DELETE = do_PATCH = _not_allowed  # noqa: N815


def _omit_first_poll(envelope: dict[str, Any], tasks: list[dict[str, Any]]) -> dict[str, Any]:
    """The answer without the items and errors of the first ``getResponse`` task asked."""
    left_out = next((t.get("taskUUID") for t in tasks if t.get("taskType") == "getResponse"),
                    None)
    out = dict(envelope)
    for name in ("data", "errors"):
        if name in out:
            out[name] = [i for i in out[name] if i.get("taskUUID") != left_out]
    return out
