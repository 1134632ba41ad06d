"""The cover pipeline: validate, stage, prepare, submit, wait, fetch, save; every step journaled.

:func:`cover` is the one entry point the CLI, the nodes and scripts share::

    validate (spec)  ->  local audio checks  ->  choose_backend (hook)  ->  journal lookup
      -> stage_audio (hook)  ->  prepare_request (hook, wrapper)  ->  validate again
      -> journal.record  ->  backend.run  ->  per generation: fetch + save, journal, on_result
      -> journal "saved"  ->  on_job_done (hook)

Nothing is uploaded or paid for before validation and the local audio checks pass. A job whose
identical request (same audio content, same parameters) was submitted before but never saved is
resumed with ``getResponse`` instead of being submitted again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import (
    AudioError,
    AudioLimitError,
    Interrupted,
    MinimaxCoverError,
    OutcomeUnknownError,
    SpecValidationError,
    TaskFailedError,
    Violation,
)
from ..hooks.types import Backend, CoverOutput, CoverResult, JobContext
from ..spec.model import MINIMAX_MUSIC_COVER, ModelSpec
from ..spec.validation import lint_request, validate_request
from .staging import is_url, is_uuid

if TYPE_CHECKING:
    from ..hooks.registry import Registry
    from ..journal.store import Journal
    from ..results import GenerationResult, ProgressEvent, TaskResult

__all__ = ["AudioSource", "CoverOutput", "CoverResult", "build_request", "cover", "resume_job"]

log = logging.getLogger("minimax_cover.pipeline")

AudioSource = Any  # str | os.PathLike | bytes | Audio (a URL or UUID string is passed through)
#: Stands in for ``inputs.audio`` while the rest of the request is validated before staging.
PLACEHOLDER_AUDIO = "00000000-0000-4000-8000-000000000000"
_EXT = {"MP3": "mp3", "WAV": "wav", "FLAC": "flac", "OGG": "ogg"}
_UNSAVED = object()


def build_request(
    request: dict[str, Any] | None = None,
    *,
    spec: ModelSpec = MINIMAX_MUSIC_COVER,
    **params: Any,
) -> dict[str, Any]:
    """A task object from ``request`` plus parameters given by spec name or snake_case alias.

    ``params`` keys may be a field name (``positivePrompt``), its snake_case form
    (``positive_prompt``), a short alias (``prompt``, ``results``, ``format``) or a nested path
    (``settings.lyrics`` or ``lyrics``). ``None`` values are ignored.
    """
    out: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v)
                           for k, v in (request or {}).items()}
    lookup = _param_lookup(spec)
    for key, value in params.items():
        if value is None:
            continue
        try:
            f = lookup[key]
        except KeyError:
            raise SpecValidationError(
                [Violation(key, "unknown parameter, not in the spec", value)]
            ) from None
        if f.placement == "top":
            out[f.name] = value
        else:
            out.setdefault(f.placement, {})[f.name] = value
    return out


def _param_lookup(spec: ModelSpec) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for f in spec.fields:
        snake = "".join("_" + c.lower() if c.isupper() else c for c in f.name).lstrip("_")
        for key in (f.name, f.path, snake, *(c.lstrip("-").replace("-", "_") for c in f.cli)):
            table.setdefault(key, f)
    return table


def _fingerprint(source: AudioSource) -> str:
    """A content hash of the audio source, so the same song gives the same job digest."""
    h = hashlib.sha256()
    if isinstance(source, (bytes, bytearray, memoryview)):
        h.update(bytes(source))
    elif isinstance(source, (str, os.PathLike)) and Path(source).is_file():
        with open(source, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    elif hasattr(source, "samples") and hasattr(source, "sample_rate"):
        h.update(str(source.sample_rate).encode())
        h.update(source.samples.tobytes())
    else:
        h.update(str(source).encode())
    return h.hexdigest()


def _local_checks(source: AudioSource) -> None:
    """Duration, size, format and sample limits of local audio, before any upload.

    Every :class:`AudioError` names ``inputs.audio``.
    """
    try:
        _check_local_audio(source)
    except AudioLimitError:
        raise
    except AudioError as exc:
        if str(exc).startswith("inputs.audio"):
            raise
        raise AudioError(f"inputs.audio: {exc}", path=exc.path) from exc


def _check_local_audio(source: AudioSource) -> None:
    from ..audio import check_reference_limits, probe_audio, read_audio

    if isinstance(source, (str, os.PathLike, bytes, bytearray, memoryview)):
        if isinstance(source, (str, os.PathLike)):
            data: str | bytes = os.fspath(source)
            if is_url(data) or is_uuid(data):
                return
            if not Path(data).exists():
                raise SpecValidationError([Violation("inputs.audio", "file not found", data)])
        else:
            data = bytes(source)
        info = probe_audio(data)
        check_reference_limits(info)
        if str(info.subtype or "").upper() in ("FLOAT", "DOUBLE"):
            read_audio(data)  # float PCM can hold NaN/inf: raises AudioError for those
    elif hasattr(source, "samples") and hasattr(source, "sample_rate"):
        from ..audio import AudioInfo, all_finite

        info = AudioInfo(format="WAV", duration_s=source.duration_s,
                         sample_rate=source.sample_rate, channels=source.channels,
                         name="in-memory audio")
        check_reference_limits(info)
        if not all_finite(source.samples):
            raise AudioError("in-memory audio: contains NaN or infinite samples")
    else:
        raise SpecValidationError(
            [Violation("inputs.audio", "must be a file path, bytes, Audio, URL or UUID",
                       type(source).__name__)]
        )


def _output_path(output_dir: Path, stem: str, index: int, total: int, fmt: str) -> Path:
    ext = _EXT.get(fmt, fmt.lower())
    suffix = f"_{index + 1}" if total > 1 else ""
    return output_dir / f"{stem}{suffix}.{ext}"


def cover(
    source: AudioSource,
    request: dict[str, Any] | None = None,
    *,
    prompt: str | None = None,
    lyrics: str | None = None,
    seed: int | None = None,
    number_results: int | None = None,
    output_format: str | None = None,
    output_dir: str | os.PathLike[str] | None = None,
    output_stem: str | None = None,
    decode: bool = False,
    backend: str | Backend | None = None,
    backend_options: dict[str, Any] | None = None,
    spec: ModelSpec | None = None,
    registry: Registry | None = None,
    journal: Journal | None | bool = None,
    resume: bool = True,
    on_progress: Callable[[ProgressEvent], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    **params: Any,
) -> CoverResult:
    """Run one cover job end to end and return the saved outputs.

    :param source: the song: a file path, ``bytes``, an :class:`Audio`, an http(s) URL or a
        media UUID.
    :param request: a task object to start from (any spec field); keyword arguments override it.
    :param prompt: ``positivePrompt`` (10-300 characters).
    :param lyrics: ``settings.lyrics`` (10-1000 characters, section tags).
    :param seed: ``seed`` (0-1,000,000); results use different seeds.
    :param number_results: ``numberResults`` (1-4).
    :param output_format: ``outputFormat`` (MP3, WAV, FLAC, OGG).
    :param output_dir: where files are written (default: the current directory).
    :param output_stem: file name stem (default ``cover_<taskUUID prefix>``).
    :param decode: also decode each output into ``CoverOutput.audio``.
    :param backend: a registered backend name or an instance (default: ``choose_backend`` hook).
    :param backend_options: keyword arguments for the backend factory.
    :param journal: a :class:`Journal`, ``False`` to disable, ``None`` for the default file.
    :param resume: resume an identical unsaved job from the journal instead of submitting.
    :param on_progress: called with a :class:`ProgressEvent` as the job advances.
    :param should_cancel: polled while waiting; returning True raises :class:`Interrupted`.
    :param params: any other spec field by name (``outputType="URL"``, ``includeCost=True``).
    :raises SpecValidationError: before anything is uploaded or paid for.
    :raises AudioLimitError: the song is outside the model's limits; nothing was sent.
    """
    from ..hooks.registry import get_registry

    registry = registry or get_registry()
    spec = spec or MINIMAX_MUSIC_COVER
    handle_input = getattr(source, "audio_input", None)
    if isinstance(handle_input, str):  # a two-step handle (e.g. MiniMax preprocess result)
        if backend is None:
            backend = getattr(source, "backend", None)
        has_lyrics = lyrics or (request or {}).get("settings", {}).get("lyrics")
        if not has_lyrics and getattr(source, "formatted_lyrics", None):
            lyrics = source.formatted_lyrics  # step 1's lyrics, unless the user edited them
        source = handle_input
    task = build_request(
        request,
        spec=spec,
        positivePrompt=prompt,
        lyrics=lyrics,
        seed=seed,
        numberResults=number_results,
        outputFormat=output_format,
        **params,
    )
    staged_already = is_url(source) or is_uuid(source)
    task.setdefault("inputs", {})
    if isinstance(task["inputs"], dict):
        task["inputs"]["audio"] = source if staged_already else PLACEHOLDER_AUDIO
    task = validate_request(task, spec)  # 1. every parameter, before anything is sent
    _local_checks(source)  # 2. the song itself, before any upload
    warnings = lint_request(task, spec)
    for w in warnings:
        log.warning("%s", w)

    ctx = JobContext(spec=spec, registry=registry,
                     output_dir=Path(output_dir) if output_dir else Path.cwd())
    own_backend = not isinstance(backend, Backend)
    if isinstance(backend, Backend):
        ctx.backend = backend
        ctx.backend_name = backend.name
    else:
        ctx.backend_name = backend or registry.hook.choose_backend(request=task, context=ctx)
        ctx.backend = registry.backend(ctx.backend_name, **(backend_options or {}))
    ctx.journal = _open_journal(journal)
    try:
        return _run(task, source, staged_already, ctx, decode=decode, resume=resume,
                    output_stem=output_stem, on_progress=on_progress,
                    should_cancel=should_cancel, warnings=warnings)
    finally:
        if own_backend and ctx.backend is not None:
            ctx.backend.close()


def _open_journal(journal: Journal | None | bool) -> Journal | None:
    if journal is False:
        return None
    if journal is None or journal is True:
        from ..journal.store import Journal

        return Journal()
    return journal


def _run(
    task: dict[str, Any],
    source: AudioSource,
    staged_already: bool,
    ctx: JobContext,
    *,
    decode: bool,
    resume: bool,
    output_stem: str | None,
    on_progress: Callable[[ProgressEvent], None] | None,
    should_cancel: Callable[[], bool] | None,
    warnings: list[str],
    previous: Any = None,
) -> CoverResult:
    assert ctx.backend is not None
    backend = ctx.backend
    registry = ctx.registry
    journal = ctx.journal
    digest = None
    if journal is not None and previous is None:
        from ..journal.store import request_digest

        digest_basis = {**task, "inputs": {**task["inputs"], "audio": _fingerprint(source)}}
        digest_basis.pop("taskUUID", None)
        digest = request_digest({**digest_basis, "_backend": backend.endpoint})
        if resume:
            previous = journal.find_resumable(digest)
            if previous is not None and previous.status == "pending":
                previous = None  # recorded but never sent: nothing was paid, nothing to collect

    resumed = previous is not None
    if previous is not None:
        task = dict(previous.request)
        log.info("resuming task %s from the journal (no new submission)", previous.task_uuid)
    else:
        if not staged_already:
            staged = registry.hook.stage_audio(source=source, backend=backend, context=ctx)
            if not staged:
                raise MinimaxCoverError("no plugin could stage the input audio")
            task["inputs"]["audio"] = staged
        registry.hook.prepare_request(request=task, context=ctx)
        task = validate_request(task, ctx.spec)
    ctx.task_uuid = task["taskUUID"]
    if journal is not None and previous is None:
        journal.record(ctx.task_uuid, task, backend=backend.name, endpoint=backend.endpoint,
                       digest=digest)

    fmt = str(task.get("outputFormat", "MP3")).upper()
    total = int(task.get("numberResults", 1))
    stem = output_stem or f"cover_{ctx.task_uuid[:8]}"
    ctx.output_dir.mkdir(parents=True, exist_ok=True)
    outputs: dict[int, CoverOutput] = {}
    order: dict[str, int] = {}

    def save(result: GenerationResult) -> None:
        key = result.audio_uuid or str(len(order))
        if key in order:
            return
        index = order[key] = len(order)
        if journal is not None:
            journal.add_results(ctx.task_uuid, [_journal_item(result)], cost=None)
        dest = _output_path(ctx.output_dir, stem, index, total, fmt)
        path = backend.fetch(result, dest, expected_format=fmt)
        audio = None
        if decode:
            from ..audio import read_audio

            audio = read_audio(path)
        output = CoverOutput(index=index, path=path, audio_uuid=result.audio_uuid,
                             seed=result.seed, cost=result.cost, format=fmt, url=result.url,
                             audio=audio, sandbox=backend.sandbox)
        outputs[index] = output
        if journal is not None:
            journal.add_files(ctx.task_uuid, [str(path)])
        registry.call_isolated("on_result", output=output, context=ctx)

    started = time.monotonic()
    try:
        if journal is not None:
            journal.mark(ctx.task_uuid, "submitted")
        runner = backend.resume if resumed else backend.run
        outcome: TaskResult = runner(task, on_progress=on_progress,
                                     should_cancel=should_cancel, on_result=save)
        for result in outcome.results:  # anything a backend reported without the callback
            save(result)
    except TaskFailedError as exc:
        for result in exc.partial_results:
            try:
                save(result)
            except MinimaxCoverError as inner:
                log.error("could not save a paid partial result: %s", inner)
        if journal is not None:
            journal.mark(ctx.task_uuid, "failed", error=str(exc))
        exc.task_uuid = exc.task_uuid or ctx.task_uuid
        exc.saved_files = [str(o.path) for o in outputs.values() if o.path]  # type: ignore[attr-defined]
        raise
    except (Interrupted, OutcomeUnknownError) as exc:
        if journal is not None:
            journal.mark(ctx.task_uuid, "unknown" if isinstance(exc, OutcomeUnknownError)
                         else "submitted", error=str(exc))
        exc.task_uuid = exc.task_uuid or ctx.task_uuid
        raise
    except MinimaxCoverError as exc:
        if journal is not None:  # once a result was reported it is paid for: keep it resumable
            journal.mark(ctx.task_uuid, "failed" if not order else "running", error=str(exc))
        if getattr(exc, "task_uuid", None) is None and hasattr(exc, "task_uuid"):
            exc.task_uuid = ctx.task_uuid
        raise
    if journal is not None:
        journal.add_results(ctx.task_uuid, [], cost=outcome.cost_total)
        journal.mark(ctx.task_uuid, "saved")
    result = CoverResult(
        task_uuid=ctx.task_uuid,
        request=task,
        outputs=[outputs[i] for i in sorted(outputs)],
        backend=backend.name,
        backend_label=backend.label,
        sandbox=backend.sandbox,
        cost_total=outcome.cost_total,
        resumed=resumed,
        warnings=warnings,
        response=[r.raw for r in outcome.results],
    )
    log.info("task %s: %d file(s) in %.1f s", ctx.task_uuid, len(result.outputs),
             time.monotonic() - started)
    registry.call_isolated("on_job_done", result=result, context=ctx)
    return result


def _journal_item(result: GenerationResult) -> dict[str, Any]:
    return {
        "audioUUID": result.audio_uuid,
        "seed": result.seed,
        "cost": result.cost,
        "audioURL": result.url,
        "inline": bool(result.data_uri or result.base64_data),
    }


def resume_job(
    task_uuid: str,
    *,
    output_dir: str | os.PathLike[str] | None = None,
    registry: Registry | None = None,
    journal: Journal | None = None,
    backend_options: dict[str, Any] | None = None,
    decode: bool = False,
    on_progress: Callable[[ProgressEvent], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> CoverResult:
    """Finish a journaled job whose results were not saved, without submitting it again.

    The backend recorded for the job collects its results by ``taskUUID`` (Runware:
    ``getResponse``); files are written to ``output_dir`` and the job is marked saved.

    :raises MinimaxCoverError: the job is unknown, already saved, or the backend cannot find it.
    """
    from ..hooks.registry import get_registry
    from ..journal.store import Journal

    registry = registry or get_registry()
    journal = journal or Journal()
    record = journal.get(task_uuid)
    if record is None:
        raise MinimaxCoverError(f"no job {task_uuid} in the journal ({journal.path})")
    if record.status == "saved":
        raise MinimaxCoverError(f"job {task_uuid} is already saved: {', '.join(record.files)}")
    spec = registry.model(record.request.get("model", MINIMAX_MUSIC_COVER.model_id))
    options = {"base_url": record.endpoint, **(backend_options or {})}
    backend = registry.backend(record.backend, **options)
    ctx = JobContext(spec=spec, registry=registry, backend_name=record.backend, backend=backend,
                     output_dir=Path(output_dir) if output_dir else Path.cwd(), journal=journal)
    try:
        return _run(dict(record.request), None, True, ctx, decode=decode, resume=True,
                    output_stem=None, on_progress=on_progress, should_cancel=should_cancel,
                    warnings=[], previous=record)
    finally:
        backend.close()
