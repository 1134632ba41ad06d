"""The flat arguments (MCP ``inputSchema``, the service's body) follow the request schema."""

from __future__ import annotations

import jsonschema
import pytest
from minimax_cover.plugin.errors import SpecValidationError
from minimax_cover.plugin.jobs.pipeline import build_request
from minimax_cover.plugin.spec.flat import flat_names, flat_schema, flat_violations
from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER
from minimax_cover.plugin.spec.validation import validate_params


def test_every_user_field_is_flat_with_its_rules() -> None:
    schema = flat_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    props = schema["properties"]
    for f in MINIMAX_MUSIC_COVER.user_fields:
        if f.path == "inputs.audio":
            continue
        name = f.name
        assert name in props, name
        for key, value in (("minimum", f.minimum), ("maximum", f.maximum),
                           ("minLength", f.min_length), ("maxLength", f.max_length)):
            if value is not None:
                assert props[name][key] == value, (name, key)
    assert props["lyrics"]["x-path"] == "settings.lyrics"
    assert schema["required"] == ["song", "positivePrompt"]


def test_flat_arguments_build_the_nested_request() -> None:
    args = {"positivePrompt": "warm acoustic folk", "lyrics": "[Verse] la la la la la",
            "numberResults": 2, "sampleRate": 44100}
    assert set(args) <= set(flat_names())
    request = build_request(**args)
    assert request["settings"] == {"lyrics": args["lyrics"]}
    assert request["audioSettings"] == {"sampleRate": 44100}


def test_violations_name_the_flat_field() -> None:
    with pytest.raises(SpecValidationError) as info:
        validate_params(build_request(positivePrompt="short", lyrics="tiny"))
    fields = {v["field"]: v for v in flat_violations(info.value)}
    assert set(fields) == {"positivePrompt", "lyrics"}
    assert fields["lyrics"]["path"] == "settings.lyrics"
    assert "10" in fields["positivePrompt"]["rule"] and "short" in fields["positivePrompt"]["value"]
