"""The two-step template inside ComfyUI's real frontend: preprocess, edit the lyrics, cover.

The frontend boots against :class:`comfy_stub.ComfyStub` (prompts run in this process with the
headless runner) and MiniMax is a compatible double on loopback with a key. The test queues the
template once and checks that the lyrics MiniMax heard appear in the cover node's lyrics editor,
that the sections appear on the Preprocess node's timeline over the waveform and that the lint
counts them; it edits the lyrics (the lint follows live), queues again and checks that the cover
was sent with the edited lyrics while the song was preprocessed only once."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from comfy_stub import ComfyStub
from minimax_cover.plugin.sandbox.minimax_server import MiniMaxSandbox

pytestmark = pytest.mark.browser

TEMPLATE = Path(__file__).resolve().parents[2] / "example_workflows" / \
    "Edit the lyrics, then cover (MiniMax two steps).json"
APP = "window.comfyAPI && window.comfyAPI.app && window.comfyAPI.app.app"
PANEL = "document.querySelector('.mmc-two-step')"
MM_KEY = "mm-FAKEKEY-browser-dont-leak"
EDITED = "[Verse]\nwords I wrote myself tonight\n\n[Refrain]\nsing them back to me"
LYRICS_WIDGET = f"""
const w = {APP}.graph.getNodeById(3).widgets.find(w => w.name === 'lyrics');
return String(w.value ?? '');"""
LYRICS_ARE = LYRICS_WIDGET.replace("return String(w.value ?? '');",
                                   "return String(w.value ?? '') === arguments[0];")
TEXTAREA = f"""
const w = {APP}.graph.getNodeById(3).widgets.find(w => w.name === 'lyrics');
return w.inputEl || (w.element && (w.element.matches?.('textarea') ? w.element
  : w.element.querySelector?.('textarea')));"""
DATA = f"return Object.assign({{}}, {PANEL}?.dataset || {{}});"


@pytest.fixture
def double(monkeypatch: pytest.MonkeyPatch) -> Iterator[MiniMaxSandbox]:
    sb = MiniMaxSandbox(api_key=MM_KEY, banner=False, labelled=False).start()
    monkeypatch.setenv("MINIMAX_API_URL", sb.url)
    monkeypatch.setenv("MINIMAX_API_KEY", MM_KEY)
    yield sb
    sb.stop()


def boot(browser: Any, stub: ComfyStub) -> None:
    browser.driver.get(stub.url)
    browser.wait(f"return !!({APP} && {APP}.graph && {APP}.canvas)", timeout=60,
                 what="the ComfyUI frontend")
    browser.wait(f"return {APP}.extensions.some(e => e.name === 'MiniMaxCover.TwoStep')",
                 what="the pack's two-step extension")
    try:
        browser.wait(f"return {APP}.graph.nodes.length > 0", timeout=10)
    except AssertionError:
        pass
    workflow = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    browser.js_async("const done = arguments[arguments.length - 1];"
                     f"{APP}.loadGraphData(arguments[0]).then(() => done(true),"
                     " e => done(String(e)));", workflow)
    browser.wait(f"return {APP}.graph.getNodeById(2) != null && {PANEL} != null",
                 what="the template and the two-step panel")


def thumbnail(browser: Any) -> None:
    """The template's 512x384 thumbnail (``$MINIMAX_COVER_SCREENSHOTS/two-step.jpg``): the
    Preprocess node's timeline and lint next to the cover node's edited lyrics."""
    browser.driver.set_window_size(1024, 768)
    browser.js(f"const c = {APP}.canvas; c.ds.scale = 0.74; c.ds.offset = [-300, 95];"
               "c.setDirty(true, true);")
    time.sleep(1.5)
    shot = browser.driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "jpeg", "quality": 85,
        "clip": {"x": 0, "y": 0, "width": 1024, "height": 768, "scale": 0.5}})
    folder = Path(os.environ["MINIMAX_COVER_SCREENSHOTS"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "two-step.jpg").write_bytes(base64.b64decode(shot["data"]))
    browser.screenshot("two-step.png")  # full size, for the docs


def test_preprocess_edit_lyrics_cover(browser: Any, tmp_path: Path,
                                      double: MiniMaxSandbox) -> None:
    with ComfyStub(tmp_path) as stub:
        boot(browser, stub)
        assert browser.js(LYRICS_WIDGET) == ""
        first = stub.queue(browser)
        heard = first.runs["2"].outputs[1]
        assert heard.startswith("[Verse 1]")

        # the lyrics MiniMax heard appear in the cover node's editor ...
        browser.wait(LYRICS_ARE, heard, what="the heard lyrics in the cover's lyrics widget")
        # ... and the sections on the timeline, over the drawn waveform
        data = browser.wait(f"const d = {PANEL}.dataset; return d.sections === '4' && "
                            "Number(d.wave) > 100 && Object.assign({}, d);",
                            what="four sections over the waveform")
        labels = browser.js(f"return [...{PANEL}.querySelectorAll('.mmc-section')]"
                            ".map(s => s.dataset.label)")
        assert labels == ["intro", "verse", "chorus", "outro"]
        assert data["state"] == "ok" and data["lintSections"] == "2"
        assert data["chars"] == str(len(heard)) and data["reused"] == "false"

        # edit: the lint follows (length, sections, an undocumented tag)
        area = browser.js(TEXTAREA)  # typed into the editor, as a user does
        browser.js("arguments[0].scrollIntoView(); arguments[0].focus();"
                   "arguments[0].select();", area)
        area.send_keys(EDITED)
        browser.wait(LYRICS_ARE, EDITED, what="the edited lyrics in the widget")
        data = browser.wait(f"const d = {PANEL}.dataset; return d.chars === arguments[0] && "
                            "Object.assign({}, d);", str(len(EDITED)), what="the lint updated")
        assert data["state"] == "warn" and data["lintSections"] == "2" and data["lines"] == "2"
        assert "[Refrain]" in browser.js(f"return {PANEL}.querySelector('.mmc-lint').textContent")

        if os.environ.get("MINIMAX_COVER_SCREENSHOTS"):
            thumbnail(browser)

        # cover again: the cached handle, the edited lyrics, one preprocess in all
        second = stub.queue(browser)
        assert double.generations[-1]["lyrics"] == EDITED
        assert double.generations[-1]["cover_feature_id"] == second.runs["2"].outputs[0].feature_id
        assert len(double.preprocesses) == 1 and len(double.generations) == 2
        browser.wait(f"return {PANEL}.dataset.reused === 'true'", what="the reuse shown")
        assert browser.js(LYRICS_WIDGET) == EDITED  # the user's text is never overwritten
        saved = second.ui["4"]["audio"]
        assert (stub.output / saved[0]["subfolder"] / saved[0]["filename"]).is_file()
        assert browser.remote() == []


def test_audition_panel_draws_sections_over_the_source(browser: Any, tmp_path: Path) -> None:
    """The audition node's panel (web/audition.js) draws a handle's sections on the source."""
    from test_comfy_extension import boot as boot_audition

    def entry(label: str, take: int | None, **extra: Any) -> dict[str, Any]:
        ref = {"filename": "missing.flac", "subfolder": "", "type": "temp"}
        return {"label": label, "kind": "source" if take is None else "take", "take": take,
                "audio": ref, "picture": {**ref, "filename": "missing.png"}, "duration": 10.0,
                "axis": 10.0, "sample_rate": 44100, "channels": 2, **extra}

    sections = [{"start": 0, "end": 4, "label": "intro"}, {"start": 4, "end": 10,
                                                             "label": "chorus"}]
    with ComfyStub(tmp_path) as stub:
        boot_audition(browser, stub)
        browser.js(f"{APP}.graph.getNodeById(3).onExecuted(arguments[0])",
                   {"minimax_audition": [entry("Source", None, sections=sections),
                                         entry("Take 1", 1)]})
        bands = browser.wait("const b = [...document.querySelectorAll("
                             "'.mmc-audition [data-kind=\"source\"] .mmc-section')];"
                             "return b.length && b.map(x => [x.dataset.label, x.style.width]);",
                             what="section bands on the source's picture")
        assert bands == [["intro", "40%"], ["chorus", "60%"]]
        assert browser.js("return document.querySelectorAll("
                          "'.mmc-audition [data-kind=\"take\"] .mmc-section').length") == 0
