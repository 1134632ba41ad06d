"""ComfyUI V3 adapter: ``io.ComfyNode`` classes generated from the pack's V1 node classes.

Imported only when ``comfy_api.latest`` is importable (inside a ComfyUI recent enough to have
it). ``comfy_api.latest`` imports torch, so nothing here runs in the torch-free core. Each V1
class (cover nodes for every model, audio nodes, plugin nodes) becomes a V3 class whose schema is
built from its ``INPUT_TYPES``/``RETURN_TYPES`` and whose hooks delegate to the V1 methods: one
definition, two APIs.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

__all__ = ["make_v3_node", "make_extension"]


def _input(io: Any, name: str, entry: Any, optional: bool) -> Any:
    kind, options = (entry[0], dict(entry[1]) if len(entry) > 1 else {})
    tooltip = options.get("tooltip")
    common: dict[str, Any] = {"optional": optional, "tooltip": tooltip}
    if isinstance(kind, (list, tuple)):
        upload = io.UploadType.audio if options.get("audio_upload") and hasattr(
            io, "UploadType") else None
        extra = {"upload": upload} if upload is not None else {}
        return io.Combo.Input(name, options=list(kind), default=options.get("default"),
                              **extra, **common)
    if kind == "STRING":
        return io.String.Input(name, multiline=bool(options.get("multiline")),
                               default=options.get("default"), **common)
    if kind == "INT":
        return io.Int.Input(name, default=options.get("default"), min=options.get("min"),
                            max=options.get("max"),
                            control_after_generate=options.get("control_after_generate"),
                            **common)
    if kind == "FLOAT":
        return io.Float.Input(name, default=options.get("default"), min=options.get("min"),
                              max=options.get("max"), step=options.get("step"), **common)
    if kind == "BOOLEAN":
        return io.Boolean.Input(name, default=options.get("default"), **common)
    if kind == "AUDIO":
        return io.Audio.Input(name, **common)
    return io.Custom(kind).Input(name, **common)


def _output(io: Any, kind: str, name: str, tooltip: str | None) -> Any:
    types = {"AUDIO": io.Audio, "INT": io.Int, "FLOAT": io.Float, "STRING": io.String,
             "BOOLEAN": io.Boolean}
    factory = types.get(kind) or io.Custom(kind)
    return factory.Output(display_name=name, tooltip=tooltip)


def make_v3_node(node_id: str, v1: type, display_name: str) -> type:
    """An ``io.ComfyNode`` subclass equivalent to the V1 class ``v1``."""
    from comfy_api.latest import io

    hidden_map = v1.INPUT_TYPES().get("hidden", {})
    names = list(v1.RETURN_NAMES) if getattr(v1, "RETURN_NAMES", None) else list(v1.RETURN_TYPES)
    tips = list(getattr(v1, "OUTPUT_TOOLTIPS", ()) or ())

    def define_schema(cls: Any) -> Any:
        spec = v1.INPUT_TYPES()  # each time: file lists (LoadAudio) change while ComfyUI runs
        inputs = [_input(io, n, e, False) for n, e in spec.get("required", {}).items()]
        inputs += [_input(io, n, e, True) for n, e in spec.get("optional", {}).items()]
        outputs = [_output(io, t, names[i], tips[i] if i < len(tips) else None)
                   for i, t in enumerate(v1.RETURN_TYPES)]
        hidden = [io.Hidden.unique_id] if "UNIQUE_ID" in hidden_map.values() else []
        return io.Schema(node_id=node_id, display_name=display_name,
                         category=getattr(v1, "CATEGORY", "audio"), inputs=inputs,
                         outputs=outputs, hidden=hidden,
                         description=getattr(v1, "DESCRIPTION", ""),
                         is_output_node=bool(getattr(v1, "OUTPUT_NODE", False)))

    def execute(cls: Any, **kwargs: Any) -> Any:
        for key, kind in hidden_map.items():
            attr = {"UNIQUE_ID": "unique_id", "PROMPT": "prompt",
                    "EXTRA_PNGINFO": "extra_pnginfo"}.get(kind)
            if attr is not None:
                kwargs[key] = getattr(cls.hidden, attr, None) if cls.hidden else None
        out = getattr(v1(), v1.FUNCTION)(**kwargs)
        if isinstance(out, dict):  # NodeOutput.from_dict raises on the pinned ComfyUI
            return io.NodeOutput(*tuple(out.get("result", ())), ui=out.get("ui"))
        return io.NodeOutput(*out)

    attrs: dict[str, Any] = {
        "define_schema": classmethod(define_schema),
        "execute": classmethod(execute),
        "__doc__": v1.__doc__,
    }
    if hasattr(v1, "VALIDATE_INPUTS"):
        attrs["validate_inputs"] = classmethod(
            lambda cls, **kw: v1.VALIDATE_INPUTS(**_accepted(v1.VALIDATE_INPUTS, kw)))
    if hasattr(v1, "IS_CHANGED"):
        attrs["fingerprint_inputs"] = classmethod(
            lambda cls, **kw: v1.IS_CHANGED(**_accepted(v1.IS_CHANGED, kw)))
    return type(node_id, (io.ComfyNode,), attrs)


def _accepted(func: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    params = inspect.signature(func).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return kwargs
    return {k: v for k, v in kwargs.items() if k in params}


def make_extension(table: Sequence[tuple[str, type, str]]) -> Any:
    """A ``ComfyExtension`` whose ``get_node_list`` returns V3 classes for ``table``."""
    from comfy_api.latest import ComfyExtension

    nodes = [make_v3_node(node_id, cls, display) for node_id, cls, display in table]

    class MiniMaxCoverExtension(ComfyExtension):
        async def get_node_list(self) -> list[type]:
            return list(nodes)

    return MiniMaxCoverExtension()
