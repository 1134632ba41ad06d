"""``GET /minimax_cover/pricing``: what the frontend extension shows on a cover node before Run.

``web/cover_price.js`` reads it once and draws the price on the node, live as the widgets
change, in every ComfyUI version (ComfyUI's own price badge exists only in newer V3 hosts):
the price per result of each cover node and who runs one-step (Runware) and two-step
(MiniMax) covers, sandbox or not (:func:`.pricing.payee`).
"""

from __future__ import annotations

from typing import Any

from .cover_node import cover_definition
from .pricing import minimax_price, payee

__all__ = ["PRICING_ROUTE", "pricing_info", "register_pricing_route"]

#: The route the frontend extension reads (relative to ComfyUI's API root).
PRICING_ROUTE = "/minimax_cover/pricing"


def pricing_info() -> dict[str, Any]:
    """``{"nodes": {node_id: {"usd", "per"}}, "runware": Payee, "minimax": Payee + {"usd",
    "estimate"}}`` (MiniMax's price per cover) for the cover nodes that have a price: what the
    frontend shows before Run."""
    from ..plugin.hooks.registry import get_registry

    nodes: dict[str, Any] = {}
    for spec in get_registry().models.values():
        definition = cover_definition(spec)
        if definition.price is not None:
            nodes[definition.node_id] = {"usd": definition.price.usd,
                                         "per": definition.price.per}
    minimax = minimax_price()
    return {"nodes": nodes, "runware": payee(False).to_dict(),
            "minimax": {**payee(True).to_dict(), "usd": minimax.cover_usd,
                        "estimate": minimax.estimate}}


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
