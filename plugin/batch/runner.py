"""The batch driver: check every row, plan it from the journal, run the jobs, write the receipt.

::

    check_rows (spec + reference-audio limits, every row, nothing sent)
      ->  one backend (one HTTP session) and one journal for the whole batch
      ->  plan_rows: skip saved jobs, resume submitted ones by taskUUID, name the outputs
      ->  --dry-run: price and stop
      ->  make_executor (hook)  ->  keep --concurrency jobs in flight, each submitted only if
          its estimate fits under --max-cost  ->  collect  ->  report + receipt in OUT_DIR
          (--compare: each saved row's page as it is collected, then an index in OUT_DIR)

Ctrl-C (when the batch runs in the main thread): the first stops submitting and lets the jobs
in flight finish; the second interrupts them too, leaving each resumable by its ``taskUUID``
(journaled before its submit). Running the same batch again finishes them without paying again.
"""

from __future__ import annotations

import logging
import pickle
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import MinimaxCoverError, UsageError
from ..hooks.types import Backend, JobContext
from ..money.reported import counted_cost, sane_cost
from ..presses import CtrlCPresses
from ..spec.model import ModelSpec
from .budget import Budget, CapCheck
from .checks import check_rows
from .manifest import ManifestRow
from .plan import PlannedRow, plan_rows, planned_files
from .report import BatchReport, RowReport, write_receipt
from .worker import JobOutcome, JobSpec, LocalRun, WorkerConfig, run_local, run_remote

__all__ = [
    "EXIT_BUDGET",
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_UNKNOWN",
    "BatchOptions",
    "BatchProgress",
    "BatchRunner",
]

log = logging.getLogger("minimax_cover.batch")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_UNKNOWN = 3
EXIT_BUDGET = 4
EXIT_INTERRUPTED = 130

_WAIT_SLICE_S = 0.25
_MAX_DISPATCHES = 3  # a remote job whose worker died is sent again (resumed) at most twice more
_NOT_PARAMETERS = ("taskUUID", "taskType")


@dataclass
class BatchOptions:
    """How a batch runs (the rows and the model are given separately)."""

    output_dir: Path
    concurrency: int = 4
    max_cost: float | None = None
    dry_run: bool = False
    skip_invalid: bool = False
    allow_silent: bool = False
    executor: str = "threads"
    executor_options: dict[str, Any] = field(default_factory=dict)
    backend: str | Backend | None = None
    backend_options: dict[str, Any] = field(default_factory=dict)
    journal: Any = None
    receipt_name: str | None = "batch"
    manifest: str | None = None
    resume_hint: str | None = None
    compare: bool = False
    compare_embed: bool = False


@dataclass
class BatchProgress:
    """A batch's progress, sent to ``on_progress`` at the start, after each row, at the end.

    ``phase`` is ``start``, ``row`` (``row`` is the finished one), ``stopping`` (Ctrl-C: no
    new submits), ``cancelling`` (second Ctrl-C: in-flight jobs interrupted) or ``end``.
    ``done`` counts rows finished (run, skipped, failed...), not rows Ctrl-C left unstarted.
    """

    phase: str
    done: int
    total: int
    failed: int = 0
    skipped: int = 0
    results: int = 0
    cost: float = 0.0
    in_flight: int = 0
    elapsed_s: float = 0.0
    row: RowReport | None = None
    #: Rows never started because of Ctrl-C (not counted in ``done``).
    stopped: int = 0


def _accepts(factory: Any, option: str) -> bool:
    """True when a backend factory takes the keyword ``option`` (asked of the backend, not
    decided by its name)."""
    import inspect

    if factory is None:
        return False
    try:
        return option in inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False


def _parameters(request: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in request.items() if k not in _NOT_PARAMETERS}
    inputs = {k: v for k, v in (out.get("inputs") or {}).items() if k != "audio"}
    if inputs:
        out["inputs"] = inputs
    else:
        out.pop("inputs", None)
    return out


class BatchRunner:
    """Runs one batch; build it and call :meth:`run` once."""

    def __init__(
        self,
        rows: list[ManifestRow],
        *,
        spec: ModelSpec,
        registry: Any,
        defaults: dict[str, Any],
        options: BatchOptions,
        on_progress: Callable[[BatchProgress], None] | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> None:
        if options.concurrency < 1:
            raise UsageError(f"--concurrency: must be at least 1 (got {options.concurrency})")
        if options.max_cost is None:  # the per-batch spending cap (config file, environment)
            from ..money.caps import load_caps

            options.max_cost = load_caps().batch_usd
        if options.max_cost is not None and options.max_cost < 0:
            raise UsageError(f"--max-cost: must be >= 0 (got {options.max_cost})")
        self.rows = rows
        self.spec = spec
        self.registry = registry
        self.defaults = defaults
        self.options = options
        self.on_progress = on_progress
        self.should_cancel = should_cancel
        self.out_dir = Path(options.output_dir)
        self._started = time.monotonic()
        self._reports: dict[int, RowReport] = {}
        self._sessions: list[Any] = []  # one per provider
        self._pool: Any = None  # a ProviderPool when rows fail over (two providers or more)
        self._owned: list[Any] = []
        self._sandbox_seen = False
        self._pages: Any = None  # a .pages.RowPages with --compare
        self._backend_label: str | None = None
        self._backend: Any = None
        self._ledgers: dict[int, Any] = {}  # row -> the driver's JobLedger of a remote job
        self._stopped: set[int] = set()  # rows never started because of Ctrl-C

    # ------------------------------------------------------------------ setup

    def _open_backend(self, first_request: dict[str, Any] | None) -> Backend:
        """The batch's backend: the one named, else the chosen one; with two providers or more
        (``MINIMAX_COVER_PROVIDERS``) and none named, a :class:`~..jobs.providers.ProviderPool`
        of one shared backend per provider (each row fails over on its own) whose first
        provider plans, prices and reports the batch (thread executor only)."""
        from ..jobs.providers import build_pool, first_provider

        opts = self.options
        if isinstance(opts.backend, Backend):
            return opts.backend
        name = opts.backend
        if not name:
            ctx = JobContext(spec=self.spec, registry=self.registry, output_dir=self.out_dir)
            name = self.registry.hook.choose_backend(request=first_request or {}, context=ctx)
        # Rows fail over in this process only: workers of another executor (Dask) build their
        # own backend, of the first provider, and do not fail over.
        pool = None if (opts.executor or "threads") != "threads" else build_pool(
            self.registry, name, explicit=bool(opts.backend),
            options_for=lambda member: self._backend_options(
                member, dict(opts.backend_options) if member == name else {}))
        if pool is not None:
            self._pool = pool
            self._owned.append(pool)
            return pool.primary  # type: ignore[no-any-return]
        first = first_provider(self.registry, name, explicit=bool(opts.backend))
        backend = self.registry.backend(first, **self._backend_options(
            first, dict(opts.backend_options) if first == name else {}))
        self._owned.append(backend)
        return backend

    def _backend_options(self, name: str, backend_options: dict[str, Any]) -> dict[str, Any]:
        """``backend_options`` with a shared session (one per provider) when ``name`` takes one."""
        if _accepts(self.registry.backends.get(name), "http_client") \
                and "http_client" not in backend_options and "client" not in backend_options:
            backend_options["http_client"] = self._shared_session()
        return backend_options

    def _shared_session(self) -> Any:
        """One session for every job, its pool as large as the batch's concurrency."""
        from ..transport.deadline import WatchedAdapter
        from ..transport.session import USER_AGENT, EnvironmentOnceSession

        session = EnvironmentOnceSession()  # the proxy environment read once, not per request
        size = max(10, self.options.concurrency + 4)
        adapter = WatchedAdapter(pool_connections=4, pool_maxsize=size)  # headers bounded too
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["User-Agent"] = USER_AGENT
        self._sessions.append(session)
        return session

    def _open_journal(self) -> Any:
        from ..jobs.job import open_journal

        journal = open_journal(self.options.journal)
        if journal is not None and journal is not self.options.journal:
            self._owned.append(journal)
        return journal

    def _executor(self) -> Any:
        opts = self.options
        executor = self.registry.hook.make_executor(
            name=opts.executor or "threads", concurrency=opts.concurrency,
            options=dict(opts.executor_options))
        if executor is None:
            raise UsageError(f"--executor: no plugin provides {opts.executor!r} "
                             "(built in: threads, dask)")
        return executor

    def close(self) -> None:
        """Close what the batch opened (backend, journal, session)."""
        for thing in reversed(self._owned):
            try:
                thing.close()
            except Exception:  # closing must not hide the batch's outcome
                log.debug("batch: closing %r failed", thing, exc_info=True)
        self._owned.clear()
        if self._pages is not None:
            self._pages.close()
        for session in self._sessions:
            session.close()
        self._sessions.clear()

    # ------------------------------------------------------------------ run

    def run(self) -> BatchReport:
        """Check, plan, run and report (see the module doc).

        :raises BatchValidationError: rows cannot run (without ``skip_invalid``); nothing sent.
        :raises UsageError: an unknown executor, or options that cannot work together.
        """
        checked = check_rows(self.rows, self.defaults, self.spec,
                             skip_invalid=self.options.skip_invalid,
                             allow_silent=self.options.allow_silent)
        try:
            first = next((c.request for c in checked if c.valid), None)
            backend = self._backend = self._open_backend(first)
            journal = self._open_journal()
            planned = plan_rows(checked, spec=self.spec, backend=backend, journal=journal,
                                output_dir=self.out_dir, providers=self._providers())
            report = self._new_report(backend)
            if self.options.compare and not self.options.dry_run:
                from .pages import RowPages

                self._pages = RowPages(self.out_dir, name=self.options.receipt_name,
                                       embed=self.options.compare_embed)
                self._backend_label = backend.label
                self._sandbox_seen = self._sandbox_seen or bool(backend.sandbox)
            budget = Budget(self.options.max_cost, self._prefill(planned))
            report.spent_before = budget.spent_before
            if self.options.dry_run:
                self._price(planned, budget, backend)
            elif any(p.action in ("run", "resume") for p in planned):
                self._check_balance(planned, backend)
                self._execute(planned, budget, backend, journal, report)
            # a backend may learn it talks to a sandbox from its answers
            report.sandbox = report.sandbox or bool(backend.sandbox) or self._sandbox_seen
            report.backend = backend.label
            return self._finish(planned, report)
        finally:
            self.close()

    def _providers(self) -> list[str] | None:
        """The providers a row may run on (failover), or ``None`` (one backend)."""
        return self._pool.names if self._pool is not None else None

    def _new_report(self, backend: Backend) -> BatchReport:
        opts = self.options
        return BatchReport(rows=[], output_dir=str(self.out_dir), dry_run=opts.dry_run,
                           sandbox=bool(backend.sandbox), backend=backend.label,
                           executor=opts.executor or "threads", concurrency=opts.concurrency,
                           max_cost=opts.max_cost, manifest=opts.manifest)

    def _base_report(self, p: PlannedRow, status: str, **extra: Any) -> RowReport:
        row = p.checked.row
        return RowReport(row=row.number, line=row.line, song=row.label, status=status,
                         identity=p.identity, estimate=p.estimate,
                         parameters=_parameters(p.checked.request) if p.checked.valid else {},
                         **extra)

    def _prefill(self, planned: list[PlannedRow]) -> float:
        """Reports of rows decided before running; returns what earlier runs spent on them."""
        spent = 0.0
        for p in planned:
            if p.action == "invalid":
                errors = "; ".join(f"{q.field}: {q.rule}" for q in p.checked.problems)
                self._reports[p.number] = self._base_report(p, "invalid", error=errors)
            elif p.action in ("skip", "resume") and p.previous is not None:
                prev = p.previous
                spent += counted_cost(prev.cost, p.estimate)
                if p.action == "skip":
                    files, missing = self._reuse_files(p, prev)
                    reason = (f"reused: paid {(prev.created_at or '')[:10]}, task "
                              f"{prev.task_uuid} (saved earlier; nothing sent)") + (
                        f"; files moved or deleted: {', '.join(missing)}" if missing else "")
                    self._reports[p.number] = self._base_report(
                        p, "skipped", task_uuid=prev.task_uuid, files=files,
                        seeds=[r.get("seed") for r in prev.results], cost=prev.cost,
                        reason=reason)
        return spent

    def _reuse_files(self, p: PlannedRow, prev: Any) -> tuple[list[str], list[str]]:
        """A saved row's takes in this batch's folder: copied there when they are elsewhere
        (real files; a name another file holds gets the row's identity), downloaded again from
        their result URL when moved or deleted. Returns the files and those still missing."""
        missing = [f for f in prev.files if not Path(f).is_file()]
        if self.options.dry_run:
            return list(prev.files), missing
        from ..jobs.outputs import same_content
        from ..jobs.reuse import copy_take, fetch_again
        from ..spec.task import CoverTask

        out: list[str] = []
        still: list[str] = []
        for index, name in enumerate(prev.files):
            src = Path(name)
            dest = self.out_dir / src.name
            if src.is_file() and src.parent.resolve() == self.out_dir.resolve():
                out.append(name)
                continue
            if dest.exists() and not (src.is_file() and same_content(src, dest)):
                dest = self.out_dir / f"{src.stem}-{(p.identity or '')[:8]}{src.suffix}"
            try:
                self.out_dir.mkdir(parents=True, exist_ok=True)
                if src.is_file():
                    out.append(str(copy_take(src, dest)))
                else:
                    item = prev.results[index] if index < len(prev.results) else {}
                    fmt = CoverTask(self.spec, prev.request).output_format
                    out.append(str(fetch_again(self._backend, prev, item, dest, fmt, name)))
            except (OSError, MinimaxCoverError) as exc:
                log.warning("batch: row %d: %s", p.number, exc)
                out.append(name)
                still.append(name)
        return out, still

    def _price(self, planned: list[PlannedRow], budget: Budget, backend: Backend) -> None:
        """``--dry-run``: what each row would do and cost; nothing runs or is paid.

        A backend with ``price(request)`` (Runware: ``X-Runware-Dry-Run: 1``) prices each
        distinct set of parameters once; where it cannot, the spec's list price stands.
        """
        prices: dict[str, tuple[float | None, str]] = {}
        for p in planned:
            if p.action == "resume":
                self._reports[p.number] = self._base_report(
                    p, "would-resume", task_uuid=p.previous.task_uuid if p.previous else None,
                    reason="submitted earlier; collected by taskUUID, not paid again",
                    would_write=planned_files(p, self.spec, self.out_dir))
            elif p.action == "run":
                p.estimate, source = self._dry_run_price(backend, p, prices)
                if budget.fits(p.estimate):
                    budget.settle(budget.reserve(p.estimate), None)
                    self._reports[p.number] = self._base_report(
                        p, "would-run", reason=source,
                        would_write=planned_files(p, self.spec, self.out_dir))
                else:
                    self._reports[p.number] = self._base_report(
                        p, "not-run", reason=self._over_cap(budget, p))

    def _dry_run_price(self, backend: Backend, p: PlannedRow,
                       prices: dict[Any, tuple[float | None, str]]) -> tuple[float | None, str]:
        from ..money.pricing import price_key

        listed = (p.estimate, "list price (spec)")
        price = getattr(backend, "price", None)
        if not callable(price):
            return listed
        key = price_key(self.spec, p.checked.request)  # one dry run per distinct price
        if key not in prices:
            try:
                quoted = price(p.checked.request)
            except MinimaxCoverError as exc:
                log.info("batch: dry-run price unavailable (%s); using the list price", exc)
                quoted = None
            if quoted is not None and sane_cost(quoted) is None:
                log.warning("batch: the dry run answered a price of %r, not a price; using "
                            "the list price", quoted)
                quoted = None
            prices[key] = (quoted, "X-Runware-Dry-Run") if quoted is not None else listed
        return prices[key]

    @staticmethod
    def _over_cap(budget: Budget, p: PlannedRow) -> str:
        return (f"--max-cost {budget.cap:g}: ${budget.committed:.2f} committed, this row "
                f"${p.estimate or 0:.2f}")

    # ------------------------------------------------------------------ execution

    def _check_balance(self, planned: list[PlannedRow], backend: Backend) -> None:
        """Once for the whole batch (jobs skip their own check): can the account pay for
        every row to run (within ``--max-cost``)? Refused before anything is sent."""
        from ..money.balance import require_balance

        total = sum(p.estimate or 0.0 for p in planned if p.action == "run")
        if self.options.max_cost is not None:
            total = min(total, self.options.max_cost)
        require_balance(backend, round(total, 6), what="batch")

    def _execute(self, planned: list[PlannedRow], budget: Budget, backend: Backend,
                 journal: Any, report: BatchReport) -> None:
        self._check_remote_reach(backend)  # before a cluster is started or connected to
        executor = self._executor()
        report.executor = getattr(executor, "name", self.options.executor)
        local = LocalRun(spec=self.spec, registry=self.registry, backend=backend,
                         journal=journal, pool=self._pool)
        config = self._worker_config(executor, backend) if executor.remote else None
        queue = deque(p for p in planned if p.action in ("run", "resume"))
        caps = CapCheck(spec=self.spec, registry=self.registry, backend=backend,
                        journal=journal, output_dir=self.out_dir)
        inflight: dict[Future[Any], tuple[PlannedRow, JobSpec, float, int]] = {}
        cancelled = stopping = False
        self._emit("start", len(inflight))
        try:
            with CtrlCPresses() as interrupts:  # 1: stop submitting; 2: stop waiting
                while queue or inflight:
                    stop = interrupts.presses > 0 or bool(self.should_cancel and
                                                            self.should_cancel())
                    if stop and not stopping:  # said once, even with every row in flight
                        stopping = True
                        self._not_run(queue, "stopped before its turn (Ctrl-C)")
                        self._emit("stopping", len(inflight))
                    if (interrupts.presses > 1 or (stop and self.should_cancel)) \
                            and not cancelled:
                        cancelled = True
                        local.cancel.set()
                        self._emit("cancelling", len(inflight))
                    while queue and len(inflight) < self.options.concurrency:
                        p = queue[0]
                        refusal = None if p.action != "run" else (
                            self._over_cap(budget, p) if not budget.fits(p.estimate)
                            else caps.refusal(p.checked.request, budget.reserved))
                        if refusal is not None:
                            if inflight and getattr(refusal, "cap", "day") != "job":
                                break  # in-flight jobs may cost less than estimated
                            queue.popleft()  # refused before anything of it is uploaded
                            self._reports[p.number] = self._base_report(
                                p, "not-run", reason=str(refusal))
                            self._emit("row", 0, self._reports[p.number])
                            continue
                        queue.popleft()
                        reserved = budget.reserve(p.estimate) if p.action == "run" else 0.0
                        job = self._job_spec(p, remote=config is not None)
                        future = self._dispatch(executor, local, config, journal, backend, job,
                                                p)
                        inflight[future] = (p, job, reserved, 1)
                    if not inflight:
                        continue
                    done, _ = wait(list(inflight), timeout=_WAIT_SLICE_S,
                                   return_when=FIRST_COMPLETED)
                    for future in done:
                        p, job, reserved, attempt = inflight.pop(future)
                        outcome = self._outcome(future, job, attempt)
                        if outcome is None:  # a remote worker died: send it again (resumed)
                            retry = self._dispatch(executor, local, config, journal, backend,
                                                   job)
                            inflight[retry] = (p, job, reserved, attempt + 1)
                            continue
                        self._collect(p, job, outcome, reserved, budget, journal, executor)
                        self._emit("row", len(inflight), self._reports[p.number])
            if interrupts.presses or stopping:  # 130 only when something was left over
                report.interrupted = bool(self._stopped) or any(
                    r.status == "interrupted" for r in self._reports.values())
        finally:
            executor.shutdown(cancel=True)

    def _not_run(self, queue: deque[PlannedRow], reason: str) -> None:
        while queue:
            p = queue.popleft()
            self._stopped.add(p.number)
            status = "not-run"
            extra: dict[str, Any] = {}
            if p.action == "resume" and p.previous is not None:
                extra["task_uuid"] = p.previous.task_uuid
                reason_text = f"{reason}; submitted earlier, resumable by taskUUID"
            else:
                reason_text = reason
            self._reports[p.number] = self._base_report(p, status, reason=reason_text, **extra)

    def _job_spec(self, p: PlannedRow, *, remote: bool = False) -> JobSpec:
        """What runs the row: local jobs give the row's request (their ledger finds an earlier
        run's row by the job's identity, and its seed and taskUUID); remote ones a journaled
        task to collect, or a request the driver's ledger plans before dispatch."""
        c = p.checked
        if remote and p.action == "resume" and p.previous is not None:
            return JobSpec(row=p.number, source=c.source, request=dict(p.previous.request),
                           stem=p.stem or "cover", output_dir=str(self.out_dir), resume=True,
                           identity=p.identity)
        return JobSpec(row=p.number, source=c.source, request=dict(c.request),
                       stem=p.stem or "cover", output_dir=str(self.out_dir),
                       identity=p.identity)

    def _check_remote_reach(self, backend: Backend) -> None:
        """Workers of a scheduler elsewhere (``address``) cannot reach this process's sandbox:
        refuse before anything starts."""
        if getattr(backend, "local_sandbox", None) and self.options.executor_options.get(
                "address"):
            raise UsageError(
                f"--executor {self.options.executor}: workers of a remote scheduler need "
                "RUNWARE_API_KEY (or RUNWARE_API_URL of a sandbox they can reach, started with "
                "`minimax-cover sandbox`); the local sandbox of this run is on 127.0.0.1")

    def _worker_config(self, executor: Any, backend: Backend) -> WorkerConfig:
        from ..config import resolve_api_key
        from ..constants import API_URL_ENV

        opts = dict(self.options.backend_options)
        for name in ("client", "http_client", "sandbox_options"):
            opts.pop(name, None)
        if not getattr(executor, "local_workers", False):
            opts.pop("api_key", None)  # remote workers read their own RUNWARE_API_KEY
        name = backend.name
        shared = getattr(backend, "local_sandbox", None)
        if shared and getattr(executor, "local_workers", False):
            # No key: local workers use this run's sandbox over loopback (X-Sandbox: free).
            opts["base_url"], opts["api_key"] = shared
        import os

        if backend.sandbox and not (opts.get("base_url") or os.environ.get(API_URL_ENV)
                                    or opts.get("api_key") or resolve_api_key()):
            raise UsageError(
                f"--executor {self.options.executor}: workers need RUNWARE_API_KEY (or "
                "RUNWARE_API_URL of a sandbox started with `minimax-cover sandbox`); the "
                "in-process sandbox cannot be shared with them")
        if _accepts(self.registry.backends.get(name), "base_url"):
            opts.setdefault("base_url", backend.endpoint)
        try:
            pickle.dumps(opts)
        except Exception as exc:
            raise UsageError(f"backend options cannot be sent to workers: {exc}") from None
        return WorkerConfig(backend=name, backend_options=tuple(sorted(opts.items())),
                            model=self.spec.model_id,
                            guard=getattr(executor, "submit_guard", None))

    def _dispatch(self, executor: Any, local: LocalRun, config: WorkerConfig | None,
                  journal: Any, backend: Backend, job: JobSpec,
                  p: PlannedRow | None = None) -> Future[Any]:
        if config is None:
            return executor.submit(run_local, local, job)
        if p is not None and not job.resume and job.row not in self._ledgers:
            try:
                self._plan_remote(journal, backend, job, p)
            except MinimaxCoverError as exc:  # e.g. another process runs the same job
                done: Future[Any] = Future()
                outcome = JobOutcome.from_error(job.row, exc, None)
                outcome.submitted = False
                done.set_result(outcome)
                return done
        return executor.submit(run_remote, config, job)

    def _plan_remote(self, journal: Any, backend: Backend, job: JobSpec, p: PlannedRow) -> None:
        """The driver keeps the journal for remote workers: the ledger plans the job (its
        seed, identity, taskUUID) and records it as possibly sent before it is dispatched."""
        from ..jobs.ledger import JobLedger
        from ..spec.task import CoverTask

        ledger = JobLedger(journal, backend, CoverTask(self.spec, job.request))
        plan = ledger.plan(p.checked.fingerprint)
        job.request = ledger.task.request
        if plan.action == "resume":
            job.resume = True
        else:
            ledger.submitting(song=str(p.checked.source), output_dir=job.output_dir,
                              output_stem=job.stem)
            if backend.sandbox and journal is not None:  # free: workers have no journal
                from ..journal.ledger import Ledger

                Ledger(journal).note_sandbox(ledger.task_uuid, p.estimate or 0.0)
        self._ledgers[job.row] = ledger

    def _outcome(self, future: Future[Any], job: JobSpec, attempt: int) -> JobOutcome | None:
        try:
            outcome = future.result()
        except Exception as exc:  # the executor lost the job (worker died, cancelled...)
            if attempt < _MAX_DISPATCHES and not isinstance(exc, MinimaxCoverError):
                log.warning("batch: row %d: %s: %s; sending it again (resumed by taskUUID if "
                            "it was submitted)", job.row, type(exc).__name__, exc)
                return None
            outcome = JobOutcome.from_error(job.row, exc, job.task_uuid)
            outcome.status = "interrupted"
        return outcome

    def _collect(self, p: PlannedRow, job: JobSpec, outcome: JobOutcome, reserved: float,
                 budget: Budget, journal: Any, executor: Any) -> None:
        submitted = outcome.submitted
        self._sandbox_seen = self._sandbox_seen or outcome.sandbox
        if outcome.status in ("failed", "interrupted") and journal is not None \
                and not executor.remote:
            record = journal.get(outcome.task_uuid) if outcome.task_uuid else None
            submitted = record is not None and record.status != "pending"
        if executor.remote and journal is not None:
            self._journal_remote(journal, job, outcome, self._backend)
        if p.action == "run":
            budget.settle(reserved, outcome.cost, sent=submitted or outcome.cost is not None)
        status = outcome.status
        reason = None
        if status == "interrupted" and not submitted and p.action == "run":
            status, reason = "not-run", outcome.error or "stopped before it was submitted"
        elif status == "interrupted":
            reason = "left resumable by taskUUID: run the batch again to collect it"
        provider = outcome.provider if status != "not-run" else None
        self._reports[p.number] = self._base_report(
            p, status, task_uuid=outcome.task_uuid if submitted or p.action == "resume"
            else None, files=outcome.files, seeds=outcome.seeds, cost=outcome.cost,
            error=outcome.error if status not in ("saved", "resumed") else None, reason=reason,
            provider=provider)
        if provider and self._pool is not None and p.checked.valid:  # its provider's price
            from ..money.providers import provider_estimate

            self._reports[p.number].estimate = provider_estimate(provider, p.checked.request,
                                                                 self.spec)
        self._write_page(p)

    def _write_page(self, p: PlannedRow) -> None:
        """``--compare``: the row's audition page next to its takes (if it has takes here)."""
        if self._pages is not None:
            self._pages.queue_row(self._reports[p.number], p.checked.source,
                                  sandbox=self._sandbox_seen, backend=self._backend_label)

    def _journal_remote(self, journal: Any, job: JobSpec, outcome: JobOutcome,
                        backend: Backend) -> None:
        """The driver's ledger journals what a remote worker did (workers have no journal)."""
        from ..jobs.ledger import JobLedger
        from ..spec.task import CoverTask

        ledger = self._ledgers.pop(job.row, None) or JobLedger(
            journal, backend, CoverTask(self.spec, job.request))
        try:
            ledger.settle(outcome.status, items=outcome.items, files=outcome.files,
                          cost=outcome.cost, error=outcome.error)
        finally:
            ledger.release()

    # ------------------------------------------------------------------ report

    def _emit(self, phase: str, in_flight: int, row: RowReport | None = None) -> None:
        if self.on_progress is None:
            return
        reports = list(self._reports.values())
        event = BatchProgress(
            phase=phase, done=len(reports) - len(self._stopped), total=len(self.rows),
            stopped=len(self._stopped),
            failed=sum(1 for r in reports if r.status in ("failed", "unknown")),
            skipped=sum(1 for r in reports if r.status in ("skipped", "duplicate")),
            results=sum(len(r.files) for r in reports if r.status in ("saved", "resumed")),
            cost=round(sum(r.counted for r in reports), 6),
            in_flight=in_flight, elapsed_s=time.monotonic() - self._started, row=row)
        try:
            self.on_progress(event)
        except Exception:  # a broken progress callback never stops a paid batch
            log.warning("batch: on_progress failed", exc_info=True)

    def _finish(self, planned: list[PlannedRow], report: BatchReport) -> BatchReport:
        for p in planned:
            if p.action == "duplicate" and p.duplicate_of is not None:
                first = self._reports.get(p.duplicate_of)
                self._reports[p.number] = self._base_report(
                    p, "duplicate", task_uuid=first.task_uuid if first else None,
                    files=list(first.files) if first else [],
                    seeds=list(first.seeds) if first else [],
                    reason=f"same song and parameters as row {p.duplicate_of}")
        if self._pages is not None:
            self._sandbox_seen = self._sandbox_seen or report.sandbox
            for p in planned:  # rows saved by an earlier run get their page too
                if p.action == "skip":
                    self._write_page(p)
        report.rows = [self._reports[p.number] for p in planned]
        report.elapsed_s = time.monotonic() - self._started
        report.exit_code = exit_code(report)
        if report.interrupted or any(r.status in ("interrupted", "unknown")
                                     for r in report.rows):
            report.resume_hint = self.options.resume_hint
        if self._pages is not None:
            self._pages.wait()
            for p in planned:  # a duplicate row shares its first row's page
                first = self._reports.get(p.duplicate_of) if p.duplicate_of else None
                if p.action == "duplicate" and first is not None:
                    self._reports[p.number].page = first.page
            self._pages.finish(report)
        if not report.dry_run and self.options.receipt_name:
            write_receipt(report, self.out_dir, self.options.receipt_name)
        self._emit("end", 0)
        return report


def exit_code(report: BatchReport) -> int:
    """130 interrupted, else 1 a row failed, 3 an outcome unknown, 4 a row over --max-cost."""
    statuses = {r.status for r in report.rows}
    if report.interrupted:
        return EXIT_INTERRUPTED
    if "failed" in statuses:
        return EXIT_FAILURE
    if "unknown" in statuses or "interrupted" in statuses:
        return EXIT_UNKNOWN
    if "not-run" in statuses:
        return EXIT_BUDGET
    return EXIT_OK
