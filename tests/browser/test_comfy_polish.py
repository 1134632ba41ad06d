"""The pack as a ComfyUI user meets it (issue 24), in ComfyUI's real frontend.

The price before Run (``web/cover_price.js``, drawn where no ``PriceBadge`` exists: the stub
serves V1-style node info without one, as ComfyUI 0.3.64 does), by who is paid; the two-step
template titled by what runs it; a status text box that shows every line; templates whose
nodes do not overlap at the default zoom; the Audition panel after a workflow tab switch; and
readable template titles in the template browser. Each test saves its screenshot to
``$MINIMAX_COVER_SCREENSHOTS`` (``docs/``) when that is set.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from comfy_stub import ComfyStub

pytestmark = pytest.mark.browser

TEMPLATES = Path(__file__).resolve().parents[2] / "example_workflows"
ONE_STEP = TEMPLATES / "Cover a song (MiniMax Music Cover).json"
AUDITION = TEMPLATES / "Four takes, audition and pick (MiniMax Music Cover).json"
TWO_STEP = TEMPLATES / "Edit the lyrics, then cover (MiniMax two steps).json"
APP = "window.comfyAPI.app.app"
TAB = """const tab = [...document.querySelectorAll('button.p-togglebutton')]
  .find(b => b.querySelector('.workflow-label')?.textContent.trim() === arguments[0]);
if (tab) tab.click();
return !!tab;"""
STATUS = ("Status: processing 1/2\nPrice: none (SANDBOX: synthetic audio, no cost)\n"
          "Time elapsed: 12s")


def boot(browser: Any, stub: ComfyStub, template: Path) -> None:
    """Open the frontend with the pack's extensions and load ``template`` in a new tab."""
    browser.driver.get(stub.url)
    browser.wait(f"return !!(window.comfyAPI && {APP} && {APP}.graph && {APP}.canvas)",
                 timeout=60, what="the ComfyUI frontend")
    browser.wait(f"return ['MiniMaxCover.Price', 'MiniMaxCover.Audition'].every("
                 f"n => {APP}.extensions.some(e => e.name === n))", what="the extensions")
    try:  # the frontend opens its default workflow first; ours then opens in a new tab
        browser.wait(f"return {APP}.graph.nodes.length > 0", timeout=10)
    except AssertionError:
        pass
    workflow = json.loads(template.read_text(encoding="utf-8"))
    browser.js_async("const done = arguments[arguments.length - 1];"
                     f"{APP}.loadGraphData(arguments[0]).then(() => done(true),"
                     " e => done(String(e)));", workflow)
    browser.wait(f"return {APP}.graph.nodes.length === arguments[0]", len(workflow["nodes"]),
                 what="the template loaded")


def show_all(browser: Any, width: int = 1500, height: int = 900) -> None:
    """Default zoom (1.0), the graph's top left in view; a frame drawn."""
    browser.driver.set_window_size(width, height)
    browser.js(f"const c = {APP}.canvas; c.ds.scale = 1; c.ds.offset = [70, 110];"
               "c.setDirty(true, true);"
               "document.querySelectorAll('.p-toast').forEach(t => t.style.display = 'none');")
    time.sleep(0.8)


def price_of(browser: Any, node_id: int) -> str:
    browser.js(f"{APP}.canvas.setDirty(true, true)")
    time.sleep(0.3)  # a frame draws the node (and sets its price text)
    return browser.js(f"return {APP}.graph.getNodeById(arguments[0]).mmcPrice", node_id)


def test_the_price_shows_before_run_and_follows_the_widgets(
        browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with ComfyStub(tmp_path) as stub:
        boot(browser, stub, ONE_STEP)
        assert browser.js(f"return {APP}.graph.getNodeById(2).constructor.nodeData"
                          ".price_badge ?? null") is None  # no PriceBadge: 0.3.64's case
        assert price_of(browser, 2) == "SANDBOX: no cost (list ~$0.15)"  # no key here
        browser.js(f"const w = {APP}.graph.getNodeById(2).widgets"
                   ".find(w => w.name === 'numberResults'); w.value = 3;")
        assert price_of(browser, 2) == "SANDBOX: no cost (list ~$0.45 (3 x $0.15))"
        show_all(browser)
        browser.screenshot("price-before-run.png")
    monkeypatch.setenv("RUNWARE_API_KEY", "rw-browser-test-key")  # the server has a key now
    with ComfyStub(tmp_path / "keyed") as stub:
        boot(browser, stub, ONE_STEP)
        browser.js(f"const w = {APP}.graph.getNodeById(2).widgets"
                   ".find(w => w.name === 'numberResults'); w.value = 2;")
        assert price_of(browser, 2) == "~$0.30 (2 x $0.15)"
        assert stub.errors == []


def test_the_two_step_cover_is_titled_and_priced_by_what_runs_it(
        browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNWARE_API_KEY", "rw-browser-test-key")  # Runware is not who runs it
    with ComfyStub(tmp_path) as stub:
        boot(browser, stub, TWO_STEP)
        title = browser.js(f"return {APP}.graph.getNodeById(3).title")
        assert title == "MiniMax Music Cover (MiniMax, step 2)" and "Runware" not in title
        assert price_of(browser, 3) == "MiniMax SANDBOX: no cost"  # no MINIMAX_API_KEY
        show_all(browser, width=1900)
        browser.screenshot("two-step-template.png")
    monkeypatch.setenv("MINIMAX_API_KEY", "mm-browser-test-key")
    with ComfyStub(tmp_path / "keyed") as stub:
        boot(browser, stub, TWO_STEP)
        browser.js(f"const w = {APP}.graph.getNodeById(3).widgets"
                   ".find(w => w.name === 'numberResults'); w.value = 2;")
        assert price_of(browser, 3) == "~$0.30 (2 x $0.15) billed by MiniMax (estimate)"


def test_the_status_text_box_shows_every_line(browser: Any, tmp_path: Path) -> None:
    with ComfyStub(tmp_path) as stub:
        boot(browser, stub, ONE_STEP)
        show_all(browser, height=1000)
        # the frontend's own handler of the server's progress_text message writes the box
        browser.js("window.comfyAPI.api.api.dispatchCustomEvent('progress_text',"
                   " {nodeId: '2', text: arguments[0]})", STATUS)
        box = browser.wait("""const box = [...document.querySelectorAll('*')].find(e =>
              (e.innerText || '').includes('Time elapsed') &&
              getComputedStyle(e).overflowY === 'auto');
            return box && box.clientHeight > 0 && [box.clientHeight, box.scrollHeight];""",
                           what="the status text box")
        time.sleep(0.5)
        client, scroll = browser.js("""const box = [...document.querySelectorAll('*')].find(e =>
              (e.innerText || '').includes('Time elapsed') &&
              getComputedStyle(e).overflowY === 'auto');
            return [box.clientHeight, box.scrollHeight];""")
        assert scroll <= client, f"a line is hidden: {scroll} px of text in {client} px ({box})"
        browser.screenshot("status-text.png")
        # another pack's node keeps ComfyUI's own box
        browser.js("window.comfyAPI.api.api.dispatchCustomEvent('progress_text',"
                   " {nodeId: '3', text: arguments[0]})", STATUS)
        fitted = f"""return {APP}.graph.getNodeById(arguments[0]).widgets
            .find(w => w.name === '$$node-text-preview')?.mmcLines ?? null"""
        browser.wait(f"return {APP}.graph.getNodeById(3).widgets"
                     ".some(w => w.name === '$$node-text-preview')", what="SaveAudio's text")
        time.sleep(0.3)
        assert browser.js(fitted, 2) == 3 and browser.js(fitted, 3) is None


@pytest.mark.parametrize("template", [ONE_STEP, AUDITION, TWO_STEP], ids=lambda p: p.stem)
def test_template_nodes_do_not_overlap_at_the_default_zoom(browser: Any, tmp_path: Path,
                                                           template: Path) -> None:
    with ComfyStub(tmp_path) as stub:
        boot(browser, stub, template)
        show_all(browser, width=1900, height=1000)
        boxes = browser.js(f"""return {APP}.graph.nodes.map(n => {{
            const b = new Float32Array(4); n.getBounding(b);
            return [n.id, n.title, [...b]]; }});""")
        for i, (_, a_title, a) in enumerate(boxes):
            for _, b_title, b in boxes[i + 1:]:
                apart = (a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0] or
                         a[1] + a[3] <= b[1] or b[1] + b[3] <= a[1])
                assert apart, f"{a_title!r} {a} overlaps {b_title!r} {b}"
        if template == ONE_STEP:
            browser.screenshot("template-layout.png")


def switch(browser: Any, label: str, done: str) -> None:
    """Click the workflow tab ``label`` until ``done`` holds (a click while the frontend is
    still busy with the last run's messages may be dropped)."""
    for _ in range(6):
        assert browser.js(TAB, label), f"no tab {label!r}"
        try:
            browser.wait(done, timeout=5, what=f"the tab {label!r}")
            return
        except AssertionError:
            continue
    browser.wait(done, timeout=5, what=f"the tab {label!r}")


def test_the_audition_panel_survives_a_workflow_tab_switch(browser: Any,
                                                           tmp_path: Path) -> None:
    with ComfyStub(tmp_path) as stub:
        boot(browser, stub, AUDITION)
        stub.queue(browser)
        players = "return document.querySelectorAll('.mmc-audition audio').length"
        browser.wait(f"{players} === 5", what="five players")
        tabs = browser.js("return [...document.querySelectorAll('.workflow-label')]"
                          ".map(e => e.textContent.trim())")
        ours = tabs[-1]
        audition = f"{APP}.graph.nodes.some(n => n.type === 'MiniMaxCoverAudition')"
        # Away to a blank workflow in a tab of its own (not the frontend's default tab, which
        # on a busy machine may still be loading when the template loads), then back.
        opened = browser.js_async(
            "const done = arguments[arguments.length - 1];"
            f"{APP}.extensionManager.command.execute('Comfy.NewBlankWorkflow')"
            ".then(() => done(true), e => done(String(e)));")
        assert opened is True, opened
        browser.wait(f"return !{audition}", what="the blank workflow's tab")
        switch(browser, ours, f"return {audition}")
        browser.wait(f"{players} === 5", what="the takes again after the tab switch")
        assert browser.js("return document.querySelectorAll('.mmc-audition .mmc-empty')"
                          ".length") == 0
        browser.screenshot("audition-after-tab-switch.png")


def test_templates_have_readable_titles_in_the_template_browser(browser: Any,
                                                                tmp_path: Path) -> None:
    with ComfyStub(tmp_path) as stub:
        boot(browser, stub, ONE_STEP)
        browser.js_async("const done = arguments[arguments.length - 1];"
                         f"{APP}.extensionManager.command.execute('Comfy.BrowseTemplates')"
                         ".then(() => done(true), e => done(String(e)));")
        texts = browser.wait("""const t = [...document.querySelectorAll('[role=dialog] *')]
              .filter(e => !e.children.length).map(e => (e.textContent || '').trim());
            return t.some(x => x.startsWith('Showing')) && t;""", what="the template cards")
        for title in (ONE_STEP.stem, AUDITION.stem, TWO_STEP.stem):
            assert title in texts
        assert not [t for t in texts if t.startswith("minimax_")]
        browser.wait("return [...document.querySelectorAll('[role=dialog] img')]"
                     ".filter(i => i.complete && i.naturalWidth > 0).length >= 3",
                     what="the thumbnails")
        browser.screenshot("template-browser.png")
