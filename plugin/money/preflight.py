"""The money checks a job makes before its song is uploaded: balance first, then the caps.

:func:`preflight` runs after the job is claimed and before anything is staged, so a job the
account cannot pay, or that would pass a cap, is refused with nothing uploaded. The caps are
only read here; the built-in guard (:mod:`.guard`) checks them again, atomically with the hold
of the job's price, in ``prepare_request`` (blocking the guard turns both off).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .balance import require_balance
from .guard import PLUGIN_NAME, check_caps
from .pricing import Quote, quote_request

if TYPE_CHECKING:
    from ..hooks.types import JobContext

__all__ = ["dry_run_quote", "guard_active", "preflight"]


def guard_active(registry: Any) -> bool:
    """True when the built-in ``spending_guard`` plugin is registered (not blocked)."""
    pm = getattr(registry, "pm", None)
    get = getattr(pm, "get_plugin", None)
    return bool(get and get(PLUGIN_NAME) is not None)


def preflight(context: JobContext, request: dict[str, Any]) -> float | None:
    """Refuse the job before its song is uploaded when the balance or a cap says no.

    :returns: the price from the spec's price table (``None``: the model has no price).
    :raises InsufficientBalanceError: the account's balance is below the price.
    :raises SpendingCapError: the price would pass the per-job or the daily cap.
    """
    from .providers import job_estimate

    estimate = job_estimate(context, request)
    require_balance(context.backend, estimate, what="job")
    if guard_active(context.registry):
        check_caps(request, context, hold=False)
    return estimate


def dry_run_quote(context: JobContext, request: dict[str, Any]) -> Quote:
    """Validate and price ``request`` with the backend's dry run (nothing runs, nothing is
    charged), falling back to the spec's price table."""
    return quote_request(context.backend, context.spec, request)
