"""Built-in plugin: the Runware REST backend (and its offline stand-in, the local sandbox).

``runware`` talks to ``RUNWARE_API_URL`` (default Runware's endpoint) with ``RUNWARE_API_KEY``.
With no key and no URL configured, whoever opens the backend (the registry's factory path,
:meth:`~..hooks.registry.Registry.backend`) starts the local sandbox in-process
(:meth:`RunwareBackend.start_sandbox`) and hands it over: the backend itself is only a client,
which stops the sandbox it was given when closed. Results are then synthetic, labelled
``sandbox`` everywhere (``CoverResult.sandbox``, the backend's ``label``, the CLI's summary),
and cost nothing. Only the built-in sandbox is labelled so: the one handed over, or an endpoint
whose answers carry its ``X-Sandbox`` header.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..constants import API_URL_ENV
from ..hooks.specs import hookimpl

if TYPE_CHECKING:
    from ..errors import MinimaxCoverError
    from ..hooks.types import JobContext
    from ..results import GenerationResult, ProgressEvent, TaskResult, Ticket
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

    @staticmethod
    def needs_sandbox(*, api_key: str | None = None, base_url: str | None = None,
                      offline: bool | None = None, client: Any = None, **_: Any) -> bool:
        """True when these options mean the local sandbox (``offline=True``, or no client, key
        or URL configured): the opener starts it (:meth:`start_sandbox`) and passes it in."""
        if client is not None:
            return False
        if offline is not None:
            return bool(offline)
        from ..config import resolve_api_key

        return not (api_key or resolve_api_key() or base_url or os.environ.get(API_URL_ENV))

    @staticmethod
    def start_sandbox(options: dict[str, Any] | None = None) -> Sandbox:
        """Start the local Runware sandbox this backend speaks to offline (a fresh key)."""
        import secrets

        from ..sandbox import Sandbox

        # One label, not two WARNING lines per run: results say ``sandbox`` and the CLI's
        # summary reads "via SANDBOX (synthetic audio, not MiniMax)".
        sandbox = Sandbox(api_key="sandbox-" + secrets.token_hex(8),
                          **{"banner": False, **(options or {})}).start()
        log.info("%s", SANDBOX_NOTICE)
        return sandbox

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        offline: bool | None = None,
        client: RunwareClient | None = None,
        sandbox: Sandbox | None = None,
        sandbox_options: dict[str, Any] | None = None,
        **client_options: Any,
    ) -> None:
        """``sandbox``: a started local sandbox to talk to (this backend stops it when closed);
        the opener gives one when :meth:`needs_sandbox` (``sandbox_options`` are its)."""
        from ..config import resolve_api_key
        from ..errors import MissingAPIKeyError
        from .client import RunwareClient

        self._sandbox: Sandbox | None = sandbox
        key = api_key or resolve_api_key()
        if client is not None:
            self.client = client
        elif sandbox is not None:
            key = sandbox.api_key
            self.client = RunwareClient(api_key=key, base_url=sandbox.url, **client_options)
        elif self.needs_sandbox(api_key=api_key, base_url=base_url, offline=offline):
            raise MissingAPIKeyError(
                "runware: no RUNWARE_API_KEY or RUNWARE_API_URL and no sandbox given; open the "
                "backend with the registry (get_registry().backend('runware')), which starts "
                "the local sandbox")
        else:
            self.client = RunwareClient(api_key=key, base_url=base_url, **client_options)
        self.endpoint = self.client.base_url
        #: Which account this is (endpoint and key, hashed; ``None`` for a caller's client):
        #: the balance check keeps its answer per account for a few seconds.
        self.account_key = _account_key(self.endpoint, key) if client is None and key else None

    @property
    def sandbox(self) -> bool:
        """True for the built-in sandbox: started here, or identified by its ``X-Sandbox``
        answers. A keyed endpoint on loopback (a proxy, a gateway) is not a sandbox."""
        return self._sandbox is not None or _answered_as_sandbox(self.client)

    @property
    def local_sandbox(self) -> tuple[str, str] | None:
        """``(url, key)`` of the sandbox started here, which processes on this machine (a
        batch's local Dask workers) can reach over loopback; ``None`` otherwise."""
        if self._sandbox is None:
            return None
        return self._sandbox.url, str(self._sandbox.api_key)

    @property
    def label(self) -> str:
        """What users read: the endpoint, and SANDBOX when it is the built-in sandbox."""
        if self.sandbox:
            return f"Runware SANDBOX at {self.endpoint} (synthetic audio, not MiniMax)"
        return f"Runware ({self.endpoint})"

    def upload_audio(self, data: bytes, *, mime: str | None = None) -> str:
        """Upload with ``mediaStorage``; returns the media UUID."""
        return self.client.upload_media(data, mime=mime).media_uuid

    def submit(self, task: dict[str, Any], *, should_cancel: Callable[[], bool] | None = None,
               expected_s: float | None = None,
               on_progress: Callable[[ProgressEvent], None] | None = None,
               on_result: Callable[[GenerationResult], None] | None = None) -> Ticket:
        """Send the task once; a ``sync`` task's ticket carries its results (handed over by
        :meth:`collect`, so ``on_result`` is not called here). ``should_cancel`` is checked
        before the send and while a refused send waits to be retried."""
        return self.client.submit_ticket(task, should_cancel=should_cancel,
                                         expected_s=expected_s, on_progress=on_progress)

    def collect(self, tickets: Sequence[Ticket], **callbacks: Any
                ) -> dict[str, TaskResult | MinimaxCoverError]:
        """Wait for the tickets through the process's collector (one ``getResponse`` POST per
        tick for every pending task of this endpoint)."""
        return self.client.collect(tickets, **callbacks)

    def ticket_for(self, request: dict[str, Any], *, expected_s: float | None = None,
                   submitted_at: float | None = None) -> Ticket:
        """The ticket of a task submitted earlier (same ``taskUUID``), to collect it."""
        return self.client.ticket_for(request, expected_s=expected_s,
                                      submitted_at=submitted_at)

    def run(self, request: dict[str, Any], **callbacks: Any) -> TaskResult:
        """Thin wrapper for third-party callers (the pipeline uses :meth:`submit` and
        :meth:`collect`): submit once and wait (sync answers carry their results; async ones
        are collected by the process's collector)."""
        return self.client.run(request, **callbacks)

    def resume(self, request: dict[str, Any], **callbacks: Any) -> TaskResult:
        """Thin wrapper for third-party callers: collect an already submitted task
        (``getResponse`` by its taskUUID, never a submit)."""
        return self.client.resume(request, **callbacks)

    def price(self, request: dict[str, Any]) -> float | None:
        """The request's price from a dry run (``X-Runware-Dry-Run``); nothing runs."""
        return self.client.dry_run_cost(request)

    def account(self) -> Any:
        """The account's balance (``accountManagement``), as an ``AccountDetails``."""
        return self.client.account_details(sandbox=self.sandbox)

    def fetch(self, result: GenerationResult, dest: Path, *, expected_format: str) -> Path:
        """Download (URL) or decode (dataURI/base64) one result, verified before it is renamed
        into place; the client's timeout (deadline, minimum rate) and size cap apply."""
        return self.client.fetch(result, dest, expected_format=expected_format)

    def close(self) -> None:
        """Close the HTTP session and stop the in-process sandbox, if any."""
        self.client.close()
        if self._sandbox is not None:
            self._sandbox.stop()
            self._sandbox = None


def _account_key(endpoint: str, key: str) -> str:
    import hashlib

    return hashlib.sha256(f"{endpoint}\0{key}".encode()).hexdigest()[:32]


def _answered_as_sandbox(client: Any) -> bool:
    """The client met the sandbox's ``X-Sandbox`` header (a caller's client may not track it)."""
    return bool(getattr(client, "sandbox_seen", False))


@hookimpl
def register_backends(register: Callable[[str, Callable[..., Any]], None]) -> None:
    """Register ``runware``."""
    register("runware", RunwareBackend)


@hookimpl(trylast=True)
def choose_backend(request: dict[str, Any], context: JobContext) -> str | None:
    """Default: Runware for every request of the cover model."""
    return "runware"
