"""``minimax-cover plugins``: which plugins are loaded, their hooks and versions, and failures.

Built-in plugins are hidden unless ``--all`` is given (like ``llm plugins --all``); plugins that
failed to load are always shown, with their error.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["add_parser", "cmd_plugins", "plugin_rows"]


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``plugins`` command."""
    p = sub.add_parser(
        "plugins",
        help="list installed plugins (name, hooks, version); failed ones show their error",
        description="List the plugins loaded from the 'minimax_cover' entry point group. "
        "MINIMAX_COVER_LOAD_PLUGINS and MINIMAX_COVER_BLOCK_PLUGINS choose which ones load.",
    )
    p.add_argument("--json", action="store_true", help="print a JSON list on stdout")
    p.add_argument("--all", action="store_true", help="include the built-in plugins")
    p.add_argument("--hook", action="append", metavar="NAME",
                   help="only plugins implementing this hook (repeatable)")
    p.set_defaults(func=cmd_plugins)


def plugin_rows(*, include_builtins: bool = False, hooks: list[str] | None = None
                ) -> list[dict[str, Any]]:
    """The rows ``plugins`` prints: ``name, hooks, version, dist, builtin, error`` each."""
    from ..hooks.registry import get_registry

    rows = []
    for info in get_registry().list_plugins():
        if info.builtin and not include_builtins:
            continue
        if hooks and not set(hooks) & set(info.hooks):
            continue
        rows.append(info.to_dict())
    return rows


def cmd_plugins(args: argparse.Namespace) -> int:
    """Print the plugin list; exit 1 when a plugin failed to load."""
    from ..hooks.registry import get_registry

    known = {h for h in dir(get_registry().hook) if not h.startswith("_")}
    unknown = [h for h in args.hook or [] if h not in known]
    if unknown:
        print(f"error: --hook: unknown hook {', '.join(unknown)} (hooks: "
              f"{', '.join(sorted(known))})", file=sys.stderr)
        return 2
    rows = plugin_rows(include_builtins=args.all, hooks=args.hook)
    if args.json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print("no plugins installed (use --all to show the built-in ones)", file=sys.stderr)
    else:
        for row in rows:
            tag = " [builtin]" if row["builtin"] else ""
            version = f" {row['version']}" if row["version"] else ""
            print(f"{row['name']}{version}{tag}")
            if row["error"]:
                print(f"  FAILED: {row['error']}")
            elif row["hooks"]:
                print(f"  hooks: {', '.join(row['hooks'])}")
    return 1 if any(r["error"] for r in rows) else 0
