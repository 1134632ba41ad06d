"""The audition page: self-contained, offline, escaped, audio linked relative (or embedded)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from minimax_cover.plugin.audio import Audio, write_audio
from minimax_cover.plugin.audition import (
    Clip,
    IndexEntry,
    PageInfo,
    build_page,
    page_path_for_files,
    write_index,
)
from minimax_cover.plugin.audition.png import png_size
from minimax_cover.plugin.errors import AudioError

SR = 22050


def write_tone(path: Path, freq: float, seconds: float, fmt: str = "WAV") -> Path:
    t = np.arange(int(SR * seconds)) / SR
    write_audio(Audio((0.4 * np.sin(2 * np.pi * freq * t)).astype(np.float32), SR), path, fmt)
    return path


def srcs(html: str, tag: str) -> list[str]:
    return re.findall(rf'<{tag}\b[^>]*\bsrc="([^"]*)"', html)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    songs = tmp_path / "songs"
    out = tmp_path / "out"
    songs.mkdir()
    out.mkdir()
    return {"source": write_tone(songs / "my song.wav", 220, 3.0),
            "take1": write_tone(out / "cover_1.flac", 330, 2.0, "FLAC"),
            "take2": write_tone(out / "cover_2.wav", 440, 2.5)}


def test_page_links_audio_relative_and_embeds_pictures(files: dict[str, Path],
                                                      tmp_path: Path) -> None:
    page = build_page(files["source"], [Clip(files["take1"], seed=11, cost=0.05),
                                        Clip(files["take2"], seed=12, cost=0.05)],
                      tmp_path / "out" / "page.html",
                      info=PageInfo(prompt="A <b>bold</b> prompt", lyrics="[Verse]\nla & la",
                                    cost_total=0.1, sandbox=True))
    html = page.read_text(encoding="utf-8")
    audio = srcs(html, "audio")
    assert audio == ["../songs/my%20song.wav", "cover_1.flac", "cover_2.wav"]
    for href in audio:  # every player's file exists, relative to the page
        assert (page.parent / href.replace("%20", " ")).is_file()
    images = srcs(html, "img")
    assert len(images) == 3 and all(s.startswith("data:image/png;base64,") for s in images)
    import base64

    assert all(png_size(base64.b64decode(s.split(",", 1)[1]))[0] >= 300 for s in images)
    # nothing from the network: no http(s) URL anywhere, and a CSP that forbids it
    assert not re.search(r"https?://", html)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    # text is escaped; seeds, cost and the sandbox label are shown
    assert "A &lt;b&gt;bold&lt;/b&gt; prompt" in html and "la &amp; la" in html
    assert "seed 11" in html and "seed 12" in html and "$0.1000" in html and "SANDBOX" in html
    data = json.loads(re.search(r'id="audition-data">(.*?)</script>', html).group(1))
    assert data["sourceIndex"] == 0 and data["axisSeconds"] == pytest.approx(3.0)
    assert not list(page.parent.glob("*.part"))


def test_embed_puts_audio_in_the_page(files: dict[str, Path], tmp_path: Path) -> None:
    page = build_page(None, [files["take1"], files["take2"]], tmp_path / "x" / "takes.html",
                      embed=True)
    html = page.read_text(encoding="utf-8")
    audio = srcs(html, "audio")
    assert audio[0].startswith("data:audio/mpeg;base64,")  # FLAC and WAV: an MP3 rendition
    assert audio[1].startswith("data:audio/mpeg;base64,")
    assert "cover_1.flac (embedded as MP3 160 kbps (from FLAC))" in html
    assert 'data-kind="source"' not in html


def test_missing_file_is_an_audio_error(files: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="not found"):
        build_page(files["source"], [tmp_path / "nope.wav"], tmp_path / "p.html")
    assert not (tmp_path / "p.html").exists()


def test_script_cannot_be_closed_by_a_label(files: dict[str, Path], tmp_path: Path) -> None:
    page = build_page(None, [Clip(files["take1"], label="</script><script>alert(1)")],
                      tmp_path / "p.html")
    html = page.read_text(encoding="utf-8")
    assert "</script><script>alert(1)" not in html


def test_index_links_pages(files: dict[str, Path], tmp_path: Path) -> None:
    a = build_page(files["source"], [files["take1"]], tmp_path / "out" / "a" / "a.html")
    index = write_index([("Song <A>", a)], tmp_path / "out" / "index.html")
    html = index.read_text(encoding="utf-8")
    assert 'href="a/a.html"' in html and "Song &lt;A&gt;" in html


def test_index_entries_show_rows_with_and_without_pages(files: dict[str, Path],
                                                        tmp_path: Path) -> None:
    a = build_page(files["source"], [files["take1"]], tmp_path / "out" / "a b.html")
    index = write_index([IndexEntry("a.wav", a, status="saved", prompt="<folk>", takes=1,
                                    cost=0.15, number=3),
                         IndexEntry("b.wav", None, status="failed", note="task failed")],
                        tmp_path / "out" / "m.compare.html", subtitle="2 row(s)", sandbox=True)
    html = index.read_text(encoding="utf-8")
    assert re.findall(r'href="([^"]*)"', html) == ["a%20b.html"]
    assert "&lt;folk&gt;" in html and "$0.1500" in html and "task failed" in html
    assert '<td class="n">3</td>' in html and "SANDBOX" in html and "2 row(s)" in html
    assert "default-src 'none'" in html and not (tmp_path / "out" / "m.compare.html.part").exists()


def test_page_path_for_files(tmp_path: Path) -> None:
    assert page_path_for_files([tmp_path / "a.mp3"]) == tmp_path / "a_compare.html"
    assert page_path_for_files([tmp_path / "a_1.mp3", tmp_path / "a_2.mp3"]) == \
        tmp_path / "a_compare.html"
