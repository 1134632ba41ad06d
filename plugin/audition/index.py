"""The index page: one self-contained HTML table linking audition pages (one per batch row).

Like the audition pages it loads nothing from the network (a Content-Security-Policy forbids
it); links are relative to the index, so the folder can be moved or shared as a whole.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .compare import href_for

__all__ = ["IndexEntry", "write_index"]

_CSS = ("body{font:14px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
        "background:#0f1115;color:#e6e9ef;max-width:1040px;margin:24px auto;padding:0 24px}"
        "a{color:#8fc1ff}h1{font-size:20px;margin:0 0 4px}.sub{color:#9aa3b2;margin:0 0 14px}"
        "table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 10px;"
        "border-bottom:1px solid #262b35;vertical-align:top}th{color:#9aa3b2;font-weight:500}"
        "td.n{text-align:right;font-variant-numeric:tabular-nums}.dim{color:#9aa3b2}"
        ".badge{display:inline-block;padding:1px 8px;border-radius:10px;background:#5b3b12;"
        "color:#ffd9a8;font-size:12px;margin-left:8px;vertical-align:middle}"
        "audio{width:220px;height:30px}.picked{color:#b6f2c4}"
        "th button{background:none;border:0;color:#8fc1ff;font:inherit;cursor:pointer;padding:0}")

#: Sorting the rows by melody kept (rows without a value last); click again to reverse.
_SORT_JS = (
    "(function(){var b=document.getElementById('sort-melody'),down=true;"
    "b.addEventListener('click',function(){var t=document.querySelector('tbody'),"
    "r=Array.prototype.slice.call(t.rows);r.sort(function(x,y){"
    "var a=parseFloat(x.dataset.melody),c=parseFloat(y.dataset.melody);"
    "if(isNaN(a))return isNaN(c)?0:1;if(isNaN(c))return -1;return down?c-a:a-c;});"
    "r.forEach(function(x){t.appendChild(x);});document.body.dataset.sorted=down?'desc':'asc';"
    "down=!down;});})();")


@dataclass
class IndexEntry:
    """One line of the index: a page (or ``None`` when the row has none) and what it shows.

    :param label: the link text (a batch row's song).
    :param page: the audition page, or ``None`` (the line is listed without a link).
    :param status: e.g. ``saved``, ``skipped``, ``failed``.
    :param prompt: the prompt of the takes.
    :param takes: how many takes the page compares.
    :param cost: what the takes cost in USD.
    :param note: a short remark (why there is no page...).
    :param number: the row number (``None``: counted from 1).
    :param player: the take to play on the line (the picked one, else the best, else the
        first): its file.
    :param player_label: what that take is ("picked", "best", "take 1").
    :param seeds: the takes' seeds.
    :param melody_kept: the best melody kept of the row's takes (``batch --measure``).
    :param loudness_lufs: the played take's integrated loudness.
    :param picked: the picked take's file, if any.
    """

    label: str
    page: str | os.PathLike[str] | None = None
    status: str | None = None
    prompt: str | None = None
    takes: int | None = None
    cost: float | None = None
    note: str | None = None
    number: int | None = None
    player: str | os.PathLike[str] | None = None
    player_label: str | None = None
    seeds: list[int | None] | None = None
    melody_kept: float | None = None
    loudness_lufs: float | None = None
    picked: str | None = None


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _line(i: int, entry: IndexEntry, folder: Path) -> str:
    label = _e(entry.label)
    if entry.page is not None:
        label = f'<a href="{_e(href_for(Path(entry.page), folder))}">{label}</a>'
    if entry.note:
        label += f'<br><span class="dim">{_e(entry.note)}</span>'
    cells = (
        f'<td class="n">{entry.number if entry.number is not None else i}</td>',
        f"<td>{_e(entry.status or '')}</td>",
        f"<td>{label}</td>",
        f"<td>{_e(entry.prompt or '')}</td>",
        f'<td class="n">{"" if entry.takes is None else entry.takes}</td>',
        f'<td class="n">{"" if entry.cost is None else f"${entry.cost:.4f}"}</td>',
        *_take_cells(entry, folder),
    )
    melody = "" if entry.melody_kept is None else f"{entry.melody_kept:.4f}"
    return f'<tr data-melody="{melody}" data-row="{entry.number or i}">' + "".join(cells) + \
        "</tr>"


def _take_cells(entry: IndexEntry, folder: Path) -> tuple[str, ...]:
    """Seeds, melody kept, loudness, pick status and a player of the row's chosen take."""
    seeds = ", ".join("?" if s is None else str(s) for s in entry.seeds or [])
    melody = "" if entry.melody_kept is None else f"{entry.melody_kept:.2f}"
    lufs = "" if entry.loudness_lufs is None else f"{entry.loudness_lufs:.1f}"
    status = (f'<span class="picked">picked</span> {_e(Path(entry.picked).name)}'
              if entry.picked else '<span class="dim">no pick</span>' if entry.player else "")
    player = ""
    if entry.player is not None:
        href = href_for(Path(entry.player), folder)
        player = (f'<audio controls preload="none" src="{_e(href)}"></audio>'
                  f'<br><span class="dim">{_e(entry.player_label or "")} &middot; '
                  f"{_e(Path(entry.player).name)}</span>")
    return (f"<td>{_e(seeds)}</td>", f'<td class="n melody">{melody}</td>',
            f'<td class="n">{lufs}</td>', f"<td>{status}</td>", f"<td>{player}</td>")


def write_index(pages: Sequence[IndexEntry | tuple[str, str | os.PathLike[str]]],
                output: str | os.PathLike[str], *, title: str = "Cover auditions",
                subtitle: str | None = None, sandbox: bool = False) -> Path:
    """Write a page linking audition pages; return its path (written atomically).

    :param pages: :class:`IndexEntry` items, or ``(label, page path)`` pairs.
    :param output: the index's path (parent folders are created).
    :param title: the heading.
    :param subtitle: a line under the heading (totals...).
    :param sandbox: label the takes as the sandbox's synthetic audio.
    """
    index = Path(output)
    index.parent.mkdir(parents=True, exist_ok=True)
    entries = [p if isinstance(p, IndexEntry) else IndexEntry(p[0], p[1]) for p in pages]
    rows = "".join(_line(i, e, index.parent) for i, e in enumerate(entries, 1))
    badge = '<span class="badge">SANDBOX: synthetic audio</span>' if sandbox else ""
    sub = f'<p class="sub">{_e(subtitle)}</p>' if subtitle else ""
    text = (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; media-src 'self' file: data:\">"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="generator" content="minimax-cover">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>"
        f"<body><h1>{_e(title)}{badge}</h1>{sub}<table><thead><tr><th>#</th><th>status</th>"
        "<th>song</th><th>prompt</th><th>takes</th><th>cost</th><th>seeds</th>"
        '<th><button type="button" id="sort-melody" title="Sort by melody kept (again: '
        'the other way)">melody kept &#8597;</button></th><th>LUFS</th><th>pick</th>'
        "<th>take</th></tr></thead>"
        f"<tbody>{rows}</tbody></table><script>{_SORT_JS}</script></body></html>\n")
    tmp = index.with_name(index.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, index)
    return index
