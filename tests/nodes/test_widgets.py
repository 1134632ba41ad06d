"""Widgets are generated from the spec's JSON Schema, and every widget reaches the request."""

from __future__ import annotations

import dataclasses

from minimax_cover.nodes import widgets as W
from minimax_cover.nodes.cover_node import make_cover_node
from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER, Field
from minimax_cover.plugin.spec.validation import validate_request

SPEC = MINIMAX_MUSIC_COVER


def test_input_types_shape() -> None:
    types = make_cover_node(SPEC).INPUT_TYPES()
    req, opt = types["required"], types["optional"]
    assert list(req)[:2] == ["audio", "positivePrompt"]
    assert req["audio"][0] == "AUDIO"
    assert "6 s" in req["audio"][1]["tooltip"] and "6 min" in req["audio"][1]["tooltip"]
    kind, prompt = req["positivePrompt"]
    assert kind == "STRING" and prompt["multiline"] is True and prompt["default"] == ""
    assert "(10\u2013300 characters)" in prompt["tooltip"]
    kind, seed = req["seed"]
    assert kind == "INT" and (seed["min"], seed["max"], seed["default"]) == (0, 1_000_000, 0)
    assert seed["control_after_generate"] is True
    kind, results = req["numberResults"]
    assert kind == "INT" and (results["min"], results["max"], results["default"]) == (1, 4, 1)
    assert req["outputFormat"] == (["MP3", "WAV", "FLAC", "OGG"], req["outputFormat"][1])
    assert req["outputFormat"][1]["default"] == "MP3"
    lyrics = opt["lyrics"]
    assert lyrics[0] == "STRING" and lyrics[1]["multiline"] is True
    assert "(10\u20131000 characters)" in lyrics[1]["tooltip"]
    assert opt["preprocess"][0] == "MINIMAX_COVER_PREPROCESS"
    assert opt["sampleRate"][0][0] == "auto" and opt["sampleRate"][1]["default"] == "auto"
    assert opt["bitrate"][1]["default"] == 0
    assert opt["channels"][0] == ["auto", "1", "2"]
    assert opt["webhookURL"][0] == "STRING" and opt["webhookURL"][1]["default"] == ""
    assert opt["uploadEndpoint"][0] == "STRING"
    for advanced in ("outputType", "deliveryMethod", "ttl", "includeCost", "webhookURL"):
        assert advanced in opt, advanced
    assert types["hidden"] == {"unique_id": "UNIQUE_ID"}
    everything = {**req, **opt}
    for internal in ("taskType", "taskUUID", "model"):
        assert internal not in everything
    assert not any("key" in name.lower() for name in everything)
    for name, (kind, options) in everything.items():
        assert options.get("tooltip"), f"{name} has no tooltip"
        if isinstance(kind, list):
            assert options["default"] in kind, name


def _non_default(w: W.Widget) -> object:
    if w.kind == "COMBO":
        return [label for label in w.choices if label != w.input.default][-1]
    if w.kind == "BOOLEAN":
        return not w.input.default
    if w.kind == "INT":
        return int(w.input.maximum or 0) if w.name != "ttl" else 3600
    if w.kind == "FLOAT":
        return float(w.input.maximum or 1.0)
    if w.name in ("webhookURL", "uploadEndpoint"):
        return "https://example.com/hook"
    return "a value that is long enough"


def test_every_widget_reaches_the_request() -> None:
    widgets = [w for w in W.widgets_for(SPEC) if w.is_widget]
    values = {w.name: _non_default(w) for w in widgets}
    request = W.widgets_to_request(SPEC, values)
    for w in widgets:
        node = request
        for key in w.path:
            assert key in node, f"widget {w.name} did not reach {w.dotted}"
            node = node[key]
        expected = w.choices.get(values[w.name], values[w.name]) if w.kind == "COMBO" else \
            values[w.name]
        assert node == expected, w.name


def test_unset_sentinels_are_omitted() -> None:
    values = {"positivePrompt": "jazz cover please", "lyrics": "  ", "sampleRate": "auto",
              "bitrate": 0, "channels": "auto", "ttl": 0, "webhookURL": "", "seed": 0}
    request = W.widgets_to_request(SPEC, values)
    assert request == {"positivePrompt": "jazz cover please", "seed": 0}


def test_combo_labels_map_back_to_api_values() -> None:
    request = W.widgets_to_request(SPEC, {"sampleRate": "44100", "channels": "2",
                                          "outputFormat": "MP3", "bitrate": 128})
    assert request == {"outputFormat": "MP3",
                       "audioSettings": {"sampleRate": 44100, "channels": 2, "bitrate": 128}}


def test_new_field_adds_a_widget_without_node_changes() -> None:
    extra = (
        Field("guidance", "settings", "integer", "How closely to follow the prompt.",
              "settings", minimum=1, maximum=10, default=5),
        Field("vocalStyle", "settings", "string", "Vocal style.", "settings",
              enum=("soft", "belting"), default="soft"),
        Field("mixNotes", "settings", "string", "Notes for the mix.", "settings",
              multiline=True, max_length=200, advanced=True),
    )
    spec = dataclasses.replace(SPEC, fields=SPEC.fields + extra)
    node = make_cover_node(spec, node_id="MiniMaxCover_test")
    types = node.INPUT_TYPES()
    assert types["required"]["guidance"] == ("INT", {
        "tooltip": "How closely to follow the prompt.", "default": 5, "min": 1, "max": 10})
    assert types["required"]["vocalStyle"][0] == ["soft", "belting"]
    assert types["optional"]["mixNotes"][1]["multiline"] is True
    assert "(at most 200 characters)" in types["optional"]["mixNotes"][1]["tooltip"]
    request = W.widgets_to_request(spec, {"guidance": 7, "vocalStyle": "belting",
                                          "mixNotes": "wide stereo"})
    assert request == {"settings": {"guidance": 7, "vocalStyle": "belting",
                                    "mixNotes": "wide stereo"}}
    # and the rules come with it
    assert "guidance: must be at most 10" in node.VALIDATE_INPUTS(
        positivePrompt="a jazz cover please", guidance=11)


def test_widget_defaults_make_a_valid_request() -> None:
    values = {i.name: i.default for i in W.input_defs(SPEC) if i.is_widget}
    values["positivePrompt"] = "a lo-fi jazz cover"
    request = W.widgets_to_request(SPEC, values)
    request["inputs"] = {"audio": "00000000-0000-4000-8000-000000000000"}
    validate_request(request, SPEC)  # does not raise
    assert request["includeCost"] is True  # the node shows the price


def test_check_widget_values_catches_what_comfyui_would() -> None:
    problems = W.check_widget_values(SPEC, {"numberResults": 9, "seed": -1,
                                            "outputFormat": "AAC", "bitrate": "x"})
    assert "numberResults: must be at most 4 (got 9)" in problems
    assert "seed: must be at least 0 (got -1)" in problems
    assert any(p.startswith("outputFormat: must be one of MP3, WAV, FLAC, OGG") for p in problems)
    assert any(p.startswith("bitrate: must be a number") for p in problems)
    assert W.check_widget_values(SPEC, {"numberResults": None}) == []
