"""JSON Schema (draft 2020-12) generated from a :class:`~.spec.ModelSpec`.

The committed files under ``schemas/`` are this module's output (``minimax-cover schema
--write``); a test fails when they drift. Besides standard keywords each property carries
``x-``-prefixed annotations that hosts read to build widgets and options (``x-advanced``,
``x-multiline``, ``x-cli``, ``x-extension``); validators ignore them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .model import MINIMAX_MUSIC_COVER, Field, ModelSpec
from .predicates import HTTP_URL_PATTERN, UUID_PATTERN

__all__ = [
    "DRAFT",
    "SCHEMA_BASE_URI",
    "build_request_schema",
    "build_result_schema",
    "committed_schema_files",
    "render_schema_files",
    "schema_dir",
]

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_BASE_URI = "https://github.com/minimax-cover/minimax-cover/raw/main/schemas/"

_PLACEMENT_DOCS = {
    "inputs": "Input resources for the task. These must be nested inside the inputs object.",
    "settings": "Technical parameters to fine-tune the inference process. These must be nested "
    "inside the settings object.",
    "audioSettings": "Output encoding for lossy formats (MP3, OGG) only; must not be provided "
    "with WAV or FLAC. Extension: listed on Runware's model page, not in the spec text.",
}


def _property(f: Field) -> dict[str, Any]:
    prop: dict[str, Any] = {"title": f.label, "description": f.description}
    if f.format == "uuid-or-uri":
        prop["type"] = "string"
        prop["anyOf"] = [
            {"format": "uuid", "pattern": UUID_PATTERN, "description": "A media UUID."},
            {"format": "uri", "pattern": HTTP_URL_PATTERN, "description": "An http(s) URL."},
        ]
    else:
        prop["type"] = f.type
        if f.format:
            prop["format"] = f.format
    if f.const is not None:
        prop["const"] = f.const
    if f.enum is not None:
        prop["enum"] = list(f.enum)
    if f.default is not None:
        prop["default"] = f.default
    for key, value in (
        ("minimum", f.minimum),
        ("maximum", f.maximum),
        ("minLength", f.min_length),
        ("maxLength", f.max_length),
        ("pattern", f.pattern),
    ):
        if value is not None:
            prop[key] = value
    if f.enum_descriptions:
        prop["x-enum-descriptions"] = dict(f.enum_descriptions)
    if f.advanced:
        prop["x-advanced"] = True
    if f.multiline:
        prop["x-multiline"] = True
    if f.cli:
        prop["x-cli"] = list(f.cli)
    if not f.user_input:
        prop["x-internal"] = True
    if f.extension:
        prop["x-extension"] = f.extension
    return prop


def _object(fields: list[Field], description: str | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {"type": "object"}
    if description:
        obj["description"] = description
    obj["properties"] = {f.name: _property(f) for f in fields}
    required = [f.name for f in fields if f.required]
    if required:
        obj["required"] = required
    obj["additionalProperties"] = False
    return obj


def _condition(when: dict[str, tuple[Any, ...]], spec: ModelSpec) -> dict[str, Any]:
    """A schema that holds when each ``path`` has one of the given values.

    A field whose default is one of the values also matches when absent (the API applies the
    default), so ``outputFormat`` missing counts as ``MP3``.
    """
    cond: dict[str, Any] = {"properties": {}, "required": []}
    defaults = spec.defaults()
    for path, values in when.items():
        head, _, tail = path.partition(".")
        if tail:
            cond["properties"][head] = {
                "properties": {tail: {"enum": list(values)}},
                "required": [tail],
            }
        else:
            cond["properties"][head] = {"enum": list(values)}
        if tail or defaults.get(path) not in values:
            cond["required"].append(head)
    return cond


def build_request_schema(spec: ModelSpec = MINIMAX_MUSIC_COVER) -> dict[str, Any]:
    """The JSON Schema of one task object of ``spec`` (draft 2020-12)."""
    by_place: dict[str, list[Field]] = {}
    for f in spec.fields:
        by_place.setdefault(f.placement, []).append(f)
    top = _object(by_place.get("top", []))
    props = top["properties"]
    for place in ("inputs", "settings", "audioSettings"):
        fields = by_place.get(place)
        if not fields:
            continue
        props[place] = _object(fields, _PLACEMENT_DOCS.get(place))
        if any(f.extension for f in fields) and all(f.extension for f in fields):
            props[place]["x-extension"] = fields[0].extension
        if any(f.required for f in fields):
            top.setdefault("required", []).append(place)
    schema: dict[str, Any] = {
        "$schema": DRAFT,
        "$id": f"{SCHEMA_BASE_URI}{spec.slug}.request.schema.json",
        "title": f"{spec.name} request ({spec.model_id})",
        "description": (
            f"One {spec.task_type} task object for Runware's {spec.model_id}. "
            f"{spec.description} Requests are sent as a JSON array of task objects. "
            "Generated from the project's parameter spec; do not edit."
        ),
        **top,
    }
    if spec.cross_rules:
        schema["allOf"] = [
            {
                "description": rule.message,
                "if": _condition(rule.when, spec),
                "then": rule.then,
                **({"x-extension": rule.extension} if rule.extension else {}),
                "x-path": rule.path,
            }
            for rule in spec.cross_rules
        ]
    return schema


def build_result_schema(spec: ModelSpec = MINIMAX_MUSIC_COVER) -> dict[str, Any]:
    """The JSON Schema of one result item (sync answer, getResponse item or webhook body)."""
    return {
        "$schema": DRAFT,
        "$id": f"{SCHEMA_BASE_URI}{spec.slug}.result.schema.json",
        "title": f"{spec.name} result ({spec.model_id})",
        "description": (
            "One item of the data array answered for a task: a finished generation, or a "
            "getResponse status item. Exactly one of audioURL, audioDataURI or audioBase64Data "
            "is present on a success, matching outputType. Servers may add fields. "
            "Generated from the project's parameter spec; do not edit."
        ),
        "type": "object",
        "properties": spec.result_fields,
        "required": ["taskType", "taskUUID"],
        "additionalProperties": True,
    }


def render_schema_files(spec: ModelSpec = MINIMAX_MUSIC_COVER) -> dict[str, str]:
    """``{file name: JSON text}`` of the generated schema files for ``spec``."""

    def dump(obj: dict[str, Any]) -> str:
        return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"

    return {
        f"{spec.slug}.request.schema.json": dump(build_request_schema(spec)),
        f"{spec.slug}.result.schema.json": dump(build_result_schema(spec)),
    }


def schema_dir() -> Path:
    """The ``schemas/`` folder of the pack (where the generated files are committed)."""
    return Path(__file__).resolve().parents[2] / "schemas"


def committed_schema_files(spec: ModelSpec = MINIMAX_MUSIC_COVER) -> dict[str, str | None]:
    """``{file name: committed text or None}`` for the files :func:`render_schema_files` makes."""
    root = schema_dir()
    out: dict[str, str | None] = {}
    for name in render_schema_files(spec):
        path = root / name
        out[name] = path.read_text(encoding="utf-8") if path.exists() else None
    return out
