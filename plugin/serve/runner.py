"""Runs the service's jobs: :func:`~..jobs.pipeline.cover` in a bounded pool of threads.

At most ``concurrency`` jobs run at once (the rest wait ``queued``), as in a batch; the
spending caps apply through the pipeline's own spending guard. Each outcome maps to a status:
saved → ``succeeded``; cancelled (``DELETE``) → ``canceled``; outcome unknown (the CLI's exit
3) → ``unknown``; paid but not saved (exit 5) → ``paid-not-saved``; anything else →
``failed``. The three middle ones stay resumable. A job stopped by the service's own shutdown
stays ``running``, and :meth:`JobRunner.recover` collects it at the next start: the pipeline
finds it in the journal by its ``taskUUID`` (or its identity) and resumes it, never pays twice.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ..errors import (
    DownloadError,
    Interrupted,
    MinimaxCoverError,
    OutcomeUnknownError,
    ResultNotSavedError,
)
from ..spec.model import MINIMAX_MUSIC_COVER, ModelSpec
from .views import job_view, summary_of

if TYPE_CHECKING:
    from ..journal.store import Journal
    from .callbacks import CallbackSender
    from .store import ServiceJob, ServiceStore

__all__ = ["JobRunner", "status_of"]

log = logging.getLogger("minimax_cover.serve")


def status_of(exc: BaseException) -> str:
    """The service status of a job that raised ``exc``."""
    if isinstance(exc, Interrupted):
        return "canceled"
    if isinstance(exc, OutcomeUnknownError):
        return "unknown"
    if isinstance(exc, (DownloadError, ResultNotSavedError)):
        return "paid-not-saved"
    return "failed"


class JobRunner:
    """The pool that runs jobs of ``store``, journaled in ``journal``.

    :param concurrency: jobs running at once.
    :param callbacks: sends completion callbacks (``None``: none configured).
    """

    def __init__(self, store: ServiceStore, journal: Journal, *, concurrency: int = 4,
                 spec: ModelSpec = MINIMAX_MUSIC_COVER,
                 callbacks: CallbackSender | None = None) -> None:
        self.store = store
        self.journal = journal
        self.spec = spec
        self.callbacks = callbacks
        self._pool = ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="serve-job")
        self._cancels: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def start(self, job: ServiceJob) -> None:
        """Queue ``job`` to run."""
        with self._lock:
            if job.id in self._cancels:
                return  # already queued or running in this process
            self._cancels[job.id] = threading.Event()
        self._pool.submit(self._run, job.id)

    def cancel(self, job_id: str) -> None:
        """Stop ``job_id``: a queued job never starts; a running one stops between polls,
        its journal row left resumable."""
        if self.store.update(job_id, "canceled", only_from=("queued",)):
            self._notify(job_id)
        with self._lock:
            event = self._cancels.get(job_id)
        if event is not None:
            event.set()

    def recover(self) -> int:
        """Queue every job a previous run left ``queued`` or ``running``; return how many."""
        jobs = self.store.active()
        for job in jobs:
            self.start(job)
        return len(jobs)

    def in_flight(self) -> int:
        """Jobs queued or running in this process."""
        with self._lock:
            return len(self._cancels)

    def close(self) -> None:
        """Stop taking jobs; running ones are interrupted and stay ``running`` (resumable: the
        next start collects them)."""
        self._stopping.set()
        with self._lock:
            events = list(self._cancels.values())
        for event in events:
            event.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self.callbacks is not None:
            self.callbacks.close()

    # ------------------------------------------------------------------ one job

    def _run(self, job_id: str) -> None:
        try:
            self._run_job(job_id)
        except Exception:  # noqa: BLE001 - the pool would swallow it: log it, keep serving
            log.exception("job %s: unexpected error", job_id)
            self.store.update(job_id, "failed", error="internal error (see the service log)",
                              only_from=("queued", "running"))
        finally:
            with self._lock:
                self._cancels.pop(job_id, None)

    def _run_job(self, job_id: str) -> None:
        from ..jobs.pipeline import cover

        with self._lock:
            cancel = self._cancels.get(job_id)
        if cancel is None or cancel.is_set() or self._stopping.is_set():
            return
        if not self.store.update(job_id, "running", only_from=("queued", "running")):
            return  # canceled while queued
        job = self.store.get(job_id)
        assert job is not None
        if self._settle_from_journal(job) or self._closed_with_its_sandbox(job):
            return
        try:
            result = cover(job.song, dict(job.request), spec=self.spec,
                           output_dir=job.output_dir, journal=self.journal,
                           should_cancel=cancel.is_set)
        except MinimaxCoverError as exc:
            if isinstance(exc, Interrupted) and self._stopping.is_set():
                return  # the service stops: left running, collected at the next start
            task = getattr(exc, "task_uuid", None)
            self.store.update(job_id, status_of(exc), error=str(exc), task_uuid=task)
        else:
            self.store.update(job_id, "succeeded", task_uuid=result.task_uuid,
                              summary=summary_of(result, self.spec))
        self._notify(job_id)

    def _settle_from_journal(self, job: ServiceJob) -> bool:
        """A job the journal already saved (the service stopped before it said so): mark it
        ``succeeded`` from the journal's record instead of running it again."""
        record = self.journal.get(job.task_uuid)
        if record is None or record.status != "saved":
            return False
        from ..spec.task import CoverTask

        task = CoverTask(self.spec, record.request)
        items = [*record.results, *[{}] * len(record.files)]
        takes = [{"n": n, "path": path, "seed": items[n - 1].get("seed"),
                  "cost": items[n - 1].get("cost"), "format": task.output_format or "MP3"}
                 for n, path in enumerate(record.files, start=1)]
        summary: dict[str, Any] = {"taskUUID": record.task_uuid, "takes": takes,
                                   "seed": task.seed, "costTotal": record.cost,
                                   "sandbox": None, "resumed": True, "warnings": []}
        self.store.update(job.id, "succeeded", summary=summary)
        self._notify(job.id)
        return True

    def _closed_with_its_sandbox(self, job: ServiceJob) -> bool:
        """A job that ran on a local sandbox that has ended (a restart of a service started
        without a key): closed ``failed`` in the journal as every face does
        (:func:`~..jobs.ended_sandbox.close_if_sandbox_ended`; nothing was charged)."""
        from ..jobs.ended_sandbox import close_if_sandbox_ended

        record = self.journal.get(job.task_uuid) if job.task_uuid else None
        if record is None or record.status in ("saved", "failed", "pending"):
            return False
        reason = close_if_sandbox_ended(record, self.journal)
        if reason is None:
            return False
        self.store.update(job.id, "failed", error=f"not collected: {reason}",
                          task_uuid=record.task_uuid)
        self._notify(job.id)
        return True

    def _notify(self, job_id: str) -> None:
        job = self.store.get(job_id)
        if job is None or not job.callback_url or self.callbacks is None:
            return
        self.callbacks.send(job.callback_url, job_view(job))
