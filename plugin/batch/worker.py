"""One batch job, run where the executor runs it: in this process, or on a remote worker.

:func:`run_local` runs a job in the driver's process with the batch's shared backend (one HTTP
session) and journal: :func:`~..jobs.pipeline.cover` journals it before its submit and, for a
row submitted by an earlier run, resumes it by ``taskUUID`` instead of submitting again.

:func:`run_remote` runs a job on a worker of a remote executor. The driver has already
journaled the job with its ``taskUUID``; the worker has no journal. It uses one backend per
worker process (cached), submits only if the executor's guard says no earlier attempt sent the
task (otherwise it resumes by ``taskUUID``), downloads into the output folder, and returns a
:class:`JobOutcome` the driver journals.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import (
    Interrupted,
    JobBusyError,
    MinimaxCoverError,
    OutcomeUnknownError,
    SpendingRefusedError,
    TaskFailedError,
)

if TYPE_CHECKING:
    from ..hooks.types import Backend, CoverResult
    from ..journal.store import Journal
    from ..spec.model import ModelSpec

__all__ = ["JobOutcome", "JobSpec", "LocalRun", "WorkerConfig", "run_local", "run_remote"]


@dataclass
class JobSpec:
    """What a job needs (picklable): the song, the request, where its files go.

    :param row: the manifest row number (for messages).
    :param source: the song as the pipeline takes it (a path string, URL or media UUID).
    :param request: the validated request; for remote jobs it carries the journaled taskUUID.
    :param stem: the file-name stem of its outputs.
    :param output_dir: the output folder.
    :param resume: the task was submitted before: collect it by taskUUID, never submit.
    :param identity: the job's journal digest (see :mod:`.identity`).
    """

    row: int
    source: Any
    request: dict[str, Any]
    stem: str
    output_dir: str
    resume: bool = False
    identity: str | None = None

    @property
    def task_uuid(self) -> str:
        """The request's taskUUID."""
        return str(self.request.get("taskUUID") or "")


@dataclass
class JobOutcome:
    """How a job ended (picklable): status, files, seeds, cost, error.

    ``status`` is ``saved``, ``resumed``, ``failed``, ``unknown``, ``interrupted`` or
    ``not-run`` (a spending cap or the balance refused it before its submit, or another
    process runs the same job);
    ``items`` the journal form of each saved result (remote jobs: the driver journals them).
    """

    row: int
    status: str
    task_uuid: str | None = None
    files: list[str] = field(default_factory=list)
    seeds: list[int | None] = field(default_factory=list)
    cost: float | None = None
    error: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sandbox: bool = False
    submitted: bool = True
    provider: str | None = None

    @classmethod
    def from_result(cls, row: int, result: CoverResult, *, resumed: bool | None = None
                    ) -> JobOutcome:
        """The outcome of a finished job."""
        was_resumed = result.resumed if resumed is None else resumed
        return cls(
            row=row, status="resumed" if was_resumed else "saved", task_uuid=result.task_uuid,
            files=[str(p) for p in result.files], seeds=[o.seed for o in result.outputs],
            cost=result.cost_total, warnings=list(result.warnings), sandbox=result.sandbox,
            provider=result.backend,
            items=[{"audioUUID": o.audio_uuid, "seed": o.seed, "cost": o.cost,
                    "audioURL": o.url} for o in result.outputs],
        )

    @classmethod
    def from_error(cls, row: int, exc: BaseException, task_uuid: str | None) -> JobOutcome:
        """The outcome of a job that raised ``exc`` (never raises itself)."""
        from ..redaction import redact

        uuid_ = getattr(exc, "task_uuid", None) or task_uuid
        if isinstance(exc, TaskFailedError):
            status = "failed"
        elif isinstance(exc, OutcomeUnknownError):
            status = "unknown"
        elif isinstance(exc, Interrupted):
            status = "interrupted"
        elif isinstance(exc, (SpendingRefusedError, JobBusyError)):  # nothing sent by us
            status = "not-run"
        else:
            status = "failed"
        message = str(exc) if isinstance(exc, MinimaxCoverError) else (
            f"{type(exc).__name__}: {exc}")
        partial = list(getattr(exc, "partial_results", []) or [])
        return cls(
            row=row, status=status, task_uuid=uuid_, error=redact(message),
            files=[str(f) for f in getattr(exc, "saved_files", []) or []],
            seeds=[getattr(r, "seed", None) for r in partial],
            cost=sum(r.cost for r in partial if getattr(r, "cost", None) is not None) or None,
            items=[{"audioUUID": getattr(r, "audio_uuid", None), "seed": getattr(r, "seed", None),
                    "cost": getattr(r, "cost", None), "audioURL": getattr(r, "url", None)}
                   for r in partial],
            submitted=status != "not-run" and bool(getattr(exc, "task_uuid", None)),
        )


# --------------------------------------------------------------------------- local


@dataclass
class LocalRun:
    """What local jobs share: the spec, registry, backend (one session) and journal; with
    ``pool`` (two providers or more), each job fails over on its own over the pool's shared
    backends (:meth:`~..jobs.providers.ProviderPool.for_job`)."""

    spec: ModelSpec
    registry: Any
    backend: Backend
    journal: Journal | None
    pool: Any = None
    cancel: threading.Event = field(default_factory=threading.Event)


def job_options(job: JobSpec, *, resume: bool,
                should_cancel: Callable[[], bool] | None = None) -> Any:
    """How a batch runs one job: the batch checked its song and the balance already, and
    chose a file stem no other row or file holds (the job's own partial files are replaced)."""
    from ..jobs.job import RunOptions

    return RunOptions(resume=resume, output_stem=job.stem, overwrite=True, song_checked=True,
                      preflight=False, should_cancel=should_cancel)


def run_local(ctx: LocalRun, job: JobSpec) -> JobOutcome:
    """Run (or resume) one job in this process; every error becomes a :class:`JobOutcome`."""
    from ..jobs.job import CoverJob

    if ctx.cancel.is_set():
        return JobOutcome(row=job.row, status="interrupted", submitted=False,
                          error="stopped before it was submitted")
    backend = ctx.pool.for_job() if ctx.pool is not None else ctx.backend
    try:
        cover_job = CoverJob.create(
            job.source, job.request, spec=ctx.spec, registry=ctx.registry,
            backend=backend, journal=ctx.journal if ctx.journal else False,
            output_dir=job.output_dir,
            options=job_options(job, resume=True, should_cancel=ctx.cancel.is_set))
        result = cover_job.run()
    except Exception as exc:  # one row's failure never stops the batch
        outcome = JobOutcome.from_error(job.row, exc, None)
        outcome.provider = _provider_name(backend)
        return outcome
    return JobOutcome.from_result(job.row, result)


def _provider_name(backend: Any) -> str | None:
    try:
        return str(backend.name)
    except Exception:  # a provider that cannot even be built names nothing
        return None


# --------------------------------------------------------------------------- remote


@dataclass(frozen=True)
class WorkerConfig:
    """How a worker builds its backend (picklable; no key unless the workers are local).

    :param backend: the registered backend name.
    :param backend_options: its factory's keyword arguments (the base URL, timeouts...).
    :param model: the model id (the worker's registry gives its spec).
    :param guard: the executor's ``submit_guard`` (see :mod:`.executors`), or ``None``.
    """

    backend: str
    backend_options: tuple[tuple[str, Any], ...]
    model: str
    guard: Any = None


_backends: dict[WorkerConfig, Any] = {}
_backends_lock = threading.Lock()


def _worker_backend(config: WorkerConfig) -> Any:
    """This worker process's backend for ``config`` (made once, shared by its jobs)."""
    from ..hooks.registry import get_registry

    with _backends_lock:
        backend = _backends.get(config)
        if backend is None:
            backend = get_registry().backend(config.backend, **dict(config.backend_options))
            _backends[config] = backend
        return backend


class _MarkedBackend:
    """A backend that calls ``before_submit(taskUUID)`` right before it submits."""

    def __init__(self, inner: Any, before_submit: Callable[[str], None]) -> None:
        self._inner = inner
        self._before_submit = before_submit

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def submit(self, request: dict[str, Any], **options: Any) -> Any:
        self._before_submit(str(request["taskUUID"]))
        return self._inner.submit(request, **options)


def _resume_remote(config: WorkerConfig, job: JobSpec, backend: Any) -> CoverResult:
    """Collect a task an earlier attempt sent, by ``taskUUID`` (the driver journals it)."""
    from ..hooks.registry import get_registry
    from ..hooks.types import JobContext
    from ..jobs.job import CoverJob

    registry = get_registry()
    spec = registry.model(config.model)
    ctx = JobContext(spec=spec, registry=registry, output_dir=Path(job.output_dir),
                     backend_name=config.backend, backend=backend, journal=None)
    cover_job = CoverJob(dict(job.request), None, ctx, options=job_options(job, resume=True),
                         owns_backend=False, collect=True)
    return cover_job.run()


def run_remote(config: WorkerConfig, job: JobSpec) -> JobOutcome:
    """Run (or resume) one job on a worker; the driver journals the outcome.

    A job whose task an earlier attempt already sent (the guard says so) is resumed by
    ``taskUUID``: a worker that died mid-job never causes a second submit.
    """
    from ..hooks.registry import get_registry
    from ..jobs.job import CoverJob

    guard = config.guard
    try:
        backend = _worker_backend(config)
        resume = job.resume or (guard is not None and guard.sent(job.task_uuid))
        if resume:
            return JobOutcome.from_result(job.row, _resume_remote(config, job, backend),
                                          resumed=job.resume)
        marked = _MarkedBackend(backend, guard.mark) if guard is not None else backend
        registry = get_registry()
        result = CoverJob.create(job.source, job.request, spec=registry.model(config.model),
                                 registry=registry, backend=marked, journal=False,
                                 output_dir=job.output_dir,
                                 options=job_options(job, resume=False)).run()
    except Exception as exc:  # reported to the driver, which journals it
        outcome = JobOutcome.from_error(job.row, exc, job.task_uuid)
        outcome.provider = config.backend
        outcome.submitted = guard is None or guard.sent(job.task_uuid)
        return outcome
    return JobOutcome.from_result(job.row, result, resumed=False)
