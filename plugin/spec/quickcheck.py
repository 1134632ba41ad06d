"""A request proven valid without ``jsonschema``: the common case, at import-free cost.

``jsonschema`` (with ``referencing``, ``rpds`` and ``attrs``) costs tens of milliseconds to
import, a noticeable share of one ``minimax-cover cover`` process. Most requests are valid, so
:func:`certainly_valid` evaluates the generated schema itself for the small set of keywords it
uses (``type``, ``enum``, ``const``, ranges, lengths, ``pattern``, the ``uuid``/``uri``
formats, ``properties``/``required``/``additionalProperties``, ``allOf``/``anyOf``/``not``,
``if``/``then``/``else``) and answers True only when the request satisfies all of it.
Anything else — a problem, a keyword or a value it does not handle — answers False, and
:func:`~.validation.check_request` asks ``jsonschema`` for the full report. A True here is
therefore always a valid request (``tests/plugin/spec/test_quickcheck.py`` checks this against
``jsonschema`` on generated requests).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .model import ModelSpec
from .predicates import is_absolute_uri, is_uuid
from .schema import build_request_schema

__all__ = ["certainly_valid"]

#: Keywords that never change whether an instance is valid.
_ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "default", "examples"})
_FORMATS = {"uuid": is_uuid, "uri": is_absolute_uri}


class _Undecided(Exception):
    """A keyword or value this evaluator does not handle: ask jsonschema."""


@lru_cache(maxsize=8)
def _schema(spec: ModelSpec) -> dict[str, Any]:
    return build_request_schema(spec)


@lru_cache(maxsize=64)
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


def certainly_valid(request: Any, spec: ModelSpec) -> bool:
    """True only when ``request`` satisfies the generated schema of ``spec`` (see module doc)."""
    try:
        return _valid(request, _schema(spec))
    except _Undecided:
        return False


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        raise _Undecided
    return bool(a == b)


def _type_ok(value: Any, kind: Any) -> bool:
    if isinstance(kind, list):
        return any(_type_ok(value, k) for k in kind)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "null":
        return value is None
    if kind in ("integer", "number"):
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        if isinstance(value, float):
            if kind == "number" and value == value and abs(value) != float("inf"):
                return True
            raise _Undecided  # 3.0 as an integer, NaN, infinity: jsonschema's call
        return False
    raise _Undecided


def _valid(value: Any, schema: Any) -> bool:
    if schema is True:
        return True
    if schema is False or not isinstance(schema, dict):
        return False if schema is False else _raise()
    for key, rule in schema.items():
        if key in _ANNOTATIONS or key.startswith("x-") or key in ("then", "else"):
            continue
        if not _keyword(key, rule, value, schema):
            return False
    return True


def _raise() -> bool:
    raise _Undecided


def _keyword(key: str, rule: Any, value: Any, schema: dict[str, Any]) -> bool:
    if key == "type":
        return _type_ok(value, rule)
    if key == "enum":
        return any(_equal(value, option) for option in rule)
    if key == "const":
        return _equal(value, rule)
    if key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return True
        return {"minimum": value >= rule, "maximum": value <= rule,
                "exclusiveMinimum": value > rule, "exclusiveMaximum": value < rule}[key]
    if key in ("minLength", "maxLength"):
        if not isinstance(value, str):
            return True
        return len(value) >= rule if key == "minLength" else len(value) <= rule
    if key == "pattern":
        return not isinstance(value, str) or _pattern(rule).search(value) is not None
    if key == "format":
        check = _FORMATS.get(rule)
        if check is None:
            raise _Undecided
        return not isinstance(value, str) or check(value)
    if key == "required":
        return not isinstance(value, dict) or all(name in value for name in rule)
    if key == "properties":
        return not isinstance(value, dict) or all(
            _valid(value[name], sub) for name, sub in rule.items() if name in value)
    if key == "additionalProperties":
        if not isinstance(value, dict):
            return True
        known = schema.get("properties", {})
        if "patternProperties" in schema:
            raise _Undecided
        return all(_valid(item, rule) for name, item in value.items() if name not in known)
    if key == "allOf":
        return all(_valid(value, sub) for sub in rule)
    if key == "anyOf":
        return any(_valid(value, sub) for sub in rule)
    if key == "not":
        return not _valid(value, rule)
    if key == "if":
        branch = "then" if _valid(value, rule) else "else"
        return _valid(value, schema.get(branch, True))
    raise _Undecided
