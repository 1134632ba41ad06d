"""``minimax-cover cover SONG --prompt ... -o OUT``: the main job, end to end.

Validate, stage, submit, wait with a progress line, download, write files, print a summary.
With no API key the Runware backend starts the local sandbox in-process and says so.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from ..audio.formats import format_for_suffix
from ..errors import SpecValidationError, Violation
from ..spec.model import MINIMAX_MUSIC_COVER, ModelSpec
from .options import add_schema_options, collect_schema_options


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``cover`` (the built-in model) and ``cover-<slug>`` for every other registered model.

    Each command's model options come from that model's JSON Schema, so a plugin that registers
    a model gets a command with no CLI code.
    """
    from ..hooks.registry import get_registry

    for spec in get_registry().models.values():
        builtin = spec.model_id == MINIMAX_MUSIC_COVER.model_id
        _add_cover_parser(sub, spec, "cover" if builtin else f"cover-{spec.slug}")


def _add_cover_parser(sub: argparse._SubParsersAction, spec: ModelSpec,  # type: ignore[type-arg]
                      name: str) -> None:
    p = sub.add_parser(
        name,
        help=f"cover a song with {spec.name}: validate, upload, submit, wait, download, save",
        description=f"Run {spec.name} ({spec.model_id}) on SONG (a file, an http(s) URL or a "
        "media UUID). Without RUNWARE_API_KEY it runs against the local sandbox (synthetic "
        "audio) and says so.",
    )
    p.add_argument("song", nargs="?", help="audio file (WAV/FLAC/MP3/OGG), URL or media UUID")
    p.add_argument("-o", "--output", type=Path, default=Path("."),
                   help="output folder, or a file name (numbered when numberResults > 1)")
    p.add_argument("--lyrics-file", type=Path, help="read settings.lyrics from this file")
    p.add_argument("--request", type=Path,
                   help="a request JSON file to start from (options override it)")
    p.add_argument("--preprocess", type=Path, metavar="HANDLE.json",
                   help="two-step cover: a handle saved by `minimax-cover preprocess -o`")
    p.add_argument("--backend", help="backend name (default: chosen by plugins; runware)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.add_argument("--no-journal", action="store_true", help="do not record the job")
    p.add_argument("--no-resume", action="store_true",
                   help="submit anew even if an identical job is unsaved in the journal")
    p.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    add_schema_options(p, spec)
    from .compare_cmd import add_compare_option

    add_compare_option(p)
    p.set_defaults(func=cmd_cover, spec=spec)


def _progress_printer(enabled: bool) -> Any:
    started = time.monotonic()
    tty = sys.stderr.isatty()

    def show(event: Any) -> None:
        if not enabled:
            return
        fraction = getattr(event, "progress", None)
        pct = f" {fraction * 100:.0f}%" if fraction is not None else ""
        cost = f" ${event.cost:.4f}" if getattr(event, "cost", None) is not None else ""
        line = (f"[{time.monotonic() - started:5.1f}s] {event.phase}: "
                f"{event.done}/{event.total} result(s){pct}{cost}")
        print(("\r" + line) if tty else line, end="" if tty else "\n", file=sys.stderr,
              flush=True)

    return show


def _split_output(output: Path, spec: ModelSpec) -> tuple[Path, str | None]:
    """``(folder, stem)`` for ``-o``: a name ending in an output format's suffix is a file."""
    fmt = format_for_suffix(output.suffix) if output.suffix else None
    try:
        formats = spec.field("outputFormat").enum or ()
    except KeyError:
        formats = ()
    if fmt is not None and fmt.name in formats:
        return output.parent, output.stem
    return output, None


def _read_request(args: argparse.Namespace) -> dict[str, Any]:
    """The ``--request`` file, overridden by the options and ``--lyrics-file``."""
    request: dict[str, Any] = {}
    if args.request:
        try:
            request = json.loads(args.request.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise SpecValidationError([Violation("--request", f"cannot read JSON: {exc}",
                                                 str(args.request))]) from None
        if not isinstance(request, dict):
            raise SpecValidationError([Violation("--request", "must hold one JSON object (a task)",
                                                 type(request).__name__)])
    for key, value in collect_schema_options(args).items():
        if isinstance(value, dict) and isinstance(request.get(key), dict):
            value = {**request[key], **value}  # nested objects are merged, not replaced
        request[key] = value
    if args.lyrics_file:
        try:
            lyrics = args.lyrics_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SpecValidationError([Violation("--lyrics-file", f"cannot read: {exc.strerror}",
                                                 str(args.lyrics_file))]) from None
        request["settings"] = {**(request.get("settings") or {}), "lyrics": lyrics}
    request.setdefault("includeCost", True)  # the summary shows the cost
    return request


def cmd_cover(args: argparse.Namespace) -> int:
    from ..jobs.pipeline import cover

    request = _read_request(args)
    source: Any = args.song
    if args.preprocess:
        from ..minimax.handle import CoverHandle

        source = CoverHandle.from_dict(json.loads(args.preprocess.read_text(encoding="utf-8")))
    elif source is None:
        raise SpecValidationError([Violation("SONG", "is required (or --preprocess)",
                                             has_value=False)])
    out_dir, stem = _split_output(args.output, args.spec)
    result = cover(
        source,
        request,
        spec=args.spec,
        output_dir=out_dir,
        output_stem=stem,
        decode=True,
        backend=args.backend,
        journal=False if args.no_journal else None,
        resume=not args.no_resume,
        on_progress=_progress_printer(not (args.no_progress or args.quiet)),
    )
    if sys.stderr.isatty() and not args.no_progress:
        print(file=sys.stderr)
    from .compare_cmd import write_compare_page

    write_compare_page(args, source, result)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    banner = "SANDBOX (synthetic audio, not MiniMax)" if result.sandbox else result.backend_label
    print(f"cover {result.task_uuid} via {banner}" + (" [resumed]" if result.resumed else ""))
    for out in result.outputs:
        duration = f"{out.audio.duration_s:6.1f} s" if out.audio else "      ?"
        cost = f"${out.cost:.4f}" if out.cost is not None else "n/a"
        print(f"  {out.path}  {duration}  seed {out.seed}  cost {cost}")
    total = f"${result.cost_total:.4f}" if result.cost_total is not None else "n/a"
    print(f"total cost: {total}" + ("  (sandbox: nothing was charged)" if result.sandbox else ""))
    return 0
