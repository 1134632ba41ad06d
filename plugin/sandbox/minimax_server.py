"""A local stand-in for MiniMax's music-cover API (``/v1/music_cover_preprocess`` and
``/v1/music_generation``), for offline runs and tests. NOT MiniMax: the "cover" is a cheap,
deterministic transform of the preprocessed audio (:func:`.synth.transform`).

Same JSON shapes as the real API: errors are HTTP 200 with a non-zero ``base_resp.status_code``
(1004 bad key, 2013 invalid parameters, and any code injected with :class:`MiniMaxFault`);
``cover_feature_id`` is the MD5 of the audio bytes; ``structure_result`` is a JSON string;
generation answers hex audio, or a URL this server serves itself. Every answer carries
``X-Sandbox: 1`` and ``"sandbox": true``; :meth:`MiniMaxSandbox.start` prints a banner.

    with MiniMaxSandbox() as sb:
        client = MiniMaxClient(api_key=sb.api_key, base_url=sb.url)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import sys
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["MiniMaxFault", "MiniMaxSandbox"]

BANNER = "MiniMax SANDBOX (synthetic audio, not MiniMax, no cost) listening on {url}"
_MODELS = ("music-cover", "music-cover-free")
_SAMPLE_RATES = (16000, 24000, 32000, 44100)
_BITRATES = (32000, 64000, 128000, 256000)
_MIN_S, _MAX_S = 6.0, 360.0
_MAX_BODY = 80 * 1024 * 1024
_LYRIC_LINES = ("Walking down the empty street tonight", "Every window holds a different light",
                "Hold on, hold on, we sing it loud", "Carry me home across the crowd")


@dataclass
class MiniMaxFault:
    """Answer the next ``times`` matching requests with ``base_resp.status_code = code``.

    :param code: the MiniMax code (1002 rate limit, 1008 balance, 1000 unknown error...).
    :param endpoint: ``"preprocess"``, ``"generation"`` or ``"any"``.
    :param times: how many requests it hits (``-1``: all).
    :param skip: let this many matching requests pass first.
    """

    code: int
    endpoint: str = "any"
    times: int = 1
    message: str | None = None
    skip: int = 0


_MESSAGES = {1000: "unknown error", 1001: "request timeout", 1002: "rate limit",
             1004: "not authorized", 1008: "insufficient balance", 1024: "internal error",
             1026: "input new_sensitive", 1027: "output new_sensitive", 1039: "token limit",
             2013: "invalid params", 2045: "rate growth limit", 2049: "invalid api key",
             2056: "usage limit exceeded"}


class _Refusal(Exception):
    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


class MiniMaxSandbox:
    """A ThreadingHTTPServer on 127.0.0.1 speaking MiniMax's two cover endpoints.

    :param api_key: the Bearer key it accepts (others get code 1004).
    :param port: 0 picks a free port.
    :param faults: :class:`MiniMaxFault` objects, consumed in order.
    :param banner: print the sandbox banner on stderr when started.
    :param state_dir: keep preprocessed songs here (by feature id), so a handle made by one
        sandbox run works in the next (the CLI's ``preprocess`` then ``cover``); default: memory.
    :param labelled: announce itself as the sandbox (``X-Sandbox``, ``"sandbox": true``); tests
        pass ``False`` to stand in for a MiniMax-compatible endpoint that does not.
    """

    def __init__(self, api_key: str = "mm-sandbox", port: int = 0, *,
                 faults: Iterable[MiniMaxFault] = (), banner: bool = True,
                 state_dir: str | os.PathLike[str] | None = None,
                 labelled: bool = True) -> None:
        self.api_key = api_key
        self.labelled = labelled
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.port = port
        self.banner = banner
        self.faults = list(faults)
        self.features: dict[str, dict[str, Any]] = {}
        self.files: dict[str, tuple[bytes, str]] = {}
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """The base URL (``http://127.0.0.1:PORT``); the client appends ``/v1/...``."""
        if self._server is None:
            raise RuntimeError("MiniMaxSandbox is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> MiniMaxSandbox:
        """Start serving in a daemon thread; returns ``self``."""
        if self._server is not None:
            return self
        handler = type("_BoundHandler", (_Handler,), {"sandbox": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="minimax-sandbox", daemon=True)
        self._thread.start()
        if self.banner:
            print(BANNER.format(url=self.url), file=sys.stderr)
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> MiniMaxSandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def inject(self, code: int, endpoint: str = "any", times: int = 1) -> None:
        """Add a :class:`MiniMaxFault` while running."""
        with self._lock:
            self.faults.append(MiniMaxFault(code, endpoint, times))

    def forget(self) -> None:
        """Forget every preprocessed song (as MiniMax does after 24 hours)."""
        with self._lock:
            self.features.clear()
        if self.state_dir is not None:
            for stored in self.state_dir.glob("*.audio"):
                stored.unlink(missing_ok=True)

    @property
    def preprocesses(self) -> list[dict[str, Any]]:
        """Bodies of the preprocess requests received (faulted ones included)."""
        return [body for path, body in self.requests if path.endswith("cover_preprocess")]

    @property
    def generations(self) -> list[dict[str, Any]]:
        """Bodies of the generation requests received (faulted ones included)."""
        return [body for path, body in self.requests if path.endswith("music_generation")]

    # ------------------------------------------------------------------ behaviour

    def _take_fault(self, endpoint: str) -> MiniMaxFault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times != 0 and fault.endpoint in ("any", endpoint):
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    if fault.times > 0:
                        fault.times -= 1
                    return fault
        return None

    def handle(self, path: str, auth: str | None, body: Any) -> dict[str, Any]:
        """The JSON answer to one POST (errors as ``base_resp``)."""
        endpoint = {"/v1/music_cover_preprocess": "preprocess",
                    "/v1/music_generation": "generation"}.get(path)
        try:
            if endpoint is None:
                raise _Refusal(2013, f"unknown endpoint {path}")
            if auth != f"Bearer {self.api_key}":
                raise _Refusal(1004, "not authorized: invalid or missing bearer token")
            if not isinstance(body, dict):
                raise _Refusal(2013, "invalid params: body must be a JSON object")
            with self._lock:
                self.requests.append((path, body))
            fault = self._take_fault(endpoint)
            if fault is not None:
                raise _Refusal(fault.code, fault.message or _MESSAGES.get(fault.code, "error"))
            answer = self._preprocess(body) if endpoint == "preprocess" else self._generate(body)
            answer["base_resp"] = {"status_code": 0, "status_msg": "success"}
        except _Refusal as refusal:
            answer = {"base_resp": {"status_code": refusal.code, "status_msg": refusal.message}}
        answer["trace_id"] = uuid.uuid4().hex
        if self.labelled:
            answer["sandbox"] = True
        return answer

    def _audio_bytes(self, body: dict[str, Any]) -> bytes:
        if body.get("audio_base64"):
            try:
                return base64.b64decode(body["audio_base64"], validate=True)
            except (binascii.Error, ValueError, TypeError):
                raise _Refusal(2013, "invalid params: audio_base64 is not base64") from None
        url = body.get("audio_url")
        if isinstance(url, str) and url.startswith(self.url + "/files/"):
            name = url.rsplit("/", 1)[-1]
            if name in self.files:
                return self.files[name][0]
        raise _Refusal(2013, "invalid params: the sandbox only reads audio_base64 or its own "
                             "/files URLs")

    def _analyse(self, data: bytes) -> dict[str, Any]:
        from ..audio import read_audio
        from ..errors import AudioError

        fid = hashlib.md5(data).hexdigest()  # noqa: S324 - MiniMax's own dedup key
        if fid in self.features:
            return self.features[fid]
        if self.state_dir is not None:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            (self.state_dir / f"{fid}.audio").write_bytes(data)
        try:
            audio = read_audio(data)
        except AudioError as exc:
            raise _Refusal(2013, f"invalid params: cannot decode audio ({exc})") from None
        if not _MIN_S <= audio.duration_s <= _MAX_S:
            raise _Refusal(2013, f"invalid params: audio must be 6 s to 6 min "
                                 f"(got {audio.duration_s:.1f} s)")
        feature = {"id": fid, "audio": audio, "duration": round(audio.duration_s, 2),
                   "lyrics": _lyrics(fid), "structure": _structure(audio.duration_s)}
        with self._lock:
            self.features[fid] = feature
        return feature

    def _feature(self, fid: str) -> dict[str, Any] | None:
        """A preprocessed song by id: from memory, else from ``state_dir``."""
        if fid in self.features:
            return self.features[fid]
        stored = self.state_dir / f"{fid}.audio" if self.state_dir is not None else None
        if stored is None or not fid.isalnum() or not stored.is_file():
            return None
        return self._analyse(stored.read_bytes())

    def _preprocess(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("model") not in _MODELS:
            raise _Refusal(2013, f"invalid params: model must be music-cover "
                                 f"(got {body.get('model')!r})")
        if bool(body.get("audio_base64")) == bool(body.get("audio_url")):
            raise _Refusal(2013, "invalid params: exactly one of audio_url or audio_base64")
        feature = self._analyse(self._audio_bytes(body))
        return {
            "cover_feature_id": feature["id"],
            "formatted_lyrics": feature["lyrics"],
            "structure_result": json.dumps(feature["structure"]),
            "audio_duration": feature["duration"],
        }

    def _generate(self, body: dict[str, Any]) -> dict[str, Any]:
        from ..audio import encode_audio, resample_linear, to_channels
        from ..audio.formats import format_for_suffix
        from .synth import transform

        if body.get("model") not in _MODELS:
            raise _Refusal(2013, f"invalid params: model must be one of {', '.join(_MODELS)}")
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not 10 <= len(prompt) <= 300:
            raise _Refusal(2013, "invalid params: prompt must be 10-300 characters")
        lyrics = body.get("lyrics")
        if lyrics is not None and (not isinstance(lyrics, str) or not 10 <= len(lyrics) <= 1000):
            raise _Refusal(2013, "invalid params: lyrics must be 10-1000 characters")
        sources = [k for k in ("cover_feature_id", "audio_url", "audio_base64") if body.get(k)]
        if len(sources) != 1:
            raise _Refusal(2013, "invalid params: exactly one of cover_feature_id, audio_url, "
                                 "audio_base64")
        if sources[0] == "cover_feature_id":
            feature = self._feature(str(body["cover_feature_id"]))
            if feature is None:
                raise _Refusal(2013, "invalid params: unknown or expired cover_feature_id")
        else:
            feature = self._analyse(self._audio_bytes(body))
        setting = body.get("audio_setting") or {}
        fmt = str(setting.get("format", "mp3")).lower()
        rate = int(setting.get("sample_rate", 44100))
        bitrate = int(setting.get("bitrate", 128000))
        channels = int(setting.get("channel", 2))
        if fmt not in ("mp3", "wav", "pcm") or rate not in _SAMPLE_RATES \
                or bitrate not in _BITRATES or channels not in (1, 2):
            raise _Refusal(2013, "invalid params: audio_setting (format mp3|wav|pcm, "
                                 "sample_rate 16000|24000|32000|44100, bitrate 32000-256000, "
                                 "channel 1|2)")
        output_format = body.get("output_format", "hex")
        if output_format not in ("hex", "url"):
            raise _Refusal(2013, "invalid params: output_format must be hex or url")
        seed = int(body.get("seed") or 0)
        out = transform(feature["audio"], prompt + (lyrics or ""), seed)
        out = to_channels(resample_linear(out, rate), channels)
        if fmt == "mp3":
            data = encode_audio(out, "MP3", bitrate_kbps=bitrate // 1000)
        elif fmt == "wav":
            data = encode_audio(out, "WAV")
        else:
            import numpy as np

            pcm = np.clip(out.samples.T, -1.0, 1.0) * 32767
            data = pcm.astype("<i2").tobytes()
        extra = {"music_duration": round(out.duration_s * 1000), "music_sample_rate": rate,
                 "music_channel": channels, "bitrate": bitrate, "music_size": len(data)}
        if output_format == "url":
            name = f"{uuid.uuid4().hex}.{fmt}"
            known = format_for_suffix(fmt)  # mp3, wav (pcm has no file type)
            with self._lock:
                self.files[name] = (data, known.mime if known else "application/octet-stream")
            audio = f"{self.url}/files/{name}"
        else:
            audio = data.hex()
        return {"data": {"audio": audio, "status": 2}, "extra_info": extra,
                "analysis_info": None}


def _lyrics(fid: str) -> str:
    n = int(fid[:2], 16)
    lines = [_LYRIC_LINES[(n + i) % len(_LYRIC_LINES)] for i in range(4)]
    return f"[Verse 1]\n{lines[0]}\n{lines[1]}\n\n[Chorus]\n{lines[2]}\n{lines[3]}"


def _structure(duration: float) -> dict[str, Any]:
    cuts = [0.0, 0.1, 0.45, 0.8, 1.0]
    labels = ["intro", "verse", "chorus", "outro"]
    segments = [{"start": round(duration * a, 2), "end": round(duration * b, 2), "label": lab}
                for a, b, lab in zip(cuts, cuts[1:], labels, strict=False)]
    return {"num_segments": len(segments), "segments": segments}


class _Handler(BaseHTTPRequestHandler):
    sandbox: MiniMaxSandbox
    protocol_version = "HTTP/1.1"
    server_version = "MiniMaxSandbox/1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by default
        return

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        if self.sandbox.labelled:
            self.send_header("X-Sandbox", "1")
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            self._send(413, b'{"error": "body too large"}', "application/json")
            return
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        path = urlsplit(self.path).path
        answer = self.sandbox.handle(path, self.headers.get("Authorization"), body)
        self._send(200, json.dumps(answer).encode(), "application/json")

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        path = urlsplit(self.path).path
        name = path.rsplit("/", 1)[-1]
        item = self.sandbox.files.get(name) if path.startswith("/files/") else None
        if item is None:
            self._send(404, b"not found", "text/plain")
            return
        self._send(200, item[0], item[1])
