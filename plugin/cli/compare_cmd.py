"""``minimax-cover compare SOURCE TAKE... -o page.html``: an audition page for any files.

Also holds :func:`add_compare_option` (``cover`` and ``batch``) and :func:`write_compare_page`,
which ``cover --compare`` uses to write the same page next to the takes it saved.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import SpecValidationError, Violation

if TYPE_CHECKING:
    from ..hooks.types import CoverResult

__all__ = ["add_compare_option", "add_measure_options", "add_measures_to", "add_parser",
           "cmd_compare", "measure_result", "print_measures", "write_compare_page"]


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``compare``."""
    p = sub.add_parser(
        "compare",
        help="write an HTML page to audition a song against its takes (offline, A/B)",
        description="Write one self-contained HTML page with a player, a waveform and a "
        "spectrogram (same time axis) for SOURCE and every TAKE, and A/B switching at the "
        "same position. Audio is linked by relative path (keep the page next to the files) "
        "unless --embed. Nothing is loaded from the network.",
    )
    p.add_argument("source", type=Path, help="the original song (use --no-source to omit)")
    p.add_argument("takes", type=Path, nargs="*", metavar="TAKE", help="the takes to compare")
    p.add_argument("-o", "--output", type=Path, default=Path("compare.html"),
                   help="the page to write (default: compare.html)")
    p.add_argument("--no-source", action="store_true",
                   help="SOURCE is a take too (compare takes only)")
    p.add_argument("--prompt", help="the prompt to show")
    p.add_argument("--lyrics-file", type=Path, help="lyrics to show, from a file")
    p.add_argument("--seeds", help="comma-separated seeds of the takes, in order")
    p.add_argument("--result", type=Path, metavar="SUMMARY.json",
                   help="a `cover --json` summary: seeds, costs, task and backend of the takes")
    p.add_argument("--title", help="the page title")
    p.add_argument("--embed", action="store_true",
                   help="put the audio inside the page (one portable file, ~1.33x the audio)")
    p.add_argument("--no-measure", action="store_true",
                   help="skip the measures (melody kept, loudness, true peak, rank)")
    p.add_argument("--json", action="store_true",
                   help="print {page, tracks, source, takes} as JSON: each track's measures "
                   "(melodyKept, loudnessLUFS, truePeakDBTP, rank, playbackGainDB, ...)")
    p.set_defaults(func=cmd_compare)


def _seeds(text: str | None, count: int) -> list[int | None]:
    if not text:
        return [None] * count
    try:
        seeds: list[int | None] = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise SpecValidationError([Violation("--seeds", "comma-separated integers",
                                             text)]) from None
    return (seeds + [None] * count)[:count]


def cmd_compare(args: argparse.Namespace) -> int:
    from ..audition import Clip, PageInfo, build_page

    files = [args.source, *args.takes]
    source = None if args.no_source else files.pop(0)
    if not files:
        raise SpecValidationError([Violation("TAKE", "give at least one take (or --no-source)",
                                             has_value=False)])
    info = PageInfo(title=args.title or (f"Cover audition: {source.name}" if source
                                         else "Takes audition"), prompt=args.prompt)
    if args.lyrics_file:
        try:
            info.lyrics = args.lyrics_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SpecValidationError([Violation("--lyrics-file", f"cannot read: {exc.strerror}",
                                                 str(args.lyrics_file))]) from None
    seeds = _seeds(args.seeds, len(files))
    costs: list[float | None] = [None] * len(files)
    if args.result:
        try:
            summary: dict[str, Any] = json.loads(args.result.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SpecValidationError([Violation("--result", f"cannot read JSON: {exc}",
                                                 str(args.result))]) from None
        by_path = {Path(o.get("path") or "").name: o for o in summary.get("outputs", [])}
        for i, f in enumerate(files):
            out = by_path.get(f.name)
            if out:
                seeds[i] = out.get("seed") if seeds[i] is None else seeds[i]
                costs[i] = out.get("cost")
        info.task_uuid = summary.get("taskUUID")
        info.backend = summary.get("backendLabel")
        info.sandbox = bool(summary.get("sandbox"))
        info.cost_total = summary.get("costTotal")
    takes = [Clip(f, seed=s, cost=c) for f, s, c in zip(files, seeds, costs, strict=True)]
    src = _with_sections(source)
    if src is not None and not isinstance(src, Clip):
        src = Clip(src)
    measures = None if args.no_measure else measure_clips(src, takes)
    page = build_page(src, takes, args.output, info=info, embed=args.embed, measures=measures)
    if args.json:
        out: dict[str, Any] = {"page": str(page), "tracks": len(takes) + (source is not None)}
        if measures is not None:
            out.update(measures.to_json())
        print(json.dumps(out))
    else:
        print(page)
        if measures is not None and not getattr(args, "quiet", False):
            print(measures_table(measures), file=sys.stderr)
    return 0


def measure_clips(source: Any, takes: list[Any]) -> Any:
    """Decode the clips (kept on them for the page) and measure them: a ``Comparison``."""
    from ..audio import read_audio
    from ..errors import AudioError
    from ..measure import compare_takes
    from ..measure.measures import parallel

    clips = [c for c in ([source] if source is not None else []) + takes if c.audio is None]
    for clip in clips:
        if not Path(clip.path).is_file():
            raise AudioError(f"compare: file not found: {clip.path}", path=str(clip.path))
    for clip, audio in zip(clips, parallel(lambda c: read_audio(c.path), clips), strict=True):
        clip.audio = audio
    return compare_takes(None if source is None else source.audio, [t.audio for t in takes],
                         source_path=None if source is None else source.path,
                         take_paths=[t.path for t in takes])


def measures_table(comparison: Any) -> str:
    """A few aligned lines: each take's rank, melody kept, loudness, true peak, clipping."""
    rows = []
    tracks = ([("source", comparison.source)] if comparison.source is not None else []) + [
        (f"take {i}", t) for i, t in enumerate(comparison.takes, 1)]
    for name, m in tracks:
        melody = "" if m.melody_kept is None else f"melody {m.melody_kept:.3f}"
        rank = "" if m.rank is None else f"#{m.rank}" + (" best" if m.best else "")
        lufs = "n/a" if m.loudness_lufs is None else f"{m.loudness_lufs:.1f}"
        peak = "n/a" if m.true_peak_dbtp is None else f"{m.true_peak_dbtp:.1f}"
        rows.append(f"{name:8s} {rank:8s} {melody:14s} {lufs:>6s} LUFS {peak:>6s} dBTP "
                    f"{m.clipped_samples} clipped  {Path(m.path or '').name}")
    return "\n".join(rows)
def _with_sections(source: Path | None) -> Any:
    """The source as a :class:`Clip` with its sections when step 1 analysed it before."""
    if source is None:
        return None
    from ..audition import Clip
    from ..minimax.cache import song_sections

    _, sections = song_sections(source)
    return Clip(source, sections=sections) if sections else source


def add_compare_option(p: argparse.ArgumentParser, *, batch: bool = False) -> None:
    """Add ``--compare`` (and ``--compare-embed``) to a cover (or ``batch``) command's parser."""
    p.add_argument("--compare", action="store_true",
                   help="also write an HTML page next to the takes to audition them against "
                   "the song (players, waveforms, spectrograms, A/B; offline)" + (
                       "; one page per saved row and an index, OUT_DIR/<manifest>.compare.html"
                       if batch else ""))
    p.add_argument("--compare-embed", action="store_true",
                   help="with --compare: put the audio inside the page (one portable file)")


def add_measure_options(p: argparse.ArgumentParser, *, best: bool = True) -> None:
    """Add ``--measure`` (and ``--best``) to a cover (or ``batch``) command's parser."""
    p.add_argument("--measure", action="store_true",
                   help="measure the takes on this machine (melody kept against the song, "
                   "loudness LUFS, true peak, clipping, rank) and add them to the summary")
    if best:
        p.add_argument("--best", action="store_true",
                       help="--measure, and mark the take that kept the most melody "
                       "(\"best\" in --json, 'best:' in the summary)")


def measure_result(args: argparse.Namespace, source: Any, result: CoverResult) -> Any:
    """The takes' ``Comparison`` when ``--measure``/``--best`` asked for it, else ``None``.

    The song is measured when it is a local file (a URL or media UUID: takes only, no
    melody kept). Imports the measure room only when asked.
    """
    if not (getattr(args, "measure", False) or getattr(args, "best", False)):
        return None
    from ..audio import read_audio
    from ..audition import is_local_file
    from ..measure import compare_takes

    outs = [o for o in result.outputs if o.path is not None or o.audio is not None]
    takes = [o.audio if o.audio is not None else read_audio(o.path) for o in outs]
    from ..minimax.cache import song_sections

    path, _ = song_sections(source)  # a preprocess handle's song, else the file itself
    path = path if path is not None else source
    song = read_audio(path) if is_local_file(path) else None
    return compare_takes(song, takes, source_path=path if song is not None else None,
                         take_paths=[o.path for o in outs])


def add_measures_to(doc: dict[str, Any], measures: Any) -> None:
    """Put ``measures`` in a ``--json`` summary: ``measures`` (source, takes) and ``best``."""
    if measures is None:
        return
    doc["measures"] = measures.to_json()
    best = measures.best
    doc["best"] = None if best is None else {"index": best, "path": measures.takes[best].path}


def print_measures(measures: Any) -> None:
    """The measures table and the best take, under a cover's text summary."""
    if measures is None:
        return
    print(measures_table(measures))
    if measures.best is not None:
        print(f"best: {measures.takes[measures.best].path}")


def write_compare_page(args: argparse.Namespace, source: Any, result: CoverResult,
                       measures: Any = None) -> Path | None:
    """Write the ``--compare`` page for ``result`` if asked; say where on stderr."""
    if not getattr(args, "compare", False):
        return None
    from ..audition import page_for_result
    from ..minimax.cache import song_sections

    song, sections = song_sections(source)  # a handle's song, sections known from step 1
    page = page_for_result(result, song if song is not None else (
        source if isinstance(source, (str, Path)) else None),
        embed=bool(getattr(args, "compare_embed", False)), sections=sections,
        measures=measures)
    if not getattr(args, "quiet", False):
        print(f"compare page: {page}", file=sys.stderr)
    return page
