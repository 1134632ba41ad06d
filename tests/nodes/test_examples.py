"""The shipped workflows and the automation script: they match the node definitions and run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from minimax_cover.nodes.runner import known_node_classes, run_workflow
from workflow_support import expand, widget_names

UI = Path("example_workflows") / "Cover a song (MiniMax Music Cover).json"
API = Path("examples") / "workflows" / "minimax_music_cover_api.json"


def test_ui_workflow_matches_node_definitions(repo_root: Path) -> None:
    ui = json.loads((repo_root / UI).read_text(encoding="utf-8"))
    assert {"nodes", "links", "version"} <= set(ui)
    classes = known_node_classes()
    by_id = {n["id"]: n for n in ui["nodes"]}
    for node in ui["nodes"]:
        cls = classes[node["type"]]
        names = widget_names(cls)
        values = expand(cls, node["widgets_values"])
        order = [n for n, _ in names]
        assert list(values) == order[:len(values)]
        for name, options in names[len(values):]:  # saved before the widget existed: the
            assert name in cls.INPUT_TYPES().get("optional", {}), name  # frontend keeps its
            assert "default" in options, name                          # default
        for name, _options in names:
            entry = {**cls.INPUT_TYPES().get("required", {}),
                     **cls.INPUT_TYPES().get("optional", {})}[name]
            if isinstance(entry[0], list) and entry[0]:
                assert values[name] in entry[0], (node["type"], name)
        if node["type"] == "MiniMaxMusicCover":
            assert cls.VALIDATE_INPUTS(**values, audio=None) is True
    for link_id, src, src_slot, dst, dst_slot, kind in ui["links"]:
        assert classes[by_id[src]["type"]].RETURN_TYPES[src_slot] == kind
        assert by_id[dst]["inputs"][dst_slot]["link"] == link_id


def test_api_twin_matches_ui(repo_root: Path) -> None:
    ui = json.loads((repo_root / UI).read_text(encoding="utf-8"))
    api = json.loads((repo_root / API).read_text(encoding="utf-8"))
    classes = known_node_classes()
    assert sorted(n["type"] for n in ui["nodes"]) == sorted(n["class_type"] for n in api.values())
    for node in ui["nodes"]:
        twin = api[str(node["id"])]
        assert twin["class_type"] == node["type"]
        values = expand(classes[node["type"]], node["widgets_values"])
        constants = {k: v for k, v in twin["inputs"].items() if not isinstance(v, list)}
        assert constants == values


def test_api_workflow_runs_headless(repo_root: Path, tmp_path: Path) -> None:
    result = run_workflow(repo_root / API, output_dir=tmp_path)
    assert result.order == ["1", "2", "3"]
    saved = result.ui["3"]["audio"]
    assert len(saved) == 1 and (tmp_path / saved[0]["subfolder"] / saved[0]["filename"]).is_file()


def test_thumbnail_if_present(repo_root: Path) -> None:
    thumb = repo_root / UI.with_suffix(".jpg")
    if thumb.exists():
        assert thumb.read_bytes()[:3] == b"\xff\xd8\xff"


def test_automation_script_covers_a_folder(repo_root: Path, tmp_path: Path,
                                           tone_wav: Path) -> None:
    songs = tmp_path / "songs"
    songs.mkdir()
    tone_wav.rename(songs / "a.wav")
    (songs / "notes.txt").write_text("not audio", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "RUNWARE_API_KEY"}
    proc = subprocess.run(
        [sys.executable, str(repo_root / "examples" / "automation" / "cover_folder.py"),
         str(songs), "--prompt", "A bright synth-pop cover, please", "--output-dir",
         str(tmp_path / "covers"), "--results", "2", "--format", "WAV", "--seed", "5"],
        capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["songs"] == 1 and summary["succeeded"] == 1 and summary["sandbox"] is True
    outputs = summary["items"][0]["outputs"]
    assert len(outputs) == 2 and all(Path(o["path"]).is_file() for o in outputs)
