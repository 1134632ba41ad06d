"""Who runs a cover node and who is paid, before it runs: the node's price line and title.

One step (audio in) runs on Runware: paid to Runware at the spec's price per result, or the
local Runware SANDBOX when neither ``RUNWARE_API_KEY`` (nor the config file's key) nor
``RUNWARE_API_URL`` is set. Two steps (a ``preprocess`` handle in) run on MiniMax's own API:
billed by MiniMax on the user's MiniMax account (its configured price per cover, an estimate by
default: ``plugin/money/providers.py``), or the local MiniMax SANDBOX without
``MINIMAX_API_KEY``/``MINIMAX_API_URL``. The frontend extension (``web/cover_price.js``) shows
the same before Run, from :mod:`.pricing_route`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .definition import PriceDef

__all__ = ["Payee", "minimax_price", "payee", "price_line"]


@dataclass(frozen=True)
class Payee:
    """Who runs a job and is paid for it: ``service`` (``Runware``/``MiniMax``) and whether it
    is the local sandbox (synthetic audio, no cost)."""

    service: str
    sandbox: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"service": self.service, "sandbox": self.sandbox}


def payee(two_step: bool, *, sandbox: bool | None = None) -> Payee:
    """Who runs a cover: MiniMax for a two-step (``preprocess``) cover, else Runware.

    :param sandbox: known already (a preprocess handle says so); ``None``: decided from the
        keys and URLs configured, as the backends decide.
    """
    if two_step:
        from ..plugin.constants import MINIMAX_API_KEY_ENV, MINIMAX_API_URL_ENV

        configured = os.environ.get(MINIMAX_API_KEY_ENV) or os.environ.get(MINIMAX_API_URL_ENV)
        return Payee("MiniMax", (not configured) if sandbox is None else sandbox)
    from ..plugin.config import resolve_api_key
    from ..plugin.constants import API_URL_ENV

    configured = resolve_api_key() or os.environ.get(API_URL_ENV)
    return Payee("Runware", (not configured) if sandbox is None else sandbox)


def price_line(price: PriceDef | None, values: Mapping[str, Any], who: Payee) -> str | None:
    """The ``Price:`` line shown before a node submits, by who is paid.

    ``Price: ~$0.30 (2 x $0.15 on Runware, before sending)``; ``Price: none (Runware SANDBOX:
    synthetic audio, no cost)``; ``Price: billed by MiniMax on your MiniMax account``.
    """
    if who.sandbox:
        return f"Price: none ({who.service} SANDBOX: synthetic audio, no cost)"
    from ..plugin.money.pricing import format_usd

    if who.service == "MiniMax":
        minimax = minimax_price()
        if minimax.cover_usd is None:
            return "Price: billed by MiniMax on your MiniMax account (not a Runware price)"
        count = price.count(values) if price is not None else 1
        mark = ", estimate" if minimax.estimate else ""
        return (f"Price: ~{format_usd(minimax.cover_usd * count)} ({count} x "
                f"{format_usd(minimax.cover_usd)} billed by MiniMax{mark}, before sending)")
    if price is None:
        return None
    return (f"Price: ~{format_usd(price.estimate(values))} ({price.count(values)} x "
            f"{format_usd(price.usd)} on Runware, before sending)")


def minimax_price() -> Any:
    """MiniMax's configured price per cover (``provider_prices`` in config.json; an estimate
    by default, MiniMax publishes none), as a ``ProviderPrice``."""
    from ..plugin.money.providers import provider_price

    return provider_price("minimax")
