"""Who runs a cover node and who is paid, before it runs: the node's price line and title.

One step (audio in) runs on Runware: paid to Runware at the spec's price per result, or the
local Runware SANDBOX when neither ``RUNWARE_API_KEY`` (nor the config file's key) nor
``RUNWARE_API_URL`` is set. Two steps (a ``preprocess`` handle in) run on MiniMax's own API:
billed by MiniMax on the user's MiniMax account, or the local MiniMax SANDBOX without
``MINIMAX_API_KEY``/``MINIMAX_API_URL``. :func:`pricing_info` is what the frontend extension
(``web/cover_price.js``) reads from ``GET /minimax_cover/pricing`` to show the price on the
node, live as the widgets change, in every ComfyUI version (ComfyUI's own price badge exists
only in newer V3 hosts).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .definition import PriceDef

__all__ = ["PRICING_ROUTE", "Payee", "payee", "price_line", "pricing_info",
           "register_pricing_route"]

#: The route the frontend extension reads (relative to ComfyUI's API root).
PRICING_ROUTE = "/minimax_cover/pricing"


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
    if who.service == "MiniMax":
        return "Price: billed by MiniMax on your MiniMax account (not a Runware price)"
    if price is None:
        return None
    from ..plugin.money.pricing import format_usd

    return (f"Price: ~{format_usd(price.estimate(values))} ({price.count(values)} x "
            f"{format_usd(price.usd)} on Runware, before sending)")


def pricing_info() -> dict[str, Any]:
    """``{"nodes": {node_id: {"usd", "per"}}, "runware": Payee, "minimax": Payee}`` for the
    cover nodes that have a price: what the frontend shows before Run."""
    from ..plugin.hooks.registry import get_registry
    from .cover_node import cover_definition

    nodes: dict[str, Any] = {}
    for spec in get_registry().models.values():
        definition = cover_definition(spec)
        if definition.price is not None:
            nodes[definition.node_id] = {"usd": definition.price.usd,
                                         "per": definition.price.per}
    return {"nodes": nodes, "runware": payee(False).to_dict(),
            "minimax": payee(True).to_dict()}


def register_pricing_route(server: Any) -> bool:
    """Serve :func:`pricing_info` at :data:`PRICING_ROUTE` on ComfyUI's ``PromptServer``
    (``server.routes``, aiohttp); returns False when the host has no such table."""
    routes = getattr(server, "routes", None)
    if routes is None:
        return False

    @routes.get(PRICING_ROUTE)
    async def pricing(request: Any) -> Any:
        from aiohttp import web  # ComfyUI's own server library

        return web.json_response(pricing_info())

    return True
