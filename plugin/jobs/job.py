"""One cover job being run: :class:`CoverJob` holds its spec, request, context and steps.

:func:`~.pipeline.cover` builds a job with :meth:`CoverJob.create` (which validates and checks
the song and plans the output files, :mod:`.outputs`, so nothing is uploaded or paid for
before that) and calls :meth:`CoverJob.run`::

    find_unfinished (ledger.plan: seed, identity, claim; or a saved identical job: reuse)
      ->  preflight (balance, caps)  ->  stage (hook)
      ->  prepare (hook: the spending guard holds the price; validated again)
      ->  record (ledger.submitting; a Ctrl-C before it sends nothing)
      ->  execute: backend.submit -> ledger.submitted(ticket) -> backend.collect([ticket])
          (the process's collector), save each result (ledger.collected)
      ->  finish: ledger.saved, on_job_done (hook)

Every journal status change goes through the job's :class:`~.ledger.JobLedger`.

With ``dry_run`` :meth:`CoverJob.run` only prices the request (:meth:`CoverJob.dry_run`).

:func:`~.pipeline.resume_job` builds one from a journal record (:meth:`CoverJob.from_record`)
that skips straight to ``execute``: it collects ``backend.ticket_for(request)``, never submits.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..audio.formats import extension
from ..errors import (
    APIError,
    AudioError,
    DownloadError,
    Interrupted,
    MinimaxCoverError,
    OutcomeUnknownError,
    OutputPathError,
    TaskFailedError,
)
from ..hooks.types import Backend, CoverOutput, CoverResult, JobContext, PluginRegistry
from ..journal.durations import typical_duration_s
from ..spec.lyrics import with_cover_lyrics
from ..spec.model import MINIMAX_MUSIC_COVER, ModelSpec
from ..spec.predicates import staged_reference
from ..spec.task import CoverTask
from ..spec.validation import lint_request, validate_params, validate_request
from .ledger import JobLedger
from .local_audio import AudioSource, check_local_audio, describe_source, fingerprint
from .outputs import OutputPlan, output_target, plan_outputs, same_content
from .seeds import seed_in_range
from .silence import check_silence

if TYPE_CHECKING:
    from ..journal.store import JobRecord, Journal
    from ..results import GenerationResult, ProgressEvent, TaskResult, Ticket

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
    :param overwrite: replace existing output files (default: a new name, said plainly).
    :param dry_run: validate and price the request (``X-Runware-Dry-Run``); run nothing.
    :param allow_silent: send a silent or near-silent song with a warning (``False``: refuse).
    :param song_checked: the caller already checked the song (limits, silence), e.g. a batch
        that checks each song once for all its rows: :meth:`CoverJob.create` does not again.
    :param preflight: check the balance and caps before the upload (a batch checks the
        balance once for all its rows and turns this off; the spending guard still runs).
    :param again: pay for a fresh run even when an identical job (same song, parameters and
        seed) is saved; by default such a job is served from its saved files at no cost.
    :param on_journaled: called with the ``taskUUID`` once the journal holds the job as sent
        (right before the submit, or when an earlier run's task is collected).
    """

    decode: bool = False
    resume: bool = True
    output_stem: str | None = None
    overwrite: bool = False
    dry_run: bool = False
    allow_silent: bool = True
    song_checked: bool = False
    preflight: bool = True
    again: bool = False
    on_journaled: Callable[[str], None] | None = None
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


def _clean_parts(record: JobRecord) -> None:
    """Remove ``.part`` files a killed run of ``record`` left in its folder (resume)."""
    if not record.output_dir:
        return
    from ..transport.download import clean_stale_parts

    stem = record.output_stem or f"cover_{record.task_uuid[:8]}"
    clean_stale_parts(Path(record.output_dir) / stem, prefix_only=True)


def _fresh_start_hint(task_uuid: str) -> str:
    """How to stop resuming a task whose outcome stays unknown (it may never have run)."""
    return (f"to start fresh instead (a new taskUUID; paid again if {task_uuid} did run), run "
            "the same command with --no-resume (Python: resume=False), or drop the task with "
            f"`minimax-cover jobs forget {task_uuid} --force`")


def _with_audio(request: dict[str, Any], reference: str | None) -> dict[str, Any]:
    """``request`` with ``inputs.audio`` set to ``reference``, or removed (validated later)."""
    inputs = request.get("inputs", {})
    if not isinstance(inputs, dict):
        return request  # validation names the wrong type
    inputs = {k: v for k, v in inputs.items() if k != "audio"}
    if reference is not None:
        inputs["audio"] = reference
    return {**request, "inputs": inputs}


def _formats(spec: ModelSpec) -> tuple[str, ...]:
    try:
        return tuple(str(v) for v in (spec.field("outputFormat").enum or ()))
    except KeyError:
        return ()


def _money_and_format_defaults(
    request: dict[str, Any], spec: ModelSpec, output: str | os.PathLike[str] | None,
    output_dir: str | os.PathLike[str] | None,
) -> tuple[dict[str, Any], str | os.PathLike[str] | None]:
    """``includeCost`` on unless set; ``outputFormat`` from ``output``'s extension unless set.

    :returns: the request and the folder (or file name) the files go to.
    :raises OutputPathError: ``output``'s extension contradicts ``outputFormat``.
    """
    request = dict(request)
    if "includeCost" not in request and any(f.path == "includeCost" for f in spec.fields):
        request["includeCost"] = True  # costs are always known (receipts, caps)
    if output is None:
        return request, output_dir
    if output_dir is not None:
        raise OutputPathError("give output (a folder or a file) or output_dir, not both")
    asked = request.get("outputFormat")
    target = output_target(output, str(asked) if asked is not None else None,
                           formats=_formats(spec))
    if target.format is not None and asked is None and _formats(spec):
        request["outputFormat"] = target.format
    return request, output


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
        collect: bool = False,
    ) -> None:
        """``previous``: the journal row of a task sent before (collected, never submitted);
        ``collect``: the same without a journal row (a remote worker's resumed job)."""
        self.request = request
        self.source = source
        self.context = context
        self.options = options or RunOptions()
        self.warnings = list(warnings or [])
        self.previous = previous
        self.owns_backend = owns_backend
        self.collect_only = collect
        self.digest: str | None = None
        self.song: str | None = None  # the song as given (journaled; see describe_source)
        self.owner: str | None = None  # the journal lease this job holds, if any
        self._recorded = False  # recorded as submitted by record()
        self.plan: OutputPlan | None = None  # where the files go (decided before any upload)
        self.estimate: float | None = None  # the price before sending (spec's price table)
        self.outputs: dict[int, CoverOutput] = {}
        self._indexes: dict[str, int] = {}  # audioUUID (or arrival) -> output index
        self._ledger: JobLedger | None = None
        self._ticket: Ticket | None = None  # the submit's answer (None until it returns)
        self.reuse_from: JobRecord | None = None  # an identical saved job served instead

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
        output: str | os.PathLike[str] | None = None,
    ) -> CoverJob:
        """Validate ``request``, check the song, plan the output files, then attach a backend
        and a journal.

        ``source`` may be a two-step handle (anything with a string ``audio_input``): its
        backend and the lyrics it heard are used unless given. ``output`` is a folder or a
        file name (its extension sets ``outputFormat``; see :mod:`.outputs`); ``output_dir``
        a folder. ``includeCost`` is on unless the request says otherwise.

        :raises SpecValidationError: before anything is uploaded or paid for.
        :raises AudioLimitError: the song is outside the model's limits; nothing was sent.
        :raises OutputPathError: the destination cannot be written; nothing was sent.
        :raises SilentSongError: a (near-)silent song and ``options.allow_silent`` is False.
        """
        options = options or RunOptions()
        request, folder = _money_and_format_defaults(request, spec, output, output_dir)
        if isinstance(getattr(source, "audio_input", None), str):
            backend = backend if backend is not None else getattr(source, "backend", None)
            request = with_cover_lyrics(request, source, spec)
            source = source.audio_input
        reference = staged_reference(source)
        source = reference if reference is not None else source
        task = validate_params(_with_audio(request, reference), spec)  # every parameter first
        if not options.song_checked:
            check_local_audio(source)  # then the song itself, before any upload
        warnings = lint_request(task, spec)
        silent = None if options.song_checked else check_silence(source,
                                                                  allow=options.allow_silent)
        if silent:
            warnings.append(silent)
        bound = CoverTask(spec, task)
        plan = plan_outputs(folder, bound.output_format, bound.number_results,
                            options.output_stem,
                            options.overwrite, formats=_formats(spec),
                            create=not options.dry_run, as_folder=output is None)
        options.output_stem = plan.stem  # a new name when the file exists (journaled)
        warnings.extend(plan.notes)
        for w in warnings:
            log.warning("%s", w)
        ctx = JobContext(spec=spec, registry=registry, output_dir=plan.folder)
        ctx.journal = open_journal(journal) if not options.dry_run else None
        job = cls(task, source, ctx, options=options, warnings=warnings,
                  owns_backend=not isinstance(backend, Backend))
        job.plan = plan
        job.song = describe_source(source)
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
        planned = output_dir or record.output_dir  # -o on resume overrides the journal
        ctx = JobContext(spec=spec, registry=registry, backend_name=record.backend,
                         backend=backend, journal=journal,
                         output_dir=Path(planned) if planned else Path.cwd())
        options = options or RunOptions()
        if options.output_stem is None and record.output_stem:
            options.output_stem = record.output_stem
        job = cls(dict(record.request), None, ctx, options=options, previous=record)
        job.song = record.song
        _clean_parts(record)
        job.plan = plan_outputs(ctx.output_dir, CoverTask(spec, record.request).output_format,
                                record.number_results, options.output_stem, options.overwrite,
                                formats=_formats(spec), as_folder=True, own_files=record.files)
        return job

    def _attach_backend(self, backend: str | Backend | None,
                        backend_options: dict[str, Any] | None) -> None:
        ctx = self.context
        from .providers import FailoverBackend

        if isinstance(backend, FailoverBackend):  # a batch row's own failover (shared members)
            ctx.backend, ctx.backend_name = backend, backend.name
            if backend.on_switch is None:
                backend.on_switch = self._switched
            return
        if isinstance(backend, Backend):
            ctx.backend, ctx.backend_name = backend, backend.name
            return
        ctx.backend_name = backend or self.registry.hook.choose_backend(request=self.request,
                                                                        context=ctx)
        from .providers import build_backend  # the provider order, failover before acceptance

        ctx.backend = build_backend(self.registry, ctx, ctx.backend_name,
                                    explicit=backend is not None, options=backend_options,
                                    on_move=self._moved)

    def _switched(self, backend: Backend) -> None:
        """A batch row's failover moved it to ``backend`` (before acceptance): journal it."""
        self.context.backend_name = backend.name
        self._moved()

    def _moved(self) -> None:
        """The failover backend moved the job to its next provider (before acceptance)."""
        if self.journal is not None and self.context.task_uuid:
            self.ledger.moved()

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
        return self.previous is not None or self.collect_only

    @property
    def task_uuid(self) -> str:
        """The request's ``taskUUID``."""
        return str(self.request["taskUUID"])

    @property
    def output_format(self) -> str:
        """``outputFormat`` of the request, upper case."""
        return self.task.output_format

    @property
    def total(self) -> int:
        """``numberResults`` of the request."""
        return self.task.number_results

    @property
    def saved_files(self) -> list[str]:
        """Paths saved so far, in result order."""
        return [str(self.outputs[i].path) for i in sorted(self.outputs) if self.outputs[i].path]

    # ------------------------------------------------------------------ steps

    def run(self) -> CoverResult:
        """Run every step (see the module doc); the backend is closed at the end if owned."""
        try:
            if self.options.dry_run:
                return self.dry_run()
            if self.previous is None and not self.collect_only:
                self.previous = self.find_unfinished()
                if self.reuse_from is not None:
                    return self.reuse()
            if self.previous is not None:
                self.request = dict(self.previous.request)
                use = getattr(self.context.backend, "use", None)
                if callable(use) and use(self.previous.backend):  # where it was accepted
                    self.context.backend_name = self.previous.backend
                log.info("resuming task %s from the journal (no new submission)",
                         self.previous.task_uuid)
            elif not self.collect_only:
                if self.options.preflight:
                    self.preflight()
                self.stage()
                self.prepare()
                self.record()
            return self.execute()
        finally:
            self.release()
            self.close()

    @property
    def ledger(self) -> JobLedger:
        """The owner of this job's journal row (every status change goes through it)."""
        if self._ledger is None:
            self._ledger = JobLedger(self.journal, self.backend, CoverTask(self.spec,
                                                                           self.request))
        return self._ledger

    def find_unfinished(self) -> JobRecord | None:
        """Plan the job in the ledger: its seed (given, taken again, or chosen), identity and
        atomic claim (see :mod:`.ledger`); or find a saved identical job to reuse
        (``reuse_from``, unless ``options.again``).

        :returns: an identical job that was submitted but not saved, to resume by its
            ``taskUUID``; ``None`` to submit (under the claimed row's ``taskUUID``). With
            ``resume=False`` nothing is claimed and the job is submitted anew.
        :raises JobBusyError: another live process is running the same job; nothing was sent.
        """
        ledger = self.ledger
        if self.journal is None:
            ledger.choose_seed()
            return None
        fp = fingerprint(self.source)
        if not self.options.again and self.task.seed is not None:
            ledger.identify(fp, seed_given=True)
            saved = ledger.find_saved()
            if saved is not None:
                self.reuse_from = saved
                self.digest = ledger.digest
                return None
        plan = ledger.plan(fp, resume=self.options.resume)
        self.request = ledger.task.request
        self.digest = ledger.digest
        self.owner = ledger.owner
        if plan.note:
            self.warnings.append(plan.note)
        return plan.record if plan.action == "resume" else None

    @property
    def task(self) -> CoverTask:
        """The request read through the spec (``numberResults``, seed, format...)."""
        return CoverTask(self.spec, self.request)

    def release(self) -> None:
        """End this job's lease in the journal (kept rows stay resumable by others)."""
        if self._ledger is not None:
            self._ledger.release()
        self.owner = None

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
        """Let plugins change the request (``prepare_request``), then validate it again (the
        seed was chosen when the job was planned, :meth:`find_unfinished`)."""
        self.ledger.choose_seed()  # a no-op once planned (the steps may run one by one)
        self.registry.hook.prepare_request(request=self.request, context=self.context)
        self.request = validate_request(self.request, self.spec)
        if self._ledger is not None:
            self._ledger.task = CoverTask(self.spec, self.request)

    def record(self) -> None:
        """Journal the request as ``submitted``, durably, right before it is sent.

        :raises Interrupted: ``should_cancel()`` is already True (a Ctrl-C before the send):
            nothing is sent and the row stays planned, so the same command submits it later
            under the same ``taskUUID``.
        """
        cancel = self.options.should_cancel
        if cancel is not None and cancel():
            raise Interrupted(f"interrupted before task {self.task_uuid} was sent; nothing was "
                              "sent or charged", task_uuid=self.task_uuid)
        self.context.output_dir.mkdir(parents=True, exist_ok=True)
        self.ledger.submitting(song=self.song, output_dir=self.context.output_dir,
                               output_stem=self.options.output_stem)
        self._recorded = True

    def execute(self) -> CoverResult:
        """Submit once (or take the journaled task's ticket), collect it, save every result as
        it arrives, and finish.

        The one place a job calls its backend for its results: ``backend.submit`` then
        ``ledger.submitted(ticket)`` then ``backend.collect([ticket])`` (the process's
        collector); a resumed job collects ``backend.ticket_for(request)``, never submits.
        """
        self.context.task_uuid = self.task_uuid
        self.context.output_dir.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        expected = typical_duration_s(self.journal, endpoint=self.backend.endpoint,
                                      number_results=self.total)
        try:
            if self.resumed or not self._recorded:
                self.ledger.task = CoverTask(self.spec, self.request)
                self.ledger.resuming()
            if self.options.on_journaled is not None:
                self.options.on_journaled(self.task_uuid)
            if self.resumed:
                ticket = self.backend.ticket_for(self.request, expected_s=expected,
                                                 submitted_at=self._journaled_at())
            else:
                ticket = self._submit(expected)
            outcome = self._collect(ticket)
            for result in outcome.results:  # anything a backend reported without the callback
                self.save_result(result)
        except MinimaxCoverError as exc:
            self._record_failure(exc)
            if isinstance(exc, OutcomeUnknownError):
                raise OutcomeUnknownError(f"{exc.message}; {_fresh_start_hint(self.task_uuid)}",
                                          task_uuid=exc.task_uuid or self.task_uuid,
                                          body=exc.body) from exc
            raise
        return self.finish(outcome, started)

    def _journaled_at(self) -> float | None:
        """When the resumed task was journaled (UNIX time; the collector paces it from there),
        or ``None`` (a remote worker's job, or a time that does not parse)."""
        from datetime import datetime

        created = self.previous.created_at if self.previous is not None else None
        try:
            return datetime.fromisoformat(created).timestamp() if created else None
        except (TypeError, ValueError):
            return None

    def _unsent(self) -> bool:
        """True when the submit was stopped before the provider accepted the task (no ticket,
        no result): the send-and-retry only waits, cancellably, before sending again a request
        that was not processed."""
        return not self.resumed and self._ticket is None and not self._indexes

    def _submit(self, expected_s: float | None) -> Ticket:
        """Send the task once; the ledger records the ticket."""
        options = self.options
        ticket = self._ticket = self.backend.submit(
            self.request, should_cancel=options.should_cancel, expected_s=expected_s,
            on_progress=options.on_progress, on_result=self.save_result)
        self.ledger.submitted(ticket)
        return ticket

    def _collect(self, ticket: Ticket) -> TaskResult:
        """Wait for ``ticket`` through the backend's collector; raise the error it ended with."""
        outcomes = self.backend.collect([ticket], on_progress=self.options.on_progress,
                                        should_cancel=self.options.should_cancel,
                                        on_result=self.save_result)
        outcome = outcomes.get(ticket.task_uuid)
        if outcome is None:
            raise OutcomeUnknownError(f"task {ticket.task_uuid}: the backend returned no outcome",
                                      task_uuid=ticket.task_uuid)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def save_result(self, result: GenerationResult) -> None:
        """Fetch one generation to its file (once), journal it and call ``on_result``."""
        key = result.audio_uuid or str(len(self._indexes))
        if key in self._indexes:
            return
        index = self._indexes[key] = len(self._indexes)
        fmt = self.output_format
        if self.plan is not None:
            dest = self.plan.path_for(index, self.task_uuid)
        else:
            stem = self.options.output_stem or f"cover_{self.task_uuid[:8]}"
            dest = output_path(self.context.output_dir, stem, index, self.total, fmt)
        try:
            path = self.backend.fetch(result, dest, expected_format=fmt)
            path = self._same_as_planned(path, index)
            audio = self._decode(path, result)
        except BaseException:
            try:  # paid for: known in the journal, file or not
                self.ledger.collected(_journal_item(result), None)
            except MinimaxCoverError as inner:  # never hide the first error
                log.error("journal: could not record result of task %s: %s",
                          self.task_uuid, inner)
            raise
        output = CoverOutput(index=index, path=path, audio_uuid=result.audio_uuid,
                             seed=result.seed, cost=result.cost, format=fmt, url=result.url,
                             audio=audio, sandbox=self.backend.sandbox,
                             seed_reusable=seed_in_range(self.spec, result.seed))
        self.outputs[index] = output
        self.ledger.collected(_journal_item(result), path)  # item and file in one transaction
        self.warnings.extend(
            self.registry.call_isolated("on_result", output=output, context=self.context))

    def _same_as_planned(self, path: Path, index: int) -> Path:
        """A resumed job whose earlier run wrote this very file at its planned path but could
        not journal it (a locked journal): keep that file, drop the new copy (no duplicate)."""
        if self.previous is None:
            return path
        record = self.previous
        folder = Path(record.output_dir) if record.output_dir else self.context.output_dir
        stem = record.output_stem or f"cover_{self.task_uuid[:8]}"
        planned = output_path(folder, stem, index, self.total, self.output_format)
        if planned == path or planned.parent != path.parent or not planned.is_file() \
                or not same_content(planned, path):
            return path  # -o elsewhere on resume: the files go where they are asked to
        try:
            path.unlink()
        except OSError:
            return path
        log.info("task %s: %s was saved by an earlier run (same content); kept", self.task_uuid,
                 planned)
        if self.plan is not None:
            self.plan.notes = [n for n in self.plan.notes if path.name not in n]
        self.warnings = [w for w in self.warnings if path.name not in w]
        return planned

    def finish(self, outcome: TaskResult, started: float) -> CoverResult:
        """Mark the job saved, build the result and call ``on_job_done``."""
        from ..money.providers import job_estimate  # priced by the provider that ran it

        self.ledger.saved(outcome.cost_total)
        self.owner = None  # saved ended the lease: no second write to release it
        backend = self.backend
        result = CoverResult(
            task_uuid=self.task_uuid, request=self.request,
            outputs=[self.outputs[i] for i in sorted(self.outputs)],
            backend=backend.name, backend_label=backend.label, sandbox=backend.sandbox,
            cost_total=outcome.cost_total, resumed=self.resumed, warnings=list(self.warnings),
            response=[r.raw for r in outcome.results],
            estimated_cost=job_estimate(self.context, self.request),
            price_source=getattr(backend, "price_source", None) or "price table",
        )
        log.info("task %s: %d file(s) in %.1f s", self.task_uuid, len(result.outputs),
                 time.monotonic() - started)
        result.warnings.extend(  # a failing sink is reported, never fatal
            self.registry.call_isolated("on_job_done", result=result, context=self.context))
        return result

    def reuse(self) -> CoverResult:
        """Serve an identical saved job from its files at no cost (see :mod:`.reuse`)."""
        from .reuse import reuse_saved

        assert self.reuse_from is not None
        return reuse_saved(self, self.reuse_from)

    def preflight(self) -> None:
        """Before the song is uploaded: refuse the job if the account's balance or a spending
        cap cannot take its price (:mod:`..money.preflight`)."""
        from ..money.preflight import preflight

        self.estimate = preflight(self.context, self.request)

    def dry_run(self) -> CoverResult:
        """Validate and price the request (a dry run, else the spec's price table); nothing is
        uploaded, run or journaled."""
        from ..money.preflight import dry_run_quote

        quote = dry_run_quote(self.context, self.request)
        if quote.note:
            self.warnings.append(f"price from the {quote.source}: {quote.note}")
        backend = self.backend
        return CoverResult(
            task_uuid=self.task_uuid, request=self.request, outputs=[], backend=backend.name,
            backend_label=backend.label, sandbox=backend.sandbox or quote.sandbox,
            warnings=list(self.warnings), estimated_cost=quote.price_usd,
            price_source=quote.source, dry_run=True)

    def close(self) -> None:
        """Release the backend if this job created it."""
        if self.owns_backend and self.context.backend is not None:
            self.context.backend.close()

    # ------------------------------------------------------------------ helpers

    def _decode(self, path: Path, result: GenerationResult) -> Any:
        """The saved file's audio (``decode=True``); a file that will not decode is removed:
        it is not a saved result (a :class:`DownloadError`: paid, resumable)."""
        if not self.options.decode:
            return None
        from ..audio import read_audio

        try:
            return read_audio(path)
        except AudioError as exc:
            try:
                path.unlink()
            except OSError:
                pass
            raise DownloadError(f"result {result.audio_uuid or '?'} of task {self.task_uuid}: "
                                f"the file does not decode ({exc}); not saved",
                                task_uuid=self.task_uuid) from exc

    def _record_failure(self, exc: MinimaxCoverError) -> None:
        """Keep what was paid for and leave the journal row true to what happened.

        A journal that cannot be written (the same full disk) is logged, never raised: the
        job's own error is the one to report.
        """
        try:
            self._journal_failure(exc)
        except MinimaxCoverError as inner:
            log.error("journal: could not record the failure of task %s: %s", self.task_uuid,
                      inner)
        if isinstance(exc, (APIError, Interrupted)) and not exc.task_uuid:
            exc.task_uuid = self.task_uuid

    def _journal_failure(self, exc: MinimaxCoverError) -> None:
        ledger = self.ledger
        if isinstance(exc, TaskFailedError):
            for result in exc.partial_results:
                try:
                    self.save_result(result)
                except MinimaxCoverError as inner:
                    log.error("could not save a paid partial result: %s", inner)
            ledger.failed(str(exc))
            exc.saved_files = self.saved_files
        elif isinstance(exc, OutcomeUnknownError):
            ledger.unknown(str(exc))
        elif isinstance(exc, Interrupted) and self._unsent():
            ledger.not_sent(str(exc))  # nothing accepted, nothing paid: submitted again later
        elif isinstance(exc, Interrupted):
            ledger.interrupted(str(exc))
        elif self._indexes:  # once a result was reported it is paid for: keep it resumable
            ledger.paid_unsaved(str(exc))
        else:
            ledger.failed(str(exc))
