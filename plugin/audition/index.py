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

from ..config import register_known_secrets
from ..redaction import redact
from .compare import href_for

__all__ = ["IndexEntry", "write_index"]

_CSS = ("body{font:14px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
        "background:#0f1115;color:#e6e9ef;max-width:1040px;margin:24px auto;padding:0 24px}"
        "a{color:#8fc1ff}h1{font-size:20px;margin:0 0 4px}.sub{color:#9aa3b2;margin:0 0 14px}"
        "table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 10px;"
        "border-bottom:1px solid #262b35;vertical-align:top}th{color:#9aa3b2;font-weight:500}"
        "td.n{text-align:right;font-variant-numeric:tabular-nums}.dim{color:#9aa3b2}"
        ".badge{display:inline-block;padding:1px 8px;border-radius:10px;background:#5b3b12;"
        "color:#ffd9a8;font-size:12px;margin-left:8px;vertical-align:middle}")


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
    """

    label: str
    page: str | os.PathLike[str] | None = None
    status: str | None = None
    prompt: str | None = None
    takes: int | None = None
    cost: float | None = None
    note: str | None = None
    number: int | None = None


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
    )
    return "<tr>" + "".join(cells) + "</tr>"


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
        "style-src 'unsafe-inline'\">"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="generator" content="minimax-cover">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>"
        f"<body><h1>{_e(title)}{badge}</h1>{sub}<table><thead><tr><th>#</th><th>status</th>"
        "<th>song</th><th>prompt</th><th>takes</th><th>cost</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></body></html>\n")
    tmp = index.with_name(index.name + ".part")
    register_known_secrets()  # every key the tool can see, not only the one in use
    tmp.write_text(redact(text), encoding="utf-8")
    os.replace(tmp, index)
    return index
