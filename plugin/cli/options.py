"""CLI options generated from a model's JSON Schema: one ``--option`` per user-settable field.

``positivePrompt`` becomes ``--positive-prompt`` (and its ``cli`` alias ``--prompt``);
``settings.lyrics`` becomes ``--lyrics``; enums become ``choices``; help text is the schema's
description plus its rule. Values left unset are not sent (the API applies its defaults).
"""

from __future__ import annotations

import argparse
from typing import Any

from ..spec.aliases import describe_rule, field_names
from ..spec.model import ModelSpec
from ..spec.schema import build_request_schema

__all__ = ["add_schema_options", "collect_schema_options"]

_SKIP_PATHS = {"inputs.audio"}  # the positional SONG argument


def _dest(path: str) -> str:
    return "spec__" + path.replace(".", "__")


def _fields(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for name, prop in schema["properties"].items():
        if prop.get("type") == "object" and "properties" in prop:
            out.extend((f"{name}.{sub}", p) for sub, p in prop["properties"].items())
        else:
            out.append((name, prop))
    return [(path, prop) for path, prop in out
            if not prop.get("x-internal") and path not in _SKIP_PATHS]


def add_schema_options(parser: argparse.ArgumentParser, spec: ModelSpec,
                       tool_defaults: dict[str, Any] | None = None) -> None:
    """Add one option per user-settable field of ``spec`` to ``parser``.

    Option names come from :func:`~..spec.aliases.field_names`, the generator the Python API's
    keywords come from too (``--prompt`` here is ``prompt=`` there). ``tool_defaults`` are the
    values this command sends when the option is left out (e.g. ``deliveryMethod: async``): the
    help says so, and names the API's own default.
    """
    tool_defaults = tool_defaults or {}
    schema = build_request_schema(spec)
    group = parser.add_argument_group(f"{spec.name} parameters (from the JSON Schema)")
    by_path = {names.field.path: names for names in field_names(spec)}
    for path, prop in _fields(schema):
        names = by_path[path]
        rule = describe_rule(names.field)
        if path in tool_defaults:
            api = names.field.default
            rule = rule.replace(f"default {api}", f"default {tool_defaults[path]} here; the "
                                f"API's default is {api}") if api is not None else (
                f"{rule}; default {tool_defaults[path]} here" if rule else
                f"default {tool_defaults[path]} here")
        flags = list(names.flags)
        kwargs: dict[str, Any] = {"dest": _dest(path), "default": None,
                                  "help": prop.get("description", "") + (f" [{rule}]" if rule
                                                                         else "")}
        if prop.get("type") == "boolean":
            kwargs["action"] = argparse.BooleanOptionalAction
        else:
            kwargs["type"] = {"integer": int, "number": float}.get(prop.get("type", ""), str)
            if "enum" in prop:
                kwargs["choices"] = prop["enum"]
                kwargs["metavar"] = "{" + ",".join(str(v) for v in prop["enum"]) + "}"
                if kwargs["type"] is str:  # any case: --format mp3 is sent as MP3
                    kwargs["type"] = _any_case(names.field)
            else:
                kwargs["metavar"] = "TEXT" if prop.get("type") == "string" else "N"
        if names.field.name == "seed":
            from ..jobs.seeds import seed_help

            kwargs["help"] = seed_help(spec) or kwargs["help"]
        group.add_argument(*flags, **kwargs)


def _any_case(f: Any) -> Any:
    """An argparse ``type`` giving the enum value of ``f`` that a string spells in any case."""
    from ..spec.enums import canonical_value

    def convert(text: str) -> Any:
        return canonical_value(f, text)

    convert.__name__ = f.name  # argparse names the type in "invalid <type> value" errors
    return convert


def collect_schema_options(args: argparse.Namespace) -> dict[str, Any]:
    """``{"positivePrompt": ..., "settings": {"lyrics": ...}}`` from the parsed options."""
    request: dict[str, Any] = {}
    for dest, value in vars(args).items():
        if not dest.startswith("spec__") or value is None:
            continue
        parts = dest[len("spec__"):].split("__")
        node = request
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return request
