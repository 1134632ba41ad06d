"""V3 nodes: schemas built from the same definitions as V1, checked with the ``comfy_api`` double.

The double (``doubles/comfy_api``) has ComfyUI's keyword signatures, ``Schema`` fields,
``finalize``/``validate`` rules and V1 rendering, so what ComfyUI would serve for a V3 node
(``/object_info``) can be compared with the V1 class of the same node.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from minimax_cover.nodes import node_table
from minimax_cover.nodes.definition import DefinedNode
from minimax_cover.nodes.v3 import make_extension, make_v3_node
from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER

PROMPT = "Warm lo-fi jazz cover with brushed drums"


def _normalise(entry: tuple[Any, dict[str, Any]]) -> tuple[Any, dict[str, Any]]:
    """A V3-rendered input in V1 spelling: list-form combos, no ``False`` flags."""
    kind, options = entry[0], dict(entry[1])
    if kind == "COMBO":
        kind = list(options.pop("options"))
        options.pop("multiselect", None)
    return kind, {k: v for k, v in options.items() if v is not False}


def _visible(types: dict[str, Any]) -> dict[str, Any]:
    """The required/optional sections of an input dict, each entry normalised."""
    return {section: {name: _normalise((entry[0], entry[1] if len(entry) > 1 else {}))
                      for name, entry in types[section].items()}
            for section in ("required", "optional") if types.get(section)}


def test_v3_schema_serves_what_the_v1_class_serves(comfy_api: Any) -> None:
    extension = make_extension([(r.node_id, r.cls, r.display_name) for r in node_table()])
    nodes = asyncio.run(extension.get_node_list())
    by_id = {r.node_id: r for r in node_table()}
    assert len(nodes) == len(by_id)
    for v3 in nodes:
        schema = v3.GET_SCHEMA()  # finalize + validate, as ComfyUI does at registration
        row = by_id[schema.node_id]
        assert schema.display_name == row.display_name
        assert (schema.category, schema.description) == (row.cls.CATEGORY,
                                                         getattr(row.cls, "DESCRIPTION", ""))
        assert schema.is_output_node is bool(getattr(row.cls, "OUTPUT_NODE", False))
        assert schema.is_api_node is False  # no Comfy.org sign-in gate, no Comfy.org token
        rendered, types = schema.input_dict_v1(), row.cls.INPUT_TYPES()
        assert _visible(rendered) == _visible(types), schema.node_id
        v3_hidden = {name: kind[0] for name, kind in rendered.get("hidden", {}).items()}
        v1_hidden = types.get("hidden", {})
        assert v1_hidden.items() <= v3_hidden.items(), schema.node_id
        if issubclass(row.cls, DefinedNode):  # V3 adds prompt/extra_pnginfo to output nodes
            assert v1_hidden == v3_hidden, schema.node_id
        assert [o.io_type for o in schema.outputs] == list(row.cls.RETURN_TYPES)
        assert [o.display_name for o in schema.outputs] == list(row.cls.RETURN_NAMES)


def test_cover_schema_details(comfy_api: Any) -> None:
    cover = make_v3_node("MiniMaxMusicCover", next(
        r.cls for r in node_table() if r.node_id == "MiniMaxMusicCover"),
        "MiniMax Music Cover (Runware)")
    schema = cover.GET_SCHEMA()
    inputs = {i.id: i for i in schema.inputs}
    io = comfy_api.io
    assert isinstance(inputs["positivePrompt"], io.String.Input) and \
        inputs["positivePrompt"].multiline is True
    assert isinstance(inputs["seed"], io.Int.Input) and inputs["seed"].control_after_generate
    assert isinstance(inputs["outputFormat"], io.Combo.Input)
    assert inputs["preprocess"].get_io_type() == "MINIMAX_COVER_PREPROCESS"
    assert inputs["preprocess"].optional and not inputs["audio"].optional
    assert schema.hidden == [io.Hidden.unique_id]
    assert cover.validate_inputs(positivePrompt=PROMPT, seed=1, audio=None) is True
    assert "numberResults" in cover.validate_inputs(positivePrompt=PROMPT, numberResults=9)
    assert cover.fingerprint_inputs(positivePrompt=PROMPT, seed=1) == \
        cover.fingerprint_inputs(seed=1, positivePrompt=PROMPT)


def test_load_audio_upload_combo(comfy_api: Any, comfy_folders: Any) -> None:
    (comfy_folders.input / "song.mp3").write_bytes(b"ID3")
    from minimax_cover.nodes.audio_nodes import MiniMaxCoverLoadAudio

    schema = make_v3_node("MiniMaxCoverLoadAudio", MiniMaxCoverLoadAudio, "Load").GET_SCHEMA()
    (audio,) = schema.inputs
    assert audio.options == ["song.mp3"] and audio.upload is comfy_api.io.UploadType.audio
    assert audio.as_dict()["audio_upload"] is True


def test_execute_passes_hidden_values_and_ui(comfy_api: Any, comfy_audio: dict[str, Any],
                                            tmp_path: Any) -> None:
    from minimax_cover.nodes.audio_nodes import MiniMaxCoverPreviewAudio

    preview = make_v3_node("MiniMaxCoverPreviewAudio", MiniMaxCoverPreviewAudio, "Preview")
    run = preview.PREPARE_CLASS_CLONE({"hidden_inputs": {"PROMPT": {"1": {}}}})
    out = run.execute(audio=comfy_audio)
    assert isinstance(out, comfy_api.io.NodeOutput) and out.args == ()
    (item,) = out.ui["audio"]
    assert (tmp_path / "temp" / item["filename"]).is_file()


class RecordingNode:
    """A plain V1 plugin node with a renamed hidden input and an async function."""

    CATEGORY = "audio/Acme"
    FUNCTION = "go"
    RETURN_TYPES = ("STRING",)
    seen: dict[str, Any] = {}

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:  # noqa: N802
        return {"required": {"text": ("STRING", {"default": "x"})},
                "hidden": {"node": "UNIQUE_ID"}}

    async def go(self, text: str, node: Any = None) -> tuple[str]:
        RecordingNode.seen = {"text": text, "node": node}
        return (text.upper(),)


def test_plain_v1_plugin_node_runs_as_v3(comfy_api: Any) -> None:
    v3 = make_v3_node("AcmeRecord", RecordingNode, "Acme")
    schema = v3.GET_SCHEMA()
    assert [i.id for i in schema.inputs] == ["text"] and schema.category == "audio/Acme"
    run = v3.PREPARE_CLASS_CLONE({"hidden_inputs": {"UNIQUE_ID": "42"}})
    out = asyncio.run(run.execute(text="hi"))
    assert out.args == ("HI",) and RecordingNode.seen == {"text": "hi", "node": "42"}


def test_schema_ids_stay_unique_with_outputs_named_like_inputs(comfy_api: Any) -> None:
    """The cover node has an ``audio`` input and an ``audio`` output: output ids are left to
    ComfyUI (numbered), so registration does not fail."""
    from minimax_cover.nodes.cover_node import make_cover_node

    schema = make_v3_node("MiniMaxMusicCover", make_cover_node(MINIMAX_MUSIC_COVER),
                          "Cover").GET_SCHEMA()
    assert schema.outputs[0].display_name == "audio" and schema.outputs[0].id == "_0_AUDIO_"
    with pytest.raises(ValueError, match="unique between inputs and outputs"):
        comfy_api.io.Schema(node_id="X", inputs=[comfy_api.io.Audio.Input("audio")],
                            outputs=[comfy_api.io.Audio.Output(id="audio")]).validate()
