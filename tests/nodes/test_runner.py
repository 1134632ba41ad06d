"""The headless workflow runner: structural errors, execution order, aliases, the CLI command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.nodes.runner import known_node_classes, run_workflow
from minimax_cover.plugin.cli import main
from minimax_cover.plugin.errors import WorkflowError

PROMPT = "Warm lo-fi jazz cover with brushed drums"


def cover_workflow(song: Path, **cover_inputs: Any) -> dict[str, Any]:
    return {
        "1": {"class_type": "MiniMaxCoverLoadAudio", "inputs": {"audio": str(song)}},
        "2": {"class_type": "MiniMaxMusicCover",
              "inputs": {"audio": ["1", 0], "positivePrompt": PROMPT, "seed": 4,
                         "numberResults": 1, "outputFormat": "MP3", **cover_inputs}},
        "3": {"class_type": "MiniMaxCoverSaveAudio",
              "inputs": {"audio": ["2", 0], "filename_prefix": "covers/take", "format": "WAV"}},
    }


def test_runs_load_cover_save(tone_wav: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_workflow(cover_workflow(tone_wav, numberResults=2), output_dir=out)
    assert result.order == ["1", "2", "3"]
    files = result.ui["3"]["audio"]
    assert [f["filename"] for f in files] == ["take_00001_.wav", "take_00002_.wav"]
    assert all((out / "covers" / f["filename"]).is_file() for f in files)
    summary = result.to_dict()
    assert summary["outputs"]["2"]["values"][0]["shape"][0] == 2
    json.dumps(summary)  # JSON-ready


def test_only_nodes_upstream_of_outputs_run(tone_wav: Path, tmp_path: Path) -> None:
    wf = cover_workflow(tone_wav)
    wf["9"] = {"class_type": "MiniMaxCoverLoadAudio", "inputs": {"audio": "/nonexistent.wav"}}
    del wf["2"], wf["3"]
    wf["3"] = {"class_type": "MiniMaxCoverPreviewAudio", "inputs": {"audio": ["1", 0]}}
    result = run_workflow(wf, output_dir=tmp_path)
    assert result.order == ["1", "3"]
    assert result.ui["3"]["audio"][0]["type"] == "temp"


def test_core_aliases_run_a_stock_template(tone_wav: Path, tmp_path: Path) -> None:
    wf = {"1": {"class_type": "LoadAudio", "inputs": {"audio": tone_wav.name}},
          "2": {"class_type": "SaveAudio",
                "inputs": {"audio": ["1", 0], "filename_prefix": "audio/ComfyUI"}},
          "3": {"class_type": "PreviewAudio", "inputs": {"audio": ["1", 0]}}}
    result = run_workflow(wf, output_dir=tmp_path / "o", input_dirs=[tone_wav.parent])
    saved = result.ui["2"]["audio"][0]
    assert saved["filename"].endswith(".flac") and saved["subfolder"] == "audio"
    assert (tmp_path / "o" / "audio" / saved["filename"]).is_file()
    assert {"LoadAudio", "SaveAudio", "PreviewAudio"} <= set(known_node_classes())


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda wf: wf["2"].update(class_type="KSampler"),
     r"node 2: unknown class_type 'KSampler' \(known: .*MiniMaxMusicCover"),
    (lambda wf: wf["3"]["inputs"].update(audio=["7", 0]), r"node 3 input 'audio': links to "
                                                          r"missing node 7"),
    (lambda wf: wf["3"]["inputs"].update(audio=["2", 5]),
     r"node 3 input 'audio': node 2 \(MiniMaxMusicCover\) has 5 output\(s\); index 5"),
    (lambda wf: wf["3"]["inputs"].update(audio=["2", 1]), r"expects AUDIO, but node 2 output 1 "
                                                          r"is INT"),
    (lambda wf: wf["2"]["inputs"].pop("positivePrompt"),
     r"node 2 \(MiniMaxMusicCover\): required input\(s\) missing: positivePrompt"),
    (lambda wf: wf["2"]["inputs"].update(numberResults=7), r"node 2 \(MiniMaxMusicCover\): "
                                                           r"numberResults: must be at most 4"),
    (lambda wf: wf["1"]["inputs"].update(audio="nope.wav"), r"file not found: 'nope.wav'"),
    (lambda wf: wf.pop("3"), r"no output node"),
    (lambda wf: wf["1"].pop("class_type"), r"node 1: expected"),
])
def test_errors_name_node_and_input(tone_wav: Path, tmp_path: Path, mutate: Any,
                                    message: str) -> None:
    wf = cover_workflow(tone_wav)
    mutate(wf)
    with pytest.raises(WorkflowError, match=message):
        run_workflow(wf, output_dir=tmp_path)


def test_cycle_is_reported(tmp_path: Path) -> None:
    wf = {"1": {"class_type": "MiniMaxMusicCover",
                "inputs": {"audio": ["2", 0], "positivePrompt": PROMPT, "seed": 1,
                           "numberResults": 1, "outputFormat": "MP3"}},
          "2": {"class_type": "MiniMaxMusicCover",
                "inputs": {"audio": ["1", 0], "positivePrompt": PROMPT, "seed": 1,
                           "numberResults": 1, "outputFormat": "MP3"}},
          "3": {"class_type": "MiniMaxCoverSaveAudio",
                "inputs": {"audio": ["2", 0], "filename_prefix": "x", "format": "WAV"}}}
    with pytest.raises(WorkflowError, match=r"cycle: (1 -> 2 -> 1|2 -> 1 -> 2)"):
        run_workflow(wf, output_dir=tmp_path)


def test_ui_format_is_refused(repo_root: Path) -> None:
    with pytest.raises(WorkflowError, match="UI-format"):
        run_workflow(repo_root / "example_workflows" / "Cover a song (MiniMax Music Cover).json")


def test_value_literal_is_unwrapped(tone_wav: Path, tmp_path: Path) -> None:
    wf = cover_workflow(tone_wav)
    wf["3"]["inputs"]["filename_prefix"] = {"__value__": "wrapped"}
    # a literal STRING wrapped as __value__ reaches the node unwrapped
    result = run_workflow(wf, output_dir=tmp_path)
    assert result.ui["3"]["audio"][0]["filename"].startswith("wrapped_")


def test_cli_run_workflow_json(tone_wav: Path, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "wf.json"
    path.write_text(json.dumps(cover_workflow(tone_wav)), encoding="utf-8")
    code = main(["run-workflow", str(path), "--output-dir", str(tmp_path / "o"), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["executed"] == ["1", "2", "3"]


def test_cli_bad_workflow_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "wf.json"
    path.write_text(json.dumps({"1": {"class_type": "Nope", "inputs": {}}}), encoding="utf-8")
    assert main(["run-workflow", str(path)]) == 2
    assert "unknown class_type 'Nope'" in capsys.readouterr().err


def test_previews_go_to_the_runs_temp_dir(tone_wav: Path, tmp_path: Path) -> None:
    wf = {"1": {"class_type": "MiniMaxCoverLoadAudio", "inputs": {"audio": str(tone_wav)}},
          "2": {"class_type": "PreviewAudio", "inputs": {"audio": ["1", 0]}}}
    result = run_workflow(wf, output_dir=tmp_path / "o", temp_dir=tmp_path / "t")
    (item,) = result.ui["2"]["audio"]
    assert item["type"] == "temp" and (tmp_path / "t" / item["filename"]).is_file()


def test_cli_temp_dir_prints_real_paths(tone_wav: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    wf = {"1": {"class_type": "MiniMaxCoverLoadAudio", "inputs": {"audio": str(tone_wav)}},
          "2": {"class_type": "MiniMaxCoverPreviewAudio", "inputs": {"audio": ["1", 0]}}}
    path = tmp_path / "wf.json"
    path.write_text(json.dumps(wf), encoding="utf-8")
    assert main(["run-workflow", str(path), "--temp-dir", str(tmp_path / "t")]) == 0
    line = capsys.readouterr().out.strip()
    shown = Path(line.split(": ", 1)[1])
    assert line.startswith("node 2: ") and shown.parent == tmp_path / "t" and shown.is_file()
