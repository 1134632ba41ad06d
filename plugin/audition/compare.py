"""Build audition pages from files or from a finished cover job.

:func:`build_page` is the general form (``minimax-cover compare``); :func:`page_for_result`
makes the page of ``minimax-cover cover --compare`` next to the saved takes (``batch
--compare`` does the same per row and links the pages with :func:`~.index.write_index`).
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..config import register_known_secrets
from ..errors import AudioError
from ..redaction import redact
from .embed import embed_audio
from .page import PageInfo, Track, render_page
from .pictures import PictureStyle, picture_png

if TYPE_CHECKING:
    from ..audio import Audio
    from ..hooks.types import CoverResult
    from ..measure import Comparison

__all__ = ["Clip", "build_page", "href_for", "page_for_result", "page_path_for",
           "is_local_file", "page_path_for_files"]


@dataclass
class Clip:
    """An audio file for the page, with what is known about it.

    ``audio`` saves decoding the file again when the caller has it already.
    """

    path: Path
    label: str | None = None
    seed: int | None = None
    cost: float | None = None
    audio: Audio | None = None
    #: The song's structure (``[{start, end, label}]``), drawn over its picture.
    sections: list[dict[str, Any]] | None = None


def href_for(path: Path, page_dir: Path, embed: bool = False) -> str:
    """The URL of ``path`` in a page in ``page_dir``: relative, or a ``data:`` URI (embed)."""
    if embed:
        return embed_audio(path).href
    try:
        rel = os.path.relpath(path.resolve(), page_dir.resolve())
    except ValueError:  # another drive (Windows): an absolute file URL
        return path.resolve().as_uri()
    return quote(posixpath.join(*Path(rel).parts))


def build_page(source: Clip | str | os.PathLike[str] | None,
               takes: Sequence[Clip | str | os.PathLike[str]],
               output: str | os.PathLike[str], *, info: PageInfo | None = None,
               embed: bool = False, style: PictureStyle | None = None,
               measures: Comparison | None = None) -> Path:
    """Write an audition page comparing ``source`` with ``takes``; return its path.

    :param source: the song that was covered (``None``: takes only).
    :param takes: the takes, in order (labelled "Take 1", "Take 2", ... unless labelled).
    :param output: the page's path (parent folders are created).
    :param info: prompt, lyrics, model, cost, ... shown above the players.
    :param embed: put the audio inside the page as ``data:`` URIs (one portable file)
        instead of linking the files by relative path: compressed files as they are, WAV/FLAC
        as MP3 at :data:`~.embed.EMBED_MP3_KBPS` kbps, named so on the page.
    :param style: picture sizes and ranges.
    :param measures: the tracks' measures (:func:`~..measure.compare_takes`, same order):
        shown on the cards; their gains play A/B at matched loudness.
    :raises AudioError: a file is missing or cannot be decoded (nothing is written).
    """
    from ..audio import read_audio

    clips: list[tuple[Clip, bool]] = []
    if source is not None:
        clips.append((source if isinstance(source, Clip) else Clip(Path(source)), True))
    for take in takes:
        clips.append((take if isinstance(take, Clip) else Clip(Path(take)), False))
    if not clips:
        raise AudioError("compare: give at least one audio file")
    if len(clips) > 10:
        raise AudioError(f"compare: at most 10 tracks on one page (got {len(clips)})")
    decoded = []
    for clip, _ in clips:
        if clip.audio is None:
            if not Path(clip.path).is_file():
                raise AudioError(f"compare: file not found: {clip.path}", path=str(clip.path))
            clip.audio = read_audio(clip.path)
        decoded.append(clip.audio)
    axis = max(a.duration_s for a in decoded) or 1.0
    page = Path(output)
    page.parent.mkdir(parents=True, exist_ok=True)
    tracks = []
    number = 0
    for (clip, is_source), audio in zip(clips, decoded, strict=True):
        if not is_source:
            number += 1
        label = clip.label or ("Source" if is_source else f"Take {number}")
        path = Path(clip.path)
        href, name = _href_and_name(path, page.parent, embed, audio)
        tracks.append(Track(
            label=label, href=href,
            picture=picture_png(audio, axis_seconds=axis, style=style),
            duration_s=audio.duration_s, name=name, seed=clip.seed, cost=clip.cost,
            is_source=is_source, exists=path.is_file(), sections=clip.sections))
    if measures is not None:
        attach_measures(tracks, measures)
    text = render_page(tracks, info, axis_seconds=axis, style=style)
    tmp = page.with_name(page.name + ".part")
    register_known_secrets()  # every key the tool can see, not only the one in use
    tmp.write_text(redact(text), encoding="utf-8")
    os.replace(tmp, page)
    return page


def _href_and_name(path: Path, page_dir: Path, embed: bool, audio: Audio) -> tuple[str, str]:
    """The track's URL and the name the page shows (saying what an embedded rendition is)."""
    if not embed:
        return href_for(path, page_dir), path.name
    embedded = embed_audio(path, audio)
    return embedded.href, path.name + (f" ({embedded.note})" if embedded.note else "")


def attach_measures(tracks: Sequence[Track], measures: Comparison) -> None:
    """Give each track its measures (the source's first, then the takes', in order)."""
    rows = ([measures.source.to_json(take=False)] if measures.source is not None else []) + [
        t.to_json() for t in measures.takes]
    for track, row in zip(tracks, rows, strict=False):
        track.measures = row


def page_path_for(result: CoverResult) -> Path:
    """Where :func:`page_for_result` writes: ``<first take's stem>_compare.html`` beside it."""
    return page_path_for_files(result.files)


def page_path_for_files(files: Sequence[str | os.PathLike[str]]) -> Path:
    """``<first file's stem>_compare.html`` beside it (``a_1.mp3, a_2.mp3`` -> ``a_compare``)."""
    first = Path(files[0])
    stem = first.stem
    if len(files) > 1 and stem.endswith("_1"):
        stem = stem[:-2]
    return first.with_name(f"{stem}_compare.html")


def page_for_result(result: CoverResult, source: str | os.PathLike[str] | None, *,
                    output: str | os.PathLike[str] | None = None, embed: bool = False,
                    sections: list[dict[str, Any]] | None = None,
                    measures: Comparison | None = None) -> Path:
    """Write the audition page of a finished job next to its takes; return its path.

    :param result: what :func:`~..jobs.pipeline.cover` returned (takes saved to files).
    :param source: the song, when it is a local file (a URL or media UUID gets no player:
        the page loads nothing from the network).
    :param output: the page's path (default :func:`page_path_for`).
    :param sections: the song's structure, drawn over the source's picture.
    :param measures: the takes' measures (``cover --measure``), shown on the cards.
    :raises AudioError: the job saved no file.
    """
    if not result.files:
        raise AudioError(f"compare: task {result.task_uuid} saved no audio file")
    request = result.request
    settings = request.get("settings") or {}
    info = PageInfo(
        title=f"Cover audition: {Path(source).name if is_local_file(source) else result.task_uuid}",
        prompt=request.get("positivePrompt"), lyrics=settings.get("lyrics"),
        model=request.get("model"), backend=_ran_on(result), task_uuid=result.task_uuid,
        sandbox=result.sandbox, cost_total=result.cost_total,
        created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    takes = [Clip(out.path, seed=out.seed, cost=out.cost, audio=out.audio)
             for out in result.outputs if out.path is not None]
    src = Clip(Path(source), sections=sections) if is_local_file(  # type: ignore[arg-type]
        source) else None
    return build_page(src, takes, output or page_path_for(result), info=info, embed=embed,
                      measures=measures)


def _ran_on(result: CoverResult) -> str:
    """Where the job ran, with its estimated price when the provider reports no cost."""
    if result.cost_total is None and result.estimated_cost is not None and not result.sandbox:
        return (f"{result.backend_label}, ~${result.estimated_cost:.2f} "
                f"({result.price_source or 'price table'})")
    return result.backend_label


def is_local_file(source: object) -> bool:
    """True for a path (not a URL) to an existing file: a source the page can play."""
    if not isinstance(source, (str, os.PathLike)):
        return False
    text = os.fspath(source)
    return "://" not in text and Path(text).is_file()
