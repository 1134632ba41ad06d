"""``minimax-cover pick FILE...``: record the chosen take in the journal.

``FILE`` is a take's audio file, or a ``picks.json`` downloaded from an audition page (its
*Pick* button keeps the pick in the browser; a static page cannot write to disk). The pick then
shows on ``spend`` receipts and batch reports. ``--list`` prints the recorded picks.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..errors import SpecValidationError, Violation

__all__ = ["add_parser", "cmd_pick", "read_picks_file"]

_AUDIO = {".mp3", ".wav", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".webm"}


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``pick``."""
    p = sub.add_parser(
        "pick", help="record the take you chose (a file, or an audition page's picks.json)",
        description="Record a pick in the journal: a take's audio file, or the picks.json an "
        "audition page's 'download picks' saved. A job has one pick; picking another take of "
        "it replaces the first. Picks show on `spend` receipts and batch reports.")
    p.add_argument("files", type=Path, nargs="*", metavar="FILE",
                   help="a take's audio file or a picks.json")
    p.add_argument("--list", action="store_true", help="print the recorded picks")
    p.add_argument("--json", action="store_true", help="print the picks as JSON")
    p.set_defaults(func=cmd_pick)


def read_picks_file(path: Path) -> list[dict[str, Any]]:
    """The entries of a page's ``picks.json``: ``[{file, taskUUID, seed, label}, ...]``."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SpecValidationError([Violation("FILE", f"a picks.json: cannot read ({exc})",
                                             str(path))]) from None
    picks = doc.get("picks") if isinstance(doc, dict) else None
    if not isinstance(picks, list) or not all(isinstance(p, dict) and p.get("file")
                                              for p in picks):
        raise SpecValidationError([Violation(
            "FILE", 'a picks.json: {"picks": [{"file": ..., "taskUUID": ...}]}', str(path))])
    return picks


def cmd_pick(args: argparse.Namespace) -> int:
    from ..journal.picks import Picks
    from ..journal.store import Journal

    if not args.files and not args.list:
        raise SpecValidationError([Violation("FILE", "give a take's file or a picks.json "
                                             "(or --list)", has_value=False)])
    recorded = []
    with Journal() as journal:
        picks = Picks(journal)
        for path in args.files:
            if path.suffix.lower() in _AUDIO:
                if not path.is_file():
                    raise SpecValidationError([Violation("FILE", "an existing audio file",
                                                         str(path))])
                recorded.append(picks.record(path.resolve(), via="cli"))
                continue
            for entry in read_picks_file(path):
                seed = entry.get("seed")
                recorded.append(picks.record(
                    entry["file"], task_uuid=entry.get("taskUUID"), label=entry.get("label"),
                    seed=seed if isinstance(seed, int) else None, via="page"))
        shown = picks.all() if args.list else recorded
    if args.json:
        print(json.dumps([p.to_dict() for p in shown], indent=2))
        return 0
    for p in shown:
        job = p.task_uuid or "no journaled job"
        seed = "" if p.seed is None else f"  seed {p.seed}"
        print(f"picked {p.file}  ({job}{seed})")
    return 0
