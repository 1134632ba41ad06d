"""Prices per provider: what a cover costs on each backend that can run it.

Runware prices a request itself (a dry run) and the spec's price table holds its list price.
MiniMax publishes no price the project can read, so its price is configured: ``$0.15`` per
cover by default (what resellers charge), marked as an estimate, and ``$0`` per preprocess.
Override any of them in ``config.json``::

    {"provider_prices": {"minimax": {"cover_usd": 0.12, "preprocess_usd": 0.01},
                         "runware": {"cover_usd": 0.15}}}

Caps, dry runs and receipts use :func:`job_estimate` / :func:`provider_estimate`, so a job is
priced by the provider that runs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..config import read_setting
from ..errors import SpecValidationError, Violation
from ..spec.model import MINIMAX_MUSIC_COVER, ModelSpec
from ..spec.task import CoverTask

if TYPE_CHECKING:
    from ..hooks.types import JobContext

__all__ = ["PRICES_KEY", "ProviderPrice", "job_estimate", "provider_estimate", "provider_price"]

PRICES_KEY = "provider_prices"
#: MiniMax's default price per cover (an estimate: MiniMax publishes none).
MINIMAX_COVER_USD = 0.15


@dataclass(frozen=True)
class ProviderPrice:
    """A provider's price: ``cover_usd`` per generated cover (``None``: the spec's table),
    ``preprocess_usd`` per preprocess call, ``estimate`` when no one published it."""

    provider: str
    cover_usd: float | None
    preprocess_usd: float = 0.0
    estimate: bool = False

    def cover_price(self, count: int = 1) -> float | None:
        """``count`` covers (``None`` when the price comes from the spec's table)."""
        return None if self.cover_usd is None else round(self.cover_usd * max(1, count), 6)

    def describe(self) -> str:
        """``minimax: $0.15 per cover (estimate), preprocess $0.00``."""
        cover = "price table" if self.cover_usd is None else f"${self.cover_usd:.2f} per cover"
        mark = " (estimate)" if self.estimate else ""
        return f"{self.provider}: {cover}{mark}, preprocess ${self.preprocess_usd:.2f}"


_DEFAULTS = {"minimax": ProviderPrice("minimax", MINIMAX_COVER_USD, 0.0, estimate=True)}


def _amount(provider: str, field: str, value: Any) -> float:
    try:
        amount = float(value)
    except (TypeError, ValueError):
        amount = -1.0
    if amount < 0:
        raise SpecValidationError([Violation(f"{PRICES_KEY}.{provider}.{field}",
                                             "must be a price in USD, 0 or more", str(value))])
    return amount


def provider_price(provider: str) -> ProviderPrice:
    """The configured price of ``provider`` (defaults: MiniMax $0.15 per cover, estimated).

    :raises SpecValidationError: a configured price that is not a number of USD >= 0.
    """
    base = _DEFAULTS.get(provider, ProviderPrice(provider, None))
    table = read_setting(PRICES_KEY)
    given = table.get(provider) if isinstance(table, Mapping) else None
    if not isinstance(given, Mapping):
        return base
    cover = given.get("cover_usd", base.cover_usd)
    return ProviderPrice(
        provider, None if cover is None else _amount(provider, "cover_usd", cover),
        _amount(provider, "preprocess_usd", given.get("preprocess_usd", base.preprocess_usd)),
        estimate=bool(given.get("estimate", base.estimate if "cover_usd" not in given
                                else False)))


def provider_estimate(provider: str | None, request: Mapping[str, Any],
                      spec: ModelSpec = MINIMAX_MUSIC_COVER) -> float | None:
    """The price of ``request`` on ``provider``: its configured price per cover times
    ``numberResults``, else the spec's price table."""
    if provider:
        price = provider_price(provider).cover_price(CoverTask(spec, dict(request)).number_results)
        if price is not None:
            return price
    return spec.estimated_cost_usd(request)


def job_estimate(context: JobContext, request: Mapping[str, Any]) -> float | None:
    """The price of a job on the backend that runs it (see :func:`provider_estimate`)."""
    name = context.backend_name or getattr(context.backend, "name", None)
    return provider_estimate(getattr(context.backend, "provider", None) or name, request,
                             context.spec)
