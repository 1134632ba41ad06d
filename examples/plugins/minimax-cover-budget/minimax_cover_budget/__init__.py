"""minimax-cover-budget: a spending guard for minimax-cover (an example third-party plugin).

minimax-cover enforces spending caps itself (the built-in ``spending_guard``: per job, per
batch, per day, with the journal as the ledger). This plugin is the reference for writing a
guard of your own, with the same hooks the built-in one uses:

- ``prepare_request`` (a wrapper, so it sees the request after every other plugin changed
  it): estimated cost = ``numberResults`` x the model's price per result, read from the spec
  (``context.spec.price_per_result_usd``, the one price table; ``context.spec
  .estimated_cost_usd(request)`` does the multiplication). Above ``MINIMAX_COVER_BUDGET_USD``
  the job is refused with :class:`BudgetExceededError` before anything is sent or paid for.
- ``on_job_done`` (a wrapper too, so it writes after every other ``on_job_done``
  implementation ran): appends the job's cost (reported, else estimated; 0 for sandbox runs),
  the estimate and the tags other plugins put in ``context.extra["budget.tags"]`` to
  ``budget-ledger.jsonl`` in minimax-cover's user data dir.

Environment: ``MINIMAX_COVER_BUDGET_USD`` (no limit when unset), ``MINIMAX_COVER_BUDGET_PRICE_USD``
(overrides the spec's price per result; for a model without one the default is 0.15, Runware's
listed price per cover).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

from minimax_cover import hookimpl
from minimax_cover.plugin.errors import SpecValidationError, Violation
from minimax_cover.plugin.paths import user_data_dir

__all__ = ["BudgetExceededError", "estimate_usd", "ledger_path", "limit_usd", "price_usd"]

__version__ = "0.1.0"

BUDGET_ENV = "MINIMAX_COVER_BUDGET_USD"
PRICE_ENV = "MINIMAX_COVER_BUDGET_PRICE_USD"
DEFAULT_PRICE_USD = 0.15


class BudgetExceededError(SpecValidationError):
    """The job's estimated cost is above ``MINIMAX_COVER_BUDGET_USD``; nothing was sent."""


def _env_float(name: str, default: float | None) -> float | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SpecValidationError([Violation(name, "must be a number of US dollars", raw)]) \
            from None
    if value < 0:
        raise SpecValidationError([Violation(name, "must be 0 or more", raw)])
    return value


def price_usd(spec: Any = None) -> float:
    """Price per generated result in USD: ``MINIMAX_COVER_BUDGET_PRICE_USD`` when set, else the
    spec's ``price_per_result_usd`` (the model's price table), else 0.15."""
    override = _env_float(PRICE_ENV, None)
    if override is not None:
        return override
    listed = getattr(spec, "price_per_result_usd", None)
    return float(listed) if listed is not None else DEFAULT_PRICE_USD


def limit_usd() -> float | None:
    """The per-job limit in USD (``MINIMAX_COVER_BUDGET_USD``), or ``None`` for no limit."""
    return _env_float(BUDGET_ENV, None)


def estimate_usd(request: dict[str, Any], spec: Any = None) -> float:
    """Estimated cost of ``request``: ``numberResults`` x :func:`price_usd` of ``spec``."""
    return round(int(request.get("numberResults", 1)) * price_usd(spec), 6)


def ledger_path() -> Path:
    """Where job costs are appended (JSON lines), in minimax-cover's user data dir."""
    return user_data_dir() / "budget-ledger.jsonl"


@hookimpl(wrapper=True)
def prepare_request(request: dict[str, Any], context: Any) -> Generator[None, Any, Any]:
    """Refuse the job when its estimated cost exceeds the budget (after other plugins ran)."""
    result = yield
    limit = limit_usd()
    estimate = estimate_usd(request, context.spec)
    context.extra["budget.estimate_usd"] = estimate
    if limit is not None and estimate > limit:
        raise BudgetExceededError([Violation(
            "numberResults",
            f"estimated cost ${estimate:.2f} ({request.get('numberResults', 1)} x "
            f"${price_usd(context.spec):.2f}) exceeds {BUDGET_ENV}=${limit:.2f}; nothing was "
            "sent",
            request.get("numberResults", 1),
        )])
    return result


@hookimpl(wrapper=True)
def on_job_done(result: Any, context: Any) -> Generator[None, Any, Any]:
    """Append the job's cost to the ledger once every other ``on_job_done`` ran.

    Other plugins may tag the job (``context.extra.setdefault("budget.tags", []).append(...)``)
    up to and including their own ``on_job_done``; the entry records those tags.
    """
    outcome = yield  # the other implementations run here (each isolated by minimax-cover)
    sandbox = bool(getattr(result, "sandbox", False))
    reported = getattr(result, "cost_total", None)
    outputs = len(getattr(result, "outputs", []) or [])
    if sandbox:
        cost, source = 0.0, "sandbox"
    elif reported is not None:
        cost, source = float(reported), "reported"
    else:
        cost, source = round(outputs * price_usd(context.spec), 6), "estimated"
    entry = {"time": round(time.time(), 3), "taskUUID": result.task_uuid,
             "backend": result.backend, "results": outputs, "cost_usd": cost,
             "cost_source": source, "estimate_usd": context.extra.get("budget.estimate_usd"),
             "tags": [str(tag) for tag in context.extra.get("budget.tags", [])],
             "sandbox": sandbox}
    path = ledger_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")
    return outcome
