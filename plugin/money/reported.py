"""What a cap counts when a server reports a cost: never less than the price table's figure.

A cost comes from the server (``includeCost``), so a hostile or broken one could report
``-5``, ``NaN``, ``Infinity``, a string or ``1e12`` and lift every cap that subtracts it. A
reported cost is *sane* when it is a finite number from 0 up to :data:`ABSURD_USD`;
:func:`counted_cost` counts the larger of a sane reported cost and the floor (the price
table's figure, or the price a job was held at), and the floor alone for anything else. The
reported figure stays in receipts as it was (:func:`json_cost`); :func:`warn_if_insane` says
when it was not counted.
"""

from __future__ import annotations

import logging
import math
from typing import Any

__all__ = ["ABSURD_USD", "counted_cost", "json_cost", "sane_cost", "warn_if_insane"]

log = logging.getLogger("minimax_cover.money")

#: No single job costs this much: a reported cost above it is a wrong answer, not a price.
ABSURD_USD = 10_000.0


def sane_cost(value: Any) -> float | None:
    """``value`` as USD when it is a finite number in ``[0, ABSURD_USD]``, else ``None``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    if not math.isfinite(number) or number < 0 or number > ABSURD_USD:
        return None
    return number


def counted_cost(reported: Any, floor: float | None) -> float:
    """What a cap counts for a job: ``max(sane reported, floor)``, the floor when the report
    is missing or insane (``floor`` ``None``: 0)."""
    base = float(floor or 0.0)
    sane = sane_cost(reported)
    return base if sane is None else max(sane, base)


def json_cost(value: Any) -> Any:
    """A reported cost for a JSON receipt: the number, or its text when JSON cannot hold it
    (``"nan"``, ``"inf"``) or it is not a number."""
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)
                         and math.isfinite(value)):
        return value
    return str(value)


def warn_if_insane(reported: Any, floor: float | None, what: str) -> None:
    """Log a warning when ``reported`` (not ``None``) is not a sane cost."""
    if reported is not None and sane_cost(reported) is None:
        log.warning("%s: the server reported a cost of %r; not a price (a finite amount from "
                    "$0 to $%.0f): caps count $%.4g (the price table's figure) instead", what,
                    reported, ABSURD_USD, float(floor or 0.0))
