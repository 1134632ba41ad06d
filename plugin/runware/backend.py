"""Built-in plugin: the Runware REST backend (and its offline stand-in, the local sandbox).

``runware`` talks to ``RUNWARE_API_URL`` (default Runware's endpoint) with ``RUNWARE_API_KEY``.
With no key and no URL configured it starts the local sandbox in-process and says so loudly:
results are then synthetic, labelled ``sandbox`` everywhere, and cost nothing.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..constants import API_URL_ENV
from ..hooks.specs import hookimpl

if TYPE_CHECKING:
    from ..hooks.types import JobContext
    from ..results import GenerationResult, TaskResult
    from ..sandbox import Sandbox
    from .client import RunwareClient

log = logging.getLogger("minimax_cover.runware")

SANDBOX_NOTICE = (
    "No RUNWARE_API_KEY set: running against the local SANDBOX (synthetic audio, no cost). "
    "Set RUNWARE_API_KEY to use MiniMax Music Cover on Runware."
)


class RunwareBackend:
    """Runs ``audioInference`` tasks through :class:`~..client.RunwareClient`."""

    name = "runware"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        offline: bool | None = None,
        client: RunwareClient | None = None,
        sandbox_options: dict[str, Any] | None = None,
        **client_options: Any,
    ) -> None:
        from ..config import resolve_api_key
        from .client import RunwareClient

        self._sandbox: Sandbox | None = None
        key = api_key or resolve_api_key()
        if offline is None:
            offline = client is None and not key and not base_url and not os.environ.get(
                API_URL_ENV
            )
        if client is not None:
            self.client = client
        elif offline:
            from ..sandbox import Sandbox

            key = "sandbox-" + secrets.token_hex(8)
            self._sandbox = Sandbox(api_key=key, **(sandbox_options or {})).start()
            log.warning("%s", SANDBOX_NOTICE)
            self.client = RunwareClient(api_key=key, base_url=self._sandbox.url, **client_options)
        else:
            self.client = RunwareClient(api_key=key, base_url=base_url, **client_options)
        self.endpoint = self.client.base_url
        self.sandbox = self._sandbox is not None or _looks_like_sandbox(self.endpoint)
        self.label = (
            f"Runware SANDBOX at {self.endpoint} (synthetic audio, not MiniMax)"
            if self.sandbox
            else f"Runware ({self.endpoint})"
        )

    def upload_audio(self, data: bytes, *, mime: str | None = None) -> str:
        """Upload with ``mediaStorage``; returns the media UUID."""
        return self.client.upload_media(data, mime=mime).media_uuid

    def run(self, request: dict[str, Any], **callbacks: Any) -> TaskResult:
        """Submit once and wait (sync, or async with getResponse polling)."""
        return self.client.run(request, **callbacks)

    def resume(self, request: dict[str, Any], **callbacks: Any) -> TaskResult:
        """Collect an already submitted task by polling getResponse with its taskUUID."""
        return self.client.resume(request, **callbacks)

    def fetch(self, result: GenerationResult, dest: Path, *, expected_format: str) -> Path:
        """Download (URL) or decode (dataURI/base64) one result, content-checked."""
        from ..transport.download import fetch_result

        return fetch_result(result, dest, expected_format=expected_format,
                            session=self.client.download_session)

    def close(self) -> None:
        """Close the HTTP session and stop the in-process sandbox, if any."""
        self.client.close()
        if self._sandbox is not None:
            self._sandbox.stop()
            self._sandbox = None


def _looks_like_sandbox(url: str) -> bool:
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    return host in ("127.0.0.1", "localhost", "::1")


@hookimpl
def register_backends(register: Callable[[str, Callable[..., Any]], None]) -> None:
    """Register ``runware``."""
    register("runware", RunwareBackend)


@hookimpl(trylast=True)
def choose_backend(request: dict[str, Any], context: JobContext) -> str | None:
    """Default: Runware for every request of the cover model."""
    return "runware"
