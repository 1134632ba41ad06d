"""The :class:`Sandbox`: a local Runware-compatible server in a thread, for tests and demos.

Modelled on encode/httpx's ``serve_in_thread`` test fixture: a stdlib ``ThreadingHTTPServer``
on a loopback port (0 picks a free one), started in a thread, ready when :meth:`Sandbox.start`
returns, stopped by :meth:`Sandbox.stop` or the ``with`` block.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterable
from http.server import ThreadingHTTPServer
from typing import Any

from .account import Account
from .faults import Fault, FaultPlan
from .handler import HandlerContext, SandboxHandler
from .media import MediaSource
from .records import Recorder
from .runner import TaskRunner
from .settings import COST_PER_RESULT_USD, Endpoint, ErrorShape, Settings
from .state import Store
from .tasks import TaskProcessor
from .workers import Workers

__all__ = ["BANNER", "ErrorShape", "Sandbox"]

log = logging.getLogger("minimax_cover.sandbox")

BANNER = (
    "SANDBOX: local Runware-compatible test server at {url} — outputs are synthetic "
    "transformations, NOT MiniMax Music Cover"
)
_STOP_JOIN_S = 1.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # Sandbox.stop joins the request threads itself, with a deadline
    request_queue_size = 64
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], context: HandlerContext, family: int) -> None:
        self.address_family = family
        self.context = context  # read by SandboxHandler
        super().__init__(address, SandboxHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """One thread per request, tracked by the sandbox from the moment it exists."""
        thread = threading.Thread(target=self._serve_one, args=(request, client_address),
                                  name="sandbox-request", daemon=True)
        self.context.workers.track_request(thread, True)
        thread.start()

    def _serve_one(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            self.context.workers.track_request(threading.current_thread(), False)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A request that broke mid-way (client gone, bad socket): log it, print nothing."""
        log.debug("sandbox: request from %s failed", client_address, exc_info=True)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn); a sandbox needs none.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


class _Setting:
    """A :class:`Sandbox` attribute kept in its shared :class:`~.settings.Settings`, so a
    change (``sandbox.api_key = ...``) reaches every part at once."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Sandbox | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return getattr(obj.settings, self.name)

    def __set__(self, obj: Sandbox, value: Any) -> None:
        setattr(obj.settings, self.name, value)


def _check_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError(f"host: the sandbox only listens on a loopback address (got {host!r})")


class Sandbox:
    """A local, clearly labelled stand-in for Runware's REST API (``minimax:music@cover``).

    Speaks the protocol of ``shared/reference/runware-protocol.md``: ``POST /v1`` with a JSON
    array of tasks (``audioInference``, ``getResponse``, ``mediaStorage``), both auth forms,
    strict spec validation, ``sync``/``async`` delivery, webhooks and ``uploadEndpoint`` to
    loopback URLs only, result files at ``/results/<audioUUID>.<ext>`` and injectable faults.
    The audio it returns is a synthetic transformation of the input, NOT a cover.

    :param api_key: the key clients must send.
    :param host: a loopback address to listen on.
    :param port: the port; 0 picks a free one (read :attr:`port` after :meth:`start`).
    :param latency_s: processing time per generation (``sync`` results finish together,
        ``async`` ones one after another).
    :param faults: faults to inject (see :class:`~.faults.Fault`); more with :meth:`inject`.
    :param cost_per_result: the ``cost`` reported per generation with ``includeCost`` (USD;
        default: the model's list price from the spec, nothing is charged).
    :param default_ttl_s: lifetime of result URLs when the request has no ``ttl``.
    :param log: log one line per request (method, path, task types, status) at INFO.
    :param clock: the clock result lifetimes are measured with (tests pass a fake one).
    :param error_shape: how failed generations look in ``getResponse`` answers and webhooks:
        ``"nested"`` (``{"status": "error", "error": {code, message}}``, the default),
        ``"flat"`` (``code``/``message`` on the item) or ``"errors"`` (a top-level ``errors``
        array with ``responseContent``).
    :param enforce_reference_limits: also reject ``inputs.audio`` outside the model's limits
        (6 s to 6 min, 50 MB), as the real service would.
    :param banner: log the SANDBOX banner at WARNING on start (False: at INFO, for a host
        that labels the sandbox itself, like the CLI's summary).
    :param balance_usd: what the account holds in USD (``None``: unlimited); accepted tasks
        are charged ``numberResults`` x ``cost_per_result`` and refused with HTTP 402
        ``insufficientCredits`` when it cannot pay (see :mod:`.account`).
    :param max_tasks_per_request: refuse (HTTP 400) a ``POST /v1`` carrying more tasks than
        this (``None``: any number, as Runware does).
    """

    def __init__(
        self,
        *,
        api_key: str = "sandbox-key",
        host: str = "127.0.0.1",
        port: int = 0,
        latency_s: float = 0.0,
        faults: Iterable[Fault] | None = None,
        cost_per_result: float = COST_PER_RESULT_USD,
        default_ttl_s: int = 3600,
        log: bool = True,
        clock: Callable[[], float] = time.monotonic,
        error_shape: ErrorShape = "nested",
        enforce_reference_limits: bool = False,
        banner: bool = True,
        balance_usd: float | None = None,
        max_tasks_per_request: int | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("api_key: must not be empty")
        _check_loopback(host)
        if latency_s < 0:
            raise ValueError(f"latency_s: must be >= 0 (got {latency_s!r})")
        if balance_usd is not None and not balance_usd >= 0:
            raise ValueError(f"balance_usd: must be >= 0 or None (got {balance_usd!r})")
        if error_shape not in ("nested", "flat", "errors"):
            raise ValueError(f"error_shape: must be nested, flat or errors (got {error_shape!r})")
        self.settings = Settings(
            api_key=api_key, latency_s=float(latency_s), cost_per_result=float(cost_per_result),
            default_ttl_s=int(default_ttl_s), log=log, error_shape=error_shape,
            enforce_reference_limits=enforce_reference_limits,
            balance_usd=None if balance_usd is None else float(balance_usd),
            max_tasks_per_request=max_tasks_per_request)
        self._requested_port = int(port)
        self._banner = bool(banner)
        self._endpoint = Endpoint(host)
        self._recorder = Recorder(self.settings)
        self._workers = Workers()
        self._plan = FaultPlan(faults or ())
        self._store = Store(clock)
        runner = TaskRunner(self._store, self._workers, self._recorder, self.settings,
                            self._endpoint)
        processor = TaskProcessor(
            store=self._store, plan=self._plan, settings=self.settings, endpoint=self._endpoint,
            runner=runner, media=MediaSource(self._store, self._endpoint),
            stopping=self._workers.stopping, account=Account(self.settings))
        self._context = HandlerContext(
            settings=self.settings, endpoint=self._endpoint, plan=self._plan, store=self._store,
            processor=processor, recorder=self._recorder, workers=self._workers)
        #: Every request seen: ``{"method", "path", "task_types", "task_uuids", "status",
        #: "faults"}`` (``status`` is ``None`` for a dropped connection). Never holds the key.
        self.requests_log: list[dict[str, Any]] = self._recorder.requests
        #: Every webhook POST attempt (or refusal): ``{"url", "status", "bytes", "attempt",
        #: "refused", "error", "taskUUID", "audioUUID", "resultIndex", ...}``.
        self.webhook_deliveries: list[dict[str, Any]] = self._recorder.webhooks
        #: Every ``uploadEndpoint`` PUT attempt (or refusal), same fields as webhooks.
        self.upload_puts: list[dict[str, Any]] = self._recorder.uploads
        self._server: _Server | None = None
        self._serve_thread: threading.Thread | None = None
        self._stopped = False

    # The settings every part reads; setting one here changes it for all of them.
    api_key = _Setting()
    latency_s = _Setting()
    cost_per_result = _Setting()
    default_ttl_s = _Setting()
    log = _Setting()
    error_shape = _Setting()
    enforce_reference_limits = _Setting()
    balance_usd = _Setting()
    max_tasks_per_request = _Setting()

    @property
    def host(self) -> str:
        """The loopback address listened on."""
        return self._endpoint.host

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Sandbox:
        """Bind, start serving in a background thread and log the banner; returns ``self``."""
        if self._stopped:
            raise RuntimeError("a stopped Sandbox cannot be restarted; create a new one")
        if self._server is not None:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._server = _Server((self.host, self._requested_port), self._context, family)
        self._endpoint.bind(self._server.server_address[1])
        self._serve_thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.25},
            name=f"sandbox-http-{self.port}", daemon=True)
        self._serve_thread.start()
        log.log(logging.WARNING if self._banner else logging.INFO, BANNER.format(url=self.url))
        return self

    def stop(self) -> None:
        """Stop serving and end background work; returns within about a second."""
        if self._server is None or self._stopped:
            self._stopped = True
            return
        self._stopped = True
        self._workers.stopping.set()
        closer = threading.Thread(target=self._server.shutdown, name="sandbox-shutdown")
        closer.start()
        self._wake_server()
        closer.join()
        self._server.server_close()
        if self._serve_thread is not None:
            self._serve_thread.join(_STOP_JOIN_S)
        self._workers.join(_STOP_JOIN_S)
        if self.settings.log:
            log.info("sandbox at %s stopped", self.url)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "not started"
        return f"Sandbox({where})"

    # ------------------------------------------------------------------ addresses
    @property
    def port(self) -> int:
        """The port listened on (after :meth:`start`)."""
        return self._endpoint.port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (result and media files are served below it)."""
        return self._endpoint.base_url

    @property
    def url(self) -> str:
        """The REST endpoint clients POST to: ``http://127.0.0.1:PORT/v1``."""
        return self._endpoint.url

    # ------------------------------------------------------------------ test helpers
    def inject(self, *faults: Fault) -> None:
        """Add faults at run time; they count requests from now on."""
        self._plan.add(*faults)

    def clear_faults(self) -> None:
        """Drop every injected fault: the sandbox answers normally from now on."""
        self._plan.clear()

    def pending_faults(self) -> list[Fault]:
        """The injected faults that are not spent yet."""
        return self._plan.pending()

    def submissions(self, task_uuid: str | None = None) -> int:
        """How many ``audioInference`` submits were accepted (for ``task_uuid``, or in all)."""
        return self._store.submissions(task_uuid)

    def task(self, task_uuid: str) -> dict[str, Any] | None:
        """A snapshot of an accepted task's state (status, generations...), or ``None``."""
        found = self._store.task(task_uuid)
        return None if found is None else found.snapshot()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until background work (generations, webhooks, uploads) is done; True if so."""
        return self._workers.wait_idle(timeout)

    # ------------------------------------------------------------------ internals
    def _wake_server(self) -> None:
        """Connect once to our own port so the serve loop notices the shutdown at once."""
        try:
            with socket.create_connection((self.host, self.port), timeout=0.2):
                pass
        except OSError:
            pass  # the loop still notices within its poll interval
