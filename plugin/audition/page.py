"""The audition page: one self-contained HTML file comparing a source with its takes.

Everything the page needs is inside it (styles, script, pictures as ``data:`` PNGs) except the
audio, which is referenced by a path relative to the page (the files sit next to it), or
embedded as ``data:`` URIs when asked. A Content-Security-Policy in the page forbids loading
anything from the network, so the page works offline and cannot leak what it shows.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .pictures import PictureStyle, colour_stops
from .png import png_size
from .sections import sections_html

__all__ = ["CSP", "PageInfo", "Track", "render_page", "scale_marks"]

#: Nothing from the network: pictures are data URIs, audio is a local file or a data URI.
CSP = ("default-src 'none'; img-src data:; media-src 'self' file: data: blob:; "
       "style-src 'unsafe-inline'; script-src 'unsafe-inline'")


@dataclass
class Track:
    """One player on the page: the source or a take.

    :param label: what the card is called ("Source", "Take 1").
    :param href: the audio URL as the page uses it (relative path or ``data:`` URI).
    :param picture: the PNG of :func:`~.pictures.picture_png`.
    :param duration_s: the clip's duration.
    :param name: the file name shown (``None`` for embedded audio without a name).
    :param seed: the take's seed, when known.
    :param cost: the take's cost in USD, when known.
    :param is_source: True for the song the takes cover.
    :param exists: False when the audio file was not found (the card says so).
    :param measures: the track's row of ``compare --json`` (melody kept, loudness...).
    :param sections: the song's structure (``[{start, end, label}]`` in seconds), drawn over
        the picture (:mod:`.sections`); ``None``: not known.
    """

    label: str
    href: str
    picture: bytes
    duration_s: float
    name: str | None = None
    seed: int | None = None
    cost: float | None = None
    is_source: bool = False
    exists: bool = True
    measures: dict[str, Any] | None = None
    sections: list[dict[str, Any]] | None = None


@dataclass
class PageInfo:
    """What the page says about the job: all optional."""

    title: str = "Cover audition"
    prompt: str | None = None
    lyrics: str | None = None
    model: str | None = None
    backend: str | None = None
    task_uuid: str | None = None
    sandbox: bool = False
    cost_total: float | None = None
    created: str | None = None


def _asset(name: str) -> str:
    return (Path(__file__).resolve().parent / name).read_text(encoding="utf-8")


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _money(value: float | None) -> str:
    return "n/a" if value is None else f"${value:.4f}"


def _clock(seconds: float) -> str:
    m, s = divmod(max(0.0, seconds), 60)
    return f"{int(m)}:{s:04.1f}"


def _ruler(axis_seconds: float) -> str:
    steps = (1, 2, 5, 10, 15, 30, 60, 120, 300)
    step = next((s for s in steps if axis_seconds / s <= 10), 600)
    spans = []
    t = 0.0
    while t <= axis_seconds + 1e-6:
        left = 100.0 * t / axis_seconds if axis_seconds else 0.0
        if left <= 97:
            spans.append(f'<span style="left:{left:.3f}%">{int(t // 60)}:{int(t % 60):02d}</span>')
        t += step
    return '<div class="ruler" aria-hidden="true">' + "".join(spans) + "</div>"


def _measures_line(m: dict[str, Any] | None) -> str:
    """The card's line of measures (empty without them)."""
    if not m:
        return ""
    parts = []
    if m.get("melodyKept") is not None:
        best = ' <span class="best">best</span>' if m.get("best") else ""
        parts.append(f'<span class="m-melody" title="How much of the source\'s melody this '
                     f'take kept (0-1), in key and time order">melody kept '
                     f'<b>{m["melodyKept"]:.2f}</b> &middot; rank {m.get("rank")}{best}</span>')
        if m.get("transposeSemitones"):
            parts.append(f"{m['transposeSemitones']:+d} st")
    if m.get("loudnessLUFS") is not None:
        parts.append(f'<span class="m-lufs">{m["loudnessLUFS"]:.1f} LUFS</span>')
    if m.get("truePeakDBTP") is not None:
        hot = " hot" if m["truePeakDBTP"] > -1.0 else ""
        parts.append(f'<span class="m-peak{hot}">{m["truePeakDBTP"]:.1f} dBTP</span>')
    if m.get("clippedSamples"):
        parts.append(f'<span class="m-clip hot">{m["clippedSamples"]} clipped samples</span>')
    if m.get("silentGaps"):
        gaps = ", ".join(f"{_clock(a)}-{_clock(b)}" for a, b in m["silentGaps"])
        parts.append(f'<span class="hot">silent {gaps}</span>')
    if m.get("playbackGainDB") is not None:
        parts.append(f'<span class="m-gain" title="Gain applied in matched-loudness playback">'
                     f'plays at {m["playbackGainDB"]:+.1f} dB</span>')
    return '<div class="measures">' + " &middot; ".join(parts) + "</div>"


def scale_marks(style: PictureStyle | None = None) -> dict[str, list[tuple[str, float]]]:
    """Where the axis labels of a picture go: ``{"db": [(label, top %)], "freq": [...]}``,
    ``top %`` of the picture's height (dB of full scale on the waveform, hertz on the
    spectrogram's log axis). The page and the ComfyUI panel draw the same marks."""
    import math

    style = style or PictureStyle()
    height = style.height
    half = (style.wave_height - 1) / 2.0
    db = [(label, round(100.0 * (half - amp * half) / height, 2))
          for label, amp in (("0 dB", 1.0), ("-6", 0.5), ("-20", 0.1))]
    freq = []
    for hz, label in ((100, "100 Hz"), (300, "300"), (1000, "1 kHz"), (3000, "3k"),
                      (10000, "10k")):
        if not style.min_hz < hz < style.max_hz:
            continue
        row = math.log(style.max_hz / hz) / math.log(style.max_hz / style.min_hz) * \
            style.spec_height
        freq.append((label, round(100.0 * (style.wave_height + style.gap + row) / height, 2)))
    return {"db": db, "freq": freq}


def _scales(style: PictureStyle) -> str:
    """Axis labels laid over a picture: dB on the waveform, hertz on the spectrogram."""
    marks = scale_marks(style)
    db = "".join(f'<span style="top:{top:.2f}%">{label}</span>' for label, top in marks["db"])
    freq = "".join(f'<span style="top:{top:.2f}%">{label}</span>'
                   for label, top in marks["freq"])
    return (f'<div class="scale scale-db" aria-hidden="true">{db}</div>'
            f'<div class="scale scale-freq" aria-hidden="true">{freq}</div>')


def _colour_legend(style: PictureStyle) -> str:
    """The spectrogram's colour scale, from the floor to the top level in dBFS."""
    stops = ",".join(f"rgb({r},{g},{b})" for r, g, b in colour_stops())
    return (f'<div class="legend" id="colour-scale"><span>{style.floor_db:.0f} dBFS</span>'
            f'<i style="background:linear-gradient(90deg,{stops})"></i>'
            f'<span>{style.top_db:.0f} dBFS</span><span class="dim">spectrogram colour; '
            "waveform: peak (dark) and RMS (light), dB of full scale</span></div>")


def _card(index: int, track: Track, axis_seconds: float,
          style: PictureStyle | None = None) -> str:
    style = style or PictureStyle()
    info = [f"{_clock(track.duration_s)}"]
    if track.seed is not None:
        info.append(f"seed {track.seed}")
    if track.cost is not None:
        info.append(f"cost {_money(track.cost)}")
    if track.name:
        info.append(_e(track.name))
    picture = base64.b64encode(track.picture).decode("ascii")
    width, height = png_size(track.picture)
    tools = ['<button type="button" data-action="listen" title="Play this one from the same '
             'position">Listen here</button>']
    if not track.is_source:
        tools.append('<button type="button" data-action="set-b" title="Compare this take '
                     'with the source (A/B)">Set as B</button>')
        tools.append('<button type="button" data-action="pick" aria-pressed="false" '
                     'title="Pick this take (kept in this browser; download the picks file '
                     'to record it with minimax-cover pick)">Pick</button>')
    missing = "" if track.exists else (
        f'<div class="missing">audio file not found: {_e(track.href)}</div>')
    kind = "source" if track.is_source else "take"
    return (
        f'<section class="track" id="track-{index}" data-index="{index}" data-kind="{kind}" '
        f'data-label="{_e(track.label)}">'
        f'<header><h2>{index} &middot; {_e(track.label)}</h2>'
        f'<span class="info">{" &middot; ".join(info)}</span>'
        f'<span class="tools">{"".join(tools)}</span></header>'
        f"{_measures_line(track.measures)}"
        f"{_ruler(axis_seconds)}"
        f'<div class="pic"><img alt="waveform and spectrogram of {_e(track.label)}" '
        f'width="{width}" height="{height}" src="data:image/png;base64,{picture}">'
        f'{_scales(style)}{sections_html(track.sections, axis_seconds)}'
        f'<div class="cursor"></div></div>'
        f'<audio controls preload="auto" src="{_e(track.href)}"></audio>{missing}'
        f"</section>"
    )


def _page_state(tracks: Sequence[Track], info: PageInfo) -> dict[str, Any]:
    """What page.js needs for matched playback and picks."""
    gains = [None if not t.measures else t.measures.get("playbackGainDB") for t in tracks]
    return {"gainsDB": gains, "pageKey": "minimax-cover-picks:" + (info.task_uuid or info.title),
            "tracks": [{"label": t.label, "name": t.name, "seed": t.seed,
                        "source": t.is_source} for t in tracks],
            "taskUUID": info.task_uuid, "title": info.title}


def _playback_controls(tracks: Sequence[Track]) -> str:
    """The matched-loudness switch and the picks download (ids used by page.js)."""
    matched = any(t.measures and t.measures.get("playbackGainDB") is not None for t in tracks)
    switch = ('<label class="matched" title="Play every track at the loudness of the quietest '
              '(the gain is shown on each card); untick to hear the raw levels">'
              '<input type="checkbox" id="matched" checked> matched loudness</label>'
              if matched else "")
    return (f'{switch}<span class="picks"><span id="pick-status">no pick yet</span> '
            '<a id="picks-download" hidden download="picks.json">download picks</a></span>')


def render_page(tracks: Sequence[Track], info: PageInfo | None = None, *,
                axis_seconds: float | None = None, style: PictureStyle | None = None) -> str:
    """The complete HTML of an audition page.

    :param tracks: the source (if any) first, then the takes; at most ten (keys 0-9).
    :param info: prompt, lyrics, cost and where the job ran.
    :param axis_seconds: the time the pictures' width stands for (default: longest track).
    :param style: the pictures' geometry, for their scales.
    :returns: the HTML text (UTF-8).
    """
    info = info or PageInfo()
    axis = float(axis_seconds or max((t.duration_s for t in tracks), default=1.0) or 1.0)
    meta = []
    if info.prompt:
        meta.append(("Prompt", info.prompt))
    if info.model:
        meta.append(("Model", info.model))
    if info.backend:
        meta.append(("Ran on", info.backend))
    if info.task_uuid:
        meta.append(("Task", info.task_uuid))
    seeds = [str(t.seed) for t in tracks if not t.is_source and t.seed is not None]
    if seeds:
        meta.append(("Seeds", ", ".join(seeds)))
    if info.cost_total is not None or any(t.cost is not None for t in tracks):
        meta.append(("Cost", _money(info.cost_total) + (
            "  (sandbox: nothing was charged)" if info.sandbox else "")))
    if info.created:
        meta.append(("Created", info.created))
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in meta)
    lyrics = (f'<details open><summary>Lyrics</summary><pre class="lyrics">{_e(info.lyrics)}'
              f"</pre></details>") if info.lyrics else ""
    badge = '<span class="badge">SANDBOX: synthetic audio</span>' if info.sandbox else ""
    source_index = next((i for i, t in enumerate(tracks) if t.is_source), -1)
    options = "".join(f'<option value="{i}">{i} &middot; {_e(t.label)}</option>'
                      for i, t in enumerate(tracks) if not t.is_source)
    a_label = _e(tracks[source_index].label) if source_index >= 0 else "track 0"
    style = style or PictureStyle()
    data = json.dumps({"axisSeconds": axis, "sourceIndex": source_index,
                       "labels": [t.label for t in tracks], **_page_state(tracks, info)})
    data = data.replace("</", "<\\/")
    cards = "".join(_card(i, t, axis, style) for i, t in enumerate(tracks))
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="generator" content="minimax-cover">'
        f"<title>{_e(info.title)}</title><style>{_asset('page.css')}</style></head>"
        f"<body><main><h1>{_e(info.title)}{badge}</h1>"
        f'<p class="sub">{len(tracks)} players on one time axis ({_clock(axis)}). '
        "Switching keeps the playback position.</p>"
        f'<dl class="meta">{rows}</dl>{lyrics}'
        '<div class="bar"><button type="button" id="play" class="primary">Play / pause'
        '</button><button type="button" id="ab" class="primary" title="Switch between A and B '
        f'at the same position">A/B</button><span>A = {a_label}</span>'
        f'<label>B = <select id="b-select">{options}</select></label>'
        '<span class="now" id="now"></span><span class="keys"><kbd>Space</kbd> play '
        "<kbd>X</kbd> A/B <kbd>0</kbd>-<kbd>9</kbd> track <kbd>&larr;</kbd><kbd>&rarr;</kbd> "
        "5 s &middot; click a picture to seek</span>"
        f"{_playback_controls(tracks)}</div>"
        '<div class="missing-all" id="missing-audio" hidden></div>'
        f"{_colour_legend(style)}{cards}"
        '<footer>Made by minimax-cover. Waveform (peak and RMS) above a spectrogram (40 Hz to '
        "16 kHz, log scale, dBFS), same time axis for every track.</footer></main>"
        f'<script type="application/json" id="audition-data">{data}</script>'
        f"<script>{_asset('page.js')}</script></body></html>\n"
    )
