"""Every template in example_workflows/: UI format, matches the node definitions, has a
thumbnail and an API-format twin in examples/workflows/ that runs headless."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.nodes.runner import known_node_classes, run_workflow
from workflow_support import expand

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((REPO / "example_workflows").glob("*.json"))
#: Display-only nodes: drawn by the frontend (notes) or ComfyUI's text preview; not in API twins.
DISPLAY_ONLY = {"Note", "MarkdownNote", "PreviewAny"}


#: Template (its file name is the title ComfyUI's template browser shows) -> API-format twin.
TWINS = {"Cover a song (MiniMax Music Cover)": "minimax_music_cover",
         "Four takes, audition and pick (MiniMax Music Cover)": "minimax_cover_audition",
         "Edit the lyrics, then cover (MiniMax two steps)": "minimax_cover_two_step",
         "Three prompts on one song, submitted together (MiniMax Music Cover)":
             "minimax_cover_three_prompts"}


def twin(template: Path) -> Path:
    return REPO / "examples" / "workflows" / f"{TWINS[template.stem]}_api.json"


def test_the_three_templates_are_there() -> None:
    assert {p.stem for p in TEMPLATES} == set(TWINS)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_template_titles_read_as_titles(template: Path) -> None:
    """ComfyUI shows a custom node template's file name as its title, and the name with
    '-'/'_' turned to spaces as its description: names are words, not identifiers."""
    assert "_" not in template.stem and "-" not in template.stem
    assert template.stem[0].isupper() and "MiniMax" in template.stem


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_template_has_thumbnail_and_twin(template: Path) -> None:
    thumb = template.with_suffix(".jpg")
    assert thumb.is_file() and thumb.read_bytes()[:3] == b"\xff\xd8\xff", thumb
    assert twin(template).is_file()


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_template_matches_nodes_and_twin(template: Path) -> None:
    ui = json.loads(template.read_text(encoding="utf-8"))
    api = json.loads(twin(template).read_text(encoding="utf-8"))
    assert {"nodes", "links", "version"} <= set(ui)
    classes = known_node_classes()
    by_id = {n["id"]: n for n in ui["nodes"]}
    runnable = [n for n in ui["nodes"] if n["type"] not in DISPLAY_ONLY]
    assert sorted(str(n["id"]) for n in runnable) == sorted(api)
    for node in runnable:
        cls = classes[node["type"]]
        values = expand(cls, node["widgets_values"], seed_controls=("fixed",))  # paid: fixed
        entry = api[str(node["id"])]
        assert entry["class_type"] == node["type"]
        constants = {k: v for k, v in entry["inputs"].items() if not isinstance(v, list)}
        assert constants == values, node["type"]
        linked = {k for k, v in entry["inputs"].items() if isinstance(v, list)}
        assert linked == {i["name"] for i in node["inputs"] if i.get("link") is not None}
    for link_id, src, src_slot, dst, dst_slot, kind in ui["links"]:
        if by_id[src]["type"] not in DISPLAY_ONLY:
            assert classes[by_id[src]["type"]].RETURN_TYPES[src_slot] == kind
        assert by_id[dst]["inputs"][dst_slot]["link"] == link_id
        assert link_id in by_id[src]["outputs"][src_slot]["links"]


def test_audition_twin_runs_headless(tmp_path: Path) -> None:
    result = run_workflow(REPO / "examples" / "workflows" / "minimax_cover_audition_api.json",
                          output_dir=tmp_path, temp_dir=tmp_path / "temp")
    assert result.order == ["1", "2", "3", "4"]
    entries = result.ui["3"]["minimax_audition"]
    assert [e["label"] for e in entries] == ["Source", "Take 1", "Take 2", "Take 3", "Take 4"]
    saved = result.ui["4"]["audio"]
    assert len(saved) == 1 and (tmp_path / saved[0]["subfolder"] / saved[0]["filename"]).is_file()


def test_two_step_twin_runs_headless(tmp_path: Path) -> None:
    result = run_workflow(REPO / "examples" / "workflows" / "minimax_cover_two_step_api.json",
                          output_dir=tmp_path, temp_dir=tmp_path / "temp")
    assert result.order == ["1", "2", "3", "4"]
    assert result.runs["2"].outputs[1]  # the lyrics MiniMax heard
    saved = result.ui["4"]["audio"]
    assert len(saved) == 1 and (tmp_path / saved[0]["subfolder"] / saved[0]["filename"]).is_file()


# ------------------------------------------------------------------------- async, and Cancel


def _cover_nodes(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry for entry in workflow.values()
            if isinstance(entry, dict) and "deliveryMethod" in entry.get("inputs", {})]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_every_template_sends_async(template: Path) -> None:
    """Async is what lets ComfyUI's Cancel stop the wait (a sync request is held open)."""
    api = json.loads(twin(template).read_text(encoding="utf-8"))
    covers = _cover_nodes(api)
    assert covers, "a template without a cover node"
    assert all(c["inputs"]["deliveryMethod"] == "async" for c in covers)
    ui = json.loads(template.read_text(encoding="utf-8"))
    assert '"sync"' not in json.dumps(ui)  # the UI twin's widget values agree


RUNWARE_TEMPLATES = [t for t in TEMPLATES if "two_step" not in TWINS[t.stem]]


@pytest.mark.parametrize("template", RUNWARE_TEMPLATES, ids=lambda p: p.stem)
def test_cancel_stops_a_templates_cover_at_once(template: Path, tmp_path: Path,
                                                 comfy_stubs: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """ComfyUI's Cancel during a 30-s generation: the run stops within a second or so, the
    task stays in the journal (resumable); nothing waits for the generation."""
    import threading
    import time

    from minimax_cover.plugin.journal.store import Journal
    from minimax_cover.plugin.sandbox import Sandbox

    with Sandbox(api_key="sandbox-cancel-key", latency_s=30.0, banner=False) as sb:
        monkeypatch.setenv("RUNWARE_API_URL", sb.url)
        monkeypatch.setenv("RUNWARE_API_KEY", sb.api_key)
        pressed: list[float] = []

        def press_cancel() -> None:
            deadline = time.monotonic() + 20
            while sb.submissions() == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(0.2)
            pressed.append(time.monotonic())
            comfy_stubs.interrupted = True

        threading.Thread(target=press_cancel, daemon=True).start()
        with pytest.raises(comfy_stubs.InterruptProcessingException):
            run_workflow(twin(template), output_dir=tmp_path, temp_dir=tmp_path / "temp")
        stopped = time.monotonic()
        assert pressed and stopped - pressed[0] < 10.0  # generous: 1 s on a quiet machine
        assert sb.submissions() >= 1
        uuids = [r["task_uuids"] for r in sb.requests_log if "audioInference" in r["task_types"]]
        assert all(Journal().get(u[0]) is not None for u in uuids)  # resumable


def test_cancel_stops_the_two_step_templates_cover(tmp_path: Path, comfy_stubs: Any) -> None:
    """The two-step template runs on MiniMax, whose generation is one synchronous call: Cancel
    is honoured before each generation (and while waiting to retry), never mid-call."""
    two_step = next(t for t in TEMPLATES if "two_step" in TWINS[t.stem])
    comfy_stubs.interrupted = True  # pressed while the song is preprocessed
    with pytest.raises(comfy_stubs.InterruptProcessingException):
        run_workflow(twin(two_step), output_dir=tmp_path, temp_dir=tmp_path / "temp")
    takes = [p for p in tmp_path.rglob("*") if p.suffix in (".mp3", ".flac", ".wav")
             and "minimax_cover_songs" not in p.parts]  # (the preprocessed song is kept)
    assert takes == []
