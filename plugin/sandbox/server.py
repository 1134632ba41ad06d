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
from typing import Any, Literal

from .faults import Fault, FaultPlan
from .handler import SandboxHandler
from .state import Store
from .tasks import TaskProcessor

__all__ = ["BANNER", "Sandbox"]

log = logging.getLogger("minimax_cover.sandbox")

BANNER = (
    "SANDBOX: local Runware-compatible test server at {url} — outputs are synthetic "
    "transformations, NOT MiniMax Music Cover"
)
ErrorShape = Literal["nested", "flat", "errors"]
_STOP_JOIN_S = 1.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # Sandbox.stop joins the request threads itself, with a deadline
    request_queue_size = 64
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sandbox: Sandbox, family: int) -> None:
        self.address_family = family
        self.sandbox = sandbox
        super().__init__(address, SandboxHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """One thread per request, tracked by the sandbox from the moment it exists."""
        thread = threading.Thread(target=self._serve_one, args=(request, client_address),
                                  name="sandbox-request", daemon=True)
        self.sandbox._track_request_thread(thread, True)
        thread.start()

    def _serve_one(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            self.sandbox._track_request_thread(threading.current_thread(), False)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A request that broke mid-way (client gone, bad socket): log it, print nothing."""
        log.debug("sandbox: request from %s failed", client_address, exc_info=True)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn); a sandbox needs none.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


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
    :param cost_per_result: the ``cost`` reported per generation with ``includeCost`` (USD, a
        sandbox figure).
    :param default_ttl_s: lifetime of result URLs when the request has no ``ttl``.
    :param log: log one line per request (method, path, task types, status) at INFO.
    :param clock: the clock result lifetimes are measured with (tests pass a fake one).
    :param error_shape: how failed generations look in ``getResponse`` answers and webhooks:
        ``"nested"`` (``{"status": "error", "error": {code, message}}``, the default),
        ``"flat"`` (``code``/``message`` on the item) or ``"errors"`` (a top-level ``errors``
        array with ``responseContent``).
    :param enforce_reference_limits: also reject ``inputs.audio`` outside the model's limits
        (6 s to 6 min, 50 MB), as the real service would.
    """

    def __init__(
        self,
        *,
        api_key: str = "sandbox-key",
        host: str = "127.0.0.1",
        port: int = 0,
        latency_s: float = 0.0,
        faults: Iterable[Fault] | None = None,
        cost_per_result: float = 0.0375,
        default_ttl_s: int = 3600,
        log: bool = True,
        clock: Callable[[], float] = time.monotonic,
        error_shape: ErrorShape = "nested",
        enforce_reference_limits: bool = False,
    ) -> None:
        if not api_key:
            raise ValueError("api_key: must not be empty")
        _check_loopback(host)
        if latency_s < 0:
            raise ValueError(f"latency_s: must be >= 0 (got {latency_s!r})")
        if error_shape not in ("nested", "flat", "errors"):
            raise ValueError(f"error_shape: must be nested, flat or errors (got {error_shape!r})")
        self.api_key = api_key
        self.host = host
        self._requested_port = int(port)
        self.latency_s = float(latency_s)
        self.cost_per_result = float(cost_per_result)
        self.default_ttl_s = int(default_ttl_s)
        self.log = log
        self.error_shape: ErrorShape = error_shape
        self.enforce_reference_limits = enforce_reference_limits
        #: Every request seen: ``{"method", "path", "task_types", "task_uuids", "status",
        #: "faults"}`` (``status`` is ``None`` for a dropped connection). Never holds the key.
        self.requests_log: list[dict[str, Any]] = []
        #: Every webhook POST attempt (or refusal): ``{"url", "status", "bytes", "attempt",
        #: "refused", "error", "taskUUID", "audioUUID", "resultIndex", ...}``.
        self.webhook_deliveries: list[dict[str, Any]] = []
        #: Every ``uploadEndpoint`` PUT attempt (or refusal), same fields as webhooks.
        self.upload_puts: list[dict[str, Any]] = []
        self._plan = FaultPlan(faults or ())
        self._store = Store(clock)
        self._processor = TaskProcessor(self)
        self._stopping = threading.Event()
        self._records_lock = threading.Lock()
        self._threads_lock = threading.Lock()
        self._workers: set[threading.Thread] = set()
        self._request_threads: set[threading.Thread] = set()
        self._server: _Server | None = None
        self._serve_thread: threading.Thread | None = None
        self._stopped = False

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Sandbox:
        """Bind, start serving in a background thread and log the banner; returns ``self``."""
        if self._stopped:
            raise RuntimeError("a stopped Sandbox cannot be restarted; create a new one")
        if self._server is not None:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._server = _Server((self.host, self._requested_port), self, family)
        self._serve_thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.25},
            name=f"sandbox-http-{self.port}", daemon=True)
        self._serve_thread.start()
        log.warning(BANNER.format(url=self.url))
        return self

    def stop(self) -> None:
        """Stop serving and end background work; returns within about a second."""
        if self._server is None or self._stopped:
            self._stopped = True
            return
        self._stopped = True
        self._stopping.set()
        closer = threading.Thread(target=self._server.shutdown, name="sandbox-shutdown")
        closer.start()
        self._wake_server()
        closer.join()
        self._server.server_close()
        if self._serve_thread is not None:
            self._serve_thread.join(_STOP_JOIN_S)
        deadline = time.monotonic() + _STOP_JOIN_S
        with self._threads_lock:
            threads = list(self._workers | self._request_threads)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
        if self.log:
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
        if self._server is None:
            raise RuntimeError("the Sandbox is not started; call start() or use `with`")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (result and media files are served below it)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The REST endpoint clients POST to: ``http://127.0.0.1:PORT/v1``."""
        return f"{self.base_url}/v1"

    # ------------------------------------------------------------------ test helpers
    def inject(self, *faults: Fault) -> None:
        """Add faults at run time; they count requests from now on."""
        self._plan.add(*faults)

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
        deadline = time.monotonic() + timeout
        while True:
            with self._threads_lock:
                busy = [t for t in self._workers if t.is_alive()]
            if not busy:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            busy[0].join(min(remaining, 0.1))

    # ------------------------------------------------------------------ internals
    def _wake_server(self) -> None:
        """Connect once to our own port so the serve loop notices the shutdown at once."""
        try:
            with socket.create_connection((self.host, self.port), timeout=0.2):
                pass
        except OSError:
            pass  # the loop still notices within its poll interval

    def _spawn(self, target: Callable[..., Any], *args: Any, name: str, **kwargs: Any) -> None:
        def run() -> None:
            try:
                target(*args, **kwargs)
            finally:
                with self._threads_lock:
                    self._workers.discard(thread)

        thread = threading.Thread(target=run, name=name, daemon=True)
        with self._threads_lock:
            self._workers.add(thread)
        thread.start()

    def _track_request_thread(self, thread: threading.Thread, active: bool) -> None:
        with self._threads_lock:
            if active:
                self._request_threads.add(thread)
            else:
                self._request_threads.discard(thread)

    def _pause(self, seconds: float) -> bool:
        """Sleep ``seconds`` unless the sandbox stops first; True when it is stopping."""
        if seconds <= 0:
            return self._stopping.is_set()
        return self._stopping.wait(seconds)

    def _record_request(self, entry: dict[str, Any]) -> None:
        with self._records_lock:
            self.requests_log.append(entry)
        if self.log:
            types = ",".join(entry["task_types"])
            faults = f" faults={','.join(entry['faults'])}" if entry.get("faults") else ""
            status = entry["status"] if entry["status"] is not None else "dropped"
            log.info("sandbox: %s %s%s -> %s%s", entry["method"], entry["path"],
                     f" [{types}]" if types else "", status, faults)
