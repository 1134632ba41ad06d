"""Torch-free load/save/preview nodes, outside ComfyUI and with a fake ``folder_paths``."""

from __future__ import annotations

import contextvars
import tempfile
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
from minimax_cover.nodes.folders import default_temp_dir, output_directory, temp_directory
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


def test_preview_goes_to_temp(comfy_audio: dict[str, Any], tmp_path: Path) -> None:
    out = MiniMaxCoverPreviewAudio().preview(comfy_audio)
    item = out["ui"]["audio"][0]
    assert item["type"] == "temp" and "_temp_" in item["filename"] and out["result"] == ()
    assert (tmp_path / "temp" / item["filename"]).is_file()  # the run's temp folder


def test_default_folders_outside_comfyui(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "systemp"))
    monkeypatch.chdir(tmp_path)
    with use_dirs(temp_dir=tmp_path / "run"):
        assert temp_directory() == tmp_path / "run"
        with use_dirs(output_dir=tmp_path / "out"):  # None keeps the enclosing folder
            assert (temp_directory(), output_directory()) == (tmp_path / "run", tmp_path / "out")
    # a fresh context: no run folders set (as in a script), not even the autouse fixture's
    defaults = contextvars.Context().run(lambda: (temp_directory(), output_directory()))
    assert defaults == (default_temp_dir(), tmp_path / "output")
    assert default_temp_dir() == tmp_path / "systemp" / "minimax-cover"


def test_load_validate_and_is_changed(tone_wav: Path) -> None:
    assert MiniMaxCoverLoadAudio.VALIDATE_INPUTS(audio=str(tone_wav)) is True
    assert "file not found" in MiniMaxCoverLoadAudio.VALIDATE_INPUTS(audio="missing.wav")
    h = MiniMaxCoverLoadAudio.IS_CHANGED(audio=str(tone_wav))
    assert h == MiniMaxCoverLoadAudio.IS_CHANGED(audio=str(tone_wav)) and len(h) == 64


def test_with_folder_paths(tone_wav: Path, comfy_folders: Any, comfy_audio: dict[str, Any]
                           ) -> None:
    tone_wav.rename(comfy_folders.input / "tone.wav")
    combo, options = MiniMaxCoverLoadAudio.INPUT_TYPES()["required"]["audio"]
    assert combo == ["tone.wav"] and options["audio_upload"] is True
    (audio,) = MiniMaxCoverLoadAudio().load("tone.wav")
    out = MiniMaxCoverPreviewAudio().preview(audio)
    assert (comfy_folders.temp / out["ui"]["audio"][0]["filename"]).is_file()
    saved = MiniMaxCoverSaveAudio().save(comfy_audio, "covers/take", "WAV")["ui"]["audio"][0]
    assert saved["subfolder"] == "covers" and saved["filename"] == "take_00001_.wav"
    assert (comfy_folders.output / "covers" / saved["filename"]).is_file()
