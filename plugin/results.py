"""Backend-neutral result types: what any backend hands the pipeline, hooks and hosts.

Value types only, no I/O and no wire format: the Runware backend builds them from its envelope
(:func:`~.runware.envelope.generation_from_item`), the MiniMax backend from its own answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["GenerationResult", "MediaRef", "ProgressEvent", "TaskResult", "Ticket"]


@dataclass(frozen=True)
class GenerationResult:
    """One generation of an ``audioInference`` task, from a sync answer or a poll item.

    ``status`` is ``"success"``, ``"error"`` or ``"processing"`` (``pending`` and unknown
    statuses read as processing). Exactly one of ``url``, ``data_uri`` and ``base64_data`` is
    set on a success (per ``outputType``); ``cost`` only with ``includeCost``. ``raw`` is the
    item as received (it may hold the whole base64 audio: it is left out of ``repr``).
    """

    task_uuid: str
    audio_uuid: str | None
    seed: int | None
    cost: float | None
    url: str | None
    data_uri: str | None = field(repr=False)
    base64_data: str | None = field(repr=False)
    status: str
    raw: dict[str, Any] = field(repr=False, compare=False)
    result_index: int | None = None
    progress: float | None = None

    @property
    def output_type(self) -> str | None:
        """``"URL"``, ``"dataURI"`` or ``"base64Data"`` by which output is set; else ``None``."""
        if self.url:
            return "URL"
        if self.data_uri:
            return "dataURI"
        if self.base64_data:
            return "base64Data"
        return None

    @property
    def sandbox(self) -> bool:
        """True when the item is labelled as coming from the local sandbox."""
        return bool(self.raw.get("sandbox"))


@dataclass
class TaskResult:
    """A finished task: every successful generation, in arrival order, and the total cost.

    ``cost_total`` is ``None`` when no result reported a cost (``includeCost`` false);
    ``sandbox`` is True when the results came from the local sandbox.
    """

    task_uuid: str
    results: list[GenerationResult]
    errors: list[dict[str, Any]] = field(default_factory=list)
    cost_total: float | None = None
    sandbox: bool = False

    @classmethod
    def from_results(
        cls,
        task_uuid: str,
        results: Iterable[GenerationResult],
        errors: Iterable[dict[str, Any]] = (),
    ) -> TaskResult:
        """Sum costs and read the sandbox label from ``results``."""
        items = list(results)
        costs = [r.cost for r in items if r.cost is not None]
        return cls(
            task_uuid=task_uuid,
            results=items,
            errors=list(errors),
            cost_total=round(sum(costs), 10) if costs else None,
            sandbox=any(r.sandbox for r in items),
        )


@dataclass(frozen=True)
class ProgressEvent:
    """Where a task stands: reported to ``on_progress`` as a job advances.

    ``phase`` is ``"submitting"``, ``"queued"``, ``"processing"``, ``"result"`` (a generation
    just finished) or ``"done"``; ``done``/``total`` count finished generations; ``progress`` is
    a 0-1 fraction when the server reports one; ``cost`` sums the costs reported so far.
    """

    task_uuid: str
    phase: str
    done: int
    total: int
    elapsed_s: float
    progress: float | None = None
    cost: float | None = None


@dataclass(frozen=True)
class MediaRef:
    """Uploaded media: the UUID (and URL) that ``inputs.audio`` accepts."""

    media_uuid: str
    media_url: str | None = None




@dataclass(frozen=True)
class Ticket:
    """A task sent once: what collecting it needs (``Backend.submit`` returns it).

    ``results`` holds what the submit's answer already carried (all of them for a synchronous
    backend such as MiniMax's, or a ``sync`` Runware task); ``expected_s`` is how long the task
    is expected to take from ``submitted_at`` when known (earlier jobs, the server);
    ``accepted`` is False when the submit's outcome is unknown (the task may not exist: it is
    looked up, never sent again). ``submitted_at`` is UNIX time (at the send); ``started`` the
    process's ``time.monotonic()`` when the submit's answer arrived (at the send when the outcome
    is unknown), which the collector paces from.
    """

    task_uuid: str
    backend: str
    endpoint: str
    number_results: int
    submitted_at: float
    results: tuple[GenerationResult, ...] = ()
    expected_s: float | None = None
    accepted: bool = True
    complete: bool = False
    started: float = 0.0
    #: The unknown outcome of the submit, if any (chained onto a later OutcomeUnknownError).
    cause: BaseException | None = field(default=None, repr=False, compare=False)
