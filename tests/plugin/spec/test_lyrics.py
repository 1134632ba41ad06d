"""Lyrics lint: documented tags, numbered variants, warnings never errors."""

from __future__ import annotations

import pytest
from minimax_cover.plugin.spec.lyrics import lint_lyrics, normalize_tag


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("Intro", ("Intro", None)), ("Verse", ("Verse", None)), ("Verse 2", ("Verse", 2)),
     ("Pre-Chorus", ("Pre-Chorus", None)), ("pre chorus", ("Pre-Chorus", None)),
     ("Chorus 3", ("Chorus", 3)), ("Bridge", ("Bridge", None)), ("Outro", ("Outro", None)),
     ("Inst", ("Inst", None)), ("Hook", (None, None)), ("Guitar Solo", (None, None))],
)
def test_normalize_tag(tag: str, expected: tuple[str | None, int | None]) -> None:
    assert normalize_tag(tag) == expected


def test_sections_parsed_in_order() -> None:
    report = lint_lyrics("[Intro]\n\n[Verse 1]\nline one\nline two\n[Chorus]\nsing it\n[Outro]")
    assert [(s.canonical, s.number, len(s.lines)) for s in report.sections] == [
        ("Intro", None, 0), ("Verse", 1, 2), ("Chorus", None, 1), ("Outro", None, 0)
    ]
    assert report.warnings == []
    assert not report.instrumental


def test_instrumental_skeleton_is_valid() -> None:
    report = lint_lyrics("[Intro]\n[Inst]\n[Outro]")
    assert report.instrumental
    assert report.warnings == []


def test_unknown_tag_is_a_warning() -> None:
    report = lint_lyrics("[Verse]\nhello\n[Solo]\n[Chorus]\nla")
    assert len(report.warnings) == 1
    assert "[Solo]" in report.warnings[0]
    assert [s.tag for s in report.sections] == ["Verse", "Solo", "Chorus"]


def test_untagged_and_inline_tags_warn() -> None:
    report = lint_lyrics("before\n[Verse]\nhello [Chorus] there")
    assert any("before the first section tag" in w for w in report.warnings)
    assert any("inside a line" in w for w in report.warnings)
    assert "no section tags" in lint_lyrics("just some words here").warnings[0]
