"""``minimax-cover compare`` and ``cover --compare`` (sandbox on 127.0.0.1)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from minimax_cover.plugin.audio import Audio, write_audio
from minimax_cover.plugin.cli import main


def srcs(html: str) -> list[str]:
    return re.findall(r'<audio\b[^>]*\bsrc="([^"]*)"', html)


def test_cover_compare_writes_the_page_next_to_the_takes(tmp_path: Path, repo_root: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "OUT"
    song = repo_root / "examples" / "audio" / "example_song.mp3"
    code = main(["cover", str(song), "--prompt", "A bright synth-pop cover with big drums",
                 "--results", "2", "--compare", "-o", f"{out}/", "--no-progress", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    pages = list(out.glob("*.html"))
    assert len(pages) == 1 and pages[0].name.endswith("_compare.html")
    html = pages[0].read_text(encoding="utf-8")
    hrefs = srcs(html)
    assert len(hrefs) == 3  # the song and two takes
    for href in hrefs:
        assert (pages[0].parent / href).resolve().is_file()
    assert [Path(o["path"]).name for o in summary["outputs"]] == hrefs[1:]
    for o in summary["outputs"]:
        assert f"seed {o['seed']}" in html
    assert "A bright synth-pop cover with big drums" in html
    assert len(re.findall(r'<img\b[^>]*src="data:image/png;base64,', html)) == 3


def test_cover_without_compare_writes_no_page(tmp_path: Path, repo_root: Path) -> None:
    song = repo_root / "examples" / "audio" / "example_song.mp3"
    assert main(["cover", str(song), "--prompt", "A bright synth-pop cover with big drums",
                 "-o", f"{tmp_path}/", "--no-progress", "-q"]) == 0
    assert not list(tmp_path.glob("*.html"))


def _tone(path: Path, freq: float) -> Path:
    t = np.arange(16000) / 16000
    write_audio(Audio((0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), 16000), path,
                "WAV")
    return path


def test_compare_command(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    a, b, c = (_tone(tmp_path / f"{n}.wav", f) for n, f in (("song", 220), ("t1", 330),
                                                             ("t2", 440)))
    lyrics = tmp_path / "lyrics.txt"
    lyrics.write_text("[Verse]\nhello", encoding="utf-8")
    page = tmp_path / "pages" / "cmp.html"
    assert main(["compare", str(a), str(b), str(c), "-o", str(page), "--prompt", "my prompt",
                 "--lyrics-file", str(lyrics), "--seeds", "5,6", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {k: out[k] for k in ("page", "tracks")} == {"page": str(page), "tracks": 3}
    assert out["source"]["path"] == str(a)
    assert [t["path"] for t in out["takes"]] == [str(b), str(c)]
    assert sorted(t["rank"] for t in out["takes"]) == [1, 2]
    html = page.read_text(encoding="utf-8")
    assert srcs(html) == ["../song.wav", "../t1.wav", "../t2.wav"]
    assert "seed 5" in html and "seed 6" in html and "[Verse]" in html and "my prompt" in html
    assert main(["compare", str(b), str(c), "--no-source", "-o", str(page), "--embed"]) == 0
    assert all(s.startswith("data:audio/mpeg;base64,") for s in srcs(page.read_text("utf-8")))


def test_compare_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    song = _tone(tmp_path / "song.wav", 220)
    assert main(["compare", str(song), str(tmp_path / "missing.wav"),
                 "-o", str(tmp_path / "p.html")]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["compare", str(song), "-o", str(tmp_path / "p.html")]) == 2
    assert main(["compare", str(song), str(song), "--seeds", "x",
                 "-o", str(tmp_path / "p.html")]) == 2
