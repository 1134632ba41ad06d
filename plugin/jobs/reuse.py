"""Reuse instead of repaying: a job identical to a saved one is served from its saved files.

Identical means the same song content, the same normalized parameters *with the same seed*
(given by the user: a job whose seed the client draws is a new take each time) and the same
format, on the same service: the journal's digest (:mod:`.identity`). Whatever ``-o`` says,
each saved take is copied (a real file, never a link) to the new job's planned path, with a line
on stderr and ``CoverResult.reused`` saying so (``reused: paid 2026-12-07, task …``). Nothing
is sent and nothing is paid; ``again=True`` (``cover --again``, the node's ``again`` toggle)
pays for a fresh run instead.

A saved file that was moved or deleted is downloaded again from the result URL the journal
kept, while that URL answers; otherwise the job stops with a message saying so (nothing paid).
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import MinimaxCoverError
from ..hooks.types import CoverOutput, CoverResult
from .outputs import same_content
from .seeds import seed_in_range

if TYPE_CHECKING:
    from ..journal.store import JobRecord

#: The job being served (a :class:`~.job.CoverJob`; not imported: it imports this module).
CoverJob = Any

__all__ = ["copy_take", "fetch_again", "reuse_saved", "reused_line"]

log = logging.getLogger("minimax_cover.reuse")


def reused_line(record: JobRecord, files: list[Path]) -> str:
    """``reused: paid 2026-12-07, task …`` (the line on stderr and in the warnings)."""
    paid = (record.created_at or "")[:10] or "earlier"
    where = ", ".join(str(f) for f in files)
    return (f"reused: paid {paid}, task {record.task_uuid}: the same song, parameters and seed "
            f"were saved before; nothing sent, nothing paid ({where}; --again pays for a "
            "fresh take)")


def copy_take(src: Path, dest: Path) -> Path:
    """``src`` copied to ``dest`` (a real file, written beside it then renamed); a ``dest``
    holding the same bytes is kept as it is."""
    if dest.exists() and (os.path.samefile(src, dest) or same_content(src, dest)):
        return dest
    part = dest.with_name(dest.name + ".part")
    shutil.copyfile(src, part)
    os.replace(part, dest)
    return dest


def _download_again(job: CoverJob, record: JobRecord, item: dict[str, Any], dest: Path,
                    missing: str) -> Path:
    return fetch_again(job.backend, record, item, dest, job.output_format, missing)


def fetch_again(backend: Any, record: JobRecord, item: dict[str, Any], dest: Path, fmt: str,
                missing: str) -> Path:
    """A moved or deleted take fetched again from its result URL (free while the URL answers).

    :raises MinimaxCoverError: no URL was journaled, or it no longer answers (said plainly,
        with ``--again`` as the way to a fresh take).
    """
    from ..results import GenerationResult

    url = item.get("audioURL")
    gone = (f"the saved take {missing} of task {record.task_uuid} was moved or deleted and ")
    if not url:
        raise MinimaxCoverError(
            gone + "the journal has no result URL to download it again; run again with "
            "--again (Python: again=True) to pay for a fresh take")
    result = GenerationResult(task_uuid=record.task_uuid, audio_uuid=item.get("audioUUID"),
                              seed=item.get("seed"), cost=item.get("cost"), url=str(url),
                              data_uri=None, base64_data=None, status="success", raw={})
    try:
        return backend.fetch(result, dest, expected_format=fmt)
    except MinimaxCoverError as exc:
        raise MinimaxCoverError(
            gone + f"its result URL no longer answers ({exc}); run again with --again "
            "(Python: again=True) to pay for a fresh take") from exc


def reuse_saved(job: CoverJob, record: JobRecord) -> CoverResult:
    """Serve ``job`` from the saved identical ``record``: copy (or download again) each take
    to the job's planned paths and return a result with ``reused`` set; nothing is sent."""
    files = [Path(f) for f in record.files]
    outputs: list[CoverOutput] = []
    for index in range(max(record.number_results, len(files))):
        item = record.results[index] if index < len(record.results) else {}
        assert job.plan is not None
        src = files[index] if index < len(files) else None
        natural = job.plan.name(job.plan.stem or f"cover_{record.task_uuid[:8]}", index)
        if src is not None and src.is_file() and natural.exists() \
                and os.path.samefile(src, natural):
            job.plan.written.add(natural)  # the saved take is where this job would write it
            outputs.append(_output(job, record, item, index, natural))
            continue
        dest = job.plan.path_for(index, record.task_uuid)
        if src is not None and src.is_file():
            path = copy_take(src, dest)
        else:
            path = _download_again(job, record, item, dest, str(src or f"#{index + 1}"))
        outputs.append(_output(job, record, item, index, path))
    line = reused_line(record, [o.path for o in outputs if o.path])
    log.warning("%s", line)
    warnings = [*job.warnings, line]
    result = CoverResult(
        task_uuid=record.task_uuid, request=dict(record.request), outputs=outputs,
        backend=job.backend.name, backend_label=job.backend.label, sandbox=job.backend.sandbox,
        cost_total=0.0, resumed=False, warnings=warnings,
        estimated_cost=0.0, price_source="reused",
        reused={"taskUUID": record.task_uuid, "paidAt": record.created_at,
                "paidCost": record.cost, "from": [str(f) for f in files]})
    result.warnings.extend(
        job.registry.call_isolated("on_job_done", result=result, context=job.context))
    return result


def _output(job: CoverJob, record: JobRecord, item: dict[str, Any], index: int,
            path: Path) -> CoverOutput:
    seed = item.get("seed")
    return CoverOutput(index=index, path=path, audio_uuid=item.get("audioUUID"), seed=seed,
                       cost=0.0, format=job.output_format, url=item.get("audioURL"),
                       audio=job._decode(path, _item(record, item)),
                       sandbox=job.backend.sandbox, seed_reusable=seed_in_range(job.spec, seed))


def _item(record: JobRecord, item: dict[str, Any]) -> Any:
    from ..results import GenerationResult

    return GenerationResult(task_uuid=record.task_uuid, audio_uuid=item.get("audioUUID"),
                            seed=item.get("seed"), cost=None, url=item.get("audioURL"),
                            data_uri=None, base64_data=None, status="success", raw={})
