"""Enum values in any case: ``mp3`` means ``MP3``, ``datauri`` means ``dataURI``.

The API's enum values are fixed-case strings; people type them in any case. The CLI and the
Python API map a string that matches exactly one allowed value case-insensitively to that
value (:func:`canonical_value`, :func:`normalize_enums`) before validation; anything else is
left as it is for validation to report.
"""

from __future__ import annotations

from typing import Any

from .model import Field, ModelSpec

__all__ = ["canonical_value", "normalize_enums"]


def canonical_value(f: Field, value: Any) -> Any:
    """The allowed value of ``f`` that ``value`` spells in another case, else ``value``."""
    if not f.enum or not isinstance(value, str) or value in f.enum:
        return value
    folded = value.strip().casefold()
    matches = [e for e in f.enum if isinstance(e, str) and e.casefold() == folded]
    return matches[0] if len(matches) == 1 else value


def normalize_enums(request: dict[str, Any], spec: ModelSpec) -> dict[str, Any]:
    """``request`` with every string enum value in the API's case (changed in place)."""
    for f in spec.fields:
        if not f.enum:
            continue
        node = request if f.placement == "top" else request.get(f.placement)
        if isinstance(node, dict) and f.name in node:
            node[f.name] = canonical_value(f, node[f.name])
    return request
