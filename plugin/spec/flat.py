"""The request as flat arguments: every user field by its API name, one level, for tool hosts.

An MCP tool's ``inputSchema`` and the HTTP service's request body take the spec's fields flat
(``positivePrompt``, ``numberResults``, ``seed``, ``outputFormat``, ``lyrics`` for
``settings.lyrics``, ``sampleRate`` for ``audioSettings.sampleRate``...), plus the song. The
properties, with their rules (ranges, lengths, enums, defaults), are copied from the generated
request schema (:func:`~.schema.build_request_schema`), so the flat form never drifts from it.
A leaf name shared by two placements is given by its path instead.
"""

from __future__ import annotations

import copy
from typing import Any

from ..errors import SpecValidationError, short_repr
from .aliases import field_names
from .model import MINIMAX_MUSIC_COVER, Field, ModelSpec
from .schema import DRAFT, build_request_schema

__all__ = ["SONG_DESCRIPTION", "flat_name", "flat_names", "flat_schema", "flat_violations"]

SONG_DESCRIPTION = ("The song to cover: an http(s) URL or a media UUID (and, where the host "
                    "reads files, a local path). 6 s to 6 min.")


def flat_name(f: Field, spec: ModelSpec = MINIMAX_MUSIC_COVER) -> str:
    """The flat argument naming ``f``: its leaf name, or its path when the leaf is shared."""
    leaves = [n.field.name for n in field_names(spec)]
    return f.name if leaves.count(f.name) == 1 else f.path


def flat_names(spec: ModelSpec = MINIMAX_MUSIC_COVER) -> dict[str, Field]:
    """``{flat argument: field}`` for every user field of ``spec`` (the song excluded)."""
    return {flat_name(n.field, spec): n.field for n in field_names(spec)}


def _property_of(schema: dict[str, Any], f: Field) -> dict[str, Any]:
    node = schema
    if f.placement != "top":
        node = schema["properties"][f.placement]
    prop = copy.deepcopy(node["properties"][f.name])
    return {k: v for k, v in prop.items() if k not in ("x-internal",)}


def flat_schema(
    spec: ModelSpec = MINIMAX_MUSIC_COVER,
    *,
    song: dict[str, Any] | None = None,
    extra: dict[str, dict[str, Any]] | None = None,
    title: str | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """A JSON Schema object (2020-12) of the flat arguments: ``song`` first, then every user
    field by its flat name with the spec's rules, then ``extra`` properties.

    :param song: the ``song`` property (default: a string, :data:`SONG_DESCRIPTION`).
    :param extra: more properties (e.g. ``output``, ``callbackURL``), added as given.
    """
    request = build_request_schema(spec)
    props: dict[str, Any] = {"song": song or {"type": "string", "minLength": 1,
                                              "description": SONG_DESCRIPTION}}
    required = ["song"]
    for name, f in flat_names(spec).items():
        prop = _property_of(request, f)
        if f.path != name:
            prop["x-path"] = f.path
        props[name] = prop
        if f.required:
            required.append(name)
    props.update(copy.deepcopy(extra or {}))
    schema: dict[str, Any] = {
        "$schema": DRAFT,
        "title": title or f"{spec.name}: flat arguments",
        "description": description or (
            f"Arguments of one {spec.name} job: the song, then the request's fields by their "
            "API names, flat (generated from the parameter spec)."),
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }
    return schema


def flat_violations(exc: SpecValidationError, spec: ModelSpec = MINIMAX_MUSIC_COVER
                    ) -> list[dict[str, Any]]:
    """The problems of ``exc`` as JSON objects naming the flat argument (``field``), the
    request path (``path``), the rule and the value (shortened, as in the message)."""
    by_path = {f.path: name for name, f in flat_names(spec).items()}
    out = []
    for v in exc.violations:
        out.append({"field": by_path.get(v.path, v.path), "path": v.path, "rule": v.rule,
                    "value": (v.got or short_repr(v.value)) if v.has_value else None,
                    "message": str(v)})
    return out

