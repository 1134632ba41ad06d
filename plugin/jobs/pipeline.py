"""The cover pipeline's entry points: :func:`cover` (one job end to end) and :func:`resume_job`.

:func:`cover` is the one entry point the CLI, the nodes and scripts share::

    build the request (any spec field by keyword)  ->  validate (spec)  ->  local audio checks
      ->  choose_backend (hook)  ->  CoverJob.run: journal lookup -> stage_audio (hook)
      ->  prepare_request (hook) -> validate again -> ledger.submitting -> backend.submit
      ->  ledger.submitted(ticket) -> backend.collect([ticket]) (the process's collector)
      ->  per generation: fetch + save, journal, on_result  ->  journal "saved"  ->  on_job_done

Nothing is uploaded or paid for before validation and the local audio checks pass. A job whose
identical request (same audio content, same parameters) was submitted before but never saved is
resumed with ``getResponse`` instead of being submitted again; one saved before (with the same
seed) is served from its files at no cost unless ``again=True`` (:mod:`.reuse`). The journal
transitions belong to the ledger (:mod:`.ledger`); the steps live in :class:`~.job.CoverJob`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..errors import MinimaxCoverError
from ..hooks.types import Backend, CoverOutput, CoverResult
from ..spec.aliases import describe_keywords, request_from_keywords
from ..spec.model import MINIMAX_MUSIC_COVER, ModelSpec
from ..spec.validation import PLACEHOLDER_AUDIO
from .job import CoverJob, RunOptions
from .local_audio import AudioSource

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..hooks.registry import Registry
    from ..journal.store import Journal
    from ..results import ProgressEvent

__all__ = [
    "PLACEHOLDER_AUDIO",
    "AudioSource",
    "CoverJob",
    "CoverOutput",
    "CoverResult",
    "build_request",
    "cover",
    "resume_job",
]


def build_request(
    request: dict[str, Any] | None = None,
    *,
    spec: ModelSpec = MINIMAX_MUSIC_COVER,
    **params: Any,
) -> dict[str, Any]:
    """A task object from ``request`` plus parameters given by any keyword of the spec.

    Keys: a field name (``positivePrompt``), its path (``settings.lyrics``), a generated alias
    (``prompt``, ``positive_prompt``, ``lyrics``, ``results``, ``format``) or a nested object
    (``audioSettings={...}``). ``None`` values are ignored.

    String enum values may be in any case (``format="mp3"``): they are sent in the API's
    (``"MP3"``).

    :raises SpecValidationError: an unknown keyword ("did you mean ...?").
    """
    from ..spec.enums import normalize_enums

    return normalize_enums(request_from_keywords(request, spec, **params), spec)


def cover(
    source: AudioSource,
    request: dict[str, Any] | None = None,
    *,
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
    output: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    dry_run: bool = False,
    allow_silent: bool = True,
    again: bool = False,
    **params: Any,
) -> CoverResult:
    """Run one cover job end to end and return the saved outputs.

    :param source: the song: a file path, ``bytes``, an :class:`Audio`, an http(s) URL, a
        media UUID, or a two-step handle (:class:`~..minimax.handle.CoverHandle`).
    :param request: a task object to start from (any spec field); keywords override it.
    :param output_dir: where files are written (default: the current directory).
    :param output_stem: file name stem (default ``cover_<taskUUID prefix>``).
    :param decode: also decode each output into ``CoverOutput.audio``.
    :param backend: a registered backend name or an instance (default: ``choose_backend`` hook).
    :param backend_options: keyword arguments for the backend factory.
    :param spec: the model (default: MiniMax Music Cover).
    :param journal: a :class:`Journal`, ``False`` to disable, ``None`` for the default file.
    :param resume: resume an identical unsaved job from the journal instead of submitting.
    :param on_progress: called with a :class:`ProgressEvent` as the job advances.
    :param should_cancel: polled while waiting; returning True raises :class:`Interrupted`.
    :param output: a folder or a file name (``"take.wav"``: its extension sets
        ``outputFormat``, and must agree with it); instead of ``output_dir``/``output_stem``.
    :param overwrite: replace existing files (default: a new name ``<stem>-1``, in
        ``CoverResult.warnings``).
    :param dry_run: validate and price the request (Runware's ``X-Runware-Dry-Run``, else the
        spec's price table) and return a result with ``dry_run=True``, ``estimated_cost`` and
        no outputs: nothing is uploaded, run, charged or journaled.
    :param allow_silent: ``False`` refuses a silent or near-silent song (a warning otherwise).
    :param again: pay for a fresh run even when an identical job (same song, parameters and
        seed) was saved before; by default that job's saved takes are copied to the output and
        nothing is sent (``CoverResult.reused`` says so; see :mod:`.reuse`).
    :param params: any spec field by keyword (generated from the spec; see below).
    :raises SpecValidationError: before anything is uploaded or paid for (an unknown keyword
        says "did you mean ...?").
    :raises AudioLimitError: the song is outside the model's limits; nothing was sent.
    :raises OutputPathError: the output folder cannot be written, or ``output``'s extension
        contradicts the format; nothing was sent.
    :raises SpendingRefusedError: a spending cap or the account's balance refuses the price;
        nothing was sent.

    Keywords of the default spec (any field name, path or generated alias), listed below.
    """
    from ..hooks.registry import get_registry

    spec = spec or MINIMAX_MUSIC_COVER
    job = CoverJob.create(
        source, build_request(request, spec=spec, **params), spec=spec,
        registry=registry or get_registry(), backend=backend, backend_options=backend_options,
        journal=journal, output_dir=output_dir, output=output,
        options=RunOptions(decode=decode, resume=resume, output_stem=output_stem,
                           on_progress=on_progress, should_cancel=should_cancel,
                           overwrite=overwrite, dry_run=dry_run, allow_silent=allow_silent,
                           again=again),
    )
    return job.run()


cover.__doc__ = f"{(cover.__doc__ or '').rstrip()}\n\n{describe_keywords(MINIMAX_MUSIC_COVER)}\n"


def resume_job(
    task_uuid: str,
    *,
    output_dir: str | os.PathLike[str] | None = None,
    output_stem: str | None = None,
    registry: Registry | None = None,
    journal: Journal | None = None,
    backend_options: dict[str, Any] | None = None,
    decode: bool = False,
    on_progress: Callable[[ProgressEvent], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> CoverResult:
    """Finish a journaled job whose results were not saved, without submitting it again.

    The backend recorded for the job collects its results by ``taskUUID`` (Runware:
    ``getResponse``); files are written where the job was meant to go (the output folder and
    file stem journaled when it was submitted), unless ``output_dir`` / ``output_stem`` say
    otherwise; the job is then marked saved.

    Idempotent for every face (CLI, MCP, service): a job already saved returns its files from
    the journal (nothing sent; ``resumed`` False, the warnings say "already saved"). A job of
    a local sandbox that has ended is closed (``failed``) the same way for all of them.

    :raises SandboxEndedError: the job ran on a local sandbox that has ended (nothing was
        charged; the journal now says ``failed``).
    :raises MinimaxCoverError: the job is unknown, or the backend cannot find it.
    """
    from ..hooks.registry import get_registry
    from ..journal.store import Journal
    from .ended_sandbox import close_if_sandbox_ended
    from .saved import SandboxEndedError, saved_result

    journal = journal or Journal()
    record = journal.get(task_uuid)
    if record is None:
        raise MinimaxCoverError(f"no job {task_uuid} in the journal ({journal.path})")
    registry = registry or get_registry()
    if record.status == "saved":
        spec = registry.model(MINIMAX_MUSIC_COVER.value(record.request, "model"))
        return saved_result(record, spec, decode=decode)
    if record.status != "failed":
        reason = close_if_sandbox_ended(record, journal)
        if reason is not None:
            raise SandboxEndedError(f"{task_uuid}: not collected: {reason}",
                                    task_uuid=task_uuid, reason=reason)
    job = CoverJob.from_record(
        record, registry=registry, journal=journal,
        backend_options=backend_options, output_dir=output_dir,
        options=RunOptions(decode=decode, output_stem=output_stem, on_progress=on_progress,
                           should_cancel=should_cancel),
    )
    return job.run()
