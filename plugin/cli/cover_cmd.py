"""``minimax-cover cover SONG --prompt ... -o OUT``: the main job, end to end.

Validate, stage, submit, wait with a progress line, download, write files, print a summary.
With no API key the Runware backend starts the local sandbox in-process and says so.
``SONG`` and ``--lyrics-file`` may be ``-`` (stdin). Unless the request says otherwise the CLI
uses ``deliveryMethod: async`` (see :data:`CLI_DELIVERY`).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from ..errors import Interrupted, SpecValidationError, UsageError, Violation
from ..spec.model import MINIMAX_MUSIC_COVER, ModelSpec
from ..spec.task import CoverTask
from .options import add_schema_options, collect_schema_options

#: The CLI's delivery when none is given: a submit answered at once, then ``getResponse``
#: polls. The job is journaled as submitted within a second, survives a dropped connection or
#: a killed process (``resume`` collects it), reports progress while it runs and stops at
#: Ctrl-C between polls; a ``sync`` submit holds one HTTP request open for the whole
#: generation (minutes). The nodes default to ``async`` for the same reasons.
CLI_DELIVERY = "async"
STDIN = "-"


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
    p.add_argument("song", nargs="?",
                   help="audio file (WAV/FLAC/MP3/OGG), URL, media UUID, or - for stdin")
    p.add_argument("-o", "--output", type=Path, default=Path("."),
                   help="output folder, or a file name (numbered when numberResults > 1); "
                        "its extension sets --format and must agree with it. An existing "
                        "file is kept: the new one gets a new name (<name>-1)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace existing output files instead of choosing a new name")
    p.add_argument("--dry-run", action="store_true",
                   help="validate and price the job (Runware's dry run, else the price "
                        "table), print the price and stop: nothing is uploaded or run")
    p.add_argument("--lyrics-file", type=Path,
                   help="read settings.lyrics from this file (- for stdin)")
    p.add_argument("--request", type=Path,
                   help="a request JSON file to start from (options override it)")
    p.add_argument("--preprocess", type=Path, metavar="HANDLE.json",
                   help="two-step cover: a handle saved by `minimax-cover preprocess -o`")
    p.add_argument("--backend", help="backend name (default: chosen by plugins; runware)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.add_argument("--no-journal", action="store_true", help="do not record the job")
    p.add_argument("--no-resume", action="store_true",
                   help="submit anew even if an identical job is unsaved in the journal")
    p.add_argument("--again", action="store_true",
                   help="pay for a fresh run even when the same song, parameters and --seed "
                        "were saved before (by default those takes are copied to -o at no "
                        "cost, and stderr says 'reused')")
    p.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    add_schema_options(p, spec, tool_defaults=tool_defaults(spec))
    from .compare_cmd import add_compare_option, add_measure_options

    add_compare_option(p)
    add_measure_options(p)
    p.set_defaults(func=cmd_cover, spec=spec)


def request_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The ``--request`` file, overridden by the schema options and ``--lyrics-file``.

    Shared by ``cover`` and ``batch`` (whose options are generated from the same schema).
    """
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
        request["settings"] = {**(request.get("settings") or {}),
                               "lyrics": _read_lyrics(args.lyrics_file)}
    return request


def _read_request(args: argparse.Namespace) -> dict[str, Any]:
    """The ``--request`` file, overridden by the options and ``--lyrics-file``."""
    request = request_from_args(args)
    request.setdefault("includeCost", True)  # the summary shows the cost
    if _has_async(args.spec):
        request.setdefault("deliveryMethod", CLI_DELIVERY)
    return request


def tool_defaults(spec: ModelSpec) -> dict[str, Any]:
    """What the CLI sends for options left out: ``deliveryMethod: async`` (collected by the
    process's collector; Ctrl-C stops the wait at once and the job stays resumable)."""
    return {"deliveryMethod": CLI_DELIVERY} if _has_async(spec) else {}


def _has_async(spec: ModelSpec) -> bool:
    try:
        return CLI_DELIVERY in (spec.field("deliveryMethod").enum or ())
    except KeyError:
        return False


def _read_lyrics(path: Path) -> str:
    """``--lyrics-file``: a file, or stdin for ``-``."""
    try:
        if str(path) == STDIN:
            return sys.stdin.read().strip()
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise SpecValidationError([Violation("--lyrics-file", f"cannot read: {reason}",
                                             str(path))]) from None


def _read_song(args: argparse.Namespace) -> Any:
    """SONG as the pipeline takes it: a path/URL/UUID string, or the bytes of stdin (``-``)."""
    if args.song != STDIN:
        return args.song
    if args.lyrics_file is not None and str(args.lyrics_file) == STDIN:
        raise UsageError("SONG and --lyrics-file cannot both be - (stdin)")
    data = sys.stdin.buffer.read()
    if not data:
        raise SpecValidationError([Violation("SONG", "stdin is empty (no audio was piped in)",
                                             has_value=False)])
    return data


def cmd_cover(args: argparse.Namespace) -> int:
    from ..jobs.pipeline import cover
    from .interrupts import CoverInterrupts
    from .progress import ProgressLine

    source: Any = args.song
    if args.preprocess:
        from ..minimax.cache import note_handle
        from ..minimax.handle import CoverHandle

        source = CoverHandle.from_dict(json.loads(args.preprocess.read_text(encoding="utf-8")))
        note_handle(source)  # its song's path and hash: an expired handle can be made again
    elif source is None:
        raise SpecValidationError([Violation("SONG", "is required (or --preprocess)",
                                             has_value=False)])
    else:
        source = _read_song(args)
    request = _read_request(args)
    if args.dry_run:
        return _dry_run(args, source, request)
    show = not (args.no_progress or args.quiet)
    from . import settle_imports

    settle_imports()  # the job's modules are loaded: out of the collector's way (one-shot run)
    started = time.monotonic()
    with ProgressLine(show, delivery=request.get("deliveryMethod")) as progress, \
            CoverInterrupts(progress) as presses:
        try:
            result = cover(
                source,
                request,
                spec=args.spec,
                output=args.output,
                overwrite=args.overwrite,
                backend=args.backend,
                journal=False if args.no_journal else None,
                resume=not args.no_resume,
                again=args.again,
                on_progress=presses.progress,
                should_cancel=presses.should_cancel,
            )
        except Interrupted as exc:
            raise _how_to_resume(exc, args) from exc
    elapsed = time.monotonic() - started
    from .compare_cmd import add_measures_to, measure_result, print_measures, write_compare_page

    measures = measure_result(args, source, result)
    page = write_compare_page(args, source, result, measures)
    if args.json:
        doc = summary_json(result, args.spec, elapsed, page)
        add_measures_to(doc, measures)
        print(json.dumps(doc, indent=2))
        return 0
    print_summary(result, args.spec)
    print_measures(measures)
    return 0


def _how_to_resume(exc: Interrupted, args: argparse.Namespace) -> Interrupted:
    """The interrupt, saying how to collect the job later (it was not cancelled, nor paid
    twice by a rerun)."""
    task = exc.task_uuid
    if not task:
        return exc
    where = f" -o {shlex.quote(str(args.output))}" if getattr(args, "output", None) else ""
    again = "minimax-cover " + shlex.join(sys.argv[1:]) if len(sys.argv) > 1 else (
        "the same command")
    return Interrupted(f"interrupted; task {task} was not cancelled on the server: collect it "
                       f"with `minimax-cover resume {task}{where}` or run {again} again "
                       "(nothing is paid twice)", task_uuid=task)


def summary_json(result: Any, spec: ModelSpec, elapsed_s: float,
                 page: Path | None) -> dict[str, Any]:
    """``cover --json``: the result, plus ``seed`` (the one to pass to ``--seed``),
    ``durationSeconds`` (the job's wall time), ``comparePage`` (``--compare``'s page, or null)
    and each output's ``durationSeconds`` read from its file when the API sent none."""
    doc = result.to_dict()
    doc["seed"] = CoverTask(spec, result.request).seed
    doc["durationSeconds"] = round(elapsed_s, 3)
    doc["comparePage"] = str(page) if page is not None else None
    for out, entry in zip(result.outputs, doc.get("outputs", []), strict=False):
        if entry.get("durationSeconds") is None:
            entry["durationSeconds"] = _seconds(out.path)
    return doc


def _seconds(path: Path | None) -> float | None:
    """The audio's duration from the file's headers (nothing decoded), or None."""
    if path is None:
        return None
    from ..audio import probe_audio
    from ..errors import AudioError

    try:
        return round(probe_audio(path).duration_s, 3)
    except (AudioError, OSError):
        return None


def _dry_run(args: argparse.Namespace, source: Any, request: dict[str, Any]) -> int:
    """``--dry-run``: the price of the job, validated; nothing uploaded, run or journaled."""
    from ..jobs.pipeline import cover
    from ..money.pricing import format_usd

    result = cover(source, request, spec=args.spec, output=args.output,
                   overwrite=args.overwrite, backend=args.backend, dry_run=True)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    count = CoverTask(args.spec, result.request).number_results
    where = "SANDBOX (nothing is charged)" if result.sandbox else result.backend_label
    print(f"dry run via {where}: nothing was uploaded or run")
    print(f"price: {format_usd(result.estimated_cost)} for {count} result(s) "
          f"(from the {result.price_source})")
    return 0


def print_summary(result: Any, spec: ModelSpec) -> None:
    """The text summary of a finished job: where it ran, each file, seed and cost."""
    from ..jobs.seeds import seed_range

    banner = "SANDBOX (synthetic audio, not MiniMax)" if result.sandbox else result.backend_label
    tag = " [resumed]" if result.resumed else " [reused]" if result.reused else ""
    print(f"cover {result.task_uuid} via {banner}{tag}")
    note = next((r.get("preprocess_note") for r in result.response
                 if isinstance(r, dict) and r.get("preprocess_note")), None)
    if note:  # two-step: a cached handle reused, or an expired one made again
        print(f"  two-step: {note}")
    for out in result.outputs:
        duration = _duration(out.path)
        cost = f"${out.cost:.4f}" if out.cost is not None else "n/a"
        print(f"  {out.path}  {duration}  seed {_seed(out, seed_range(spec))}  cost {cost}")
    seed = CoverTask(spec, result.request).seed if seed_range(spec) else None
    if seed is not None:
        print(f"seed: {seed} (same song, prompt and --seed {seed} reuse these takes at no cost; "
              "add --again to pay for new ones)")
    if result.reused:
        print(f"reused: paid {str(result.reused.get('paidAt') or '')[:10]}, task "
              f"{result.reused.get('taskUUID')} (nothing sent, nothing paid)")
    total = f"${result.cost_total:.4f}" if result.cost_total is not None else "n/a"
    from ..money.reported import sane_cost

    if result.cost_total is not None and sane_cost(result.cost_total) is None:
        total += " as reported: not a price; spending caps count the price table's figure"
    if result.cost_total is None and result.estimated_cost is not None:  # e.g. MiniMax
        total = f"~${result.estimated_cost:.4f} on {result.backend} ({result.price_source})"
    print(f"total cost: {total}" + ("  (sandbox: nothing was charged)" if result.sandbox else ""))


def _seed(out: Any, bounds: tuple[int, int] | None) -> str:
    if out.seed is None:
        return "?"
    if out.seed_reusable is False and bounds is not None:
        return (f"{out.seed} (drawn by the server outside {bounds[0]}–{bounds[1]}: "
                "cannot be passed to --seed)")
    return str(out.seed)


def _duration(path: Path | None) -> str:
    """``"  12.0 s"`` from the file's headers (nothing decoded), or ``"      ?"``."""
    seconds = _seconds(path)
    return "      ?" if seconds is None else f"{seconds:6.1f} s"
