"""MiniMax plan tiers: how many music-cover requests a minute, and how many at once.

MiniMax limits ``music-cover`` to 3 requests a minute and 3 at once on a free plan, 120 and 20
on a paid one. The plan is ``MINIMAX_PLAN`` (environment), else ``minimax_plan`` in
``config.json``, else ``paid``: ``paid``, ``free``, ``"RPM/CONCURRENT"`` (``"60/10"``) or, in the
config file, ``{"requests_per_minute": 60, "concurrent": 10}``. Every MiniMax client of the
process shares one limiter per endpoint (:func:`..transport.ratelimit.limiter_for`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..config import read_setting
from ..errors import SpecValidationError, Violation
from ..transport.ratelimit import RateLimiter, limiter_for

__all__ = ["PLAN_ENV", "PLANS", "PlanLimits", "minimax_limiter", "resolve_plan"]

PLAN_ENV = "MINIMAX_PLAN"
PLAN_KEY = "minimax_plan"


@dataclass(frozen=True)
class PlanLimits:
    """A plan's limits for music-cover: ``per_minute`` requests, ``concurrent`` at once."""

    name: str
    per_minute: int
    concurrent: int

    def describe(self) -> str:
        """``paid (120 requests/minute, 20 at once)``."""
        return f"{self.name} ({self.per_minute} requests/minute, {self.concurrent} at once)"


PLANS = {"paid": PlanLimits("paid", 120, 20), "free": PlanLimits("free", 3, 3)}
_NUMBERS = re.compile(r"^\s*(\d{1,6})\s*/\s*(\d{1,6})\s*$")
_RULE = "must be paid, free, 'RPM/CONCURRENT' (e.g. 60/10) or " \
        "{requests_per_minute, concurrent}, each at least 1"


def resolve_plan(value: Any = None) -> PlanLimits:
    """The plan: ``value``, else ``MINIMAX_PLAN``, else ``minimax_plan`` in the config, else paid.

    :raises SpecValidationError: a value that is none of the accepted forms (named, with the
        rule and the value).
    """
    raw = value if value is not None else read_setting(PLAN_KEY, PLAN_ENV)
    if raw is None or raw == "":
        return PLANS["paid"]
    if isinstance(raw, dict):
        try:
            limits = PlanLimits("custom", int(raw["requests_per_minute"]),
                                int(raw["concurrent"]))
        except (KeyError, TypeError, ValueError):
            raise SpecValidationError([Violation(PLAN_ENV, _RULE, str(raw))]) from None
    elif isinstance(raw, str) and raw.strip().lower() in PLANS:
        return PLANS[raw.strip().lower()]
    elif isinstance(raw, str) and (m := _NUMBERS.match(raw)):
        limits = PlanLimits("custom", int(m.group(1)), int(m.group(2)))
    else:
        raise SpecValidationError([Violation(PLAN_ENV, _RULE, str(raw))])
    if limits.per_minute < 1 or limits.concurrent < 1:
        raise SpecValidationError([Violation(PLAN_ENV, _RULE, str(raw))])
    return limits


def minimax_limiter(endpoint: str, plan: PlanLimits | None = None) -> RateLimiter:
    """The process's limiter for MiniMax ``endpoint`` under ``plan`` (default: the setting)."""
    plan = plan or resolve_plan()
    return limiter_for(endpoint, plan.per_minute, plan.concurrent)
