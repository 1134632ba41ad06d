"""ComfyUI V3 adapter: ``io.ComfyNode`` classes built from the nodes' neutral definitions.

Imported only when ``comfy_api.latest`` is importable (inside a ComfyUI recent enough to have
it). ``comfy_api.latest`` imports torch, so nothing here runs in the torch-free core. Each node
class (cover nodes for every model, audio nodes, plugin nodes) becomes a V3 class whose
``io.Schema`` is built from the same :class:`~.definition.NodeDef` as its V1 attributes
(:func:`~.definition.definition_of`), and whose hooks delegate to the class's methods
(``FUNCTION``, ``VALIDATE_INPUTS``, ``IS_CHANGED``): one definition, two APIs.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from .definition import HIDDEN_KINDS, InputDef, NodeDef, OutputDef, definition_of

__all__ = ["make_extension", "make_v3_node", "v3_schema"]


def _input(io: Any, inp: InputDef) -> Any:
    """The ``io.<Type>.Input`` of one input (``None`` options are left to ComfyUI)."""
    common: dict[str, Any] = {"optional": inp.optional, "tooltip": inp.tooltip or None}
    if inp.kind == "COMBO":
        if inp.upload is not None and hasattr(io, "UploadType"):
            common["upload"] = getattr(io.UploadType, inp.upload)
        return io.Combo.Input(inp.name, options=list(inp.choices), default=inp.default,
                              control_after_generate=inp.control_after_generate or None,
                              **common)
    if inp.kind == "STRING":
        return io.String.Input(inp.name, multiline=inp.multiline, default=inp.default, **common)
    if inp.kind == "INT":
        return io.Int.Input(inp.name, default=inp.default, min=inp.minimum, max=inp.maximum,
                            step=inp.step,
                            control_after_generate=inp.control_after_generate or None,
                            **common)
    if inp.kind == "FLOAT":
        return io.Float.Input(inp.name, default=inp.default, min=inp.minimum, max=inp.maximum,
                              step=inp.step, **common)
    if inp.kind == "BOOLEAN":
        return io.Boolean.Input(inp.name, default=inp.default, **common)
    if inp.kind == "AUDIO":
        return io.Audio.Input(inp.name, **common)
    return io.Custom(inp.kind).Input(inp.name, **common)


def _output(io: Any, out: OutputDef) -> Any:
    """The ``io.<Type>.Output`` of one output (no id: ComfyUI numbers them, so an output may
    share its name with an input, as the cover node's ``audio`` does)."""
    types = {"AUDIO": io.Audio, "INT": io.Int, "FLOAT": io.Float, "STRING": io.String,
             "BOOLEAN": io.Boolean}
    factory = types.get(out.kind) or io.Custom(out.kind)
    return factory.Output(display_name=out.name, tooltip=out.tooltip or None)


def _price_badge(io: Any, node: NodeDef) -> dict[str, Any]:
    """``price_badge=`` for ``io.Schema`` when the node has a price and this ComfyUI renders
    badges (``io.PriceBadge``, newer V3); nothing otherwise (the status text shows it)."""
    if node.price is None or not hasattr(io, "PriceBadge"):
        return {}
    depends = io.PriceBadgeDepends(widgets=[node.price.per] if node.price.per else [])
    return {"price_badge": io.PriceBadge(expr=node.price.badge_expr(), depends_on=depends)}


def v3_schema(io: Any, node: NodeDef) -> Any:
    """The ``io.Schema`` of ``node`` (``io`` is ``comfy_api.latest.io``)."""
    return io.Schema(
        node_id=node.node_id, display_name=node.display_name, category=node.category,
        description=node.description, inputs=[_input(io, i) for i in node.inputs],
        outputs=[_output(io, o) for o in node.outputs],
        hidden=[io.Hidden(kind) for kind in dict.fromkeys(node.hidden.values())],
        is_output_node=node.is_output_node, is_api_node=node.is_api_node,
        **_price_badge(io, node))


def _accepted(func: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    params = inspect.signature(func).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return kwargs
    return {k: v for k, v in kwargs.items() if k in params}


def _node_output(io: Any, out: Any) -> Any:
    if isinstance(out, dict):  # NodeOutput.from_dict raises on the pinned ComfyUI
        return io.NodeOutput(*tuple(out.get("result", ()) or ()), ui=out.get("ui"))
    return io.NodeOutput(*(out or ()))


def make_v3_node(node_id: str, node_cls: type, display_name: str) -> type:
    """An ``io.ComfyNode`` subclass equivalent to the node class ``node_cls``."""
    from comfy_api.latest import io

    hidden = dict(definition_of(node_cls, node_id, display_name).hidden)
    function = getattr(node_cls, node_cls.FUNCTION)

    def define_schema(cls: Any) -> Any:
        # built on every call: file lists (LoadAudio) change while ComfyUI runs
        return v3_schema(io, definition_of(node_cls, node_id, display_name))

    def arguments(cls: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        holder = getattr(cls, "hidden", None)
        for param, kind in hidden.items():
            kwargs[param] = getattr(holder, HIDDEN_KINDS[kind], None) if holder else None
        return kwargs

    if inspect.iscoroutinefunction(function):
        async def execute(cls: Any, **kwargs: Any) -> Any:
            instance = node_cls()
            return _node_output(io, await getattr(instance, node_cls.FUNCTION)(
                **arguments(cls, kwargs)))
    else:
        def execute(cls: Any, **kwargs: Any) -> Any:
            instance = node_cls()
            return _node_output(io, getattr(instance, node_cls.FUNCTION)(
                **arguments(cls, kwargs)))

    attrs: dict[str, Any] = {
        "define_schema": classmethod(define_schema),
        "execute": classmethod(execute),
        "__doc__": node_cls.__doc__,
    }
    if hasattr(node_cls, "VALIDATE_INPUTS"):
        attrs["validate_inputs"] = classmethod(
            lambda cls, **kw: node_cls.VALIDATE_INPUTS(**_accepted(node_cls.VALIDATE_INPUTS, kw)))
    if hasattr(node_cls, "IS_CHANGED"):
        attrs["fingerprint_inputs"] = classmethod(
            lambda cls, **kw: node_cls.IS_CHANGED(**_accepted(node_cls.IS_CHANGED, kw)))
    return type(node_id, (io.ComfyNode,), attrs)


def make_extension(table: Sequence[tuple[str, type, str]]) -> Any:
    """A ``ComfyExtension`` whose ``get_node_list`` returns V3 classes for ``table``."""
    from comfy_api.latest import ComfyExtension

    nodes = [make_v3_node(node_id, cls, display) for node_id, cls, display in table]

    class MiniMaxCoverExtension(ComfyExtension):
        async def get_node_list(self) -> list[type]:
            return list(nodes)

    return MiniMaxCoverExtension()
