"""``minimax-cover preprocess SONG``: step 1 of the two-step cover (MiniMax's preprocess).

Prints the lyrics MiniMax heard, the song's sections and the handle; ``-o handle.json`` saves
the handle for ``minimax-cover cover --preprocess handle.json --lyrics-file edited.txt``.
A song preprocessed before reuses its live handle (the preprocess cache, :mod:`..minimax.cache`)
and says so; ``--fresh`` asks MiniMax again. ``--lyrics-skeleton`` writes the structure as
section tags for an instrumental cover. Without ``MINIMAX_API_KEY`` it runs against the local
MiniMax sandbox and says so.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import SpecValidationError, Violation

__all__ = ["add_parser", "cmd_preprocess"]


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``preprocess`` command."""
    p = sub.add_parser(
        "preprocess",
        help="two-step cover, step 1: extract lyrics and structure, get a 24 h handle",
        description="Send SONG to MiniMax's music_cover_preprocess. Edit the printed lyrics, "
        "then run `minimax-cover cover --preprocess HANDLE.json --lyrics-file EDITED.txt`. "
        "Without MINIMAX_API_KEY it runs against the local MiniMax sandbox (synthetic).",
    )
    p.add_argument("song", help="audio file (6 s to 6 min, at most 50 MB) or an http(s) URL")
    p.add_argument("-o", "--output", type=Path, metavar="HANDLE.json",
                   help="write the handle here")
    p.add_argument("--lyrics-out", type=Path, metavar="LYRICS.txt",
                   help="also write the extracted lyrics here, ready to edit")
    p.add_argument("--lyrics-skeleton", type=Path, metavar="SKELETON.txt",
                   help="write the song's structure as section tags ([Intro], [Verse 1], "
                        "[Chorus]...), lyrics for an instrumental cover")
    p.add_argument("--fresh", action="store_true",
                   help="analyse the song again even if a live handle for it is cached")
    p.add_argument("--json", action="store_true", help="print the handle as JSON on stdout")
    p.set_defaults(func=cmd_preprocess)


def _read_song(song: str) -> tuple[bytes | None, str | None]:
    """``(bytes, None)`` for a file (checked against the limits), ``(None, url)`` for a URL."""
    from ..spec.predicates import is_url

    if is_url(song.strip()):
        return None, song.strip()
    path = Path(song)
    if not path.is_file():
        raise SpecValidationError([Violation("SONG", "file not found", song)])
    from ..audio import check_reference_limits, probe_audio

    data = path.read_bytes()
    check_reference_limits(probe_audio(data))  # nothing is sent for a song out of limits
    return data, None


def _describe(handle: Any) -> str:
    from ..minimax.cache import describe_reuse

    valid = describe_reuse(handle).split(", ", 1)[1]
    lines = [f"handle: {handle.feature_id} ({valid}; inputs.audio {handle.audio_input})"]
    if handle.audio_duration_s is not None:
        lines.append(f"duration: {handle.audio_duration_s:.1f} s")
    lines.append("structure:")
    lines.extend(f"  {s.start_s:7.2f} - {s.end_s:7.2f} s  {s.label}" for s in handle.structure)
    lines.append("lyrics:")
    lines.append(handle.formatted_lyrics or "(none detected)")
    return "\n".join(lines)


def cmd_preprocess(args: argparse.Namespace) -> int:
    """Run step 1 (or reuse a cached handle) and print (or save) the handle."""
    import os

    from ..hooks.registry import get_registry
    from ..minimax.skeleton import lyrics_skeleton
    from ..money.providers import provider_price

    data, url = _read_song(args.song)
    backend = get_registry().backend("minimax")
    try:
        if backend.sandbox:
            print(f"SANDBOX: {backend.label}; set MINIMAX_API_KEY for MiniMax's API",
                  file=sys.stderr)
        path = os.path.abspath(args.song) if data is not None else None
        handle = backend.preprocess(data, audio_url=url, song_path=path, fresh=args.fresh)
        note = getattr(backend, "last_note", None)
    finally:
        backend.close()
    if note:
        print(f"{note} (--fresh to analyse again)", file=sys.stderr)
    else:
        price = provider_price("minimax")
        mark = " (estimate)" if price.estimate else ""
        print(f"preprocessed on {backend.label}: ${price.preprocess_usd:.2f}{mark}",
              file=sys.stderr)
    doc = handle.to_dict()
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        print(f"handle written to {args.output}", file=sys.stderr)
    if args.lyrics_out:
        args.lyrics_out.write_text(handle.formatted_lyrics + "\n", encoding="utf-8")
        print(f"lyrics written to {args.lyrics_out}", file=sys.stderr)
    if args.lyrics_skeleton:
        args.lyrics_skeleton.write_text(lyrics_skeleton(handle.structure) + "\n",
                                        encoding="utf-8")
        print(f"lyrics skeleton written to {args.lyrics_skeleton}", file=sys.stderr)
    if args.json:
        print(json.dumps({**doc, "reused": bool(note)}, indent=2))
    else:
        print(_describe(handle))
    return 0
