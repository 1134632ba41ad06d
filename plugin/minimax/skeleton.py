"""A tag skeleton from a song's structure, for instrumental covers.

MiniMax's preprocess returns the song's sections (intro, verse, chorus, bridge, outro, inst,
silence, with times). :func:`lyrics_skeleton` writes them as the spec's section tags, one per
line (``[Intro]``, ``[Verse 1]``, ``[Chorus]``...), with no sung lines: a valid ``lyrics`` for a
cover that keeps the song's form without words. Silence is left out; repeated verses are
numbered.
"""

from __future__ import annotations

from collections.abc import Iterable

from .handle import Section

__all__ = ["lyrics_skeleton"]

_LABELS = {"intro": "Intro", "verse": "Verse", "pre-chorus": "Pre-Chorus",
           "prechorus": "Pre-Chorus", "chorus": "Chorus", "bridge": "Bridge",
           "outro": "Outro", "inst": "Inst", "instrumental": "Inst", "solo": "Inst"}
# (every value is one of the spec's SECTION_TAGS; tests check it)
#: The shortest skeleton (lyrics must have at least 10 characters).
FALLBACK = "[Intro]\n[Inst]\n[Outro]"


def lyrics_skeleton(sections: Iterable[Section]) -> str:
    """Section tags for ``sections`` in order, one per line (see the module doc)."""
    items = [s for s in sections if s.label != "silence"]
    tags = [_LABELS.get(s.label, "Inst") for s in items]
    verses = tags.count("Verse")
    lines: list[str] = []
    seen = 0
    for tag in tags:
        if tag == "Verse" and verses > 1:
            seen += 1
            tag = f"Verse {seen}"
        if lines and lines[-1] == f"[{tag}]":
            continue  # two segments of one section
        lines.append(f"[{tag}]")
    text = "\n".join(lines)
    return text if len(text) >= 10 else FALLBACK
