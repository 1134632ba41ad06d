"""A small stand-in for ComfyUI's HTTP server, enough for the real frontend to boot and run.

Serves the installed ``comfyui-frontend-package`` static files, the pack's ``web/`` folder at
``/extensions/minimax-cover/``, and the endpoints the frontend calls at start-up and when a
prompt is queued (``/api/object_info`` built from the pack's node classes, settings, userdata,
queue, history, ``/api/view`` and a minimal ``/ws`` websocket for ``executed`` messages).
``POST /api/prompt`` runs the API-format prompt with the pack's headless runner, so what the
frontend sends is really executed and each node's outputs are kept (:attr:`ComfyStub.runs`).
Loopback only (127.0.0.1, port 0). Standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
import socket
import struct
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

REPO = Path(__file__).resolve().parents[2]
PACK = "minimax-cover"
#: No update checks, tours or release notes (nothing that would reach the internet).
QUIET_SETTINGS: dict[str, Any] = {
    "Comfy.Notification.ShowVersionUpdates": False,
    "Comfy.TutorialCompleted": True,
    "Comfy.InstalledVersion": "1.51.9",
    "Comfy.Minimap.Visible": False,
}
_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
          ".json": "application/json", ".svg": "image/svg+xml", ".woff2": "font/woff2",
          ".woff": "font/woff", ".ttf": "font/ttf", ".png": "image/png", ".ico": "image/x-icon",
          ".html": "text/html; charset=utf-8", ".flac": "audio/flac", ".mp3": "audio/mpeg",
          ".wav": "audio/wav", ".ogg": "audio/ogg", ".jpg": "image/jpeg",
          ".map": "application/json"}


def frontend_static() -> Path:
    """The static folder of the installed ``comfyui-frontend-package``."""
    import comfyui_frontend_package

    return Path(comfyui_frontend_package.__file__).resolve().parent / "static"


def object_info() -> dict[str, Any]:
    """``/object_info`` for the pack's nodes plus ComfyUI's audio node ids (torch-free twins)."""
    from minimax_cover.nodes import node_table
    from minimax_cover.nodes.audio_nodes import CORE_ALIASES

    rows = [(r.node_id, r.cls, r.display_name) for r in node_table()]
    rows += [(core, cls, core) for core, cls in CORE_ALIASES.items()]
    info = {}
    for node_id, cls, display in rows:
        types = cls.INPUT_TYPES()
        returns = list(getattr(cls, "RETURN_TYPES", ()))
        names = list(getattr(cls, "RETURN_NAMES", None) or returns)
        info[node_id] = {
            "input": {k: v for k, v in types.items() if k in ("required", "optional", "hidden")},
            "input_order": {k: list(v) for k, v in types.items() if k in ("required", "optional")},
            "output": returns, "output_is_list": [False] * len(returns), "output_name": names,
            "output_tooltips": list(getattr(cls, "OUTPUT_TOOLTIPS", ()) or ()),
            "name": node_id, "display_name": display,
            "description": getattr(cls, "DESCRIPTION", "") or "",
            "python_module": "nodes" if node_id in CORE_ALIASES else f"custom_nodes.{PACK}",
            "category": getattr(cls, "CATEGORY", "audio"),
            "output_node": bool(getattr(cls, "OUTPUT_NODE", False)),
            "deprecated": False, "experimental": False, "api_node": False,
        }
    # ComfyUI's own text preview (display only in the templates: the runner skips it)
    info["PreviewAny"] = {
        "input": {"required": {"source": ["*", {}]}}, "input_order": {"required": ["source"]},
        "output": [], "output_is_list": [], "output_name": [], "output_tooltips": [],
        "name": "PreviewAny", "display_name": "Preview Any", "description": "",
        "python_module": "comfy_extras.nodes_preview_any", "category": "utils",
        "output_node": True, "deprecated": False, "experimental": False, "api_node": False}
    return json.loads(json.dumps(info, default=lambda o: list(o) if isinstance(o, tuple) else
                                 str(o)))


def pricing() -> dict[str, Any]:
    """What the pack serves at ``/minimax_cover/pricing`` inside ComfyUI."""
    from minimax_cover.nodes.pricing_route import pricing_info

    return pricing_info()


class _WebSocket:
    """One server side of a websocket: text frames out, frames in read and dropped."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.lock = threading.Lock()
        self.open = True

    def send(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode("utf-8")
        n = len(data)
        if n < 126:
            header = struct.pack("!BB", 0x81, n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x81, 126, n)
        else:
            header = struct.pack("!BBQ", 0x81, 127, n)
        with self.lock:
            if self.open:
                try:
                    self.sock.sendall(header + data)
                except OSError:
                    self.open = False

    def _read(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError
            buf += chunk
        return buf

    def serve(self) -> None:
        """Read frames until the client closes (we never need their content)."""
        try:
            while self.open:
                b1, b2 = self._read(2)
                length = b2 & 0x7F
                if length == 126:
                    (length,) = struct.unpack("!H", self._read(2))
                elif length == 127:
                    (length,) = struct.unpack("!Q", self._read(8))
                if b2 & 0x80:
                    self._read(4)
                self._read(length)
                if b1 & 0x0F == 0x8:
                    break
        except (ConnectionError, OSError):
            pass
        self.open = False


class ComfyStub:
    """``with ComfyStub(tmp_path) as stub:`` then open ``stub.url`` in the browser.

    :param workdir: holds ``output/`` (saves) and ``temp/`` (previews).
    :param settings: initial user settings (``/api/settings``).
    """

    def __init__(self, workdir: Path, *, settings: dict[str, Any] | None = None) -> None:
        self.workdir = Path(workdir)
        self.output = self.workdir / "output"
        self.temp = self.workdir / "temp"
        self.output.mkdir(parents=True, exist_ok=True)
        self.temp.mkdir(parents=True, exist_ok=True)
        self.input = REPO / "examples" / "audio"
        self.static = frontend_static()
        self.settings: dict[str, Any] = {**QUIET_SETTINGS, **(settings or {})}
        self.extensions = [f"/extensions/{PACK}/{p.name}"  # as ComfyUI lists WEB_DIRECTORY
                           for p in sorted((REPO / "web").glob("*.js"))]
        self.sockets: list[_WebSocket] = []
        self.history: dict[str, dict[str, Any]] = {}
        self.runs: dict[str, Any] = {}  # prompt_id -> WorkflowResult
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.number = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    # ---- lifecycle
    def __enter__(self) -> ComfyStub:
        stub = self

        class Handler(_Handler):
            owner = stub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self

    def __exit__(self, *exc: object) -> None:
        for ws in self.sockets:
            ws.open = False
            try:
                ws.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # ---- messages
    def queue(self, browser: Any) -> Any:
        """Queue the graph as the Run button does; return the runner's result of that prompt."""
        count = len(self.runs)
        browser.js_async("const done = arguments[arguments.length - 1];"
                         "window.comfyAPI.app.app.queuePrompt(0, 1)"
                         ".then(() => done(true), e => done(String(e)));")
        end = time.monotonic() + 90
        while len(self.runs) == count:
            assert not self.errors, self.errors[-1]
            assert time.monotonic() < end, "the prompt did not run"
            time.sleep(0.1)
        return list(self.runs.values())[-1]

    def broadcast(self, kind: str, data: dict[str, Any]) -> None:
        for ws in list(self.sockets):
            ws.send({"type": kind, "data": data})

    def status(self, remaining: int = 0) -> dict[str, Any]:
        return {"status": {"exec_info": {"queue_remaining": remaining}}}

    def run_prompt(self, prompt_id: str, prompt: dict[str, Any]) -> None:
        """Run an API-format prompt with the headless runner; send ComfyUI's ws messages."""
        from minimax_cover.nodes.runner import run_workflow

        self.broadcast("status", self.status(1))
        self.broadcast("execution_start", {"prompt_id": prompt_id})
        outputs: dict[str, Any] = {}
        try:
            result = run_workflow(prompt, output_dir=self.output, input_dirs=[self.input],
                                  temp_dir=self.temp)
        except Exception as exc:  # shown to the test through stub.errors
            self.errors.append("".join(traceback.format_exception(exc)))
            self.broadcast("execution_error", {"prompt_id": prompt_id, "node_id": "",
                                               "exception_message": str(exc)})
        else:
            self.runs[prompt_id] = result
            for nid in result.order:
                self.broadcast("executing", {"node": nid, "display_node": nid,
                                             "prompt_id": prompt_id})
                ui = result.runs[nid].ui
                if ui is not None:
                    outputs[nid] = ui
                    self.broadcast("executed", {"node": nid, "display_node": nid,
                                                "output": ui, "prompt_id": prompt_id})
            self.broadcast("execution_success", {"prompt_id": prompt_id})
        self.history[prompt_id] = {"prompt": [self.number, prompt_id, prompt, {}, []],
                                   "outputs": outputs,
                                   "status": {"status_str": "success" if prompt_id in self.runs
                                              else "error", "completed": True, "messages": []}}
        self.broadcast("executing", {"node": None, "prompt_id": prompt_id})
        self.broadcast("status", self.status(0))

    def view_path(self, query: dict[str, list[str]]) -> Path | None:
        """The file ``/api/view`` names, inside the output, temp or input folder only."""
        name = query.get("filename", [""])[0]
        sub = query.get("subfolder", [""])[0]
        kind = query.get("type", ["output"])[0]
        base = {"output": self.output, "temp": self.temp, "input": self.input}.get(kind)
        if base is None or not name:
            return None
        path = (base / sub / name).resolve()
        return path if path.is_file() and base.resolve() in path.parents else None

    # ---- routes
    def get(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any] | Path | None:
        api = path[4:] if path.startswith("/api/") else None
        if api is None:
            if path.startswith(f"/extensions/{PACK}/"):
                file = (REPO / "web" / path.split("/", 3)[3]).resolve()
                return file if file.is_file() and (REPO / "web") in file.parents else None
            if path.startswith("/templates/") and path.endswith("index.json"):
                return 200, []
            file = (self.static / (path.lstrip("/") or "index.html")).resolve()
            if file.is_dir():
                file = file / "index.html"
            if file.is_file() and self.static in file.parents:
                return file
            if "." not in path.rsplit("/", 1)[-1]:
                return self.static / "index.html"  # the app's own routes
            return None
        routes: dict[str, Callable[[], Any]] = {
            "/users": lambda: {"storage": "server", "migrated": True},
            "/settings": lambda: self.settings,
            "/extensions": lambda: list(self.extensions),
            "/embeddings": list,
            "/object_info": object_info,
            "/system_stats": lambda: {
                "system": {"os": "posix", "python_version": "3", "embedded_python": False,
                           "comfyui_version": "0.3.64", "pytorch_version": "stub",
                           "argv": ["main.py", "--disable-api-nodes"],
                           "ram_total": 1 << 33, "ram_free": 1 << 32,
                           "required_frontend_version": ""},
                "devices": []},
            "/i18n": dict,
            "/prompt": lambda: self.status(0),
            "/queue": lambda: {"queue_running": [], "queue_pending": []},
            "/history": lambda: self.history,
            "/workflow_templates": self.templates,
            "/experiment/models": list,
            "/global_subgraphs": dict,
            "/features": lambda: {"supports_preview_metadata": False},
            "/userdata": list,
            "/jobs": lambda: {"jobs": [], "pagination": {"offset": 0, "limit": 0, "total": 0,
                                                         "has_more": False}},
            "/node_replacements": dict,
            "/minimax_cover/pricing": pricing,  # the pack's route (nodes/pricing_route.py)
        }
        if api in routes:
            return 200, routes[api]()
        if api.startswith("/history/"):
            pid = api.split("/", 2)[2]
            return 200, ({pid: self.history[pid]} if pid in self.history else {})
        if api.startswith("/settings/"):
            return 200, self.settings.get(unquote(api.split("/", 2)[2]))
        if api == "/view":
            return self.view_path(query)
        if api.startswith("/workflow_templates/"):
            file = (REPO / "example_workflows" / unquote(api.split("/", 3)[3])).resolve()
            return file if file.is_file() else None
        if api.startswith("/userdata/"):
            return 404, {"error": "not found"}
        if api.startswith("/experiment/models/"):
            return 200, []
        return 404, {"error": f"stub: no route {api}"}

    def post(self, path: str, body: bytes) -> tuple[int, Any]:
        api = path[4:] if path.startswith("/api/") else path
        if api == "/prompt":
            data = json.loads(body or b"{}")
            with self._lock:
                self.number += 1
                number = self.number
            prompt_id = str(uuid.uuid4())
            threading.Thread(target=self.run_prompt, args=(prompt_id, data["prompt"]),
                             daemon=True).start()
            return 200, {"prompt_id": prompt_id, "number": number, "node_errors": {}}
        if api == "/settings":
            self.settings.update(json.loads(body or b"{}"))
            return 200, {}
        if api.startswith("/settings/"):
            self.settings[unquote(api.split("/", 2)[2])] = json.loads(body or b"null")
            return 200, {}
        if api.startswith("/userdata/"):
            return 200, {"path": unquote(api.split("/", 2)[2]), "size": len(body),
                         "modified": 0}
        return 200, {}

    def templates(self) -> dict[str, list[str]]:
        return {PACK: sorted(p.stem for p in (REPO / "example_workflows").glob("*.json"))}


class _Handler(BaseHTTPRequestHandler):
    owner: ComfyStub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet; kept in owner.requests
        pass

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _file(self, path: Path) -> None:
        data = path.read_bytes()
        ctype = _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or \
            "application/octet-stream"
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes="):  # media elements seek with ranges
            start_s, _, end_s = rng[6:].partition("-")
            start = int(start_s or 0)
            end = min(int(end_s) if end_s else len(data) - 1, len(data) - 1)
            part = data[start:end + 1]
            self.send_response(206)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(len(part)))
            self.end_headers()
            self.wfile.write(part)
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _answer(self, result: Any) -> None:
        if result is None:
            self._send(404, b'{"error": "not found"}', "application/json")
        elif isinstance(result, Path):
            self._file(result)
        else:
            status, payload = result
            self._send(status, json.dumps(payload).encode("utf-8"), "application/json")

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        url = urlparse(self.path)
        self.owner.requests.append(f"GET {url.path}")
        upgrade = self.headers.get("Upgrade", "").lower()
        if url.path in ("/ws", "/api/ws") and upgrade == "websocket":
            self._websocket(parse_qs(url.query))
            return
        try:
            self._answer(self.owner.get(url.path, parse_qs(url.query)))
        except Exception:
            self.owner.errors.append(traceback.format_exc())
            self._send(500, b'{"error": "stub failure"}', "application/json")

    do_HEAD = do_GET

    def do_POST(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        self.owner.requests.append(f"POST {url.path}")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            self._answer(self.owner.post(url.path, body))
        except Exception:
            self.owner.errors.append(traceback.format_exc())
            self._send(500, b'{"error": "stub failure"}', "application/json")

    def _websocket(self, query: dict[str, list[str]]) -> None:
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1((key + _WS_GUID).encode()).digest()).decode()
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        ws = _WebSocket(self.connection)
        self.owner.sockets.append(ws)
        sid = query.get("clientId", [uuid.uuid4().hex])[0]
        ws.send({"type": "status", "data": {**self.owner.status(0), "sid": sid}})
        ws.send({"type": "feature_flags", "data": {"supports_preview_metadata": False}})
        ws.serve()
        self.close_connection = True
