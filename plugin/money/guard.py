"""Built-in plugin ``spending_guard``: the spending caps, enforced before anything is paid for.

``prepare_request`` is a new-style wrapper marked ``tryfirst``, so it is the outermost wrapper
and sees the request after every other plugin changed it. It prices the request from the
spec's price table (``context.spec.price_per_result_usd`` x ``numberResults``) and refuses the
job with :class:`~..errors.SpendingCapError` when the price is above the per-job cap, or when
today's spending plus what is in flight plus this price is above the daily cap. The journal is
the ledger: the daily check and the hold of this job's price happen in one SQLite write
transaction (:meth:`~..journal.ledger.Ledger.hold`), so two processes cannot both slip under
the cap. Sandbox jobs are capped like real ones but counted apart (they cost nothing).

With a daily cap, each job's hold (its estimate, whether it runs on a sandbox) stays in the
ledger; ``on_job_done`` (a wrapper too) settles it with the reported cost, which matters for a
job run without the journal (the hold is then its only trace). Without a daily cap nothing is
written: the journal's own rows are the receipts.

The per-batch cap is read by the batch runner (:func:`~.caps.load_caps`), which knows the batch.
The example plugin ``examples/plugins/minimax-cover-budget`` is a smaller guard written the same
way: the reference for writing one of your own. Block this one with
``MINIMAX_COVER_BLOCK_PLUGINS=spending_guard``.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from datetime import date
from typing import TYPE_CHECKING, Any

from ..errors import SpendingCapError
from ..hooks.specs import hookimpl
from ..spec.task import CoverTask
from .caps import CAP_ENV, CONFIG_CAPS_KEY, Caps, load_caps
from .pricing import format_usd

if TYPE_CHECKING:
    from ..hooks.types import CoverResult, JobContext
    from ..journal.ledger import LedgerRow

__all__ = ["PLUGIN_NAME", "check_caps", "prepare_request"]

log = logging.getLogger("minimax_cover.money")

PLUGIN_NAME = "spending_guard"
#: ``context.extra`` keys this plugin writes.
ESTIMATE_KEY = "money.estimate_usd"
HOLD_KEY = "money.hold_journal"
_EPSILON = 1e-9


def _where(cap: str) -> str:
    return f"{CAP_ENV[cap]} or {CONFIG_CAPS_KEY}.{cap}_usd"


def _job_cap_error(caps: Caps, estimate: float, count: Any) -> SpendingCapError:
    return SpendingCapError(
        f"the job costs {format_usd(estimate)} ({count} result(s)), above the per-job cap of "
        f"{format_usd(caps.job_usd)} ({_where('job')}); nothing was sent",
        cap="job", estimate_usd=estimate, limit_usd=caps.job_usd)


def _day_check(caps: Caps, estimate: float, sandbox: bool, pending_usd: float = 0.0) -> Any:
    from .receipts import committed_usd  # with a daily cap only (datetime: a few ms)

    def check(rows: list[LedgerRow]) -> None:
        committed = round(committed_usd(rows, sandbox=sandbox) + pending_usd, 6)
        assert caps.day_usd is not None
        if committed + estimate > caps.day_usd + _EPSILON:
            kind = "sandbox " if sandbox else ""
            raise SpendingCapError(
                f"the job costs {format_usd(estimate)} but today's {kind}spending is already "
                f"{format_usd(committed)} (spent and in flight) of the daily cap of "
                f"{format_usd(caps.day_usd)} ({_where('day')}); nothing was sent (see "
                "`minimax-cover spend --since today`)",
                cap="day", estimate_usd=estimate, limit_usd=caps.day_usd,
                committed_usd=committed)
    return check


def check_caps(request: dict[str, Any], context: JobContext, *, hold: bool,
               pending_usd: float = 0.0, caps: Caps | None = None) -> float | None:
    """Price ``request`` and refuse it if it passes a cap; with ``hold``, record the hold.

    Without ``hold`` (the pipeline's early check, before the song is uploaded) the daily cap is
    only read; with it (``prepare_request``) the check and the hold are one transaction.
    ``pending_usd`` counts jobs about to run that the ledger may not hold yet (a batch's jobs
    in flight); ``caps`` the caps already loaded (default: read now).

    :returns: the estimate in USD, or ``None`` when the model has no price.
    :raises SpendingCapError: a cap would be passed; nothing was sent.
    """
    from .providers import job_estimate

    estimate = job_estimate(context, request)  # the price of the provider that runs it
    context.extra[ESTIMATE_KEY] = estimate
    caps = caps or load_caps()
    if estimate is None:
        if caps.any:
            log.warning("spending caps: %s has no price; the caps cannot be checked",
                        context.spec.model_id)
        return None
    if caps.job_usd is not None and estimate > caps.job_usd + _EPSILON:
        raise _job_cap_error(caps, estimate, CoverTask(context.spec, request).number_results)
    if caps.day_usd is None:
        if hold and context.sandbox and context.journal is not None:
            from ..journal.ledger import Ledger  # only the built-in sandbox's jobs are free

            Ledger(context.journal).note_sandbox(str(request["taskUUID"]), estimate)
        return estimate
    from ..journal.ledger import Ledger
    from ..journal.store import Journal
    from .receipts import day_window

    journal = context.journal
    owned = journal is None  # a daily cap needs the ledger even for a job not journaled
    journal = journal or Journal()
    try:
        since, until = day_window(date.today())
        check = _day_check(caps, estimate, context.sandbox, pending_usd)
        ledger = Ledger(journal)
        if hold:
            ledger.hold(str(request["taskUUID"]), estimate, sandbox=context.sandbox,
                        since=since, until=until, check=check)
            context.extra[HOLD_KEY] = str(journal.path)
        else:
            check(ledger.rows(since, until))
    finally:
        if owned:
            journal.close()
    return estimate


@hookimpl(wrapper=True, tryfirst=True)
def prepare_request(request: dict[str, Any], context: JobContext) -> Generator[None, Any, Any]:
    """Refuse the job when it passes a spending cap; hold its price in the ledger otherwise.

    The outermost wrapper: it runs after every other plugin changed the request.
    """
    result = yield
    check_caps(request, context, hold=True)
    return result


@hookimpl(wrapper=True)
def on_job_done(result: CoverResult, context: JobContext) -> Generator[None, Any, Any]:
    """Settle the job's hold with the cost the API reported (once the other sinks ran)."""
    outcome = yield
    from .reported import warn_if_insane

    warn_if_insane(getattr(result, "cost_total", None), context.extra.get(ESTIMATE_KEY),
                   f"task {getattr(result, 'task_uuid', '?')}")
    path = context.extra.get(HOLD_KEY)
    if path and result.cost_total is not None:
        from ..journal.ledger import Ledger
        from ..journal.store import Journal

        journal = context.journal
        owned = journal is None or str(journal.path) != path
        journal = Journal(path) if owned else journal
        try:
            Ledger(journal).settle(result.task_uuid, result.cost_total)
        finally:
            if owned:
                journal.close()
    return outcome
