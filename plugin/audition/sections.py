"""A song's sections (intro, verse, chorus...) drawn over its picture on the audition page.

MiniMax's preprocess returns the structure of the song as ``[{start, end, label}]`` in seconds
(the two-step handle, or the preprocess cache for a song analysed before). On the page they are
translucent bands with their label, over the source's waveform and spectrogram, on the same
time axis as every picture.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["SECTION_COLORS", "sections_html"]

SECTION_COLORS = {"intro": "#6b8cff", "verse": "#4fb286", "pre-chorus": "#c9a227",
                  "chorus": "#e0655b", "bridge": "#a46bd6", "outro": "#5a7bd8",
                  "inst": "#8a8f98", "silence": "#3a3d42"}
_BAND = ("position:absolute;top:0;bottom:0;opacity:.30;border-right:1px solid #0009;"
         "box-sizing:border-box;pointer-events:none;background:{color};left:{left:.3f}%;"
         "width:{width:.3f}%")
_LABEL = ("position:absolute;left:3px;top:2px;font:10px/1 system-ui,sans-serif;color:#fff;"
          "opacity:1;text-shadow:0 0 2px #000;white-space:nowrap")


def sections_html(sections: Sequence[Mapping[str, Any]] | None, axis_seconds: float) -> str:
    """The bands of ``sections`` (``start``/``end`` seconds, ``label``) as HTML for a picture's
    box; empty for none. Malformed entries are skipped."""
    if not sections or axis_seconds <= 0:
        return ""
    bands = []
    for s in sections:
        try:
            start, end = float(s["start"]), float(s["end"])
        except (KeyError, TypeError, ValueError):
            continue
        if end <= start:
            continue
        label = str(s.get("label") or "")
        left = 100.0 * max(0.0, start) / axis_seconds
        width = 100.0 * (min(end, axis_seconds) - max(0.0, start)) / axis_seconds
        style = _BAND.format(color=SECTION_COLORS.get(label, "#777"), left=left, width=width)
        text = html.escape(label, quote=True)
        bands.append(f'<div class="section" data-label="{text}" title="{text} '
                     f'{start:.1f}-{end:.1f} s" style="{style}">'
                     f'<span style="{_LABEL}">{text}</span></div>')
    return "".join(bands)
