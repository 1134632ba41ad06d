"""Inside a ComfyUI with its own LoadAudio/SaveAudio/PreviewAudio the pack's torch-free twins are
not registered (no duplicates in the menu); headless, they are."""

from __future__ import annotations

import sys
import types

import pytest

TWINS = {"MiniMaxCoverLoadAudio", "MiniMaxCoverSaveAudio", "MiniMaxCoverPreviewAudio"}


def table_ids() -> set[str]:
    from minimax_cover.nodes import node_table
    from minimax_cover.plugin.hooks.registry import make_registry

    return {row.node_id for row in node_table(make_registry())}


def test_headless_registers_the_torch_free_audio_nodes() -> None:
    ids = table_ids()
    assert TWINS <= ids and "MiniMaxCoverAudition" in ids


def test_inside_comfyui_the_core_audio_nodes_win(monkeypatch: pytest.MonkeyPatch) -> None:
    core = types.ModuleType("nodes")
    core.NODE_CLASS_MAPPINGS = {"LoadAudio": object, "SaveAudio": object, "PreviewAudio": object}
    monkeypatch.setitem(sys.modules, "nodes", core)
    ids = table_ids()
    assert not TWINS & ids
    assert {"MiniMaxMusicCover", "MiniMaxCoverAudition", "MiniMaxCoverPickTake"} <= ids


def test_an_older_comfyui_without_audio_nodes_keeps_them(monkeypatch: pytest.MonkeyPatch) -> None:
    core = types.ModuleType("nodes")
    core.NODE_CLASS_MAPPINGS = {"KSampler": object}
    monkeypatch.setitem(sys.modules, "nodes", core)
    assert TWINS <= table_ids()
