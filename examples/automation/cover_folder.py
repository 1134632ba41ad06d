"""Cover every audio file in a folder with MiniMax Music Cover and print a JSON summary.

Usage::

    python examples/automation/cover_folder.py SONGS_DIR --prompt "lo-fi jazz cover" \
        [--output-dir covers] [--results 1] [--format MP3] [--seed 42] \
        [--concurrency 4] [--max-cost 5.00]

Uses the batch API (``minimax_cover.cover_batch``): every song is checked before anything is
uploaded, songs run concurrently, and **running the script again pays nothing** for songs
already covered (their files are kept, the journal knows them) and collects, by ``taskUUID``,
any song that was paid for but not saved (a killed run). Costs are requested (``includeCost``)
so ``costTotal`` is what this run spent. Without ``RUNWARE_API_KEY`` it runs against the local
sandbox (synthetic audio, no cost) and the summary says ``"sandbox": true``.

Exit code: the batch's (0 all covered, 1 a song failed, 2 bad arguments or invalid songs,
3 an outcome unknown, 4 stopped by ``--max-cost``); see ``minimax-cover batch --help``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

DONE = ("saved", "resumed", "skipped", "duplicate")


def cover_folder(
    folder: Path,
    prompt: str,
    *,
    output_dir: Path,
    number_results: int = 1,
    output_format: str = "MP3",
    seed: int | None = None,
    concurrency: int = 4,
    max_cost: float | None = None,
) -> tuple[dict[str, Any], int]:
    """Cover each audio file in ``folder`` (sorted by name); return the summary and exit code."""
    import minimax_cover

    report = minimax_cover.cover_batch(
        folder, prompt=prompt, seed=seed, number_results=number_results,
        output_format=output_format, output_dir=output_dir, concurrency=concurrency,
        max_cost=max_cost, receipt_name="cover_folder",
        delivery_method="async")  # collected together; Ctrl-C stops the wait, resumable
    items = [{
        "song": str(folder / r.song), "ok": r.status in DONE, "status": r.status,
        "taskUUID": r.task_uuid, "cost": r.cost, "error": r.error, "reason": r.reason,
        "outputs": [{"path": path, "seed": r.seeds[i] if i < len(r.seeds) else None}
                    for i, path in enumerate(r.files)],
    } for r in report.rows]
    summary = {
        "folder": str(folder),
        "songs": len(report.rows),
        "succeeded": sum(1 for i in items if i["ok"]),
        "failed": sum(1 for i in items if not i["ok"]),
        "skipped": report.count("skipped"),
        "sandbox": report.sandbox,
        "costTotal": report.cost,
        "receipt": report.receipt.get("json"),
        "items": items,
    }
    return summary, report.exit_code


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, cover the folder, print the JSON summary on stdout."""
    from minimax_cover import MinimaxCoverError

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--prompt", required=True, help="positivePrompt (10-300 characters)")
    parser.add_argument("--output-dir", type=Path, default=Path("covers"))
    parser.add_argument("--results", type=int, default=1, help="numberResults (1-4)")
    parser.add_argument("--format", default="MP3", choices=["MP3", "WAV", "FLAC", "OGG"])
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=4, help="songs in flight")
    parser.add_argument("--max-cost", type=float, default=None, help="spending cap in USD")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"error: not a folder: {args.folder}", file=sys.stderr)
        return 2
    try:
        summary, code = cover_folder(
            args.folder, args.prompt, output_dir=args.output_dir, number_results=args.results,
            output_format=args.format, seed=args.seed, concurrency=args.concurrency,
            max_cost=args.max_cost)
    except MinimaxCoverError as exc:  # invalid songs or options: nothing was sent
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2))
    return code


if __name__ == "__main__":
    sys.exit(main())
