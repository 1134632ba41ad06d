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


@pytest.fixture
def measured_page(tmp_path: Path, repo_root: Path) -> Path:
    from minimax_cover.plugin.cli import main

    out = tmp_path / "MEASURED"
    code = main(["cover", str(repo_root / "examples" / "audio" / "example_song.mp3"),
                 "--prompt", "A bright synth-pop cover with big drums", "--results", "2",
                 "--best", "--compare", "-o", f"{out}/", "--no-progress", "-q"])
    assert code == 0
    return next(out.glob("*_compare.html"))


GAINS = """
const d = JSON.parse(document.getElementById('audition-data').textContent);
return {gains: d.gainsDB, volumes: window.auditionPage.players.map(p => p.volume),
        matched: document.getElementById('matched').checked};"""


def test_matched_ab_scales_and_a_pick_that_survives_reload(browser: Any,
                                                           measured_page: Path) -> None:
    browser.driver.get(measured_page.as_uri())
    browser.wait(PLAYERS_READY, 3, what="three players with audio")
    # matched loudness by default: each player's volume is its gain, the quietest at 1
    state = browser.js(GAINS)
    assert state["matched"] is True and len(state["gains"]) == 3
    assert max(state["gains"]) == 0.0 and min(state["gains"]) < 0.0
    for gain, volume in zip(state["gains"], state["volumes"], strict=True):
        assert volume == pytest.approx(10 ** (gain / 20), abs=1e-3)
    # A/B keeps the gains; the switch gives the raw levels back
    browser.driver.find_element("id", "ab").click()
    assert browser.js(GAINS)["volumes"] == state["volumes"]
    browser.driver.find_element("id", "matched").click()
    assert browser.js(GAINS)["volumes"] == [1, 1, 1]
    cards = browser.js("return [...document.querySelectorAll('.track')].map(c => ({"
                       "measures: (c.querySelector('.measures') || {}).textContent || '',"
                       "freq: [...c.querySelectorAll('.scale-freq span')].map(s => s.textContent),"
                       "db: [...c.querySelectorAll('.scale-db span')].map(s => s.textContent)}))")
    assert all("LUFS" in c["measures"] and "dBTP" in c["measures"] for c in cards)
    assert all("melody kept" in c["measures"] for c in cards[1:])
    assert all("1 kHz" in c["freq"] and "100 Hz" in c["freq"] for c in cards)
    assert all(c["db"][0] == "0 dB" for c in cards)
    legend = browser.js("const l = document.getElementById('colour-scale');"
                        "const r = l.getBoundingClientRect();"
                        "return {text: l.textContent, w: r.width,"
                        " bg: getComputedStyle(l.querySelector('i')).backgroundImage};")
    assert "dBFS" in legend["text"] and legend["w"] > 100 and "gradient" in legend["bg"]

    # a pick sticks: reload the page, the same take is still picked
    browser.js("document.querySelectorAll('[data-action=pick]')[1].click()")
    assert browser.js("return window.auditionPage.picked") == 2
    browser.driver.refresh()
    browser.wait(PLAYERS_READY, 3, what="players after reload")
    assert browser.js("return window.auditionPage.picked") == 2
    picked = browser.js("return [document.querySelector('.track.picked').id,"
                        " document.getElementById('picks-download').hidden,"
                        " decodeURIComponent(document.getElementById('picks-download').href)]")
    assert picked[0] == "track-2" and picked[1] is False and "_2.mp3" in picked[2]
    browser.js("window.localStorage.clear()")
    assert browser.remote() == []


def test_a_page_copied_without_its_audio_says_so(browser: Any, measured_page: Path,
                                                 tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere" / "page.html"
    copy.parent.mkdir()
    copy.write_bytes(measured_page.read_bytes())
    browser.driver.get(copy.as_uri())
    # the takes sat next to the page; the song's path still reaches the repository's file
    # (extra ".." stop at the root), so two of three tracks are missing
    text = browser.wait("const m = document.getElementById('missing-audio');"
                        "return !m.hidden && window.auditionPage.missing.length === 2"
                        " && m.textContent;", what="missing-audio message")
    assert "Audio not found for 2 of 3 tracks (Take 1, Take 2)" in text, text
    assert "--embed" in text
    assert browser.js("return document.querySelectorAll('.track.no-audio').length") == 2


def test_batch_index_sorts_by_melody_kept(browser: Any, tmp_path: Path) -> None:
    import numpy as np
    from minimax_cover.plugin.audio import Audio, write_audio
    from minimax_cover.plugin.audition import IndexEntry, write_index

    take = tmp_path / "take.wav"
    write_audio(Audio(np.zeros(8000, np.float32), 8000), take, "WAV")
    entries = [IndexEntry(f"song{k}", number=k + 1, status="saved", melody_kept=m,
                          player=take, player_label="best", seeds=[k])
               for k, m in enumerate([0.5, None, 0.9, 0.7])]
    index = write_index(entries, tmp_path / "batch.compare.html")
    browser.driver.get(index.as_uri())
    order = "return [...document.querySelectorAll('tbody tr')].map(r => r.dataset.row)"
    assert browser.js(order) == ["1", "2", "3", "4"]
    browser.driver.find_element("id", "sort-melody").click()
    assert browser.js(order) == ["3", "4", "1", "2"]  # no value last
    browser.driver.find_element("id", "sort-melody").click()
    assert browser.js(order) == ["1", "4", "3", "2"]
    assert browser.js("return document.querySelectorAll('audio').length") == 4
    assert browser.remote() == []
