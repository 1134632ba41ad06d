"""Two providers that cover for each other: a provider order, and failover before acceptance.

A cover can run on Runware (``minimax:music@cover``) or on MiniMax's own API (two-step: the
song is preprocessed, then covered). The order is ``MINIMAX_COVER_PROVIDERS`` (``runware,minimax``)
or ``providers`` in ``config.json`` (``["runware", "minimax"]``); default: ``runware`` alone.

When the backend chosen for a job (``choose_backend``) is the default (Runware) or one of the
providers, and no backend was named by the caller (``--backend``, a two-step handle), the order
decides: the job runs on a :class:`FailoverBackend` over the providers, first one first.
The next provider is tried **only** when the current one refused the
job before accepting it (:func:`refused_before_accepting`: connection refused, a 5xx or rate
refusal it answered without queueing the job, a credit refusal), never after an unknown
outcome, a failed generation or a paid result. The song is staged again on the next provider
(it needs the song's bytes, or a URL; a provider's own media UUID cannot move). The journal
row is moved to the provider that runs the job, so ``resume`` asks the right one.

This lives where the backend is chosen (``jobs``); vendor rooms never call one another.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import read_setting
from ..errors import (
    APIConnectionError,
    InsufficientCreditsError,
    OutcomeUnknownError,
    RateLimitError,
    ServerError,
    SpecValidationError,
    Violation,
)

if TYPE_CHECKING:
    from ..errors import MinimaxCoverError
    from ..hooks.types import Backend, JobContext, PluginRegistry
    from ..results import GenerationResult, TaskResult, Ticket

__all__ = [
    "PROVIDERS_ENV",
    "FailoverBackend",
    "ProviderPool",
    "build_backend",
    "build_pool",
    "first_provider",
    "provider_order",
    "refused_before_accepting",
]

log = logging.getLogger("minimax_cover.providers")

PROVIDERS_ENV = "MINIMAX_COVER_PROVIDERS"
PROVIDERS_KEY = "providers"
#: The built-in choice (``choose_backend``'s default answer), which the order replaces.
DEFAULT_PROVIDER = "runware"
_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,39}$")


def provider_order(registered: Any = None) -> list[str]:
    """The provider order: ``MINIMAX_COVER_PROVIDERS``, else ``providers`` in the config, else
    ``["runware"]``.

    :param registered: names that may appear (default: not checked).
    :raises SpecValidationError: an empty, repeated or unknown name.
    """
    raw = read_setting(PROVIDERS_KEY, PROVIDERS_ENV)
    if raw is None or raw == "" or raw == []:
        return ["runware"]
    names = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(names, list):
        raise SpecValidationError([Violation(PROVIDERS_ENV, "must be a list of backend names "
                                             "(runware,minimax)", str(raw))])
    order = [str(n).strip().lower() for n in names]
    for name in order:
        if not _NAME.match(name) or order.count(name) > 1 or (
                registered is not None and name not in registered):
            known = f" (registered: {', '.join(registered)})" if registered is not None else ""
            raise SpecValidationError([Violation(
                PROVIDERS_ENV, f"must name each registered backend at most once{known}",
                str(raw))])
    return order


def refused_before_accepting(exc: BaseException) -> bool:
    """True when a provider certainly did not accept (or charge) the job: it could not be
    reached, or it refused for its own load, rate or credit. Never for an unknown outcome."""
    if isinstance(exc, OutcomeUnknownError) or getattr(exc, "partial_results", None):
        return False
    return isinstance(exc, (APIConnectionError, ServerError, RateLimitError,
                            InsufficientCreditsError))


class FailoverBackend:
    """A backend that runs a job on the first provider that accepts it (see the module doc).

    :param members: ``(name, factory)`` in order; a member is built when first needed.
    :param on_switch: called with the new backend when the job moves to it.
    """

    def __init__(self, members: list[tuple[str, Callable[[], Any]]],
                 on_switch: Callable[[Any], None] | None = None, *,
                 shared: bool = False) -> None:
        """``shared``: the members belong to a :class:`ProviderPool` (closed by it, not here)."""
        if not members:
            raise ValueError("FailoverBackend needs at least one provider")
        self._members = members
        self._built: dict[str, Any] = {}
        self._index = 0
        self._announced = 0  # the provider on_switch last reported
        self._song: tuple[bytes, str | None] | None = None
        self.on_switch = on_switch
        self._shared = shared
        #: Providers that refused, with why (for the job's warnings).
        self.refusals: list[str] = []

    # ------------------------------------------------------------------ the active provider

    @property
    def active(self) -> Backend:
        """The provider the job runs on now."""
        name, factory = self._members[self._index]
        if name not in self._built:
            self._built[name] = factory()
        return self._built[name]  # type: ignore[no-any-return]

    @property
    def name(self) -> str:  # type: ignore[override]
        """The active provider's name (what the journal and the result record)."""
        return self.active.name

    @property
    def provider(self) -> str:
        """The active provider's name (priced by :mod:`..money.providers`)."""
        return self.active.name

    @property
    def label(self) -> str:
        """The active provider's label."""
        return self.active.label

    @property
    def sandbox(self) -> bool:
        """True when the active provider is a sandbox."""
        return bool(self.active.sandbox)

    @property
    def endpoint(self) -> str:
        """The active provider's endpoint."""
        return self.active.endpoint

    def __getattr__(self, attr: str) -> Any:
        """Anything else (``price``, ``account``, ``account_key``...) of the active provider."""
        if attr.startswith("_"):
            raise AttributeError(attr)
        return getattr(self.active, attr)

    @property
    def endpoints(self) -> list[str]:
        """The endpoint of every provider that can be built (a job moved to one is journaled
        there: a rerun resumes it there)."""
        found: list[str] = []
        for name, factory in self._members:
            try:
                if name not in self._built:
                    self._built[name] = factory()
                found.append(str(self._built[name].endpoint))
            except Exception:  # a provider without its key cannot have taken the job
                log.debug("failover: %s cannot be built", name, exc_info=True)
        return found

    def use(self, name: str) -> bool:
        """Run on the provider ``name`` from now on (a resumed job is collected where its
        journal row says it was accepted); False when ``name`` is not a member."""
        for index, (member, _factory) in enumerate(self._members):
            if member == name:
                self._index = self._announced = index
                return True
        return False

    def _next(self, exc: BaseException) -> bool:
        """Move to the next provider after ``exc``; False when there is none."""
        if not refused_before_accepting(exc) or self._index + 1 >= len(self._members):
            return False
        gone = self._members[self._index][0]
        self._index += 1
        note = (f"{gone} refused the job before accepting it ({type(exc).__name__}: "
                f"{getattr(exc, 'message', exc)}); trying {self._members[self._index][0]}")
        self.refusals.append(note)
        log.warning("%s", note)
        return True

    # ------------------------------------------------------------------ Backend

    def upload_audio(self, data: bytes, *, mime: str | None = None) -> str:
        """Stage on the active provider (the next one if it refuses); keep the bytes."""
        self._song = (bytes(data), mime)
        while True:
            try:
                return self.active.upload_audio(data, mime=mime)
            except Exception as exc:
                if not self._next(exc):
                    raise

    def submit(self, task: dict[str, Any], **options: Any) -> Ticket:
        """Submit on the active provider; when it refuses before accepting the job (a raised
        refusal: no ticket), stage the song on the next one and submit there (same taskUUID
        and parameters). A ticket, even one whose outcome is unknown, is never sent elsewhere.
        """
        on_result = options.get("on_result")
        got: list[Any] = []

        def seen(result: GenerationResult) -> None:
            got.append(result)
            if on_result is not None:
                on_result(result)

        options = {**options, "on_result": seen}
        while True:
            if self._index != self._announced and self.on_switch is not None:
                self.on_switch(self.active)  # moved while staging, or after a refusal
            self._announced = self._index
            try:
                return self.active.submit(task, **options)
            except Exception as exc:
                if got or not self._movable(task) or not self._next(exc):
                    raise
            self._restage(task)

    def collect(self, tickets: Sequence[Ticket], **callbacks: Any
                ) -> dict[str, TaskResult | MinimaxCoverError]:
        """Collect on the active provider (the one that accepted the tickets)."""
        return self.active.collect(tickets, **callbacks)

    def ticket_for(self, request: dict[str, Any], **hints: Any) -> Ticket:
        """The active provider's ticket for a job it accepted earlier."""
        return self.active.ticket_for(request, **hints)

    def run(self, request: dict[str, Any], **callbacks: Any) -> TaskResult:
        """Thin wrapper for third-party callers: :meth:`submit` (with failover), then
        :meth:`collect`."""
        should_cancel = callbacks.get("should_cancel")
        ticket = self.submit(request, **callbacks)
        outcome = self.collect([ticket], on_progress=callbacks.get("on_progress"),
                               should_cancel=should_cancel,
                               on_result=callbacks.get("on_result"))[ticket.task_uuid]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _movable(self, request: dict[str, Any]) -> bool:
        """True when the next provider can read the song: bytes kept here, or a URL."""
        from ..spec.predicates import is_url

        audio = str((request.get("inputs") or {}).get("audio", ""))
        return self._song is not None or is_url(audio)

    def _restage(self, request: dict[str, Any]) -> None:
        while self._song is not None:
            data, mime = self._song
            try:
                request["inputs"]["audio"] = self.active.upload_audio(data, mime=mime)
                return
            except Exception as exc:
                if not self._next(exc):
                    raise

    def resume(self, request: dict[str, Any], **callbacks: Any) -> TaskResult:
        """Thin wrapper for third-party callers: collect on the active provider (a job is
        resumed where it was accepted)."""
        return self.active.resume(request, **callbacks)

    def fetch(self, result: GenerationResult, dest: Path, *, expected_format: str) -> Path:
        """Fetch with the provider that made ``result`` (the active one)."""
        return self.active.fetch(result, dest, expected_format=expected_format)

    def close(self) -> None:
        """Close every provider built (unless a :class:`ProviderPool` owns them)."""
        if self._shared:
            return
        for backend in self._built.values():
            backend.close()


def build_backend(registry: PluginRegistry, context: JobContext, name: str, *,
                  explicit: bool, options: dict[str, Any] | None = None,
                  on_move: Callable[[], None] | None = None) -> Any:
    """The backend for a job: ``name`` itself, or the provider order when ``name`` was chosen
    for the job (not named by the caller) and is the default choice or one of the providers:
    the first provider alone, or a :class:`FailoverBackend` over them all, in order.
    ``options`` go to the member named ``name``; ``on_move`` is called when the job moves to
    the next provider (the job's ledger journals the move, :meth:`~.ledger.JobLedger.moved`).
    """
    def make(member: str) -> Callable[[], Any]:
        return lambda: registry.backend(member, **(options if member == name else {}) or {})

    if explicit:
        return registry.backend(name, **(options or {}))
    order = provider_order(getattr(registry, "backends", None))
    if name not in order and name != DEFAULT_PROVIDER:
        return registry.backend(name, **(options or {}))  # a plugin chose another backend
    if len(order) == 1:
        context.backend_name = order[0]
        return make(order[0])()
    members = [(n, make(n)) for n in order]

    def moved(backend: Any) -> None:
        context.backend_name = backend.name
        if on_move is not None:
            on_move()

    context.backend_name = order[0]
    return FailoverBackend(members, on_switch=moved)


class ProviderPool:
    """One backend per provider, shared by every job of a batch (one session, one rate
    limiter each); each job gets its own :class:`FailoverBackend` over them
    (:meth:`for_job`), so a row refused before acceptance moves on alone.

    :param members: ``(name, factory)`` in the provider order; each built once, when needed.
    """

    def __init__(self, members: list[tuple[str, Callable[[], Any]]]) -> None:
        if not members:
            raise ValueError("ProviderPool needs at least one provider")
        self._members = members
        self._built: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def names(self) -> list[str]:
        """The providers, in order."""
        return [name for name, _ in self._members]

    def get(self, name: str) -> Any:
        """The shared backend of ``name`` (built on first use)."""
        with self._lock:
            if name not in self._built:
                factory = dict(self._members)[name]
                self._built[name] = factory()
            return self._built[name]

    @property
    def built(self) -> dict[str, Any]:
        """The backends built so far, by provider name."""
        with self._lock:
            return dict(self._built)

    def for_job(self) -> FailoverBackend:
        """A job's failover over the shared backends (closing it closes none of them); its
        identity's service is the first provider's, as for the batch's plan."""
        from .identity import same_service

        job = FailoverBackend([(name, (lambda n=name: self.get(n))) for name in self.names],
                              shared=True)
        same_service(job, self.primary)
        return job

    @property
    def primary(self) -> Any:
        """The first provider's shared backend (the batch plans, prices and reports with it)."""
        return self.get(self.names[0])

    def close(self) -> None:
        """Close every backend built."""
        for backend in self.built.values():
            backend.close()


def build_pool(registry: PluginRegistry, name: str, *, explicit: bool,
               options_for: Callable[[str], dict[str, Any]]) -> ProviderPool | None:
    """A batch's :class:`ProviderPool` when ``name`` was chosen for it (not named by the
    caller), is the default choice or one of the providers, and the order has more than one
    provider; else ``None`` (the batch shares one backend, as before). ``options_for(member)``
    gives each member's factory keywords."""
    if explicit:
        return None
    order = provider_order(getattr(registry, "backends", None))
    if len(order) < 2 or (name not in order and name != DEFAULT_PROVIDER):
        return None
    return ProviderPool([(member, (lambda m=member: registry.backend(m, **options_for(m))))
                         for member in order])


def first_provider(registry: PluginRegistry, name: str, *, explicit: bool) -> str:
    """The backend a job or batch without failover runs on: ``name``, or the first provider of
    the order when ``name`` was chosen (not named) and is the default or one of them."""
    if explicit:
        return name
    order = provider_order(getattr(registry, "backends", None))
    return order[0] if name in order or name == DEFAULT_PROVIDER else name
