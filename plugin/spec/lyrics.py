"""Lyrics lint: section tags parsed, unknown tags warned about (never rejected).

The spec documents ``[Intro]``, ``[Verse]``, ``[Pre-Chorus]``, ``[Chorus]``, ``[Bridge]``,
``[Outro]`` and ``[Inst]``, with numbered variants such as ``[Verse 2]``. MiniMax's own API knows
more tags (``[Hook]``, ``[Solo]``...), so an unknown tag is a warning: it may still work.
A tag-only skeleton (``[Intro]\\n[Inst]\\n[Outro]``) is valid for instrumental covers.

:func:`cover_lyrics` is the two-step fallback: the lyrics a preprocess step heard are sent when
the user wrote none (pipeline, node and MiniMax backend all use it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import MINIMAX_MUSIC_COVER, SECTION_TAGS, ModelSpec

__all__ = [
    "LyricsReport",
    "Section",
    "cover_lyrics",
    "heard_lyrics",
    "lint_lyrics",
    "normalize_tag",
    "with_cover_lyrics",
]

_LYRICS = "settings.lyrics"

_TAG_LINE = re.compile(r"^\s*\[([^\[\]\n]{1,40})\]\s*$")
_INLINE_TAG = re.compile(r"\[([^\[\]\n]{1,40})\]")
_NUMBERED = re.compile(r"^(?P<base>.+?)\s+(?P<n>\d{1,2})$")
_CANONICAL = {t.lower().replace("-", " "): t for t in SECTION_TAGS}


@dataclass(frozen=True)
class Section:
    """One tagged section: its tag as written, the canonical tag, its number and its lines."""

    tag: str
    canonical: str | None
    number: int | None
    lines: tuple[str, ...]


@dataclass
class LyricsReport:
    """What :func:`lint_lyrics` found: sections in order, warnings, and whether it has words."""

    sections: list[Section] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    untagged_lines: list[str] = field(default_factory=list)

    @property
    def instrumental(self) -> bool:
        """True when the lyrics are a tag-only skeleton (no sung lines)."""
        return not self.untagged_lines and all(not s.lines for s in self.sections)


def normalize_tag(tag: str) -> tuple[str | None, int | None]:
    """``("Verse", 2)`` for ``"verse 2"``; ``(None, None)`` for an unknown tag."""
    text = tag.strip()
    number = None
    m = _NUMBERED.match(text)
    if m:
        text, number = m.group("base"), int(m.group("n"))
    canonical = _CANONICAL.get(text.lower().replace("-", " ").replace("_", " "))
    return (canonical, number if canonical else None)


def lint_lyrics(text: str) -> LyricsReport:
    """Parse ``text`` into sections and collect warnings (unknown tags, text before a tag)."""
    report = LyricsReport()
    current: tuple[str, str | None, int | None] | None = None
    lines: list[str] = []

    def close() -> None:
        if current is not None:
            report.sections.append(Section(current[0], current[1], current[2], tuple(lines)))

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        m = _TAG_LINE.match(line)
        if m:
            close()
            lines = []
            tag = m.group(1).strip()
            canonical, number = normalize_tag(tag)
            if canonical is None:
                known = ", ".join(f"[{t}]" for t in SECTION_TAGS)
                report.warnings.append(
                    f"section tag [{tag}] is not one of the documented tags ({known}); "
                    "the model may ignore it"
                )
            elif canonical != tag.split(" ")[0] and number is None and canonical != tag:
                report.warnings.append(f"section tag [{tag}] is usually written [{canonical}]")
            current = (tag, canonical, number)
            continue
        for inline in _INLINE_TAG.findall(line):
            report.warnings.append(
                f"[{inline}] appears inside a line; section tags belong on a line of their own"
            )
        if current is None:
            report.untagged_lines.append(line)
        else:
            lines.append(line)
    close()
    if report.untagged_lines and report.sections:
        report.warnings.append(
            f"{len(report.untagged_lines)} line(s) before the first section tag"
        )
    elif report.untagged_lines and not report.sections:
        report.warnings.append("no section tags; structured lyrics work best with [Verse]/[Chorus]")
    return report


def heard_lyrics(handle: Any) -> str | None:
    """The lyrics a two-step handle heard (``formatted_lyrics``, else ``lyrics``), or None."""
    heard = getattr(handle, "formatted_lyrics", None) or getattr(handle, "lyrics", None)
    return str(heard) if heard else None


def cover_lyrics(request: Mapping[str, Any], handle: Any = None,
                 spec: ModelSpec = MINIMAX_MUSIC_COVER) -> str | None:
    """The lyrics a cover job sends: ``settings.lyrics`` when set, else what ``handle`` heard.

    The two-step fallback, in one place: the lyrics step 1 heard are used only when the user
    set none and they fit the field's length rule (else the model hears the song's own words).
    """
    given = (request.get("settings") or {}).get("lyrics")
    if given:
        return str(given)
    heard = heard_lyrics(handle)
    try:
        f = spec.field(_LYRICS)
    except KeyError:  # a model without lyrics
        return None
    if heard is None or not (f.min_length or 0) <= len(heard) <= (f.max_length or len(heard)):
        return None
    return heard


def with_cover_lyrics(request: dict[str, Any], handle: Any,
                      spec: ModelSpec = MINIMAX_MUSIC_COVER) -> dict[str, Any]:
    """``request`` with ``settings.lyrics`` filled by :func:`cover_lyrics` (a copy if changed)."""
    lyrics = cover_lyrics(request, handle, spec)
    settings = request.get("settings") or {}
    if lyrics is None or settings.get("lyrics") == lyrics or not isinstance(settings, dict):
        return request
    return {**request, "settings": {**settings, "lyrics": lyrics}}
