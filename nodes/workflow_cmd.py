"""``minimax-cover run-workflow WORKFLOW_API.json``: run a ComfyUI API-format workflow headless.

Uses the pack's own node classes (cover nodes, torch-free audio nodes; ComfyUI's ``LoadAudio``,
``SaveAudio`` and ``PreviewAudio`` are accepted as aliases). Files from save nodes go to
``--output-dir``, previews and downloaded takes to ``--temp-dir``; relative audio paths are
looked up next to the workflow file, in the current directory, then in the pack's
``examples/audio`` (or only in ``--input-dir``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``run-workflow`` command."""
    p = sub.add_parser(
        "run-workflow",
        help="run an API-format ComfyUI workflow with this pack's nodes (no ComfyUI needed)",
        description="Run WORKFLOW_API.json (ComfyUI 'Export (API)' format) headless. Only "
        "nodes upstream of output nodes run. Without RUNWARE_API_KEY the cover node uses the "
        "local sandbox (synthetic audio).",
    )
    p.add_argument("workflow", type=Path, metavar="WORKFLOW_API.json")
    p.add_argument("--output-dir", type=Path, default=Path("output"),
                   help="where save nodes write files (default ./output)")
    p.add_argument("--temp-dir", type=Path, default=None,
                   help="where previews and downloaded takes go (default: "
                   "<system temp>/minimax-cover)")
    p.add_argument("--input-dir", type=Path, action="append", default=None,
                   help="folder for relative audio paths (repeatable; default: the workflow's "
                   "folder, the current directory, the pack's examples/audio)")
    p.add_argument("--json", action="store_true", help="print the result summary as JSON")
    p.set_defaults(func=cmd_run_workflow)


def cmd_run_workflow(args: argparse.Namespace) -> int:
    """Run the workflow; print saved files (or the JSON summary)."""
    from .folders import default_temp_dir
    from .runner import run_workflow

    result = run_workflow(args.workflow, output_dir=args.output_dir,
                          input_dirs=args.input_dir, temp_dir=args.temp_dir)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
        return 0
    for node_id, ui in result.ui.items():
        for item in ui.get("audio", []):
            kind = item.get("type", "output")
            where = Path(args.output_dir) if kind == "output" else (
                args.temp_dir or default_temp_dir())
            print(f"node {node_id}: {where / item.get('subfolder', '') / item['filename']}")
    print(f"ran {len(result.order)} node(s): {', '.join(result.order)}", file=sys.stderr)
    return 0
