"""One neutral definition per node, from which both ComfyUI node APIs are built.

A :class:`NodeDef` says what a node is (id, display name, category, description, output/API
flags), what it takes (:class:`InputDef`: type, default, range, tooltip, multiline, optional,
combo choices, upload button) and what it returns (:class:`OutputDef`), plus the hidden values
it wants (``UNIQUE_ID``, ...) and what a run costs (:class:`PriceDef`, the V3 price badge).
Nothing in it is ComfyUI-version specific:

- :func:`v1_input_types` and :func:`v1_attributes` give the V1 class contract
  (``INPUT_TYPES``, ``RETURN_TYPES``, ``CATEGORY``, ``OUTPUT_NODE``, ``API_NODE``, ...); the pack's
  node classes derive from :class:`DefinedNode`, which sets them from ``node_definition()``.
- :mod:`.v3` builds the V3 ``io.Schema`` from the same definition.

Classes registered by third-party plugins are plain V1 classes; :func:`definition_of` reads
their ``INPUT_TYPES`` into a definition (:func:`from_v1`) so they get a V3 schema too.
Pure Python and cheap to import: no ComfyUI, torch or numpy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from ..plugin.errors import PluginError

__all__ = [
    "HIDDEN_KINDS",
    "WIDGET_KINDS",
    "DefinedNode",
    "InputDef",
    "NodeDef",
    "OutputDef",
    "PriceDef",
    "definition_of",
    "from_v1",
    "v1_attributes",
    "v1_entry",
    "v1_input_types",
]

#: Hidden values a node may ask for (V1 type name -> V3 ``io.Hidden`` member / holder attribute).
HIDDEN_KINDS: dict[str, str] = {
    "UNIQUE_ID": "unique_id",
    "PROMPT": "prompt",
    "EXTRA_PNGINFO": "extra_pnginfo",
    "DYNPROMPT": "dynprompt",
}
#: Input types that are value widgets (the others are sockets, e.g. ``AUDIO``).
WIDGET_KINDS = frozenset({"STRING", "INT", "FLOAT", "BOOLEAN", "COMBO"})
#: Upload buttons a combo may carry (``upload="audio"`` -> V1 ``audio_upload: True``).
UPLOAD_KINDS = frozenset({"audio", "image", "video"})


@dataclass(frozen=True)
class InputDef:
    """One node input.

    ``kind`` is ``STRING``, ``INT``, ``FLOAT``, ``BOOLEAN``, ``COMBO`` (``choices`` lists the
    labels) or a socket type (``AUDIO``, a custom type). ``None`` for ``default``, ``minimum``,
    ``maximum`` or ``step`` means "not given" (ComfyUI's own default applies).
    """

    name: str
    kind: str
    tooltip: str = ""
    optional: bool = False
    default: Any = None
    minimum: Any = None
    maximum: Any = None
    step: Any = None
    multiline: bool = False
    choices: tuple[Any, ...] = ()
    upload: str | None = None
    control_after_generate: bool = False

    def __post_init__(self) -> None:
        if self.upload is not None and (self.kind != "COMBO" or self.upload not in UPLOAD_KINDS):
            raise PluginError(f"input {self.name!r}: upload={self.upload!r} needs a COMBO and "
                              f"one of {', '.join(sorted(UPLOAD_KINDS))}")

    @property
    def is_widget(self) -> bool:
        """True for a value widget, False for a socket-only input such as ``AUDIO``."""
        return self.kind in WIDGET_KINDS


@dataclass(frozen=True)
class OutputDef:
    """One node output: its type, its name and a tooltip."""

    kind: str
    name: str
    tooltip: str = ""


@dataclass(frozen=True)
class PriceDef:
    """What a run of the node costs: ``usd`` per unit, times the value of the ``per`` widget
    (``numberResults``), or once when ``per`` is ``None``.

    V3 renders it as the ``price_badge`` ComfyUI's own API nodes show before a run (evaluated
    by the frontend from the current widget values); where that is not supported, the node
    shows the same price in its status text before it submits (:meth:`estimate`).
    """

    usd: float
    per: str | None = None

    def count(self, values: Mapping[str, Any]) -> int:
        """How many units these widget values ask for (missing or linked: 1)."""
        raw = values.get(self.per) if self.per else 1
        try:
            return max(1, int(raw)) if raw is not None and not isinstance(raw, bool) else 1
        except (TypeError, ValueError):
            return 1

    def estimate(self, values: Mapping[str, Any]) -> float:
        """The price for these widget values (a missing or linked count counts as 1)."""
        return round(self.usd * self.count(values), 6)

    def badge_expr(self) -> str:
        """The JSONata expression of the V3 badge: ``{"type": "usd", "usd": ...}``."""
        if self.per is None:
            return f'{{"type":"usd","usd":{self.usd!r}}}'
        lower = self.per.lower()
        return ("(\n"
                f'  $n := $lookup(widgets, "{lower}");\n'
                f'  $n := $n ? $n : $lookup(widgets, "{self.per}");\n'
                f'  {{"type":"usd","usd": $round({self.usd!r} * ($n ? $n : 1), 6)}}\n'
                ")")


@dataclass(frozen=True)
class NodeDef:
    """Everything ComfyUI needs to know about a node, independent of the node API version.

    ``hidden`` maps a parameter name of the node's function to a hidden type of
    :data:`HIDDEN_KINDS` (``{"unique_id": "UNIQUE_ID"}``). Inputs are listed required first.
    ``is_api_node`` marks a Comfy.org partner node (ComfyUI's frontend then asks for a Comfy.org
    sign-in before it runs the graph, and the executor hands the node the user's Comfy.org
    credentials); it is a field here so both APIs agree on it. ``price`` is what a run costs
    (:class:`PriceDef`; ``per`` must name one of the inputs).
    """

    node_id: str
    display_name: str
    category: str
    description: str = ""
    inputs: tuple[InputDef, ...] = ()
    outputs: tuple[OutputDef, ...] = ()
    hidden: Mapping[str, str] = field(default_factory=dict)
    is_output_node: bool = False
    is_api_node: bool = False
    price: PriceDef | None = None

    def __post_init__(self) -> None:
        names = [i.name for i in self.inputs]
        twice = sorted({n for n in names if names.count(n) > 1} | (set(names) & set(self.hidden)))
        if twice:
            raise PluginError(f"node {self.node_id!r}: input name(s) used twice: "
                              f"{', '.join(twice)}")
        if self.price is not None and self.price.per is not None and self.price.per not in names:
            raise PluginError(f"node {self.node_id!r}: the price counts per {self.price.per!r}, "
                              "which is not an input")
        unknown = sorted(k for k in self.hidden.values() if k not in HIDDEN_KINDS)
        if unknown:
            raise PluginError(f"node {self.node_id!r}: unknown hidden type(s) {', '.join(unknown)} "
                              f"(known: {', '.join(HIDDEN_KINDS)})")


def v1_entry(inp: InputDef) -> tuple[Any, dict[str, Any]]:
    """``(TYPE, options)`` as a V1 ``INPUT_TYPES`` entry spells it (combos in list form)."""
    options: dict[str, Any] = {}
    if inp.tooltip:
        options["tooltip"] = inp.tooltip
    for key, value in (("default", inp.default), ("min", inp.minimum), ("max", inp.maximum),
                       ("step", inp.step)):
        if value is not None:
            options[key] = value
    if inp.multiline:
        options["multiline"] = True
    if inp.control_after_generate:
        options["control_after_generate"] = True
    if inp.upload:
        options[f"{inp.upload}_upload"] = True
    return (list(inp.choices) if inp.kind == "COMBO" else inp.kind, options)


def v1_input_types(node: NodeDef) -> dict[str, dict[str, Any]]:
    """A V1 ``INPUT_TYPES`` dict: ``required`` always, ``optional``/``hidden`` when used."""
    out: dict[str, dict[str, Any]] = {"required": {}}
    for inp in node.inputs:
        out.setdefault("optional" if inp.optional else "required", {})[inp.name] = v1_entry(inp)
    if node.hidden:
        out["hidden"] = dict(node.hidden)
    return out


def v1_attributes(node: NodeDef) -> dict[str, Any]:
    """The static V1 class attributes: outputs, category, description, output/API flags and
    the pack's ``PRICE`` (``(usd, per)`` or ``None``)."""
    return {
        "RETURN_TYPES": tuple(o.kind for o in node.outputs),
        "RETURN_NAMES": tuple(o.name for o in node.outputs),
        "OUTPUT_TOOLTIPS": tuple(o.tooltip or None for o in node.outputs),  # as V3 renders
        "CATEGORY": node.category,
        "DESCRIPTION": node.description,
        "OUTPUT_NODE": node.is_output_node,
        "API_NODE": node.is_api_node,
        # V1 has no price badge: the pack's own attribute, so the definition reads back whole
        "PRICE": (node.price.usd, node.price.per) if node.price else None,
    }


class DefinedNode:
    """Base of the pack's node classes: the V1 contract comes from :meth:`node_definition`.

    A subclass sets ``FUNCTION`` and implements ``node_definition()``; the static attributes
    (:func:`v1_attributes`) are set when the class is created, and ``INPUT_TYPES`` builds the
    inputs on every call (so file lists stay fresh).
    """

    FUNCTION: ClassVar[str]
    RETURN_TYPES: ClassVar[tuple[str, ...]] = ()
    RETURN_NAMES: ClassVar[tuple[str, ...]] = ()
    OUTPUT_TOOLTIPS: ClassVar[tuple[str | None, ...]] = ()
    CATEGORY: ClassVar[str] = ""
    DESCRIPTION: ClassVar[str] = ""
    OUTPUT_NODE: ClassVar[bool] = False
    API_NODE: ClassVar[bool] = False
    PRICE: ClassVar[tuple[float, str | None] | None] = None

    @classmethod
    def node_definition(cls) -> NodeDef:
        """The node's neutral definition (subclasses implement it)."""
        raise NotImplementedError

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, dict[str, Any]]:  # noqa: N802 (ComfyUI's name)
        """ComfyUI V1 inputs, built from :meth:`node_definition`."""
        return v1_input_types(cls.node_definition())

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for key, value in v1_attributes(cls.node_definition()).items():
            setattr(cls, key, value)


def _input_from_v1(name: str, entry: Any, optional: bool) -> InputDef:
    if isinstance(entry, str):
        entry = (entry,)
    kind, options = entry[0], dict(entry[1]) if len(entry) > 1 and entry[1] else {}
    choices: tuple[Any, ...] = ()
    if isinstance(kind, (list, tuple)):
        kind, choices = "COMBO", tuple(kind)
    elif kind == "COMBO":
        choices = tuple(options.get("options", ()))
    upload = next((u for u in sorted(UPLOAD_KINDS) if options.get(f"{u}_upload")), None)
    return InputDef(
        name, str(kind), tooltip=str(options.get("tooltip") or ""), optional=optional,
        default=options.get("default"), minimum=options.get("min"),
        maximum=options.get("max"), step=options.get("step"),
        multiline=bool(options.get("multiline")), choices=choices,
        upload=upload if kind == "COMBO" else None,
        control_after_generate=bool(options.get("control_after_generate")))


def from_v1(cls: type, node_id: str, display_name: str) -> NodeDef:
    """The definition of a plain V1 node class (a third-party plugin's node)."""
    types = cls.INPUT_TYPES()
    inputs = [_input_from_v1(name, entry, section == "optional")
              for section in ("required", "optional")
              for name, entry in (types.get(section) or {}).items()]
    hidden = {name: kind for name, kind in (types.get("hidden") or {}).items()
              if isinstance(kind, str) and kind in HIDDEN_KINDS}
    kinds = tuple(getattr(cls, "RETURN_TYPES", ()) or ())
    names = tuple(getattr(cls, "RETURN_NAMES", ()) or ()) or kinds
    tips = tuple(getattr(cls, "OUTPUT_TOOLTIPS", ()) or ())
    price = getattr(cls, "PRICE", None)
    outputs = tuple(OutputDef(str(k), str(names[i]) if i < len(names) else str(k),
                              str(tips[i] or "") if i < len(tips) else "")
                    for i, k in enumerate(kinds))
    return NodeDef(node_id, display_name, str(getattr(cls, "CATEGORY", "") or "sd"),
                   description=str(getattr(cls, "DESCRIPTION", "") or ""), inputs=tuple(inputs),
                   outputs=outputs, hidden=hidden,
                   is_output_node=bool(getattr(cls, "OUTPUT_NODE", False)),
                   is_api_node=bool(getattr(cls, "API_NODE", False)),
                   price=PriceDef(float(price[0]), price[1]) if price else None)


def definition_of(cls: type, node_id: str | None = None,
                  display_name: str | None = None) -> NodeDef:
    """The definition of any node class, under the id and display name it is registered with.

    The pack's classes (:class:`DefinedNode`) give theirs; a plain V1 class is read with
    :func:`from_v1`.
    """
    if isinstance(cls, type) and issubclass(cls, DefinedNode):
        node = cls.node_definition()
        return replace(node, node_id=node_id or node.node_id,
                       display_name=display_name or node.display_name)
    nid = node_id or cls.__name__
    return from_v1(cls, nid, display_name or nid)
