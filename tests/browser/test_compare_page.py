"""The audition page in a real browser: ``cover --results 2 --compare -o OUT/`` leaves a page
whose three players load their audio, whose three pictures render at least 300 px wide, whose
A/B switch changes the playing source at the same position, and which fetches nothing remote."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

PLAYERS_READY = """
const a = [...document.querySelectorAll('audio')];
return a.length === arguments[0] && a.every(p => p.readyState >= 1 && p.duration > 0)
  && a.map(p => p.duration);"""
PICTURES = """
return [...document.querySelectorAll('.pic img')].map(i => i.complete ? i.naturalWidth : 0);"""
STATE = """
const p = window.auditionPage;
return {active: p.active, times: p.players.map(x => x.currentTime),
        paused: p.players.map(x => x.paused), src: p.players[p.active].currentSrc};"""


@pytest.fixture
def page(tmp_path: Path, repo_root: Path) -> Path:
    from minimax_cover.plugin.cli import main

    out = tmp_path / "OUT"
    code = main(["cover", str(repo_root / "examples" / "audio" / "example_song.mp3"),
                 "--prompt", "A bright synth-pop cover with big drums", "--results", "2",
                 "--compare", "-o", f"{out}/", "--no-progress"])
    assert code == 0
    pages = list(out.glob("*.html"))
    assert len(pages) == 1
    return pages[0]


def test_page_players_pictures_ab_and_offline(browser: Any, page: Path) -> None:
    browser.driver.get(page.as_uri())
    durations = browser.wait(PLAYERS_READY, 3, what="three players with audio")
    assert all(d > 1 for d in durations)
    widths = browser.wait(f"const w = (() => {{{PICTURES}}})(); return w.every(x => x) && w;",
                          what="pictures decoded")
    assert len(widths) == 3 and min(widths) >= 300

    # play the source (A), then A/B: take 1 (B) plays from the same position, then back
    browser.driver.find_element("id", "play").click()
    browser.wait("return window.auditionPage.players[0].currentTime > 1.0", what="source plays")
    before = browser.js(STATE)
    browser.driver.find_element("id", "ab").click()
    after = browser.js(STATE)
    assert before["active"] == 0 and after["active"] == 1
    assert after["src"] != before["src"] and after["src"].endswith("_1.mp3")
    assert after["paused"][0] and not after["paused"][1]
    assert abs(after["times"][1] - before["times"][0]) < 0.5
    browser.wait("return window.auditionPage.players[1].currentTime > arguments[0] + 0.3",
                 after["times"][1], what="take 1 plays on")
    mid = browser.js(STATE)
    browser.driver.find_element("id", "ab").click()
    back = browser.js(STATE)
    assert back["active"] == 0 and not back["paused"][0] and back["paused"][1]
    assert abs(back["times"][0] - mid["times"][1]) < 0.5

    # the B select and the number keys pick other tracks, position kept
    browser.js("const s = document.getElementById('b-select'); s.value = '2';"
               "s.dispatchEvent(new Event('change'));")
    browser.driver.find_element("id", "ab").click()
    assert browser.js(STATE)["active"] == 2
    if os.environ.get("MINIMAX_COVER_SCREENSHOTS"):
        browser.driver.set_window_size(1180, 1420)
        time.sleep(0.8)
        browser.screenshot("audition-page.png")
    assert browser.remote() == []
