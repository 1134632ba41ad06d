"""``cover_batch``: many covers from a manifest or a list of rows, concurrent, resumable.

The Python face of ``minimax-cover batch`` (same checks, plan, journal and report).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..hooks.types import Backend
from ..spec.aliases import request_from_keywords
from ..spec.model import MINIMAX_MUSIC_COVER, ModelSpec
from .manifest import ManifestRow, read_manifest, rows_from_mappings
from .report import BatchReport
from .runner import BatchOptions, BatchProgress, BatchRunner

__all__ = ["cover_batch", "load_rows"]


def load_rows(rows: Any, spec: ModelSpec, base_dir: str | os.PathLike[str] | None = None,
              journal: Any = None, *, allow_outside: bool = False
              ) -> tuple[list[ManifestRow], str | None]:
    """``(rows, manifest path)`` from a manifest path (CSV, JSONL, folder) or an iterable.

    A folder leaves out the files the journal says this project wrote (its covers), so
    ``batch SONGS -o SONGS`` run again does not cover its own covers. A manifest file's paths
    stay inside its folder unless ``allow_outside``.
    """
    if isinstance(rows, (str, os.PathLike)):
        written = written_files(journal) if Path(rows).is_dir() and journal is not False else ()
        return (read_manifest(rows, spec, leave_out=written, allow_outside=allow_outside),
                os.fspath(rows))
    return rows_from_mappings(rows, Path(base_dir) if base_dir else None), None


def written_files(journal: Any = None) -> set[str]:
    """Every file the journal records as written by a job (absolute paths)."""
    from ..journal.store import Journal

    own = journal is None or journal is True
    journal = Journal() if own else journal
    try:
        return {os.path.abspath(f) for job in journal.list_jobs(limit=None) for f in job.files}
    finally:
        if own:
            journal.close()


def cover_batch(
    rows: Iterable[Any] | str | os.PathLike[str],
    request: dict[str, Any] | None = None,
    *,
    output_dir: str | os.PathLike[str] = ".",
    concurrency: int = 4,
    max_cost: float | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    allow_silent: bool = False,
    allow_outside: bool = False,
    executor: str = "threads",
    executor_options: dict[str, Any] | None = None,
    backend: str | Backend | None = None,
    backend_options: dict[str, Any] | None = None,
    spec: ModelSpec | None = None,
    registry: Any = None,
    journal: Any = None,
    base_dir: str | os.PathLike[str] | None = None,
    receipt_name: str | None = "batch",
    compare: bool = False,
    compare_embed: bool = False,
    on_progress: Callable[[BatchProgress], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    **params: Any,
) -> BatchReport:
    """Cover many songs; rows already saved are skipped, submitted ones resumed, none paid twice.

    :param rows: a manifest (``.csv``/``.jsonl`` path, or a folder of songs), or an iterable of
        rows: mappings like a JSONL line (``{"song": "a.wav", "prompt": "...", "seed": 1}``)
        or plain song paths/URLs.
    :param request: request values every row starts from; ``params`` (any spec keyword, e.g.
        ``prompt=``) too. A row's own values win.
    :param output_dir: where files and the receipt (``<receipt_name>.report.json``/``.csv``)
        are written; outputs are named after each row's song.
    :param concurrency: jobs in flight at once (one shared HTTP session).
    :param max_cost: never let the batch's spend pass this many USD (earlier runs of its rows
        included); rows that would pass it are not submitted (``not-run``).
    :param dry_run: check, plan and price every row; send nothing, write nothing.
    :param skip_invalid: run the valid rows when some are invalid (else raise).
    :param allow_silent: send (near-)silent songs with a warning (else such rows are invalid).
    :param allow_outside: let a manifest file's ``song``/``lyrics_file`` paths reach outside
        its folder (else such rows are invalid).
    :param executor: ``"threads"`` (built in) or a plugin's (``"dask"``, extra ``.[dask]``).
    :param executor_options: e.g. ``{"address": "tcp://scheduler:8786"}`` for Dask.
    :param backend: a backend name or instance shared by every job (default: ``choose_backend``).
    :param backend_options: keyword arguments for the backend factory.
    :param journal: a :class:`Journal`, ``None`` for the default file (``False`` disables
        skipping and resuming).
    :param base_dir: the folder relative songs are read from when ``rows`` is an iterable.
    :param receipt_name: stem of the receipt files; ``None`` writes none.
    :param compare: write an audition page next to each saved row's takes (rows saved by an
        earlier run too) and an index of them, ``<receipt_name or 'batch'>.compare.html``, in
        ``output_dir`` (``report.compare_index``; each row's page is ``row.page``).
    :param compare_embed: with ``compare``: put the audio inside each page.
    :param on_progress: called with a :class:`BatchProgress` at the start, per row, at the end.
    :param should_cancel: polled while running; True stops submitting and interrupts the jobs
        in flight, leaving them resumable.
    :returns: the :class:`BatchReport` (``.to_dict()`` is the ``--json`` document).
    :raises BatchValidationError: rows break the spec or the audio limits; nothing was sent.
    """
    from ..hooks.registry import get_registry

    spec = spec or MINIMAX_MUSIC_COVER
    manifest_rows, manifest = load_rows(rows, spec, base_dir, journal,
                                        allow_outside=allow_outside)
    defaults = request_from_keywords(request, spec, **params)
    options = BatchOptions(
        output_dir=Path(output_dir), concurrency=concurrency, max_cost=max_cost,
        dry_run=dry_run, skip_invalid=skip_invalid, allow_silent=allow_silent,
        executor=executor,
        executor_options=dict(executor_options or {}), backend=backend,
        backend_options=dict(backend_options or {}), journal=journal,
        receipt_name=receipt_name, manifest=manifest, compare=compare,
        compare_embed=compare_embed, resume_hint="call cover_batch again with the same rows")
    runner = BatchRunner(manifest_rows, spec=spec, registry=registry or get_registry(),
                         defaults=defaults, options=options, on_progress=on_progress,
                         should_cancel=should_cancel)
    return runner.run()
