"""The one owner of a job's life in the journal: every status change of a job goes through here.

::

    planned    (``pending``)    plan(): seed chosen (or taken again), identity, taskUUID, claim
    submitted  (``submitted``)  submitting(): durably, right before the request is sent;
                                submitted(ticket): the submit's answer (moved(): failover
                                to another provider before acceptance); not_sent(): stopped
                                before acceptance, back to planned;
                                resuming(): an earlier run sent it, collected by taskUUID
    collected  (``succeeded``)  collected(): a result reported (and its file, once written)
    saved      (``saved``)      saved(): every file written; the lease ends
    failed / unknown            failed(), unknown(); left resumable: interrupted(), paid_unsaved()

A job's identity is its song's content and normalized parameters on one service, *including
the seed*: a seed the user gave, or one the client chooses before the identity is computed.
A job whose seed the client chooses is also known by its identity without the seed (the
``seedless`` key): :meth:`JobLedger.plan` claims it by that key, so a rerun of the same command
after a crash finds the row an earlier run planned or submitted and takes its seed and
``taskUUID`` again (collecting it, never paying twice) instead of drawing a new seed.

:class:`~.job.CoverJob` (``cover``, batch threads, nodes) and the batch driver for remote
workers (:mod:`..batch.runner`) write statuses only through a :class:`JobLedger`. The mapping
of lifecycle names to the statuses users see (``minimax-cover jobs``, ``--json``) is
:data:`LIFECYCLE`.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import JobBusyError, MinimaxCoverError
from ..spec.task import CoverTask
from .identity import job_identity, service_of
from .seeds import choose_seed, seed_range

if TYPE_CHECKING:
    from ..hooks.types import Backend
    from ..journal.store import JobRecord, Journal
    from ..results import Ticket

__all__ = ["LIFECYCLE", "JobLedger", "Plan", "uncollectable"]

log = logging.getLogger("minimax_cover.ledger")

#: Lifecycle step -> the journal statuses it shows as (``jobs``, ``--json``, README).
LIFECYCLE: dict[str, tuple[str, ...]] = {
    "planned": ("pending",),
    "submitted": ("submitted", "running"),
    "collected": ("succeeded",),
    "saved": ("saved",),
    "failed": ("failed",),
    "unknown": ("unknown",),
}


@dataclass(frozen=True)
class Plan:
    """What :meth:`JobLedger.plan` decided: ``run`` (submit), ``resume`` (collect ``record``)."""

    action: str
    record: JobRecord | None = None
    note: str | None = None


class JobLedger:
    """The journal transitions of one job (a no-op recorder when ``journal`` is ``None``).

    :param journal: the task journal, or ``None`` (nothing is written; seeds are still chosen).
    :param backend: the backend the job runs on (its name, endpoint and service).
    :param task: the job's task (its request is updated in place: seed, taskUUID).
    """

    def __init__(self, journal: Journal | None, backend: Backend, task: CoverTask) -> None:
        self.journal = journal
        self.backend = backend
        self.task = task
        self.digest: str | None = None
        self.seedless: str | None = None
        self.owner: str | None = None
        self._submitted = False

    @property
    def task_uuid(self) -> str:
        """The job's ``taskUUID``."""
        return self.task.task_uuid

    # ------------------------------------------------------------------ identity

    def identify(self, fingerprint: str, *, seed_given: bool) -> str:
        """Compute the job's identity (and, for a client-chosen seed, its seedless key)."""
        service = service_of(self.backend)
        self.seedless = (None if seed_given
                         else job_identity(self.task.without_seed(), fingerprint, service))
        self.digest = job_identity(self.task.request, fingerprint, service)
        return self.digest

    def choose_seed(self) -> bool:
        """Give the task a seed in the range the model accepts when it has none (True if so)."""
        spec = self.task.spec
        if self.task.seed is not None or seed_range(spec) is None:
            return False
        self.task.set_seed(choose_seed(spec, self.task.number_results))
        return True

    def find_saved(self) -> JobRecord | None:
        """A saved job with exactly this identity (same seed), to reuse instead of paying."""
        if self.journal is None or self.digest is None:
            return None
        return self.journal.find_saved(self.digest)

    # ------------------------------------------------------------------ planned

    def plan(self, fingerprint: str, *, resume: bool = True) -> Plan:
        """Choose the seed, compute the identity and claim the job atomically (planned).

        :param resume: ``False`` submits anew whatever the journal holds (nothing claimed).
        :returns: ``run`` (submit under the task's ``taskUUID``, which may be an earlier
            planned row's) or ``resume`` (the row was sent: collect it, never submit).
        :raises JobBusyError: another live process is running the same job; nothing was sent.
        """
        seed_given = self.task.seed is not None
        self.choose_seed()
        note = self._renew_used_task_uuid()
        self.identify(fingerprint, seed_given=seed_given)
        if self.journal is None or not resume:
            if note:
                log.warning("%s", note)
            return Plan("run", note=note)
        from ..journal.store import default_owner

        owner = default_owner()
        claim = self.journal.claim_job(
            self.digest or "", self.task_uuid, self.task.request, backend=self.backend.name,
            endpoint=self.backend.endpoint, number_results=self.task.number_results,
            owner=owner, seedless=self.seedless, also=_failover_endpoints(self.backend))
        record = claim.record
        if claim.action == "busy":
            raise JobBusyError(
                f"the same job (song and parameters) is being run by another process "
                f"({record.lease_owner}) as task {record.task_uuid}; nothing was sent: run "
                "again once it is done (`minimax-cover jobs`)",
                task_uuid=record.task_uuid, owner=record.lease_owner)
        self.owner = owner
        if claim.action == "resume":
            self.task.request.clear()
            self.task.request.update(dict(record.request))
            self.digest = record.request_digest
            if note:  # the reused taskUUID's job is resumed, not given a new one
                note = (note.rsplit("; ", 1)[0] + f"; resuming the identical unfinished job, "
                        f"task {record.task_uuid} (not sent again)")
                log.warning("%s", note)
            return Plan("resume", record, note)
        if record.task_uuid != self.task_uuid:  # an earlier run's planned row, never sent
            self.task.request["taskUUID"] = record.task_uuid
            earlier = CoverTask(self.task.spec, record.request).seed
            if not seed_given and earlier is not None:
                self.task.set_seed(earlier)
                self.identify(fingerprint, seed_given=False)
        elif note:
            log.warning("%s", note)
            return Plan("run", record, note)
        return Plan("run", record)

    def _renew_used_task_uuid(self) -> str | None:
        """A new ``taskUUID`` if the journal has seen the request's one (a request file
        reused as it is); the note says so (warned only when the job is submitted)."""
        if self.journal is None or not self.task_uuid:
            return None
        given = self.task_uuid
        seen = self.journal.get(given)
        if seen is None:
            return None
        self.task.request["taskUUID"] = str(uuid.uuid4())
        return (f"taskUUID {given} of the request was already used (journal: {seen.status}); "
                f"this job gets a new taskUUID {self.task_uuid}")

    # ------------------------------------------------------------------ submitted

    def submitting(self, *, song: str | None, output_dir: str | os.PathLike[str] | None,
                   output_stem: str | None) -> None:
        """Journal the request as sent (``submitted``, durably), right before it is sent,
        with its identity and output plan."""
        if self.journal is not None:
            self.journal.record(
                self.task_uuid, self.task.request, backend=self.backend.name,
                endpoint=self.backend.endpoint, digest=self.digest,
                number_results=self.task.number_results, status="submitted", song=song,
                output_dir=os.path.abspath(output_dir) if output_dir else None,
                output_stem=output_stem, seedless=self.seedless)
        self._submitted = True

    def submitted(self, ticket: Ticket) -> None:
        """The submit returned ``ticket``: the row (journaled ``submitted`` right before the
        send) stays as it is; an unknown outcome (``accepted=False``) is looked up by
        ``taskUUID`` when collected, never sent again."""
        if not ticket.accepted:
            log.warning("task %s: the submit's outcome is unknown; collecting it looks it up",
                        self.task_uuid)
        self._submitted = True

    def not_sent(self, error: str) -> None:
        """Stopped before the provider accepted the task (a Ctrl-C before or while the submit
        waited to retry): back to ``pending``, so the same command submits it under the same
        ``taskUUID``."""
        self._mark("pending", error)

    def moved(self) -> None:
        """The job moved to another provider before it was accepted (failover): the row names
        the backend and endpoint now running it (so ``resume`` and ``jobs`` ask that one)."""
        if self.journal is not None and self.task_uuid:
            from ..journal.moves import move_job

            move_job(self.journal, self.task_uuid, backend=self.backend.name,
                     endpoint=self.backend.endpoint)

    def resuming(self) -> None:
        """An earlier run sent the task: it is collected by ``taskUUID`` (an attempt)."""
        self._mark("submitted")
        self._submitted = True

    # ------------------------------------------------------------------ collected

    def collected(self, item: dict[str, Any], path: str | os.PathLike[str] | None) -> None:
        """A paid result (and the file saved for it, if any), in one transaction."""
        if self.journal is not None:
            self.journal.add_results(self.task_uuid, [item], cost=None,
                                     files=[os.fspath(path)] if path else (),
                                     status="succeeded")

    def collected_many(self, items: list[dict[str, Any]], files: Iterable[str],
                       cost: float | None) -> None:
        """Results a remote worker collected and saved (the driver journals them)."""
        if self.journal is not None and (items or files):
            self.journal.add_results(self.task_uuid, items, cost=cost, files=list(files),
                                     status="succeeded")

    # ------------------------------------------------------------------ final

    def saved(self, cost: float | None) -> None:
        """Every file is written: ``saved``, the total cost, the lease ended."""
        if self.journal is not None:
            self.journal.finish(self.task_uuid, cost=cost, owner=self.owner)
        self.owner = None

    def failed(self, error: str) -> None:
        """The task failed (final)."""
        self._mark("failed", error)

    def unknown(self, error: str) -> None:
        """Whether the task runs is unknown: every rerun looks it up by ``taskUUID``."""
        self._mark("unknown", error)

    def interrupted(self, error: str) -> None:
        """Stopped while waiting: left ``submitted``, resumable by ``taskUUID``."""
        self._mark("submitted", error)

    def paid_unsaved(self, error: str) -> None:
        """A result was reported (paid) but not every file is saved: left resumable."""
        self._mark("running", error)

    def settle(self, status: str, *, items: list[dict[str, Any]], files: list[str],
               cost: float | None, error: str | None) -> None:
        """Journal what a remote worker did with the task (workers have no journal)."""
        if self.journal is None or self.journal.get(self.task_uuid) is None:
            return
        self.collected_many(items, files, cost)
        if status in ("saved", "resumed"):
            self.saved(cost)
        elif status == "failed":
            self.failed(error or "failed")
        elif status == "unknown":
            self.unknown(error or "outcome unknown")

    def release(self) -> None:
        """End this job's lease (a kept row stays resumable by others); never raises."""
        if self.owner is not None and self.journal is not None:
            try:
                self.journal.release(self.task_uuid, self.owner)
            except MinimaxCoverError as exc:  # never hide the job's own outcome
                log.warning("journal: could not release task %s: %s", self.task_uuid, exc)
        self.owner = None

    def _mark(self, status: str, error: str | None = None) -> None:
        if self.journal is not None:
            self.journal.mark(self.task_uuid, status, error=error)


def _failover_endpoints(backend: Backend) -> tuple[str, ...]:
    """The endpoints of every provider a failover backend may move the job to (else none)."""
    from .providers import FailoverBackend

    return tuple(backend.endpoints) if isinstance(backend, FailoverBackend) else ()


def uncollectable(journal: Journal, task_uuid: str, reason: str) -> None:
    """A journaled job that can never be collected (it ran on a local sandbox that has ended:
    nothing was charged): ``failed``, with the reason."""
    journal.mark(task_uuid, "failed", error=reason)
