"""Lyrics lint: section tags parsed, unknown tags warned about (never rejected).

The spec documents ``[Intro]``, ``[Verse]``, ``[Pre-Chorus]``, ``[Chorus]``, ``[Bridge]``,
``[Outro]`` and ``[Inst]``, with numbered variants such as ``[Verse 2]``. MiniMax's own API knows
more tags (``[Hook]``, ``[Solo]``...), so an unknown tag is a warning: it may still work.
A tag-only skeleton (``[Intro]\\n[Inst]\\n[Outro]``) is valid for instrumental covers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import SECTION_TAGS

__all__ = ["LyricsReport", "Section", "lint_lyrics", "normalize_tag"]

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
