"""Every spelling of a spec field, generated once: CLI option names and Python keywords.

A field's *option name* is its leaf name (``positivePrompt``, ``lyrics``), or its path joined
with a dash when two placements share a leaf, followed by the field's ``cli`` aliases
(``--prompt``). The CLI's flags are their kebab-case forms (``--positive-prompt``,
``--prompt``); the Python API's keywords are their snake_case forms (``positive_prompt``,
``prompt``) plus the spec's own spellings (``positivePrompt``, ``settings.lyrics``). Adding a
field to a spec adds its option and its keywords; no alias is written by hand.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from ..errors import SpecValidationError, Violation
from .model import MINIMAX_MUSIC_COVER, Field, ModelSpec

__all__ = [
    "FieldNames",
    "describe_keywords",
    "describe_rule",
    "field_names",
    "kebab",
    "keyword_table",
    "request_from_keywords",
    "resolve_keyword",
]

#: Fields given some other way than by keyword (the song is ``cover()``'s first argument).
_NOT_KEYWORDS = frozenset({"inputs.audio"})


def kebab(name: str) -> str:
    """``positivePrompt`` -> ``positive-prompt``; ``webhookURL`` -> ``webhook-url``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).replace(".", "-").replace("_", "-").lower()


@dataclass(frozen=True)
class FieldNames:
    """The generated names of one field: ``options`` in kebab case, the primary one first."""

    field: Field
    options: tuple[str, ...]

    @property
    def flags(self) -> tuple[str, ...]:
        """CLI flags: ``("--positive-prompt", "--prompt")``."""
        return tuple(f"--{o}" for o in self.options)

    @property
    def keywords(self) -> tuple[str, ...]:
        """Python keywords: the spec's name and path, then the snake_case option names."""
        snake = (o.replace("-", "_") for o in self.options)
        return tuple(dict.fromkeys((self.field.name, self.field.path, *snake)))


@lru_cache(maxsize=16)
def field_names(spec: ModelSpec = MINIMAX_MUSIC_COVER) -> tuple[FieldNames, ...]:
    """The names of every user-settable field of ``spec``, in spec order."""
    fields = [f for f in spec.user_fields if f.path not in _NOT_KEYWORDS]
    leaves = [f.name for f in fields]
    out = []
    for f in fields:
        primary = kebab(f.name if leaves.count(f.name) == 1 else f.path)
        extra = (kebab(c.lstrip("-")) for c in f.cli)
        out.append(FieldNames(f, tuple(dict.fromkeys((primary, *extra)))))
    return tuple(out)


@lru_cache(maxsize=16)
def keyword_table(spec: ModelSpec = MINIMAX_MUSIC_COVER) -> Mapping[str, Field]:
    """``{keyword: field}`` for every keyword the Python API takes (see the module doc).

    Internal fields (``taskUUID``...) are reachable by their spec name only. When two fields
    would share a keyword, the spec's own spelling wins, then the earlier field.
    """
    table: dict[str, Field] = {}
    for f in spec.fields:
        if f.path not in _NOT_KEYWORDS:
            table.setdefault(f.path, f)
            table.setdefault(f.name, f)
    for names in field_names(spec):
        for key in names.keywords:
            table.setdefault(key, names.field)
    return MappingProxyType(table)  # cached: read-only


def _placements(spec: ModelSpec) -> dict[str, str]:
    """``{keyword: placement}`` for nested objects given whole (``audioSettings={...}``)."""
    places = {f.placement for f in spec.user_fields if f.placement not in ("top", "inputs")}
    return {key: p for p in places for key in (p, kebab(p).replace("-", "_"))}


def resolve_keyword(key: str, spec: ModelSpec = MINIMAX_MUSIC_COVER) -> Field:
    """The field ``key`` names; :class:`SpecValidationError` with a "did you mean" otherwise."""
    table = keyword_table(spec)
    if key in table:
        return table[key]
    if key in _NOT_KEYWORDS or key == "audio":
        rule = "is not a keyword: give the song as the first argument"
    else:
        import difflib  # only for a misspelled name

        close = difflib.get_close_matches(key, [*table, *_placements(spec)], n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"see the fields of {spec.name}"
        rule = f"unknown parameter, not in the spec ({hint})"
    raise SpecValidationError([Violation(key, rule, has_value=False)])


def request_from_keywords(
    request: Mapping[str, Any] | None = None,
    spec: ModelSpec = MINIMAX_MUSIC_COVER,
    **params: Any,
) -> dict[str, Any]:
    """A task object: a copy of ``request`` with ``params`` set by any keyword of the spec.

    A key may be a field name (``positivePrompt``), its path (``settings.lyrics``), a
    generated alias (``prompt``, ``positive_prompt``, ``lyrics``, ``results``, ``format``) or a
    nested object given whole (``audioSettings={"bitrate": 192}``, merged). ``None`` values are
    ignored.

    :raises SpecValidationError: an unknown keyword (with a "did you mean"), or one field
        given twice under two names; nothing else is checked here.
    """
    out: dict[str, Any] = copy.deepcopy(dict(request or {}))
    placements = _placements(spec)
    seen: dict[str, str] = {}
    problems: list[Violation] = []
    for key, value in params.items():
        if value is None:
            continue
        if key in placements and isinstance(value, Mapping):
            _slot(out, placements[key]).update(value)
            continue
        try:
            f = resolve_keyword(key, spec)
        except SpecValidationError as exc:
            problems.extend(exc.violations)
            continue
        if f.path in seen:
            problems.append(Violation(f.path, f"given twice (as {seen[f.path]} and {key})",
                                      value))
            continue
        seen[f.path] = key
        (out if f.placement == "top" else _slot(out, f.placement))[f.name] = value
    if problems:
        raise SpecValidationError(problems)
    return out


def describe_rule(f: Field) -> str:
    """The field's rules in brief: ``10–300 characters; default 1`` ("" when it has none)."""
    parts = []
    if f.min_length is not None or f.max_length is not None:
        parts.append(f"{f.min_length or 0}–{f.max_length if f.max_length is not None else '∞'}"
                     " characters")
    if f.minimum is not None or f.maximum is not None:
        lo = f.minimum if f.minimum is not None else "-∞"
        parts.append(f"{lo}–{f.maximum if f.maximum is not None else '∞'}")
    if f.default is not None:
        parts.append(f"default {f.default}")
    if f.extension:
        parts.append("extension beyond the spec text")
    return "; ".join(parts)


def describe_keywords(spec: ModelSpec = MINIMAX_MUSIC_COVER) -> str:
    """One line per field: its keywords, path, values and rules (for ``cover()``'s doc)."""
    lines = []
    for names in field_names(spec):
        f = names.field
        values = f" ({', '.join(map(str, f.enum))})" if f.enum else ""
        rule = describe_rule(f)
        lines.append(f"    ``{'``, ``'.join(names.keywords)}``: {f.path}{values}"
                     + (f" [{rule}]" if rule else ""))
    return "\n".join(lines)


def _slot(request: dict[str, Any], placement: str) -> dict[str, Any]:
    node = request.get(placement)
    if not isinstance(node, dict):
        node = request[placement] = {}
    return node
