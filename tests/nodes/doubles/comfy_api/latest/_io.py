"""Test double of ComfyUI's V3 ``io`` module (``comfy_api/latest/_io.py``), torch-free.

Same class names, keyword parameters, ``Schema`` fields, ``finalize``/``validate`` rules
(unique ids across inputs and outputs; API nodes get the Comfy.org hidden inputs, output nodes
``prompt``/``extra_pnginfo``), V1 rendering (``as_dict``, ``input_dict_v1``) and the per-call
class clone holding ``hidden``. Written for the tests from ComfyUI's documented behaviour.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


def _prune(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


class UploadType(str, Enum):
    image = "image_upload"
    audio = "audio_upload"
    video = "video_upload"
    model = "file_upload"


class NumberDisplay(str, Enum):
    number = "number"
    slider = "slider"


class Hidden(str, Enum):
    unique_id = "UNIQUE_ID"
    prompt = "PROMPT"
    extra_pnginfo = "EXTRA_PNGINFO"
    dynprompt = "DYNPROMPT"
    auth_token_comfy_org = "AUTH_TOKEN_COMFY_ORG"
    api_key_comfy_org = "API_KEY_COMFY_ORG"


class HiddenHolder:
    """What ``cls.hidden`` holds during a run; unknown attributes read as ``None``."""

    def __init__(self, values: dict[str, Any] | None = None) -> None:
        for member in Hidden:
            setattr(self, member.name, (values or {}).get(member.value))

    def __getattr__(self, key: str) -> Any:
        return None


class Input:
    io_type: str = ""

    def __init__(self, id: str, display_name: str | None = None, optional: bool = False,
                 tooltip: str | None = None, lazy: bool | None = None,
                 extra_dict: dict[str, Any] | None = None, raw_link: bool | None = None) -> None:
        self.id, self.display_name, self.optional = id, display_name, optional
        self.tooltip, self.lazy, self.extra_dict, self.rawLink = (
            tooltip, lazy, extra_dict or {}, raw_link)

    def as_dict(self) -> dict[str, Any]:
        return _prune({"display_name": self.display_name, "optional": self.optional,
                       "tooltip": self.tooltip, "lazy": self.lazy,
                       "rawLink": self.rawLink}) | _prune(self.extra_dict)

    def get_io_type(self) -> str:
        return self.io_type


class WidgetInput(Input):
    def __init__(self, id: str, display_name: str | None = None, optional: bool = False,
                 tooltip: str | None = None, lazy: bool | None = None, default: Any = None,
                 socketless: bool | None = None, widget_type: str | None = None,
                 force_input: bool | None = None, extra_dict: dict[str, Any] | None = None,
                 raw_link: bool | None = None) -> None:
        super().__init__(id, display_name, optional, tooltip, lazy, extra_dict, raw_link)
        self.default, self.socketless = default, socketless
        self.widget_type, self.force_input = widget_type, force_input

    def as_dict(self) -> dict[str, Any]:
        return super().as_dict() | _prune({"default": self.default,
                                           "socketless": self.socketless,
                                           "widgetType": self.widget_type,
                                           "forceInput": self.force_input})


class Output:
    io_type: str = ""

    def __init__(self, id: str | None = None, display_name: str | None = None,
                 tooltip: str | None = None, is_output_list: bool = False) -> None:
        self.id, self.display_name, self.tooltip = id, display_name, tooltip
        self.is_output_list = is_output_list


def _comfytype(io_type: str, input_base: type[Input] = Input,
               input_body: dict[str, Any] | None = None) -> type:
    inp = type("Input", (input_base,), {"io_type": io_type, **(input_body or {})})
    out = type("Output", (Output,), {"io_type": io_type})
    return type(io_type.title(), (), {"io_type": io_type, "Input": inp, "Output": out})


def Custom(io_type: str) -> type:  # noqa: N802 (ComfyUI's name)
    return _comfytype(io_type)


def _boolean_init(self: Any, id: str, display_name: str | None = None, optional: bool = False,
                  tooltip: str | None = None, lazy: bool | None = None,
                  default: bool | None = None, label_on: str | None = None,
                  label_off: str | None = None, socketless: bool | None = None,
                  force_input: bool | None = None, extra_dict: dict[str, Any] | None = None,
                  raw_link: bool | None = None) -> None:
    WidgetInput.__init__(self, id, display_name, optional, tooltip, lazy, default, socketless,
                         None, force_input, extra_dict, raw_link)
    self.label_on, self.label_off = label_on, label_off


def _int_init(self: Any, id: str, display_name: str | None = None, optional: bool = False,
              tooltip: str | None = None, lazy: bool | None = None, default: int | None = None,
              min: int | None = None, max: int | None = None, step: int | None = None,
              control_after_generate: bool | None = None,
              display_mode: NumberDisplay | None = None, socketless: bool | None = None,
              force_input: bool | None = None, extra_dict: dict[str, Any] | None = None,
              raw_link: bool | None = None) -> None:
    WidgetInput.__init__(self, id, display_name, optional, tooltip, lazy, default, socketless,
                         None, force_input, extra_dict, raw_link)
    self.min, self.max, self.step = min, max, step
    self.control_after_generate, self.display_mode = control_after_generate, display_mode


def _int_as_dict(self: Any) -> dict[str, Any]:
    return WidgetInput.as_dict(self) | _prune({
        "min": self.min, "max": self.max, "step": self.step,
        "control_after_generate": self.control_after_generate,
        "display": self.display_mode.value if self.display_mode else None})


def _float_init(self: Any, id: str, display_name: str | None = None, optional: bool = False,
                tooltip: str | None = None, lazy: bool | None = None,
                default: float | None = None, min: float | None = None,
                max: float | None = None, step: float | None = None,
                round: float | None = None, display_mode: NumberDisplay | None = None,
                socketless: bool | None = None, force_input: bool | None = None,
                extra_dict: dict[str, Any] | None = None, raw_link: bool | None = None) -> None:
    WidgetInput.__init__(self, id, display_name, optional, tooltip, lazy, default, socketless,
                         None, force_input, extra_dict, raw_link)
    self.min, self.max, self.step, self.round = min, max, step, round
    self.display_mode = display_mode


def _float_as_dict(self: Any) -> dict[str, Any]:
    return WidgetInput.as_dict(self) | _prune({"min": self.min, "max": self.max,
                                               "step": self.step, "round": self.round,
                                               "display": self.display_mode})


def _string_init(self: Any, id: str, display_name: str | None = None, optional: bool = False,
                 tooltip: str | None = None, lazy: bool | None = None, multiline: bool = False,
                 placeholder: str | None = None, default: str | None = None,
                 dynamic_prompts: bool | None = None, socketless: bool | None = None,
                 force_input: bool | None = None, extra_dict: dict[str, Any] | None = None,
                 raw_link: bool | None = None) -> None:
    WidgetInput.__init__(self, id, display_name, optional, tooltip, lazy, default, socketless,
                         None, force_input, extra_dict, raw_link)
    self.multiline, self.placeholder, self.dynamic_prompts = (
        multiline, placeholder, dynamic_prompts)


def _string_as_dict(self: Any) -> dict[str, Any]:
    return WidgetInput.as_dict(self) | _prune({"multiline": self.multiline,
                                               "placeholder": self.placeholder,
                                               "dynamicPrompts": self.dynamic_prompts})


def _combo_init(self: Any, id: str, options: list[Any] | None = None,
                display_name: str | None = None, optional: bool = False,
                tooltip: str | None = None, lazy: bool | None = None, default: Any = None,
                control_after_generate: bool | None = None, upload: UploadType | None = None,
                image_folder: Any = None, remote: Any = None, socketless: bool | None = None,
                extra_dict: dict[str, Any] | None = None, raw_link: bool | None = None) -> None:
    WidgetInput.__init__(self, id, display_name, optional, tooltip, lazy, default, socketless,
                         None, None, extra_dict, raw_link)
    self.multiselect, self.options = False, options
    self.control_after_generate, self.upload = control_after_generate, upload
    self.image_folder, self.remote = image_folder, remote


def _combo_as_dict(self: Any) -> dict[str, Any]:
    return WidgetInput.as_dict(self) | _prune({
        "multiselect": self.multiselect, "options": self.options,
        "control_after_generate": self.control_after_generate,
        **({self.upload.value: True} if self.upload is not None else {})})


def _boolean_as_dict(self: Any) -> dict[str, Any]:
    return WidgetInput.as_dict(self) | _prune({"label_on": self.label_on,
                                               "label_off": self.label_off})


Boolean = _comfytype("BOOLEAN", WidgetInput, {"__init__": _boolean_init,
                                               "as_dict": _boolean_as_dict})
Int = _comfytype("INT", WidgetInput, {"__init__": _int_init, "as_dict": _int_as_dict})
Float = _comfytype("FLOAT", WidgetInput, {"__init__": _float_init, "as_dict": _float_as_dict})
String = _comfytype("STRING", WidgetInput, {"__init__": _string_init,
                                             "as_dict": _string_as_dict})
Combo = _comfytype("COMBO", WidgetInput, {"__init__": _combo_init, "as_dict": _combo_as_dict})
Audio = _comfytype("AUDIO")


def add_to_dict_v1(i: Input, d: dict[str, Any]) -> None:
    as_dict = i.as_dict()
    as_dict.pop("optional", None)
    d.setdefault("optional" if i.optional else "required", {})[i.id] = (i.get_io_type(), as_dict)


@dataclass
class PriceBadgeDepends:
    widgets: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    input_groups: list[str] = field(default_factory=list)

    def as_dict(self, schema_inputs: list[Input]) -> dict[str, Any]:
        """Widgets with their types; an unknown widget is a ValueError (as in ComfyUI)."""
        types = {i.id: i.get_io_type() for i in schema_inputs}
        unknown = [w for w in self.widgets if w not in types]
        if unknown:
            raise ValueError(f"PriceBadge depends_on.widgets references unknown widget(s) "
                             f"{unknown}")
        return {"widgets": [{"name": w, "type": types[w]} for w in self.widgets],
                "inputs": list(self.inputs), "input_groups": list(self.input_groups)}


@dataclass
class PriceBadge:
    expr: str
    depends_on: PriceBadgeDepends = field(default_factory=PriceBadgeDepends)
    engine: str = field(default="jsonata")


@dataclass
class Schema:
    node_id: str
    display_name: str | None = None
    category: str = "sd"
    inputs: list[Input] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    hidden: list[Hidden] = field(default_factory=list)
    description: str = ""
    is_input_list: bool = False
    is_output_node: bool = False
    is_deprecated: bool = False
    is_experimental: bool = False
    is_api_node: bool = False
    not_idempotent: bool = False
    enable_expand: bool = False
    price_badge: PriceBadge | None = None

    def validate(self) -> None:
        """Ids must be unique among inputs, among outputs, and between the two lists."""
        input_ids = [i.id for i in self.inputs]
        output_ids = [o.id for o in self.outputs]
        issues = []
        if len(set(input_ids)) != len(input_ids):
            issues.append(f"Input ids must be unique, but "
                          f"{[k for k, n in Counter(input_ids).items() if n > 1]} are not.")
        if len(set(output_ids)) != len(output_ids):
            issues.append(f"Output ids must be unique, but "
                          f"{[k for k, n in Counter(output_ids).items() if n > 1]} are not.")
        both = set(input_ids) & set(output_ids)
        if both:
            issues.append(f"Ids must be unique between inputs and outputs, but {both} are not.")
        if self.price_badge is not None:  # ComfyUI renders it for /object_info; bad names raise
            self.price_badge.depends_on.as_dict(self.inputs)
        if issues:
            raise ValueError("\n".join(issues))

    def finalize(self) -> None:
        """Add the hidden inputs the flags imply; give outputs without an id a default id."""
        if self.is_api_node:
            for h in (Hidden.auth_token_comfy_org, Hidden.api_key_comfy_org):
                if h not in self.hidden:
                    self.hidden.append(h)
        if self.is_output_node:
            for h in (Hidden.prompt, Hidden.extra_pnginfo):
                if h not in self.hidden:
                    self.hidden.append(h)
        for i, output in enumerate(self.outputs):
            if output.id is None:
                output.id = f"_{i}_{output.io_type}_"

    def input_dict_v1(self) -> dict[str, Any]:
        """The V1 ``input`` dict ComfyUI serves for this schema (``/object_info``)."""
        out: dict[str, Any] = {"required": {}}
        for i in self.inputs:
            add_to_dict_v1(i, out)
        for h in self.hidden:
            out.setdefault("hidden", {})[h.name] = (h.value,)
        return out


class NodeOutput:
    def __init__(self, *args: Any, ui: Any = None, expand: dict[str, Any] | None = None,
                 block_execution: str | None = None) -> None:
        self.args, self.ui, self.expand, self.block_execution = args, ui, expand, block_execution

    @property
    def result(self) -> tuple[Any, ...] | None:
        return self.args if self.args else None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NodeOutput:
        return cls(*data.get("result", ()), ui=data.get("ui"), expand=data.get("expand"))


class ComfyNode:
    """Base of V3 nodes: hooks are classmethods; ``hidden`` is set on a per-run clone."""

    hidden: HiddenHolder | None = None

    @classmethod
    def define_schema(cls) -> Schema:
        raise NotImplementedError

    @classmethod
    def execute(cls, **kwargs: Any) -> NodeOutput:
        raise NotImplementedError

    @classmethod
    def GET_SCHEMA(cls) -> Schema:  # noqa: N802 (ComfyUI's name)
        schema = cls.define_schema()
        schema.finalize()
        schema.validate()
        return schema

    @classmethod
    def PREPARE_CLASS_CLONE(cls, v3_data: dict[str, Any] | None) -> type:  # noqa: N802
        """A clone whose ``hidden`` holds ``v3_data["hidden_inputs"]`` (keyed by V1 type)."""
        clone = type(cls.__name__, (cls,), {})
        clone.hidden = HiddenHolder((v3_data or {}).get("hidden_inputs"))
        return clone
