"""One cover job being run: :class:`CoverJob` holds its spec, request, context and steps.

:func:`~.pipeline.cover` builds a job with :meth:`CoverJob.create` (which validates and checks
the song, so nothing is uploaded or paid for before that) and calls :meth:`CoverJob.run`::

    find_unfinished (journal)  ->  stage (hook)  ->  prepare (hook, validated again)
      ->  record (journal)  ->  execute: backend.run | backend.resume, save each result
      ->  finish: journal "saved", on_job_done (hook)

:func:`~.pipeline.resume_job` builds one from a journal record (:meth:`CoverJob.from_record`)
that skips straight to ``execute`` with ``backend.resume``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..audio.formats import extension
from ..errors import (
    APIError,
    Interrupted,
    MinimaxCoverError,
    OutcomeUnknownError,
    TaskFailedError,
)
from ..hooks.types import Backend, CoverOutput, CoverResult, JobContext, PluginRegistry
from ..spec.lyrics import with_cover_lyrics
from ..spec.model import MINIMAX_MUSIC_COVER, ModelSpec
from ..spec.predicates import staged_reference
from ..spec.validation import lint_request, validate_params, validate_request
from .local_audio import AudioSource, check_local_audio, fingerprint

if TYPE_CHECKING:
    import os

    from ..journal.store import JobRecord, Journal
    from ..results import GenerationResult, ProgressEvent, TaskResult

__all__ = ["CoverJob", "RunOptions", "open_journal", "output_path"]

log = logging.getLogger("minimax_cover.pipeline")


@dataclass
class RunOptions:
    """How a job runs, as opposed to what it asks for (the request).

    :param decode: also decode each output into ``CoverOutput.audio``.
    :param resume: resume an identical unsaved job from the journal instead of submitting.
    :param output_stem: file name stem (default ``cover_<taskUUID prefix>``).
    :param on_progress: called with a :class:`ProgressEvent` as the job advances.
    :param should_cancel: polled while waiting; returning True raises :class:`Interrupted`.
    """

    decode: bool = False
    resume: bool = True
    output_stem: str | None = None
    on_progress: Callable[[ProgressEvent], None] | None = None
    should_cancel: Callable[[], bool] | None = None


def output_path(output_dir: Path, stem: str, index: int, total: int, fmt: str) -> Path:
    """``<dir>/<stem>.<ext>``, numbered ``<stem>_<n>.<ext>`` from 1 when ``total`` > 1."""
    suffix = f"_{index + 1}" if total > 1 else ""
    return output_dir / f"{stem}{suffix}.{extension(fmt)}"


def open_journal(journal: Journal | None | bool) -> Journal | None:
    """``journal`` itself, the default journal file (``None``/``True``) or no journal (False)."""
    if journal is False:
        return None
    if journal is None or journal is True:
        from ..journal.store import Journal

        return Journal()
    return journal


def _journal_item(result: GenerationResult) -> dict[str, Any]:
    return {
        "audioUUID": result.audio_uuid,
        "seed": result.seed,
        "cost": result.cost,
        "audioURL": result.url,
        "inline": bool(result.data_uri or result.base64_data),
    }


def _with_audio(request: dict[str, Any], reference: str | None) -> dict[str, Any]:
    """``request`` with ``inputs.audio`` set to ``reference``, or removed (validated later)."""
    inputs = request.get("inputs", {})
    if not isinstance(inputs, dict):
        return request  # validation names the wrong type
    inputs = {k: v for k, v in inputs.items() if k != "audio"}
    if reference is not None:
        inputs["audio"] = reference
    return {**request, "inputs": inputs}


class CoverJob:
    """The job being run: spec, request, song, context (backend, journal) and its steps.

    Build it with :meth:`create` or :meth:`from_record`, then call :meth:`run` once.
    """

    def __init__(
        self,
        request: dict[str, Any],
        source: AudioSource,
        context: JobContext,
        *,
        options: RunOptions | None = None,
        warnings: list[str] | None = None,
        previous: JobRecord | None = None,
        owns_backend: bool = True,
    ) -> None:
        self.request = request
        self.source = source
        self.context = context
        self.options = options or RunOptions()
        self.warnings = list(warnings or [])
        self.previous = previous
        self.owns_backend = owns_backend
        self.digest: str | None = None
        self.outputs: dict[int, CoverOutput] = {}
        self._indexes: dict[str, int] = {}  # audioUUID (or arrival) -> output index

    # ------------------------------------------------------------------ construction

    @classmethod
    def create(
        cls,
        source: AudioSource,
        request: dict[str, Any],
        *,
        spec: ModelSpec = MINIMAX_MUSIC_COVER,
        registry: PluginRegistry,
        backend: str | Backend | None = None,
        backend_options: dict[str, Any] | None = None,
        journal: Journal | None | bool = None,
        output_dir: str | os.PathLike[str] | None = None,
        options: RunOptions | None = None,
    ) -> CoverJob:
        """Validate ``request`` and check the song, then attach a backend and a journal.

        ``source`` may be a two-step handle (anything with a string ``audio_input``): its
        backend and the lyrics it heard are used unless given.

        :raises SpecValidationError: before anything is uploaded or paid for.
        :raises AudioLimitError: the song is outside the model's limits; nothing was sent.
        """
        if isinstance(getattr(source, "audio_input", None), str):
            backend = backend if backend is not None else getattr(source, "backend", None)
            request = with_cover_lyrics(request, source, spec)
            source = source.audio_input
        reference = staged_reference(source)
        source = reference if reference is not None else source
        task = validate_params(_with_audio(request, reference), spec)  # every parameter first
        check_local_audio(source)  # then the song itself, before any upload
        warnings = lint_request(task, spec)
        for w in warnings:
            log.warning("%s", w)
        ctx = JobContext(spec=spec, registry=registry,
                         output_dir=Path(output_dir) if output_dir else Path.cwd())
        ctx.journal = open_journal(journal)
        job = cls(task, source, ctx, options=options, warnings=warnings,
                  owns_backend=not isinstance(backend, Backend))
        job._attach_backend(backend, backend_options)
        return job

    @classmethod
    def from_record(
        cls,
        record: JobRecord,
        *,
        registry: PluginRegistry,
        journal: Journal,
        backend_options: dict[str, Any] | None = None,
        output_dir: str | os.PathLike[str] | None = None,
        options: RunOptions | None = None,
    ) -> CoverJob:
        """A job that collects a journaled task's results with the backend recorded for it."""
        spec = registry.model(MINIMAX_MUSIC_COVER.value(record.request, "model"))
        backend = registry.backend(record.backend,
                                   **{"base_url": record.endpoint, **(backend_options or {})})
        ctx = JobContext(spec=spec, registry=registry, backend_name=record.backend,
                         backend=backend, journal=journal,
                         output_dir=Path(output_dir) if output_dir else Path.cwd())
        return cls(dict(record.request), None, ctx, options=options, previous=record)

    def _attach_backend(self, backend: str | Backend | None,
                        backend_options: dict[str, Any] | None) -> None:
        ctx = self.context
        if isinstance(backend, Backend):
            ctx.backend, ctx.backend_name = backend, backend.name
            return
        ctx.backend_name = backend or self.registry.hook.choose_backend(request=self.request,
                                                                        context=ctx)
        ctx.backend = self.registry.backend(ctx.backend_name, **(backend_options or {}))

    # ------------------------------------------------------------------ shortcuts

    @property
    def spec(self) -> ModelSpec:
        """The model's spec."""
        return self.context.spec

    @property
    def registry(self) -> PluginRegistry:
        """The plugin registry running the job."""
        return self.context.registry

    @property
    def backend(self) -> Backend:
        """The backend the job runs on."""
        assert self.context.backend is not None
        return self.context.backend

    @property
    def journal(self) -> Journal | None:
        """The task journal, or None."""
        return self.context.journal

    @property
    def resumed(self) -> bool:
        """True when the job collects an already submitted task."""
        return self.previous is not None

    @property
    def task_uuid(self) -> str:
        """The request's ``taskUUID``."""
        return str(self.request["taskUUID"])

    @property
    def output_format(self) -> str:
        """``outputFormat`` of the request, upper case."""
        return str(self.spec.value(self.request, "outputFormat")).upper()

    @property
    def total(self) -> int:
        """``numberResults`` of the request."""
        return int(self.spec.value(self.request, "numberResults"))

    @property
    def saved_files(self) -> list[str]:
        """Paths saved so far, in result order."""
        return [str(self.outputs[i].path) for i in sorted(self.outputs) if self.outputs[i].path]

    # ------------------------------------------------------------------ steps

    def run(self) -> CoverResult:
        """Run every step (see the module doc); the backend is closed at the end if owned."""
        try:
            if self.previous is None:
                self.previous = self.find_unfinished()
            if self.previous is not None:
                self.request = dict(self.previous.request)
                log.info("resuming task %s from the journal (no new submission)",
                         self.previous.task_uuid)
            else:
                self.stage()
                self.prepare()
                self.record()
            return self.execute()
        finally:
            self.close()

    def find_unfinished(self) -> JobRecord | None:
        """An identical journaled job that was submitted but not saved (``resume``), or None."""
        if self.journal is None:
            return None
        from ..journal.store import request_digest

        basis = {**self.request, "inputs": {**self.request["inputs"],
                                             "audio": fingerprint(self.source)}}
        basis.pop("taskUUID", None)
        self.digest = request_digest({**basis, "_backend": self.backend.endpoint})
        if not self.options.resume:
            return None
        previous = self.journal.find_resumable(self.digest)
        if previous is not None and previous.status == "pending":
            return None  # recorded but never sent: nothing was paid, nothing to collect
        return previous

    def stage(self) -> None:
        """Turn local audio into what ``inputs.audio`` takes (``stage_audio`` hook)."""
        if staged_reference(self.source) is not None:
            return  # a URL or media UUID, already in the request
        staged = self.registry.hook.stage_audio(source=self.source, backend=self.backend,
                                                context=self.context)
        if not staged:
            raise MinimaxCoverError("no plugin could stage the input audio")
        self.request["inputs"]["audio"] = staged

    def prepare(self) -> None:
        """Let plugins change the request (``prepare_request``), then validate it again."""
        self.registry.hook.prepare_request(request=self.request, context=self.context)
        self.request = validate_request(self.request, self.spec)

    def record(self) -> None:
        """Journal the request before it is sent."""
        if self.journal is not None:
            self.journal.record(self.task_uuid, self.request, backend=self.backend.name,
                                endpoint=self.backend.endpoint, digest=self.digest,
                                number_results=self.total)

    def execute(self) -> CoverResult:
        """Submit (or resume) once, save every result as it arrives, and finish."""
        self.context.task_uuid = self.task_uuid
        self.context.output_dir.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        runner = self.backend.resume if self.resumed else self.backend.run
        try:
            self._mark("submitted")
            outcome = runner(self.request, on_progress=self.options.on_progress,
                             should_cancel=self.options.should_cancel,
                             on_result=self.save_result)
            for result in outcome.results:  # anything a backend reported without the callback
                self.save_result(result)
        except MinimaxCoverError as exc:
            self._record_failure(exc)
            raise
        return self.finish(outcome, started)

    def save_result(self, result: GenerationResult) -> None:
        """Fetch one generation to its file (once), journal it and call ``on_result``."""
        key = result.audio_uuid or str(len(self._indexes))
        if key in self._indexes:
            return
        index = self._indexes[key] = len(self._indexes)
        if self.journal is not None:
            self.journal.add_results(self.task_uuid, [_journal_item(result)], cost=None)
        fmt = self.output_format
        stem = self.options.output_stem or f"cover_{self.task_uuid[:8]}"
        dest = output_path(self.context.output_dir, stem, index, self.total, fmt)
        path = self.backend.fetch(result, dest, expected_format=fmt)
        output = CoverOutput(index=index, path=path, audio_uuid=result.audio_uuid,
                             seed=result.seed, cost=result.cost, format=fmt, url=result.url,
                             audio=self._decode(path), sandbox=self.backend.sandbox)
        self.outputs[index] = output
        if self.journal is not None:
            self.journal.add_files(self.task_uuid, [str(path)])
        self.warnings.extend(
            self.registry.call_isolated("on_result", output=output, context=self.context))

    def finish(self, outcome: TaskResult, started: float) -> CoverResult:
        """Mark the job saved, build the result and call ``on_job_done``."""
        if self.journal is not None:
            self.journal.add_results(self.task_uuid, [], cost=outcome.cost_total)
        self._mark("saved")
        backend = self.backend
        result = CoverResult(
            task_uuid=self.task_uuid, request=self.request,
            outputs=[self.outputs[i] for i in sorted(self.outputs)],
            backend=backend.name, backend_label=backend.label, sandbox=backend.sandbox,
            cost_total=outcome.cost_total, resumed=self.resumed, warnings=list(self.warnings),
            response=[r.raw for r in outcome.results],
        )
        log.info("task %s: %d file(s) in %.1f s", self.task_uuid, len(result.outputs),
                 time.monotonic() - started)
        result.warnings.extend(  # a failing sink is reported, never fatal
            self.registry.call_isolated("on_job_done", result=result, context=self.context))
        return result

    def close(self) -> None:
        """Release the backend if this job created it."""
        if self.owns_backend and self.context.backend is not None:
            self.context.backend.close()

    # ------------------------------------------------------------------ helpers

    def _decode(self, path: Path) -> Any:
        if not self.options.decode:
            return None
        from ..audio import read_audio

        return read_audio(path)

    def _mark(self, status: str, error: str | None = None) -> None:
        if self.journal is not None:
            self.journal.mark(self.task_uuid, status, error=error)

    def _record_failure(self, exc: MinimaxCoverError) -> None:
        """Keep what was paid for and leave the journal row true to what happened."""
        if isinstance(exc, TaskFailedError):
            for result in exc.partial_results:
                try:
                    self.save_result(result)
                except MinimaxCoverError as inner:
                    log.error("could not save a paid partial result: %s", inner)
            self._mark("failed", str(exc))
            exc.saved_files = self.saved_files
        elif isinstance(exc, OutcomeUnknownError):
            self._mark("unknown", str(exc))
        elif isinstance(exc, Interrupted):
            self._mark("submitted", str(exc))
        else:  # once a result was reported it is paid for: keep the job resumable
            self._mark("failed" if not self._indexes else "running", str(exc))
        if isinstance(exc, (APIError, Interrupted)) and not exc.task_uuid:
            exc.task_uuid = self.task_uuid
