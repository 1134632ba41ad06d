"""Node widgets generated from a model's JSON Schema, and widget values mapped back to a request.

:func:`widgets_for` walks ``build_request_schema(spec)`` and makes one :class:`Widget` per
user-facing property (``x-internal`` ones are skipped): multiline strings become text areas
whose tooltip carries the length limits, integers ``INT`` with ``min``/``max`` (``seed`` gets
``control_after_generate``), enums list-form combos, booleans ``BOOLEAN``, ``inputs.audio`` the
``AUDIO`` input. ``x-advanced`` properties, and optional free-text ones, are optional inputs.
A property without a default that may be left out gets an "unset" sentinel (``""`` for text,
``0`` for integers, ``"auto"`` for combos) that :func:`widgets_to_request` omits.

Each widget carries its node input as a neutral :class:`~.definition.InputDef`, from which both
the V1 ``INPUT_TYPES`` and the V3 schema are built. Adding a :class:`~..plugin.spec.Field` to a
spec therefore adds a widget, and its value reaches the request, with no node code changed. Pure
Python: no jsonschema, numpy or torch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .definition import InputDef

if TYPE_CHECKING:
    from ..plugin.spec.model import ModelSpec

__all__ = [
    "AUTO",
    "INT_WIDGET_MAX",
    "MISSING",
    "Widget",
    "check_widget_values",
    "input_defs",
    "widgets_for",
    "widgets_to_request",
]

#: Combo entry meaning "not set: let the API decide".
AUTO = "auto"
#: Upper bound of an INT widget whose property has no maximum (ComfyUI's INT range is int64;
#: this keeps values JSON- and JavaScript-safe).
INT_WIDGET_MAX = 2**31 - 1
#: Widget defaults that differ from the schema's, with the reason. ``includeCost``: the node
#: shows the price and returns the cost, which the API only reports when asked.
#: ``deliveryMethod``: ``async`` polls in short slices, so ComfyUI's Cancel stops the wait at
#: once; a ``sync`` request blocks until the whole generation is done (as Runware's own
#: ComfyUI nodes, which always use async).
NODE_DEFAULT_OVERRIDES: dict[str, Any] = {"includeCost": True, "deliveryMethod": "async"}
#: Nested objects whose properties become widgets (in this order).
_NESTED = ("inputs", "settings", "audioSettings")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: Marks a widget value that was not given (distinct from ``None``, a linked input).
MISSING: Any = _Missing()


@dataclass(frozen=True)
class Widget:
    """One node input made from one schema property, and how its value maps back.

    ``input`` is the node input (name = the spec's field name, e.g. ``positivePrompt``; kind
    ``STRING``, ``INT``, ``FLOAT``, ``BOOLEAN``, ``COMBO`` or ``AUDIO``; default, range,
    tooltip); ``path`` the property's place in a task object (``("settings", "lyrics")``);
    ``unset`` the sentinel meaning "omit from the request" (or ``MISSING`` when every value is
    sent); ``choices`` maps a combo label to the API value; ``minimum``..``max_length`` are the
    schema's limits.
    """

    input: InputDef
    path: tuple[str, ...]
    description: str = ""
    unset: Any = MISSING
    choices: dict[str, Any] = field(default_factory=dict)
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None

    @property
    def name(self) -> str:
        """The input name."""
        return self.input.name

    @property
    def kind(self) -> str:
        """The ComfyUI type (``COMBO`` for enums)."""
        return self.input.kind

    @property
    def optional(self) -> bool:
        """True when the input sits in the optional section."""
        return self.input.optional

    @property
    def dotted(self) -> str:
        """The JSON path as the validator spells it (``settings.lyrics``)."""
        return ".".join(self.path)

    @property
    def is_widget(self) -> bool:
        """True for a value widget (False for a socket-only type such as ``AUDIO``)."""
        return self.input.is_widget


def _limits_text(prop: Mapping[str, Any]) -> str:
    lo, hi = prop.get("minLength"), prop.get("maxLength")
    if lo is not None and hi is not None:
        return f" ({lo}\u2013{hi} characters)"
    if hi is not None:
        return f" (at most {hi} characters)"
    if lo is not None:
        return f" (at least {lo} characters)"
    return ""


def _enum_tooltip(prop: Mapping[str, Any], description: str) -> str:
    """The description plus the notes of enum values it does not already mention."""
    notes = prop.get("x-enum-descriptions") or {}
    extra = [f"{k}: {v}" for k, v in notes.items() if f"{k}:" not in description]
    return " ".join([description, *extra]).strip()


def _audio_tooltip() -> str:
    from ..plugin.audio.limits import (
        REFERENCE_FORMATS,
        REFERENCE_MAX_BYTES,
        REFERENCE_MAX_DURATION_S,
        REFERENCE_MIN_DURATION_S,
    )

    return (
        f"The song to cover: one clip (batch of 1), {REFERENCE_MIN_DURATION_S:g} s to "
        f"{REFERENCE_MAX_DURATION_S / 60:g} min, at most {REFERENCE_MAX_BYTES // 2**20} MiB once "
        f"encoded ({', '.join(REFERENCE_FORMATS)}). Ignored when a preprocess handle is connected."
    )


def _widget(name: str, path: tuple[str, ...], prop: Mapping[str, Any], required: bool) -> Widget:
    description = str(prop.get("description", ""))
    advanced = bool(prop.get("x-advanced"))
    has_default = "default" in prop
    default = NODE_DEFAULT_OVERRIDES.get(name, prop.get("default"))
    kind_of = prop.get("type")
    limits = {"minimum": prop.get("minimum"), "maximum": prop.get("maximum"),
              "min_length": prop.get("minLength"), "max_length": prop.get("maxLength")}
    if path == ("inputs", "audio") or (path[0] == "inputs" and "audio" in name.lower()):
        return Widget(InputDef(name, "AUDIO", _audio_tooltip(), optional=not required), path,
                      description=description)
    if "enum" in prop:
        choices = {str(v): v for v in prop["enum"]}
        unset: Any = MISSING
        if not has_default and not required:
            choices = {AUTO: None, **choices}
            unset = AUTO
        label = str(default) if default is not None else next(iter(choices))
        tip = _enum_tooltip(prop, description)
        if unset is AUTO:
            tip += f" '{AUTO}' leaves it unset (the API decides)."
        combo = InputDef(name, "COMBO", tip.strip(), optional=advanced, default=label,
                         choices=tuple(choices))
        return Widget(combo, path, description=description, unset=unset, choices=choices,
                      **limits)
    if kind_of == "boolean":
        flag = InputDef(name, "BOOLEAN", description, optional=advanced,
                        default=bool(default) if default is not None else False)
        return Widget(flag, path, description=description, **limits)
    if kind_of in ("integer", "number"):
        return _number_widget(name, path, prop, required, default, advanced, description, limits)
    # strings
    unset = "" if not required else MISSING
    tip = description + _limits_text(prop) + (" Empty leaves it unset." if unset == "" else "")
    text = InputDef(name, "STRING", tip, optional=advanced or not required,
                    default=str(default) if default is not None else "",
                    multiline=bool(prop.get("x-multiline")))
    return Widget(text, path, description=description, unset=unset, **limits)


def _number_widget(name: str, path: tuple[str, ...], prop: Mapping[str, Any], required: bool,
                   default: Any, advanced: bool, description: str,
                   limits: dict[str, Any]) -> Widget:
    """An ``INT``/``FLOAT`` widget: ``seed`` gets the seed control; a number that may be left
    out gets 0 as its "unset" value."""
    is_int = prop.get("type") == "integer"
    lo, hi = prop.get("minimum"), prop.get("maximum")
    tip, unset, extra = description, MISSING, {}
    if name == "seed":
        value, lo, hi = int(default or 0), int(lo if lo is not None else 0), int(
            hi if hi is not None else INT_WIDGET_MAX)
        extra["control_after_generate"] = True
    elif "default" in prop or required:
        value = default if default is not None else (lo or 0)
    else:  # may be left out: 0 means "unset"
        value, unset, tip = 0, 0, description + " 0 leaves it unset."
        lo = min(0, lo if lo is not None else 0)
        hi = hi if hi is not None else INT_WIDGET_MAX
    if is_int and hi is None:
        hi = INT_WIDGET_MAX
    number = InputDef(name, "INT" if is_int else "FLOAT", tip, optional=advanced, default=value,
                      minimum=lo, maximum=hi, step=None if is_int else 0.01, **extra)
    return Widget(number, path, description=description, unset=unset, **limits)


@lru_cache(maxsize=32)
def widgets_for(spec: ModelSpec) -> tuple[Widget, ...]:
    """The widgets of ``spec``, in display order: media inputs, text areas, then spec order.

    Required-section widgets come before optional ones (ComfyUI's ``input_order``).
    """
    from ..plugin.spec.schema import build_request_schema

    schema = build_request_schema(spec)
    found: list[Widget] = []

    def walk(props: Mapping[str, Any], required: list[str], prefix: tuple[str, ...]) -> None:
        for name, prop in props.items():
            if not prefix and name in _NESTED and prop.get("type") == "object":
                continue  # nested objects are walked after the top level
            if prop.get("x-internal") or "const" in prop:
                continue
            found.append(_widget(name, (*prefix, name), prop, name in required))

    walk(schema.get("properties", {}), list(schema.get("required", [])), ())
    for nested in _NESTED:
        obj = schema.get("properties", {}).get(nested)
        if obj:
            walk(obj.get("properties", {}), list(obj.get("required", [])), (nested,))
    names = [w.name for w in found]
    unique = [w if names.count(w.name) == 1 else
              replace(w, input=replace(w.input, name="_".join(w.path))) for w in found]

    def rank(w: Widget) -> int:
        if w.kind == "AUDIO":
            return 0
        if w.input.multiline:
            return 1
        return 2

    ordered = sorted(unique, key=rank)  # stable: keeps spec order within a rank
    return tuple([w for w in ordered if not w.optional] + [w for w in ordered if w.optional])


def input_defs(spec: ModelSpec) -> tuple[InputDef, ...]:
    """The node inputs of ``spec``'s widgets, required ones first (see :func:`widgets_for`)."""
    return tuple(w.input for w in widgets_for(spec))


def _coerce(w: Widget, value: Any) -> Any:
    if w.kind == "COMBO":
        return w.choices.get(str(value), value)
    if w.kind == "INT" and not isinstance(value, bool):
        try:
            return int(value)
        except (TypeError, ValueError):
            return value
    if w.kind == "FLOAT" and not isinstance(value, bool):
        try:
            return float(value)
        except (TypeError, ValueError):
            return value
    if w.kind == "BOOLEAN" and isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return value


def widgets_to_request(spec: ModelSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """A (partial) task object from widget values, by widget name.

    Absent values, ``None`` (a linked input not yet known) and the "unset" sentinel are
    omitted; combo labels are mapped back to API values (``"44100"`` -> ``44100``). The
    ``AUDIO`` input is not included: the node turns it into ``inputs.audio`` itself.
    """
    request: dict[str, Any] = {}
    for w in widgets_for(spec):
        if not w.is_widget:
            continue
        value = values.get(w.name, MISSING)
        if value is MISSING or value is None:
            continue
        if w.unset is not MISSING and (value == w.unset or (w.unset == "" and
                                                             str(value).strip() == "")):
            continue
        value = _coerce(w, value)
        if value is None:
            continue
        target = request
        for key in w.path[:-1]:
            target = target.setdefault(key, {})
        target[w.path[-1]] = value
    return request


def check_widget_values(spec: ModelSpec, values: Mapping[str, Any]) -> list[str]:
    """Problems ComfyUI would have caught itself had ``VALIDATE_INPUTS`` not named the inputs.

    Checks type coercion, ``min``/``max`` of numeric widgets and combo membership; ``None``
    (linked) and absent values are skipped. Returns messages like
    ``numberResults: must be at most 4 (got 9)``.
    """
    problems: list[str] = []
    for w in widgets_for(spec):
        value = values.get(w.name, MISSING)
        if not w.is_widget or value is MISSING or value is None:
            continue
        if w.kind == "COMBO":
            if str(value) not in w.choices:
                shown = ", ".join(w.choices)
                problems.append(f"{w.name}: must be one of {shown} (got {value!r})")
            continue
        if w.kind in ("INT", "FLOAT"):
            try:
                number = float(value) if w.kind == "FLOAT" else int(value)
            except (TypeError, ValueError):
                problems.append(f"{w.name}: must be a number (got {value!r})")
                continue
            if isinstance(number, float) and not math.isfinite(number):
                problems.append(f"{w.name}: must be a finite number (got {value!r})")
                continue
            lo, hi = w.input.minimum, w.input.maximum
            if lo is not None and number < lo:
                problems.append(f"{w.name}: must be at least {lo} (got {value!r})")
            elif hi is not None and number > hi:
                problems.append(f"{w.name}: must be at most {hi} (got {value!r})")
        elif w.kind == "STRING" and not isinstance(value, str):
            problems.append(f"{w.name}: must be text (got {type(value).__name__})")
    return problems
