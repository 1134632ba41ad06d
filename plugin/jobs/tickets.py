"""Submit now, collect later: cover jobs started in the background, known by a :class:`CoverTicket`.

:func:`submit` starts a cover job on a thread of this process and returns once the journal
holds it as sent (or it was served from an identical saved job): the ticket names its
``taskUUID``. Several submits run their jobs at the same time; :func:`collect` waits for the
tickets' jobs and returns their results in order. A ticket whose job is not running in this
process (a restart, another worker) is collected from the journal: saved files are read back,
an unsaved task is resumed by ``taskUUID`` (never submitted again).

The ComfyUI *MiniMax Cover Submit* / *Collect* nodes are built on it. A :class:`CoverTicket`
names a whole cover job (files included); a backend's own submit ticket, where a backend
splits ``submit``/``collect``, is one level below (the job's one call to its backend).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Interrupted, MinimaxCoverError
from ..hooks.types import CoverOutput, CoverResult

__all__ = ["CoverTicket", "collect", "saved_result", "submit"]

_WAIT_SLICE_S = 0.1
_MAX_RUNNING = 16
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_running: dict[str, Future[CoverResult]] = {}


@dataclass(frozen=True)
class CoverTicket:
    """A submitted cover job: its ``taskUUID`` and the journal file that holds it."""

    task_uuid: str
    journal: str | None = None
    reused: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"taskUUID": self.task_uuid, "journal": self.journal, "reused": self.reused}


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_MAX_RUNNING,
                                       thread_name_prefix="minimax-cover-job")
        return _pool


def submit(start: Callable[[Callable[[str], None]], CoverResult], *,
           journal: str | None = None,
           should_cancel: Callable[[], bool] | None = None) -> CoverTicket:
    """Run ``start(on_journaled)`` in the background; return its ticket once it is journaled.

    :param start: runs one cover job, calling ``on_journaled(taskUUID)`` once the journal
        holds it as sent (``RunOptions.on_journaled``); returns its :class:`CoverResult`.
    :param journal: the journal file's path (kept on the ticket).
    :raises MinimaxCoverError: the job failed before it was journaled (nothing was sent).
    :raises Interrupted: ``should_cancel`` said so before the job was journaled.
    """
    journaled = threading.Event()
    task: list[str] = []

    def on_journaled(task_uuid: str) -> None:
        task.append(task_uuid)
        journaled.set()

    future = _executor().submit(start, on_journaled)
    while not journaled.is_set() and not future.done():
        if should_cancel is not None and should_cancel():
            raise Interrupted("stopped before the cover was submitted")
        journaled.wait(_WAIT_SLICE_S)
    if not journaled.is_set():
        result = future.result()  # raises the job's error: nothing was sent
        if result.reused:
            _running[result.task_uuid] = future
            return CoverTicket(result.task_uuid, journal, reused=True)
        task.append(result.task_uuid)
    _running[task[0]] = future
    return CoverTicket(task[0], journal)


def collect(tickets: Sequence[CoverTicket], *, resume: Callable[[CoverTicket], CoverResult],
            should_cancel: Callable[[], bool] | None = None) -> list[CoverResult]:
    """The results of ``tickets``, in order: waited for while their jobs run in this process,
    otherwise from the journal (``resume(ticket)`` collects it by ``taskUUID``).

    :raises Interrupted: ``should_cancel`` said so; the jobs keep running and stay in the
        journal (collect again, or ``minimax-cover resume``).
    """
    results: list[CoverResult] = []
    for ticket in tickets:
        future = _running.get(ticket.task_uuid)
        if future is None:
            results.append(resume(ticket))
            continue
        while not future.done():
            if should_cancel is not None and should_cancel():
                raise Interrupted(f"stopped waiting for task {ticket.task_uuid} (it keeps "
                                  "running; collect it again or `minimax-cover resume`)",
                                  task_uuid=ticket.task_uuid)
            time.sleep(_WAIT_SLICE_S)
        try:
            results.append(future.result())
        finally:
            _running.pop(ticket.task_uuid, None)
    return results


def saved_result(record: Any, *, backend: str = "journal") -> CoverResult:
    """A saved journal row as a :class:`CoverResult` (its files read back, nothing sent)."""
    outputs = []
    for index, name in enumerate(record.files):
        item = record.results[index] if index < len(record.results) else {}
        if not Path(name).is_file():
            raise MinimaxCoverError(f"task {record.task_uuid} is saved but its file {name} was "
                                    "moved or deleted; run the cover again to reuse or "
                                    "download it")
        outputs.append(CoverOutput(index=index, path=Path(name),
                                   audio_uuid=item.get("audioUUID"), seed=item.get("seed"),
                                   cost=item.get("cost"), format=Path(name).suffix[1:].upper(),
                                   url=item.get("audioURL")))
    return CoverResult(task_uuid=record.task_uuid, request=dict(record.request),
                       outputs=outputs, backend=record.backend, backend_label=record.backend,
                       sandbox=False, cost_total=record.cost, resumed=True)
