"""``minimax-cover batch MANIFEST -o OUT_DIR``: many covers, concurrent, resumable, paid once.

Every row is checked first (nothing is sent if one is invalid, unless ``--skip-invalid``);
rows already saved are skipped, rows submitted earlier are resumed by ``taskUUID``; the
report is printed (``--json``: one JSON document) and written into OUT_DIR as a receipt.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..spec.model import MINIMAX_MUSIC_COVER
from .cover_cmd import tool_defaults
from .options import add_schema_options

EPILOG = """\
MANIFEST: a .csv (header row) or .jsonl file, one cover per row: `song` (a path relative to
the manifest's folder, an http(s) URL or a media UUID), any model parameter by its spec name
or alias (positivePrompt/prompt, seed, numberResults, outputFormat, settings.lyrics/lyrics...)
and `lyrics_file`. A folder of songs is a manifest too (give --prompt). Options below set
defaults for every row; a row's own values win.

exit codes: 0 every row saved (or skipped: already saved); 1 a row failed; 2 invalid rows or
usage (nothing was sent); 3 a row's outcome is unknown or it was interrupted (run the same
command again: it is resumed by taskUUID, never paid twice); 4 rows not run because of
--max-cost; 130 interrupted by Ctrl-C (run the same command again to finish).
"""


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``batch``."""
    spec = MINIMAX_MUSIC_COVER
    p = sub.add_parser(
        "batch",
        help="cover many songs from a CSV/JSONL manifest or a folder: concurrent, resumable",
        description="Cover every row of MANIFEST with MiniMax Music Cover. Rows already saved "
        "are skipped and rows submitted earlier are collected by taskUUID, so running the "
        "same command again never pays twice. Without RUNWARE_API_KEY it runs against the "
        "local sandbox (synthetic audio) and says so.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("manifest", metavar="MANIFEST", help=".csv, .jsonl, or a folder of songs")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUT_DIR",
                   help="output folder (files named after each row's song, and the receipt)")
    p.add_argument("--concurrency", type=int, default=4, metavar="N",
                   help="jobs in flight at once (default 4)")
    p.add_argument("--max-cost", type=float, metavar="USD",
                   help="never let the batch's spend pass this (earlier runs of its rows "
                   "included); rows that would pass it are not run (exit 4)")
    p.add_argument("--dry-run", action="store_true",
                   help="check and price every row (per row and in total); send nothing")
    p.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    p.add_argument("--skip-invalid", action="store_true",
                   help="run the valid rows even if some rows are invalid")
    p.add_argument("--allow-silent", action="store_true",
                   help="send silent or near-silent songs (with a warning) instead of "
                   "listing them as invalid")
    p.add_argument("--allow-outside", action="store_true",
                   help="let the manifest's song and lyrics_file paths reach outside its "
                   "folder (else such rows are invalid)")
    p.add_argument("--executor", default="threads",
                   help="where jobs run: threads (default) or dask (pip install "
                   "'minimax-cover[dask]')")
    p.add_argument("--executor-option", action="append", default=[], metavar="KEY=VALUE",
                   help="executor option, e.g. address=tcp://scheduler:8786 or workers=4 "
                   "(dask); repeatable")
    p.add_argument("--backend", help="backend name (default: chosen by plugins; runware)")
    p.add_argument("--lyrics-file", type=Path,
                   help="default settings.lyrics for rows without lyrics")
    p.add_argument("--request", type=Path,
                   help="a request JSON file every row starts from (options override it)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar or lines")
    add_schema_options(p, spec, tool_defaults=tool_defaults(spec))
    from .compare_cmd import add_compare_option, add_measure_options

    add_compare_option(p, batch=True)
    add_measure_options(p, best=False)
    p.set_defaults(func=cmd_batch, spec=spec)


def _defaults(args: argparse.Namespace) -> dict[str, Any]:
    """Every row's defaults: ``--request``, the schema options and ``--lyrics-file``."""
    from .cover_cmd import request_from_args

    request = request_from_args(args)
    request.pop("taskUUID", None)  # one per job, made by the batch
    for key, value in tool_defaults(args.spec).items():  # a row's own value still wins
        request.setdefault(key, value)
    return request


def _executor_options(pairs: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--executor-option: must be KEY=VALUE (got {pair!r})")
        options[key.strip()] = value.strip()
    return options


def _resume_command() -> str:
    return "minimax-cover " + shlex.join(sys.argv[1:]) if len(sys.argv) > 1 else \
        "minimax-cover batch ... (the same command)"


def cmd_batch(args: argparse.Namespace) -> int:
    from ..batch.api import load_rows
    from ..batch.progress import ProgressDisplay
    from ..batch.runner import BatchOptions, BatchRunner
    from ..hooks.registry import get_registry

    spec = args.spec
    rows, manifest = load_rows(args.manifest, spec, allow_outside=args.allow_outside)
    if not rows:
        raise UsageError(f"MANIFEST: no rows in {args.manifest}")
    name = Path(args.manifest).stem if not Path(args.manifest).is_dir() else \
        Path(args.manifest).resolve().name
    options = BatchOptions(
        output_dir=args.output, concurrency=args.concurrency, max_cost=args.max_cost,
        dry_run=args.dry_run, skip_invalid=args.skip_invalid, allow_silent=args.allow_silent,
        executor=args.executor,
        executor_options=_executor_options(args.executor_option), backend=args.backend,
        receipt_name=name or "batch", manifest=manifest, compare=args.compare,
        compare_embed=args.compare_embed,
        resume_hint=f"run the same command again: {_resume_command()}")
    quiet = getattr(args, "quiet", False)  # --no-progress still says what Ctrl-C does
    display = None if quiet else ProgressDisplay(rows=not args.no_progress)
    runner = BatchRunner(rows, spec=spec, registry=get_registry(), defaults=_defaults(args),
                         options=options, on_progress=display)
    report = runner.run()
    _measure_and_picks(args, report, manifest, name or "batch")
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        _print_report(report)
    if report.resume_hint and report.exit_code in (3, 130):
        left = sum(1 for r in report.rows if r.status in ("interrupted", "unknown", "not-run"))
        if left:
            print(f"{left} row(s) not finished; nothing is paid twice: {report.resume_hint}",
                  file=sys.stderr)
    return report.exit_code


def _measure_and_picks(args: argparse.Namespace, report: Any, manifest: Any, name: str) -> None:
    """``--measure``: measure the rows' takes; attach journal picks; refresh the receipt and
    the ``--compare`` index with them (the runner has written both without)."""
    if report.dry_run:
        return
    from ..batch.measures import attach_picks, measure_rows, rewrite_index
    from ..batch.report import write_receipt

    measured = 0
    if getattr(args, "measure", False):
        base = Path(args.manifest).resolve()
        measured = measure_rows(report, base if base.is_dir() else base.parent)
    attach_picks(report)
    if not measured and not any(r.picked for r in report.rows):
        return
    if report.receipt:
        write_receipt(report, Path(args.output), name)
    rewrite_index(report, Path(args.output), name)


def _print_report(report: Any) -> None:
    where = "SANDBOX (synthetic audio, not MiniMax)" if report.sandbox else report.backend
    title = "dry run (nothing sent)" if report.dry_run else \
        f"{report.executor}, concurrency {report.concurrency}"
    print(f"batch: {len(report.rows)} row(s) via {where} [{title}]")
    for r in report.rows:
        money = r.cost if r.cost is not None else r.estimate
        price = f"${money:.2f}" if money is not None and r.status not in (
            "skipped", "duplicate", "invalid", "not-run") else ""
        written = r.files or r.would_write  # --dry-run: the files each row would write
        detail = ", ".join(written) if written else (r.error or r.reason or "")
        detail = detail.splitlines()[0] if detail else ""
        print(f"  {r.row:>4}  {r.status:<12} {price:>7}  {r.song}" +
              (f"  -> {detail}" if detail else ""))
        best = next((t for t in (r.measures or {}).get("takes", []) if t.get("best")), None)
        if best is not None:
            print(f"        best: {best['path']}  melody kept {best['melodyKept']:.2f}, "
                  f"{best['loudnessLUFS']} LUFS")
        if r.picked:
            print(f"        picked: {r.picked}")
    t = report.totals()
    statuses = dict.fromkeys(r.status for r in report.rows)
    counts = ", ".join(f"{report.count(s)} {s}" for s in statuses)
    if report.dry_run:
        print(f"total: {counts}; price ${t['estimate']:.2f} for {report.count('would-run')} "
              f"row(s) to run (${report.spent_before:.2f} spent by earlier runs)")
        return
    charged = "  (sandbox: nothing was charged)" if report.sandbox else ""
    print(f"total: {counts}; {t['results']} result(s); cost ${t['cost']:.2f} this run"
          f"{charged}; {t['elapsedSeconds']:.1f} s")
    if report.receipt:
        print(f"receipt: {report.receipt['json']}, {report.receipt['csv']}")
    if report.compare_index:
        pages = sum(1 for r in report.rows if r.page and r.status != "duplicate")
        print(f"compare: {pages} page(s), index {report.compare_index}")
