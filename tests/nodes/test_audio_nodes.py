"""Torch-free load/save/preview nodes, outside ComfyUI and with a fake ``folder_paths``."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.nodes.audio_nodes import (
    AUDIO_NODES,
    MiniMaxCoverLoadAudio,
    MiniMaxCoverPreviewAudio,
    MiniMaxCoverSaveAudio,
    use_dirs,
)
from minimax_cover.plugin.audio import read_audio


def test_exports() -> None:
    assert [row[0] for row in AUDIO_NODES] == [
        "MiniMaxCoverLoadAudio", "MiniMaxCoverSaveAudio", "MiniMaxCoverPreviewAudio"]
    assert MiniMaxCoverSaveAudio.OUTPUT_NODE and MiniMaxCoverPreviewAudio.OUTPUT_NODE
    assert MiniMaxCoverLoadAudio.INPUT_TYPES()["required"]["audio"][0] == "STRING"


def test_load_save_round_trip(tone_wav: Path, tmp_path: Path) -> None:
    (audio,) = MiniMaxCoverLoadAudio().load(str(tone_wav))
    assert tuple(audio["waveform"].shape) == (1, 1, 56000) and audio["sample_rate"] == 8000
    node = MiniMaxCoverSaveAudio()
    with use_dirs(output_dir=tmp_path / "out"):
        for fmt in ("FLAC", "WAV", "MP3", "OGG"):
            out = node.save(audio, "sub/song", fmt)
            item = out["ui"]["audio"][0]
            assert item["subfolder"] == "sub" and item["type"] == "output"
            back = read_audio(tmp_path / "out" / "sub" / item["filename"])
            assert abs(back.duration_s - 7.0) < 0.2
        second = node.save(audio, "sub/song", "FLAC")["ui"]["audio"][0]["filename"]
    assert second == "song_00005_.flac"


def test_save_refuses_escaping_prefix(comfy_audio: dict[str, Any], tmp_path: Path) -> None:
    with use_dirs(output_dir=tmp_path), pytest.raises(ValueError, match="filename_prefix"):
        MiniMaxCoverSaveAudio().save(comfy_audio, "../evil", "WAV")


def test_preview_goes_to_temp(comfy_audio: dict[str, Any]) -> None:
    out = MiniMaxCoverPreviewAudio().preview(comfy_audio)
    item = out["ui"]["audio"][0]
    assert item["type"] == "temp" and "_temp_" in item["filename"] and out["result"] == ()


def test_load_validate_and_is_changed(tone_wav: Path) -> None:
    assert MiniMaxCoverLoadAudio.VALIDATE_INPUTS(audio=str(tone_wav)) is True
    assert "file not found" in MiniMaxCoverLoadAudio.VALIDATE_INPUTS(audio="missing.wav")
    h = MiniMaxCoverLoadAudio.IS_CHANGED(audio=str(tone_wav))
    assert h == MiniMaxCoverLoadAudio.IS_CHANGED(audio=str(tone_wav)) and len(h) == 64


def test_with_folder_paths(tone_wav: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                           ) -> None:
    fp = types.ModuleType("folder_paths")
    fp.get_input_directory = lambda: str(tone_wav.parent)  # type: ignore[attr-defined]
    fp.get_output_directory = lambda: str(tmp_path / "output")  # type: ignore[attr-defined]
    fp.get_temp_directory = lambda: str(tmp_path / "temp")  # type: ignore[attr-defined]
    fp.get_annotated_filepath = (  # type: ignore[attr-defined]
        lambda name: str(tone_wav.parent / name))
    monkeypatch.setitem(sys.modules, "folder_paths", fp)
    combo, options = MiniMaxCoverLoadAudio.INPUT_TYPES()["required"]["audio"]
    assert combo == ["tone.wav"] and options["audio_upload"] is True
    (audio,) = MiniMaxCoverLoadAudio().load("tone.wav")
    out = MiniMaxCoverPreviewAudio().preview(audio)
    assert (tmp_path / "temp" / out["ui"]["audio"][0]["filename"]).is_file()
