"""``batch --compare`` / ``cover_batch(compare=True)``: a page per row and an index (sandbox).

Every batch runs real jobs against a sandbox on 127.0.0.1; the pages must load nothing from
the network, link files that exist, and the index must be rewritten by a rerun that pays
nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from batch_support import PROMPT, fast_options
from minimax_cover.plugin.batch.api import cover_batch
from minimax_cover.plugin.cli import main


@pytest.fixture
def env(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The CLI talks to this test's sandbox."""
    monkeypatch.setenv("RUNWARE_API_URL", sandbox.url)
    monkeypatch.setenv("RUNWARE_API_KEY", sandbox.api_key)
    return sandbox


def _attrs(html: str, tag: str, attr: str) -> list[str]:
    return re.findall(rf'<{tag}\b[^>]*\b{attr}="([^"]*)"', html)


def _local(page: Path, url: str) -> Path:
    """The file a relative URL in ``page`` points at (absolute or remote URLs fail)."""
    assert "://" not in url and not url.startswith(("/", "data:")), url
    return (page.parent / unquote(url)).resolve()


def _check_offline(html: str) -> None:
    assert "default-src 'none'" in html
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)


def _check_page(page: Path, players: int) -> None:
    html = page.read_text(encoding="utf-8")
    _check_offline(html)
    sources = _attrs(html, "audio", "src")
    assert len(sources) == players
    assert all(_local(page, s).is_file() for s in sources)


def test_cli_two_rows_leave_two_pages_and_an_index(env: Any, songs: list[Path],
                                                   write_csv: Callable[..., Path],
                                                   tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    manifest = write_csv([{"song": songs[0].name, "seed": 1},
                          {"song": songs[1].name, "seed": 2, "results": 2}])
    out = tmp_path / "out"
    argv = ["batch", str(manifest), "-o", str(out), "--prompt", PROMPT, "--compare", "--json"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in doc["rows"]] == ["saved", "saved"]
    pages = sorted(out.glob("*_compare.html"))
    assert [p.name for p in pages] == ["alpha_compare.html", "bravo_compare.html"]
    assert [Path(r["page"]).name for r in doc["rows"]] == [p.name for p in pages]
    index = Path(doc["compareIndex"])
    assert index == out / "m.compare.html"
    html = index.read_text(encoding="utf-8")
    _check_offline(html)
    links = _attrs(html, "a", "href")
    assert [_local(index, h) for h in links] == [p.resolve() for p in pages]
    assert PROMPT in html and "saved" in html and "$0.1500" in html and "$0.3000" in html
    _check_page(out / "alpha_compare.html", players=2)  # the song + one take
    _check_page(out / "bravo_compare.html", players=3)  # the song + two takes
    bravo = (out / "bravo_compare.html").read_text(encoding="utf-8")
    assert "../songs/bravo.wav" in bravo and "bravo_1.mp3" in bravo and "bravo_2.mp3" in bravo

    # a rerun pays nothing and still (re)writes the pages and the index
    submitted = env.submissions()
    index.unlink()
    (out / "alpha_compare.html").unlink()
    assert main(argv) == 0
    again = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in again["rows"]] == ["skipped", "skipped"]
    assert env.submissions() == submitted
    assert index.is_file() and again["compareIndex"] == str(index)
    assert [_local(index, h) for h in _attrs(index.read_text("utf-8"), "a", "href")] == \
        [p.resolve() for p in pages]
    _check_page(out / "alpha_compare.html", players=2)
    receipt = json.loads((out / "m.report.json").read_text(encoding="utf-8"))
    assert receipt["compareIndex"] == str(index)


def test_cli_plain_output_names_the_index(env: Any, songs: list[Path],
                                          write_csv: Callable[..., Path], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    manifest = write_csv([{"song": songs[0].name}])
    out = tmp_path / "out"
    assert main(["batch", str(manifest), "-o", str(out), "--prompt", PROMPT, "--compare",
                 "--compare-embed", "--no-progress"]) == 0
    assert f"compare: 1 page(s), index {out / 'm.compare.html'}" in capsys.readouterr().out
    html = (out / "alpha_compare.html").read_text(encoding="utf-8")
    sources = _attrs(html, "audio", "src")
    assert len(sources) == 2 and all(s.startswith("data:audio/") for s in sources)


def test_without_compare_or_on_a_dry_run_no_pages(env: Any, songs: list[Path],
                                                  write_csv: Callable[..., Path],
                                                  tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    manifest = write_csv([{"song": songs[0].name}])
    out = tmp_path / "out"
    base = ["batch", str(manifest), "-o", str(out), "--prompt", PROMPT, "--no-progress"]
    assert main([*base, "--compare", "--dry-run"]) == 0
    assert not out.exists() or not list(out.glob("*.html"))
    assert main(base) == 0
    assert not list(out.glob("*.html"))
    assert "compare:" not in capsys.readouterr().out


def test_api_duplicates_share_a_page_and_missing_takes_are_noted(
        make_sandbox: Any, songs: list[Path], tmp_path: Path) -> None:
    sb = make_sandbox()
    out = tmp_path / "out"
    rows = [{"song": songs[0].name, "prompt": PROMPT, "seed": 1},
            {"song": songs[1].name, "prompt": PROMPT, "seed": 2},
            {"song": songs[0].name, "prompt": PROMPT, "seed": 1}]
    kwargs: dict[str, Any] = {"output_dir": out, "backend": "runware",
                              "backend_options": fast_options(sb),
                              "base_dir": tmp_path / "songs", "compare": True}
    report = cover_batch(rows, **kwargs)
    assert [r.status for r in report.rows] == ["saved", "saved", "duplicate"]
    assert report.rows[2].page == report.rows[0].page
    assert Path(report.compare_index or "") == out / "batch.compare.html"
    # a take removed by hand whose result URL is gone too (the server stopped; while it
    # answers the take is downloaded again): the rerun skips the row, gives it no page, says why
    Path(report.rows[1].files[0]).unlink()
    Path(report.rows[1].page or "").unlink()
    sb.stop()
    again = cover_batch(rows, **kwargs)
    assert [r.status for r in again.rows] == ["skipped", "skipped", "duplicate"]
    assert again.rows[0].page and again.rows[1].page is None
    html = Path(again.compare_index or "").read_text(encoding="utf-8")
    assert "takes not found" in html and "same song and parameters as row 1" in html
    assert len(_attrs(html, "a", "href")) == 2  # row 1 and its duplicate
    assert sb.submissions() == 2
