"""Cover every audio file in a folder with MiniMax Music Cover and print a JSON summary.

Usage::

    python examples/automation/cover_folder.py SONGS_DIR --prompt "lo-fi jazz cover" \
        [--output-dir covers] [--results 1] [--format MP3] [--seed 42]

Uses the Python API (``minimax_cover.cover``). Without ``RUNWARE_API_KEY`` it runs against the
local sandbox (synthetic audio, no cost) and the summary says ``"sandbox": true``. One failed
song does not stop the others; the exit code is 1 if any song failed, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

AUDIO_SUFFIXES = {".mp3", ".wav", ".flac", ".ogg", ".m4a"}


def cover_folder(
    folder: Path,
    prompt: str,
    *,
    output_dir: Path,
    number_results: int = 1,
    output_format: str = "MP3",
    seed: int | None = None,
) -> dict[str, Any]:
    """Cover each audio file in ``folder`` (sorted by name); return the summary dict."""
    import minimax_cover
    from minimax_cover import MinimaxCoverError

    songs = sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
    items: list[dict[str, Any]] = []
    for song in songs:
        try:
            result = minimax_cover.cover(
                song, prompt=prompt, seed=seed, number_results=number_results,
                output_format=output_format, output_dir=output_dir, output_stem=song.stem,
            )
        except MinimaxCoverError as exc:
            items.append({"song": str(song), "ok": False, "error": str(exc),
                          "taskUUID": getattr(exc, "task_uuid", None)})
            continue
        items.append({"song": str(song), "ok": True, **result.to_dict()})
    return {
        "folder": str(folder),
        "songs": len(songs),
        "succeeded": sum(1 for i in items if i["ok"]),
        "failed": sum(1 for i in items if not i["ok"]),
        "sandbox": any(i.get("sandbox") for i in items),
        "costTotal": sum(i.get("costTotal") or 0.0 for i in items),
        "items": items,
    }


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, cover the folder, print the JSON summary on stdout."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--prompt", required=True, help="positivePrompt (10-300 characters)")
    parser.add_argument("--output-dir", type=Path, default=Path("covers"))
    parser.add_argument("--results", type=int, default=1, help="numberResults (1-4)")
    parser.add_argument("--format", default="MP3", choices=["MP3", "WAV", "FLAC", "OGG"])
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"error: not a folder: {args.folder}", file=sys.stderr)
        return 2
    summary = cover_folder(args.folder, args.prompt, output_dir=args.output_dir,
                           number_results=args.results, output_format=args.format,
                           seed=args.seed)
    print(json.dumps(summary, indent=2))
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
