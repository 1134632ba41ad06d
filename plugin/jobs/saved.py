"""A saved job answered from the journal: what ``resume`` returns for a job already saved.

Resuming is idempotent for every face (CLI ``resume``, :func:`~.pipeline.resume_job`, MCP's
``resume`` tool, the service): a job whose files are all written is answered with its files
and nothing is sent. A job that ran on a local sandbox that has ended is closed (``failed``)
through the ledger and refused with :class:`SandboxEndedError` (nothing was charged).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import MinimaxCoverError
from ..hooks.types import CoverOutput, CoverResult
from ..spec.task import CoverTask
from .seeds import seed_in_range

if TYPE_CHECKING:
    from ..journal.store import JobRecord
    from ..spec.model import ModelSpec

__all__ = ["SandboxEndedError", "already_saved", "saved_result"]


class SandboxEndedError(MinimaxCoverError):
    """The job ran on a local sandbox that has ended: it can never be collected (nothing was
    charged); the journal now says ``failed``. ``reason`` is the sentence why."""

    def __init__(self, message: str, *, task_uuid: str, reason: str) -> None:
        self.task_uuid = task_uuid
        self.reason = reason
        super().__init__(message)


def already_saved(record: JobRecord) -> str:
    """``<taskUUID>: already saved: <files>`` (the line every face says)."""
    return f"{record.task_uuid}: already saved: {', '.join(record.files) or '-'}"


def saved_result(record: JobRecord, spec: ModelSpec, *, decode: bool = False) -> CoverResult:
    """The :class:`CoverResult` of a saved job, from its journal row (nothing sent;
    ``resumed`` False; the warnings say it was already saved)."""
    fmt = CoverTask(spec, record.request).output_format
    outputs = []
    for index, file in enumerate(record.files):
        item = record.results[index] if index < len(record.results) else {}
        path = Path(file)
        audio = None
        if decode and path.is_file():
            from ..audio import read_audio

            audio = read_audio(path)
        seed = item.get("seed")
        outputs.append(CoverOutput(index=index, path=path, audio_uuid=item.get("audioUUID"),
                                   seed=seed, cost=item.get("cost"), format=fmt,
                                   url=item.get("audioURL"), audio=audio,
                                   seed_reusable=seed_in_range(spec, seed)))
    return CoverResult(task_uuid=record.task_uuid, request=dict(record.request),
                       outputs=outputs, backend=record.backend,
                       backend_label=f"{record.backend} ({record.endpoint or '-'})",
                       sandbox=False, cost_total=record.cost, resumed=False,
                       warnings=[already_saved(record)], price_source="journal")
