"""``minimax-cover schema`` and ``minimax-cover validate``: offline, never touch the network."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import SpecValidationError, Violation
from ..spec.schema import build_request_schema, build_result_schema, render_schema_files, schema_dir
from ..spec.validation import lint_request, validate_request
from . import EXIT_INVALID, EXIT_OK
from .common import model_spec_arg, resolve_spec


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``schema`` and ``validate`` commands."""
    p = sub.add_parser(
        "schema",
        help="print the request JSON Schema (or --write the files under schemas/)",
        description="Print the JSON Schema generated from the parameter spec.",
    )
    p.add_argument("--result", action="store_true", help="print the result-item schema instead")
    p.add_argument("--write", action="store_true", help="regenerate the files under schemas/")
    p.add_argument("--check", action="store_true",
                   help="exit 1 if the files under schemas/ differ from the generator")
    p.add_argument("--dir", type=Path, default=None, help="folder for --write/--check")
    model_spec_arg(p)
    p.set_defaults(func=cmd_schema)

    v = sub.add_parser(
        "validate",
        help="validate a request JSON file (or - for stdin); prints the normalized request",
        description="Validate one task object (or an array of them) against the schema. "
        "Exit 0 and print the normalized request when valid; exit 2 and list every problem "
        "when not. Never touches the network.",
    )
    v.add_argument("file", help="request JSON file, or - for stdin")
    model_spec_arg(v)
    v.set_defaults(func=cmd_validate)


def cmd_schema(args: argparse.Namespace) -> int:
    spec = resolve_spec(args.model)
    if args.write or args.check:
        folder = args.dir or schema_dir()
        stale = []
        for name, text in render_schema_files(spec).items():
            path = folder / name
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current == text:
                continue
            stale.append(name)
            if args.write:
                folder.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
                print(f"wrote {path}", file=sys.stderr)
        if args.check and stale:
            print(f"out of date: {', '.join(stale)} (run `minimax-cover schema --write`)",
                  file=sys.stderr)
            return 1
        if not stale:
            print("schemas are up to date", file=sys.stderr)
        return EXIT_OK
    schema = build_result_schema(spec) if args.result else build_request_schema(spec)
    print(json.dumps(schema, indent=2, ensure_ascii=False))
    return EXIT_OK


def _load(source: str) -> Any:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecValidationError(
            [Violation("(file)", f"cannot read: {exc.strerror}", source)]
        ) from None
    except UnicodeDecodeError as exc:
        raise SpecValidationError(
            [Violation("(file)", f"not UTF-8 text (byte {exc.start})", source)]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise SpecValidationError(
            [Violation("(file)", f"not valid JSON: {exc.msg} at {where}", source)]
        ) from None
    except RecursionError:
        raise SpecValidationError(
            [Violation("(file)", "not valid JSON: nested too deep", source)]) from None


def cmd_validate(args: argparse.Namespace) -> int:
    spec = resolve_spec(args.model)
    data = _load(args.file)
    tasks = data if isinstance(data, list) else [data]
    out, problems = [], []
    for i, task in enumerate(tasks):
        try:
            normalized = validate_request(task, spec)
        except SpecValidationError as exc:
            prefix = f"[{i}] " if isinstance(data, list) else ""
            problems.extend(f"{prefix}{v}" for v in exc.violations)
            continue
        for warning in lint_request(normalized, spec):
            print(f"warning: {warning}", file=sys.stderr)
        out.append(normalized)
    if problems:
        count = len(problems)
        print(f"invalid request ({count} problem{'s' if count != 1 else ''}):", file=sys.stderr)
        for line in problems:
            print(f"  - {line}", file=sys.stderr)
        return EXIT_INVALID
    print(json.dumps(out if isinstance(data, list) else out[0], indent=2, ensure_ascii=False))
    return EXIT_OK
