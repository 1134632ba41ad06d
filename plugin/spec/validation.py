"""Request validation against the generated JSON Schema, with messages a person can act on.

:func:`validate_request` fills defaults and a fresh ``taskUUID``, validates the task object with
``jsonschema`` (imported lazily) and raises one :class:`~.errors.SpecValidationError` listing
every problem as ``path: rule (got value)``. Nothing here touches the network.
"""

from __future__ import annotations

import copy
import uuid
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..errors import SpecValidationError, Violation, short_repr
from .lyrics import lint_lyrics
from .model import MINIMAX_MUSIC_COVER, ModelSpec
from .predicates import HTTP_URL_PATTERN, is_absolute_uri, is_uuid
from .schema import build_request_schema

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

__all__ = [
    "PLACEHOLDER_AUDIO",
    "apply_defaults",
    "check_request",
    "lint_request",
    "validate_params",
    "validate_request",
]

#: Stands in for ``inputs.audio`` while the rest of a request is validated before staging.
PLACEHOLDER_AUDIO = "00000000-0000-4000-8000-000000000000"

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "an array",
}


@lru_cache(maxsize=8)
def _validator(spec: ModelSpec) -> Draft202012Validator:
    from jsonschema import Draft202012Validator, FormatChecker

    checker = FormatChecker(formats=())  # a format applies to strings; the type rule does the rest
    checker.checks("uri")(lambda v: not isinstance(v, str) or is_absolute_uri(v))
    checker.checks("uuid")(lambda v: not isinstance(v, str) or is_uuid(v))
    return Draft202012Validator(build_request_schema(spec), format_checker=checker)


def apply_defaults(
    request: dict[str, Any], spec: ModelSpec = MINIMAX_MUSIC_COVER
) -> dict[str, Any]:
    """A copy of ``request`` with constants, defaults and a fresh ``taskUUID`` filled in.

    Only absent keys are filled; nothing present is changed or removed.
    """
    given = copy.deepcopy(request)
    given.setdefault("taskUUID", str(uuid.uuid4()))
    for path, value in spec.defaults().items():
        head, _, tail = path.partition(".")
        if not tail:  # nested objects get no implicit defaults
            given.setdefault(head, value)
    order = [f.path.partition(".")[0] for f in spec.fields]
    out = {key: given[key] for key in dict.fromkeys(order) if key in given}
    out.update((k, v) for k, v in given.items() if k not in out)
    return out


def _json_path(parts: Any) -> str:
    return ".".join(str(p) for p in parts)


def _lookup(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def _describe(error: ValidationError, spec: ModelSpec, root: dict[str, Any]) -> Violation:
    path = _json_path(error.absolute_path) or "(task)"
    schema_path = list(error.absolute_schema_path)
    value = error.instance
    kind = error.validator
    rule_value = error.validator_value

    if schema_path[:1] == ["allOf"] and len(schema_path) > 1:
        rule = spec.cross_rules[int(schema_path[1])]
        return Violation(rule.path, rule.message, _lookup(root, rule.path))
    if kind == "required":
        missing = [name for name in rule_value if name not in (value or {})]
        name = missing[0] if missing else "?"
        full = f"{path}.{name}" if path != "(task)" else name
        return Violation(full, "is required", has_value=False)
    if kind == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = [k for k in value if k not in allowed]
        name = extra[0] if extra else "?"
        full = f"{path}.{name}" if path != "(task)" else name
        import difflib  # only for a misspelled name

        close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else "allowed: " + ", ".join(sorted(allowed))
        return Violation(full, f"unknown parameter, not in the spec ({hint})", value.get(name))
    if kind == "type":
        want = _TYPE_NAMES.get(rule_value, rule_value)
        got = f"{type(value).__name__} {short_repr(value)}"
        return Violation(path, f"must be {want}", value, got=got)
    if kind in ("minLength", "maxLength"):
        bound = "at least" if kind == "minLength" else "at most"
        got = f"{len(value)} characters: {short_repr(value, 40)}"
        return Violation(path, f"must be {bound} {rule_value} characters", value, got=got)
    if kind in ("minimum", "maximum"):
        bound = "at least" if kind == "minimum" else "at most"
        return Violation(path, f"must be {bound} {rule_value}", value)
    if kind == "enum":
        options = ", ".join(str(v) for v in rule_value)
        return Violation(path, f"must be one of {options}", value)
    if kind == "const":
        return Violation(path, f"must be {rule_value!r}", value)
    if kind == "format":
        what = {"uuid": "a UUID", "uri": "an absolute URI"}.get(rule_value, rule_value)
        return Violation(path, f"must be {what}", value)
    if kind == "pattern":
        if path == "taskUUID":
            return Violation(path, "must be a version-4 UUID", value)
        if rule_value == HTTP_URL_PATTERN:
            return Violation(path, "must be an http(s) URL", value)
        return Violation(path, f"must match {rule_value}", value)
    if kind == "anyOf" and path == "inputs.audio":
        return Violation(path, "must be a UUID (mediaUUID) or an http(s) URL", value)
    return Violation(path, error.message, value)


def _sort_key(v: Violation, order: dict[str, int]) -> tuple[int, str]:
    return (order.get(v.path, len(order)), v.path)


def check_request(
    request: Any, spec: ModelSpec = MINIMAX_MUSIC_COVER
) -> list[Violation]:
    """Every rule ``request`` breaks, as it stands (no defaults filled); empty when valid.

    A request :func:`~.quickcheck.certainly_valid` proves valid needs no ``jsonschema`` import
    (the common case, and a share of the CLI's start-up); anything else gets the full report.
    """
    if not isinstance(request, dict):
        return [Violation("(task)", "must be a JSON object (one task)", request)]
    from .quickcheck import certainly_valid

    if certainly_valid(request, spec):
        return []
    seen: set[tuple[str, str]] = set()
    out: list[Violation] = []
    wrong_type: set[str] = set()
    for error in _validator(spec).iter_errors(request):
        v = _describe(error, spec, request)
        if error.validator == "type":
            wrong_type.add(v.path)
        if (v.path, v.rule) not in seen:
            seen.add((v.path, v.rule))
            out.append(v)
    bad_format = {v.path for v in out if v.rule.startswith("must be a UUID")}
    out = [v for v in out if not (v.path in bad_format and "version-4" in v.rule)]
    not_http = {v.path for v in out if v.rule == "must be an http(s) URL"}
    out = [v for v in out if not (v.path in not_http and v.rule == "must be an absolute URI")]
    # A value of the wrong type breaks every other rule too; report the type only.
    out = [v for v in out if v.path not in wrong_type or v.rule.startswith("must be a")
           or v.rule.startswith("must be an") or v.rule.startswith("must be true")]
    order = {f.path: i for i, f in enumerate(spec.fields)}
    return sorted(out, key=lambda v: _sort_key(v, order))


def validate_request(
    request: Any, spec: ModelSpec = MINIMAX_MUSIC_COVER
) -> dict[str, Any]:
    """Fill defaults and a fresh ``taskUUID``, then validate; return the normalized request.

    :param request: one task object (a dict), as a user or host wrote it.
    :param spec: the model's spec (default: MiniMax Music Cover).
    :returns: a new dict, ready to send.
    :raises SpecValidationError: listing every problem at once; nothing was sent.
    """
    if not isinstance(request, dict):
        raise SpecValidationError(
            [Violation("(task)", "must be a JSON object (one task)", request)]
        )
    normalized = apply_defaults(request, spec)
    problems = check_request(normalized, spec)
    if problems:
        raise SpecValidationError(problems)
    return normalized


def validate_params(
    request: Any, spec: ModelSpec = MINIMAX_MUSIC_COVER
) -> dict[str, Any]:
    """:func:`validate_request` before the song is staged: every parameter but ``inputs.audio``.

    An absent ``inputs.audio`` is filled with :data:`PLACEHOLDER_AUDIO`, so the rest of the
    request is checked before anything is uploaded or paid for. The pipeline and the node
    both validate this way.

    :returns: the normalized request (``inputs.audio`` is the placeholder when it was absent).
    :raises SpecValidationError: listing every problem at once.
    """
    if isinstance(request, dict):
        inputs = request.get("inputs", {})
        if isinstance(inputs, dict) and "audio" not in inputs:
            request = {**request, "inputs": {**inputs, "audio": PLACEHOLDER_AUDIO}}
    return validate_request(request, spec)


def lint_request(request: dict[str, Any], spec: ModelSpec = MINIMAX_MUSIC_COVER) -> list[str]:
    """Warnings for a valid request: things the API accepts but that are probably mistakes."""
    warnings: list[str] = []
    lyrics = (request.get("settings") or {}).get("lyrics")
    if isinstance(lyrics, str):
        warnings.extend(f"settings.lyrics: {w}" for w in lint_lyrics(lyrics).warnings)
    if "ttl" in request and any(f.path == "outputType" for f in spec.fields):
        output_type = spec.value(request, "outputType")
        if output_type != "URL":
            warnings.append(
                f"ttl: only applies when outputType is URL (outputType is {output_type!r})")
    return warnings
