"""The audition panel (web/audition.js) inside ComfyUI's real frontend.

The installed ``comfyui-frontend-package`` boots against :class:`comfy_stub.ComfyStub`, which
serves it, the pack's extension and the endpoints it needs on 127.0.0.1, and runs queued prompts
with the headless runner. The test loads the "four takes -> audition -> pick -> save" template,
queues it, and checks: five players load their audio, five pictures render, A/B switches the
playing source at the same position, Pick sets the node's pick widget, and queueing again makes
the node output the picked take. Without the extension the node still runs (pick widget)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from comfy_stub import ComfyStub

pytestmark = pytest.mark.browser

TEMPLATE = Path(__file__).resolve().parents[2] / "example_workflows" / \
    "Four takes, audition and pick (MiniMax Music Cover).json"
APP = "window.comfyAPI && window.comfyAPI.app && window.comfyAPI.app.app"
PANEL = "document.querySelector('.mmc-audition')"
PLAYERS_READY = f"""
const a = [...{PANEL}.querySelectorAll('audio')];
return a.length === arguments[0] && a.every(p => p.readyState >= 1 && p.duration > 0)
  && a.map(p => p.duration);"""
PICTURES = f"""
const w = [...{PANEL}.querySelectorAll('.mmc-pic img')]
  .map(i => i.complete ? i.naturalWidth : 0);
return w.length === arguments[0] && w.every(x => x) && w;"""
STATE = f"""
const root = {PANEL};
const p = [...root.querySelectorAll('audio')];
return {{active: Number(root.dataset.active), times: p.map(x => x.currentTime),
        paused: p.map(x => x.paused), picked: root.dataset.picked}};"""
GAINS = f"""
const root = {PANEL};
const box = root.querySelector('.mmc-matched-box');
return {{matched: !!(box && box.checked), rows: [...root.querySelectorAll('.mmc-track')].map(c => {{
  const g = c.querySelector('.mmc-gain');
  return {{text: (c.querySelector('.mmc-measures') || {{}}).textContent || '',
          gain: g ? parseFloat(g.textContent.replace('plays at', '')) : null,
          volume: c.querySelector('audio').volume}};
}})}};"""
PICK_WIDGET = """
const node = window.comfyAPI.app.app.graph.getNodeById(3);
return node.widgets.find(w => w.name === 'pick').value;"""


def boot(browser: Any, stub: ComfyStub, extension: bool = True) -> None:
    browser.driver.get(stub.url)
    browser.wait(f"return !!({APP} && {APP}.graph && {APP}.canvas)", timeout=60,
                 what="the ComfyUI frontend")
    if extension:
        browser.wait(f"return !!LiteGraph.registered_node_types.MiniMaxCoverAudition && "
                     f"{APP}.extensions.some(e => e.name === 'MiniMaxCover.Audition')",
                     what="the pack's extension")
    # let the frontend finish opening its default workflow first, so ours opens in a new tab
    try:
        browser.wait(f"return {APP}.graph.nodes.length > 0", timeout=10)
    except AssertionError:
        pass
    workflow = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    browser.js_async("const done = arguments[arguments.length - 1];"
                     f"{APP}.loadGraphData(arguments[0]).then(() => done(true),"
                     " e => done(String(e)));", workflow)
    browser.wait(f"return {APP}.graph.getNodeById(3) != null", what="the template loaded")


def frame(browser: Any) -> None:
    """Show the cover, audition and save nodes (for the README screenshot)."""
    browser.driver.set_window_size(1320, 960)
    browser.js("const c = window.comfyAPI.app.app.canvas; c.ds.scale = 0.62;"
               "c.ds.offset = [115, 125]; c.setDirty(true, true);")
    time.sleep(1.5)


def test_audition_panel_ab_and_pick(browser: Any, tmp_path: Path) -> None:
    with ComfyStub(tmp_path) as stub:
        boot(browser, stub)
        assert browser.js(PICK_WIDGET) == 1
        first = stub.queue(browser)
        durations = browser.wait(PLAYERS_READY, 5, what="five players with audio")
        assert all(d > 1 for d in durations)
        widths = browser.wait(PICTURES, 5, what="five pictures")
        assert min(widths) >= 300
        assert browser.js(STATE)["picked"] == "1"

        # the measures per take, and A/B at matched loudness: each volume is its gain
        gains = browser.js(GAINS)
        assert gains["matched"] is True and len(gains["rows"]) == 5
        assert all("LUFS" in r["text"] and "dBTP" in r["text"] for r in gains["rows"])
        assert all("melody kept" in r["text"] for r in gains["rows"][1:])
        assert max(r["gain"] for r in gains["rows"]) == 0.0
        assert min(r["gain"] for r in gains["rows"]) < 0.0
        for r in gains["rows"]:  # the gain shown is rounded to 0.1 dB
            assert r["volume"] == pytest.approx(10 ** (r["gain"] / 20), rel=0.012)
        browser.js(f"{PANEL}.querySelector('.mmc-matched-box').click()")
        assert [r["volume"] for r in browser.js(GAINS)["rows"]] == [1] * 5
        browser.js(f"{PANEL}.querySelector('.mmc-matched-box').click()")
        assert browser.js(GAINS)["rows"][0]["volume"] == pytest.approx(
            gains["rows"][0]["volume"], abs=1e-6)

        # the pictures' scales: dB on the waveform, hertz on the spectrogram, a colour scale
        scales = browser.js(
            f"const t = (p, k) => [...p.querySelectorAll(k + ' span')].map(s => s.textContent);"
            f"return [...{PANEL}.querySelectorAll('.mmc-pic')]"
            ".map(p => [t(p, '.mmc-scale-db'), t(p, '.mmc-scale-freq')])")
        assert len(scales) == 5
        assert all(db[0] == "0 dB" and "1 kHz" in freq and "100 Hz" in freq
                   for db, freq in scales)
        legend = browser.js(f"const l = {PANEL}.querySelector('.mmc-legend');"
                            "return l && [l.textContent,"
                            " getComputedStyle(l.querySelector('i')).backgroundImage]")
        assert "dBFS" in legend[0] and "gradient" in legend[1]

        # A/B: the source plays, A/B switches to the picked take at the same position
        browser.js(f"{PANEL}.querySelector('.mmc-bar button').click()")
        browser.wait(f"return {PANEL}.querySelectorAll('audio')[0].currentTime > 1.0",
                     what="source plays")
        before = browser.js(STATE)
        browser.js(f"{PANEL}.querySelector('.mmc-ab').click()")
        after = browser.js(STATE)
        assert before["active"] == 0 and after["active"] == 1
        assert after["paused"][0] and not after["paused"][1]
        assert abs(after["times"][1] - before["times"][0]) < 0.5

        # Pick take 3: the widget changes; the next run passes take 3 on
        browser.js(f"{PANEL}.querySelector('[data-take=\"3\"] .mmc-pick').click()")
        assert browser.js(PICK_WIDGET) == 3
        assert browser.js(STATE)["picked"] == "3"
        if os.environ.get("MINIMAX_COVER_SCREENSHOTS"):
            frame(browser)
            browser.screenshot("audition-node.png")
        second = stub.queue(browser)
        take, pick, _, measures = second.runs["3"].outputs
        assert pick == 3 and first.runs["3"].outputs[1] == 1
        assert len(json.loads(measures)["takes"]) == 4
        takes = second.runs["2"].outputs[0]["waveform"]
        chosen = np.asarray(take["waveform"])[0]
        assert np.array_equal(chosen, np.asarray(takes)[2][:, :chosen.shape[-1]])
        assert not np.array_equal(chosen, np.asarray(first.runs["3"].outputs[0]["waveform"])[0])
        saved = second.ui["4"]["audio"]
        assert (stub.output / saved[0]["subfolder"] / saved[0]["filename"]).is_file()

        # the pick survives a reload: the frontend restores the workflow, widget included
        browser.driver.refresh()
        browser.wait(f"return !!({APP} && {APP}.graph && {APP}.graph.getNodeById(3))",
                     timeout=60, what="the workflow after a reload")
        assert browser.wait(PICK_WIDGET, what="the pick widget") == 3
        assert browser.remote() == []


def test_without_the_extension_the_node_still_works(browser: Any, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    with ComfyStub(tmp_path) as stub:
        monkeypatch.setattr(stub, "extensions", [])
        boot(browser, stub, extension=False)
        assert browser.js("return document.querySelector('.mmc-audition')") is None
        browser.js("const n = window.comfyAPI.app.app.graph.getNodeById(3);"
                   "n.widgets.find(w => w.name === 'pick').value = 2;")
        result = stub.queue(browser)
        assert result.runs["3"].outputs[1] == 2
        assert browser.remote() == []
