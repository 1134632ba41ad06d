"""Prices before spending: a :class:`Quote` from a dry run, or from the spec's price table.

Runware prices a request without running it when it carries ``X-Runware-Dry-Run: 1``; a
backend that can do that has a ``price(request)`` method returning the cost in USD (or ``None``
when the answer holds no price). Where the API gives no price, the spec's price table
(:attr:`~..spec.model.ModelSpec.price_per_result_usd`, the one place a price is written; the
sandbox charges the same) times ``numberResults`` is the price. A dry-run answer that is not a
finite amount from $0 up (``-5``, ``NaN``, ``1e12``) is not a price: the table is used, with a
warning. :func:`price_key` is what a price depends on (a batch prices each key once).
:class:`AccountDetails` is what a backend's ``account()`` reports (the balance).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import (
    APIConnectionError,
    InvalidParameterError,
    NotFoundError,
    OutcomeUnknownError,
    ResponseFormatError,
    ServerError,
)
from ..spec.model import ModelSpec
from ..spec.task import CoverTask
from ..spec.validation import PLACEHOLDER_AUDIO
from .reported import ABSURD_USD, sane_cost

__all__ = ["PRICE_FIELDS", "AccountDetails", "Quote", "format_usd", "price_key", "quote_request",
           "table_quote"]

log = logging.getLogger("minimax_cover.money")

#: Where a price came from.
SOURCE_DRY_RUN = "Runware dry run"
SOURCE_SANDBOX = "sandbox dry run"
SOURCE_TABLE = "price table"


def format_usd(amount: float | None) -> str:
    """``$0.15``; four decimals when cents are not enough (``$0.0125``); ``n/a`` for None."""
    if amount is None:
        return "n/a"
    return f"${amount:.2f}" if abs(round(amount, 2) - amount) < 1e-9 else f"${amount:.4f}"


@dataclass(frozen=True)
class Quote:
    """The price of a request before it is sent.

    :param price_usd: the whole request's price (``None``: no price is known).
    :param source: ``"Runware dry run"``, ``"sandbox dry run"`` or ``"price table"``.
    :param number_results: the results it asks for.
    :param per_result_usd: the price table's price per result (``None``: not in the table).
    :param sandbox: priced by (and to be run on) the sandbox: nothing is charged.
    :param note: why a dry run did not give the price, when it did not.
    """

    price_usd: float | None
    source: str
    number_results: int
    per_result_usd: float | None = None
    sandbox: bool = False
    note: str | None = None

    def describe(self) -> str:
        """``$0.30 (2 x $0.15, Runware dry run)``."""
        parts = []
        if self.per_result_usd is not None:
            parts.append(f"{self.number_results} x {format_usd(self.per_result_usd)}")
        parts.append(self.source)
        text = f"{format_usd(self.price_usd)} ({', '.join(parts)})"
        if self.sandbox:
            text += " [sandbox: nothing is charged]"
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"priceUsd": self.price_usd, "source": self.source,
                "numberResults": self.number_results, "perResultUsd": self.per_result_usd,
                "sandbox": self.sandbox, "note": self.note}


@dataclass(frozen=True)
class AccountDetails:
    """What an account reports (Runware ``accountManagement`` ``getDetails``).

    Only the balance and the organization's name are kept: the answer also lists team members
    and API keys, which nothing here needs.
    """

    balance_usd: float | None
    organization: str | None = None
    sandbox: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"balanceUsd": self.balance_usd, "organization": self.organization,
                "sandbox": self.sandbox}


def _count(spec: ModelSpec, request: Mapping[str, Any]) -> int:
    try:
        return CoverTask(spec, request).number_results
    except (KeyError, TypeError, ValueError):
        return 1


def table_quote(spec: ModelSpec, request: Mapping[str, Any], *, sandbox: bool = False,
                note: str | None = None) -> Quote:
    """The price from the spec's price table: ``numberResults`` x ``price_per_result_usd``."""
    return Quote(spec.estimated_cost_usd(request), SOURCE_TABLE, _count(spec, request),
                 spec.price_per_result_usd, sandbox=sandbox, note=note)


def quote_request(backend: Any, spec: ModelSpec, request: Mapping[str, Any]) -> Quote:
    """Price ``request`` with the backend's dry run, or the price table when it gives none.

    Nothing runs and nothing is charged. A request whose ``inputs.audio`` is still the
    placeholder (a local song, not uploaded for a dry run) may be refused for that field alone;
    the price table is then used and :attr:`Quote.note` says why.

    :raises SpecValidationError, InvalidParameterError: the request is invalid.
    :raises AuthenticationError, InsufficientCreditsError: the API refused the key or account.
    """
    def sandbox() -> bool:  # read after the call: a backend may learn it from the answer
        return bool(getattr(backend, "sandbox", False))

    price = getattr(backend, "price", None)
    if not callable(price):
        return table_quote(spec, request, sandbox=sandbox(),
                           note=f"the {getattr(backend, 'name', 'backend')} backend has no "
                                "dry run")
    try:
        cost = price(dict(request))
    except InvalidParameterError as exc:
        audio = (request.get("inputs") or {}).get("audio")
        if exc.parameter == "inputs.audio" and audio == PLACEHOLDER_AUDIO:
            return table_quote(spec, request, sandbox=sandbox(),
                               note="the dry run needs an uploaded song to price it")
        raise
    except (APIConnectionError, ResponseFormatError, OutcomeUnknownError, ServerError,
            NotFoundError) as exc:
        return table_quote(spec, request, sandbox=sandbox(),
                           note=f"the dry run failed ({exc.message})")
    if cost is None:
        return table_quote(spec, request, sandbox=sandbox(),
                           note="the dry run answered without a price")
    if sane_cost(cost) is None:
        log.warning("the dry run answered a price of %r, not a finite amount from $0 to %s; "
                    "using the price table", cost, format_usd(ABSURD_USD))
        return table_quote(spec, request, sandbox=sandbox(),
                           note=f"the dry run answered {cost!r}, not a price")
    source = getattr(backend, "price_source", None)  # a provider priced from settings
    per_result = getattr(backend, "price_per_result_usd", spec.price_per_result_usd)
    return Quote(round(float(cost), 6),
                 source or (SOURCE_SANDBOX if sandbox() else SOURCE_DRY_RUN),
                 _count(spec, request), per_result, sandbox=sandbox())


#: The request fields a price depends on (the price table: model x numberResults).
PRICE_FIELDS = ("model", "numberResults")


def price_key(spec: ModelSpec, request: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a price depends on: requests with the same key cost the same, so a batch's dry
    run asks once per key (a handful of requests for 20,000 rows), not once per row."""
    out: list[Any] = [request.get("model") or spec.model_id]
    for name in PRICE_FIELDS[1:]:
        try:
            out.append(spec.value(request, name))
        except (KeyError, TypeError, ValueError):
            out.append(request.get(name))
    return tuple(out)
