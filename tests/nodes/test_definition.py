"""One neutral definition per node: the V1 contract is built from it, and reads back to it."""

from __future__ import annotations

from typing import Any

import pytest
from minimax_cover.nodes import node_table
from minimax_cover.nodes.audio_nodes import CORE_ALIASES
from minimax_cover.nodes.definition import (
    DefinedNode,
    InputDef,
    NodeDef,
    OutputDef,
    definition_of,
    from_v1,
    v1_attributes,
    v1_input_types,
)
from minimax_cover.plugin.errors import PluginError

#: Nodes whose class must be built from a definition (others may be plain V1 classes).
DEFINED = {"MiniMaxMusicCover", "MiniMaxCoverPreprocess", "MiniMaxCoverLoadAudio",
           "MiniMaxCoverSaveAudio", "MiniMaxCoverPreviewAudio", "LoadAudio", "SaveAudio",
           "PreviewAudio"}


def pack_nodes() -> list[tuple[str, type, str]]:
    """The node table's rows and the runner's core aliases, for classes with a definition."""
    rows = [(r.node_id, r.cls, r.display_name) for r in node_table()]
    rows += [(alias, cls, alias) for alias, cls in CORE_ALIASES.items()]
    assert DEFINED <= {node_id for node_id, cls, _ in rows if issubclass(cls, DefinedNode)}
    return [row for row in rows if issubclass(row[1], DefinedNode)]


def test_every_pack_node_is_built_from_its_definition() -> None:
    rows = pack_nodes()
    assert len(rows) >= len(DEFINED)
    for node_id, cls, display in rows:
        node = definition_of(cls, node_id, display)
        assert (node.node_id, node.display_name) == (node_id, display)
        assert cls.INPUT_TYPES() == v1_input_types(node), node_id
        for key, value in v1_attributes(node).items():
            assert getattr(cls, key) == value, (node_id, key)
        assert callable(getattr(cls(), cls.FUNCTION))


def test_v1_attributes_read_back_to_the_same_definition() -> None:
    """Nothing is lost between the definition and the V1 tuples (the V3 fallback for plain
    V1 classes relies on this reading)."""
    for node_id, cls, display in pack_nodes():
        assert from_v1(cls, node_id, display) == definition_of(cls, node_id, display), node_id


def test_flags_and_hidden_inputs() -> None:
    classes = {node_id: cls for node_id, cls, _ in pack_nodes()}
    for row in node_table():
        # a Runware/MiniMax key, not a Comfy.org account: no API-node sign-in gate
        assert not getattr(row.cls, "API_NODE", False), row.node_id
        assert definition_of(row.cls, row.node_id).is_api_node is False, row.node_id
    cover = classes["MiniMaxMusicCover"].node_definition()
    assert dict(cover.hidden) == {"unique_id": "UNIQUE_ID"} and not cover.is_output_node
    assert [o.name for o in cover.outputs] == ["audio", "seed", "cost", "request_json",
                                               "response_json"]
    names = [i.name for i in cover.inputs]
    assert names[:2] == ["audio", "positivePrompt"] and "preprocess" in names
    assert all(not i.optional for i in cover.inputs[:names.index("preprocess")])
    assert all(i.optional for i in cover.inputs[names.index("preprocess"):])
    for node_id in ("MiniMaxCoverSaveAudio", "MiniMaxCoverPreviewAudio", "SaveAudio",
                    "PreviewAudio"):
        node = classes[node_id].node_definition()
        assert node.is_output_node and set(node.hidden) == {"prompt", "extra_pnginfo"}
    preprocess = classes["MiniMaxCoverPreprocess"].node_definition()
    assert preprocess.outputs[0].kind == "MINIMAX_COVER_PREPROCESS"
    assert preprocess.description.startswith("Analyse a song")


def test_v1_entry_spelling() -> None:
    node = NodeDef("X", "X", "cat", inputs=(
        InputDef("seed", "INT", "Seed.", default=0, minimum=0, maximum=9,
                 control_after_generate=True),
        InputDef("text", "STRING", "Text.", default="", multiline=True),
        InputDef("file", "COMBO", "File.", choices=("a.wav",), upload="audio"),
        InputDef("mix", "FLOAT", optional=True, default=0.5, step=0.01),
        InputDef("song", "AUDIO")), hidden={"node": "UNIQUE_ID"})
    assert v1_input_types(node) == {
        "required": {
            "seed": ("INT", {"tooltip": "Seed.", "default": 0, "min": 0, "max": 9,
                             "control_after_generate": True}),
            "text": ("STRING", {"tooltip": "Text.", "default": "", "multiline": True}),
            "file": (["a.wav"], {"tooltip": "File.", "audio_upload": True}),
            "song": ("AUDIO", {}),
        },
        "optional": {"mix": ("FLOAT", {"default": 0.5, "step": 0.01})},
        "hidden": {"node": "UNIQUE_ID"},
    }


@pytest.mark.parametrize(("build", "message"), [
    (lambda: NodeDef("X", "X", "c", inputs=(InputDef("a", "INT"), InputDef("a", "STRING"))),
     "input name\\(s\\) used twice: a"),
    (lambda: NodeDef("X", "X", "c", inputs=(InputDef("unique_id", "INT"),),
                     hidden={"unique_id": "UNIQUE_ID"}), "used twice: unique_id"),
    (lambda: NodeDef("X", "X", "c", hidden={"key": "API_KEY_COMFY_ORG"}),
     "unknown hidden type\\(s\\) API_KEY_COMFY_ORG"),
    (lambda: InputDef("a", "STRING", upload="audio"), "upload='audio' needs a COMBO"),
])
def test_bad_definitions_are_refused(build: Any, message: str) -> None:
    with pytest.raises(PluginError, match=message):
        build()


class PlainV1Node:
    """A third-party plugin's node: a plain V1 class."""

    CATEGORY = "audio/Acme"
    FUNCTION = "go"
    RETURN_TYPES = ("AUDIO", "STRING")
    OUTPUT_NODE = True

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:  # noqa: N802
        return {"required": {"mode": (["soft", "loud"], {"default": "soft"}),
                             "level": ("COMBO", {"options": ["1", "2"]}),
                             "pick": ([], {"audio_upload": True})},
                "optional": {"gain": ("FLOAT", {"min": 0.0, "max": 2.0, "step": 0.1})},
                "hidden": {"node": "UNIQUE_ID", "other": "SOMETHING_ELSE"}}

    def go(self, **kwargs: Any) -> tuple[Any, ...]:
        return (None, "")


def test_plain_v1_class_is_read_into_a_definition() -> None:
    node = definition_of(PlainV1Node, "AcmeNode", "Acme")
    assert (node.node_id, node.display_name, node.category) == ("AcmeNode", "Acme", "audio/Acme")
    mode, level, pick, gain = node.inputs
    assert (mode.kind, mode.choices, mode.default) == ("COMBO", ("soft", "loud"), "soft")
    assert (level.kind, level.choices) == ("COMBO", ("1", "2"))
    assert (pick.kind, pick.upload) == ("COMBO", "audio")
    assert gain.optional and (gain.minimum, gain.maximum, gain.step) == (0.0, 2.0, 0.1)
    assert node.outputs == (OutputDef("AUDIO", "AUDIO"), OutputDef("STRING", "STRING"))
    assert dict(node.hidden) == {"node": "UNIQUE_ID"}  # unknown hidden types are dropped
    assert node.is_output_node and not node.is_api_node
