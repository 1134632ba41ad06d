"""Helpers of the service tests: ``minimax-cover serve`` as a real subprocess on 127.0.0.1."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import requests

PROMPT = "warm acoustic folk, fingerpicked guitar"


class Served:
    """A running service: its base URL and process."""

    def __init__(self, proc: subprocess.Popen[str], url: str) -> None:
        self.proc = proc
        self.url = url
        self.session = requests.Session()
        self.session.trust_env = False

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.session.get(self.url + path, timeout=30, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.session.post(self.url + path, timeout=30, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.session.delete(self.url + path, timeout=30, **kw)

    def wait_status(self, job_id: str, statuses: tuple[str, ...], timeout: float = 60.0
                    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            doc = self.get(f"/v1/covers/{job_id}").json()
            if doc["status"] in statuses:
                return doc
            assert time.monotonic() < deadline, doc
            time.sleep(0.05)

    def stop(self) -> str:
        """SIGTERM (a graceful stop, as a service manager does); return stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        self.session.close()
        return err or ""


def serve_env(sandbox: Any) -> dict[str, str]:
    return {**os.environ, "RUNWARE_API_URL": sandbox.url, "RUNWARE_API_KEY": sandbox.api_key,
            "PYTHONUNBUFFERED": "1"}


def start_serve(args: list[str], env: dict[str, str], timeout: float = 60.0) -> Served:
    """Start ``minimax-cover serve ARGS`` and read its first stdout line (the base URL)."""
    proc = subprocess.Popen([sys.executable, "-m", "minimax_cover.plugin.cli", "serve", *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(proc.stdout.readline()), daemon=True).start()
    try:
        url = lines.get(timeout=timeout).strip()
    except queue.Empty:
        proc.kill()
        raise AssertionError(f"no base URL: {proc.communicate()}") from None
    assert url.startswith("http://127.0.0.1:"), (url, proc.poll())
    served = Served(proc, url)
    deadline = time.monotonic() + timeout
    while True:  # the line is printed once the socket listens; the app starts right after
        try:
            if served.get("/openapi.json").status_code == 200:
                return served
        except requests.ConnectionError:
            pass
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the service never answered"
        time.sleep(0.05)


def media_uuid(sandbox: Any, data: bytes) -> str:
    """Upload ``data`` to the sandbox (as a host would) and return its media UUID."""
    from minimax_cover.plugin.runware.client import RunwareClient

    client = RunwareClient(api_key=sandbox.api_key, base_url=sandbox.url)
    try:
        return client.upload_media(data, mime="audio/wav").media_uuid
    finally:
        client.close()
