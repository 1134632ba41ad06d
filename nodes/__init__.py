"""The pack's ComfyUI nodes: one table, exported as V1 mappings or a V3 ``comfy_entrypoint``.

The table (:func:`node_table`) holds a generated cover node for every registered model plus
every node registered through the ``register_nodes`` hook (the torch-free audio nodes, plugin
nodes). Importing this package is cheap: no registry, numpy, jsonschema or torch; the table and
the exports are built on first access of ``NODE_CLASS_MAPPINGS``, ``NODE_DISPLAY_NAME_MAPPINGS``
or ``comfy_entrypoint`` (ComfyUI reads them right after importing the pack).

V1 or V3 is decided then: if ``comfy_api.latest`` imports, ``comfy_entrypoint`` is exported and
``NODE_CLASS_MAPPINGS`` is ``None`` (ComfyUI would otherwise ignore the entry point); else the V1
mappings are exported and ``comfy_entrypoint`` is ``None``. ``MINIMAX_COVER_NODE_API=v1`` or
``v3`` forces a choice.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..plugin.hooks.registry import Registry

__all__ = [
    "NODE_CLASS_MAPPINGS",
    "NODE_DISPLAY_NAME_MAPPINGS",
    "NodeEntry",
    "comfy_entrypoint",
    "node_api",
    "node_table",
]

NODE_API_ENV = "MINIMAX_COVER_NODE_API"
#: Retired node ids kept mapped to their replacement (``{old_id: new_id}``).
LEGACY_IDS: dict[str, str] = {}


@dataclass(frozen=True)
class NodeEntry:
    """One row of the node table."""

    node_id: str
    cls: type
    display_name: str


def node_table(registry: Registry | None = None) -> list[NodeEntry]:
    """Cover nodes for every registered model, then hook-registered nodes (ids unique)."""
    from ..plugin.errors import PluginError
    from ..plugin.hooks.registry import get_registry
    from .cover_node import make_cover_node

    registry = registry or get_registry()
    rows: list[NodeEntry] = []
    for spec in registry.models.values():
        cls = make_cover_node(spec)
        rows.append(NodeEntry(cls.NODE_ID, cls, cls.DISPLAY_NAME))
    for node_id, cls, display in registry.node_classes():
        rows.append(NodeEntry(node_id, cls, display))
    seen: set[str] = set()
    for row in rows:
        if row.node_id in seen:
            raise PluginError(f"node id {row.node_id!r} is defined twice")
        seen.add(row.node_id)
    by_id = {r.node_id: r for r in rows}
    for old, new in LEGACY_IDS.items():
        if new in by_id and old not in by_id:
            rows.append(NodeEntry(old, by_id[new].cls, by_id[new].display_name + " (legacy)"))
    return rows


def node_api() -> str:
    """``"v3"`` when ``comfy_api.latest`` imports (or is forced), else ``"v1"``."""
    forced = os.environ.get(NODE_API_ENV, "").strip().lower()
    if forced in ("v1", "v3"):
        return forced
    try:
        import comfy_api.latest  # noqa: F401  (imports torch: only inside ComfyUI)
    except Exception:
        return "v1"
    return "v3"


_lock = threading.Lock()
_exports: dict[str, Any] | None = None


def _serve_pricing() -> None:
    """Inside ComfyUI: serve the price the frontend shows before Run (``pricing_route.py``)."""
    from .host import _prompt_server

    server = _prompt_server()
    if server is None:
        return
    try:
        from .pricing_route import register_pricing_route

        register_pricing_route(server)
    except Exception as exc:  # the price before Run is a convenience: never block the pack
        import logging

        logging.getLogger("minimax_cover.nodes").warning("pricing route not served: %s", exc)


def _build_exports() -> dict[str, Any]:
    global _exports
    with _lock:
        if _exports is None:
            table = node_table()
            _serve_pricing()
            if node_api() == "v3":
                from .v3 import make_extension

                extension = make_extension([(r.node_id, r.cls, r.display_name) for r in table])

                async def comfy_entrypoint() -> Any:
                    return extension

                _exports = {"NODE_CLASS_MAPPINGS": None, "NODE_DISPLAY_NAME_MAPPINGS": None,
                            "comfy_entrypoint": comfy_entrypoint}
            else:
                _exports = {
                    "NODE_CLASS_MAPPINGS": {r.node_id: r.cls for r in table},
                    "NODE_DISPLAY_NAME_MAPPINGS": {r.node_id: r.display_name for r in table},
                    "comfy_entrypoint": None,
                }
        return _exports


def __getattr__(name: str) -> Any:
    if name in ("NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "comfy_entrypoint"):
        value = _build_exports()[name]
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _reset_exports() -> None:
    """Forget the built exports (tests switching V1/V3 or registries)."""
    global _exports
    with _lock:
        _exports = None
        for name in ("NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "comfy_entrypoint"):
            globals().pop(name, None)
