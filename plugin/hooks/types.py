"""The hook vocabulary: what a backend is, the per-job context, and what a job produces.

A backend is registered by name through the ``register_backends`` hook. The pipeline only talks
to backends through :class:`Backend`; only backends know a wire format. A job's life on a
backend is two calls: :meth:`Backend.submit` sends the task once and returns a
:class:`~..results.Ticket`; :meth:`Backend.collect` waits for tickets (all pending tickets of a
process polled together) and returns each task's result; :meth:`Backend.ticket_for` gives the
ticket of a task an earlier run sent (resume = collect that ticket). The built-in backends also
keep ``run`` (submit then collect) and ``resume`` (collect by ``taskUUID``) as thin wrappers
for third-party callers; the pipeline never calls them and a backend need not have them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ..audio import Audio
    from ..errors import MinimaxCoverError
    from ..journal.store import Journal
    from ..results import GenerationResult, ProgressEvent, TaskResult, Ticket
    from ..spec.model import ModelSpec

__all__ = [
    "Backend",
    "CoverOutput",
    "CoverResult",
    "JobContext",
    "PluginRegistry",
    "ProgressCallback",
    "ResultCallback",
]

ProgressCallback = Callable[["ProgressEvent"], None]
ResultCallback = Callable[["GenerationResult"], None]


class PluginRegistry(Protocol):
    """What a job needs of the registry running it (:class:`~.registry.Registry` implements it).

    A protocol here, so the hook vocabulary does not import the registry that loads the hooks.
    """

    @property
    def hook(self) -> Any:
        """The pluggy hook relay."""
        ...

    def model(self, model_id: str) -> ModelSpec:
        """The spec registered for ``model_id``."""
        ...

    def backend(self, name: str, **options: Any) -> Any:
        """A new backend instance by name."""
        ...

    def call_isolated(self, hook_name: str, **kwargs: Any) -> list[str]:
        """Call ``on_result`` / ``on_job_done``; return the failures of implementations."""
        ...


@runtime_checkable
class Backend(Protocol):
    """The interface every backend implements.

    ``name`` is the registered name; ``label`` is what users read ("Runware", "Runware SANDBOX
    at http://127.0.0.1:5123/v1"); ``sandbox`` is True when no real model runs; ``endpoint`` is
    the base URL without credentials (journaled).
    """

    name: str
    label: str
    sandbox: bool
    endpoint: str

    def upload_audio(self, data: bytes, *, mime: str | None = None) -> str:
        """Upload reference audio; return what ``inputs.audio`` takes (UUID or URL)."""
        ...

    def submit(
        self,
        task: dict[str, Any],
        *,
        should_cancel: Callable[[], bool] | None = None,
        expected_s: float | None = None,
        on_progress: ProgressCallback | None = None,
        on_result: ResultCallback | None = None,
    ) -> Ticket:
        """Send ``task`` once (never again); return its ticket.

        ``should_cancel`` is checked before anything is sent (True raises
        :class:`~..errors.Interrupted`, nothing sent); ``expected_s`` is how long jobs like this
        took before (the journal's hint for the collector's pace), carried on the ticket. A
        synchronous backend (MiniMax) does the work here: it checks ``should_cancel`` before
        each generation, reports ``on_progress`` and hands each paid generation to
        ``on_result`` as it arrives (``collect`` may hand it over again: callers dedupe by
        ``audioUUID``); the ticket carries the results. An unknown outcome gives a ticket with
        ``accepted=False`` (collect looks it up). A refusal before acceptance raises.
        """
        ...

    def collect(
        self,
        tickets: Sequence[Ticket],
        *,
        on_progress: ProgressCallback | None = None,
        should_cancel: Callable[[], bool] | None = None,
        on_result: ResultCallback | None = None,
    ) -> dict[str, TaskResult | MinimaxCoverError]:
        """Wait for ``tickets`` (never submits); per ``taskUUID`` its result or its error.

        ``on_result`` is called as each generation succeeds; ``should_cancel`` is checked at
        least every second and raises :class:`~..errors.Interrupted` (tickets stay resumable).
        """
        ...

    def ticket_for(self, request: dict[str, Any], *, expected_s: float | None = None,
                   submitted_at: float | None = None) -> Ticket:
        """The ticket of a task an earlier run submitted (same ``taskUUID``; its answer unseen),
        to :meth:`collect` it: how a journaled job is resumed. ``submitted_at`` is UNIX time."""
        ...

    def fetch(self, result: GenerationResult, dest: Path, *, expected_format: str) -> Path:
        """Download or decode ``result`` to ``dest``, checking its format; return the path."""
        ...

    def close(self) -> None:
        """Release connections (and stop an in-process sandbox the backend owns)."""
        ...


@dataclass
class JobContext:
    """Everything a hook may need about the job in progress.

    ``extra`` is free space for plugins (namespaced keys, e.g. ``"budget.limit"``).
    """

    spec: ModelSpec
    registry: PluginRegistry
    output_dir: Path
    backend_name: str | None = None
    backend: Backend | None = None
    journal: Journal | None = None
    task_uuid: str | None = None
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("minimax_cover.job"))
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sandbox(self) -> bool:
        """True when the job runs against a sandbox, not the real model."""
        return bool(self.backend and self.backend.sandbox)


@dataclass
class CoverOutput:
    """One saved generation.

    ``seed_reusable`` is False when the reported seed is outside the range the model accepts
    (a server-drawn seed that cannot be sent back), None when unknown.
    """

    index: int
    path: Path | None
    audio_uuid: str | None
    seed: int | None
    cost: float | None
    format: str
    url: str | None = None
    audio: Audio | None = None
    sandbox: bool = False
    seed_reusable: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (no audio samples)."""
        return {
            "index": self.index,
            "path": str(self.path) if self.path else None,
            "audioUUID": self.audio_uuid,
            "seed": self.seed,
            "seedReusable": self.seed_reusable,
            "cost": self.cost,
            "format": self.format,
            "url": self.url,
            "durationSeconds": round(self.audio.duration_s, 3) if self.audio else None,
            "sandbox": self.sandbox,
        }


@dataclass
class CoverResult:
    """A finished job: its outputs in order, the cost and where it ran."""

    task_uuid: str
    request: dict[str, Any]
    outputs: list[CoverOutput]
    backend: str
    backend_label: str
    sandbox: bool
    cost_total: float | None = None
    resumed: bool = False
    warnings: list[str] = field(default_factory=list)
    response: list[dict[str, Any]] = field(default_factory=list)
    #: The price before sending (spec's price table or a dry run) and where it came from.
    estimated_cost: float | None = None
    price_source: str | None = None
    #: True for ``dry_run=True``: validated and priced, nothing was sent to run.
    dry_run: bool = False
    #: Served from an identical saved job at no cost: its ``taskUUID``, ``paidAt``,
    #: ``paidCost`` and the files copied (``from``); ``None`` for a job that ran.
    reused: dict[str, Any] | None = None

    @property
    def files(self) -> list[Path]:
        """Paths of the saved files, in result order."""
        return [o.path for o in self.outputs if o.path]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (what ``minimax-cover cover --json`` prints)."""
        return {
            "taskUUID": self.task_uuid,
            "backend": self.backend,
            "backendLabel": self.backend_label,
            "sandbox": self.sandbox,
            "resumed": self.resumed,
            "costTotal": self.cost_total,
            "outputs": [o.to_dict() for o in self.outputs],
            "warnings": self.warnings,
            "estimatedCost": self.estimated_cost,
            "priceSource": self.price_source,
            "dryRun": self.dry_run,
            "reused": self.reused,
        }
