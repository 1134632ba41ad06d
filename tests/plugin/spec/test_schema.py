"""The committed schemas match the generator, are valid draft 2020-12, and mirror the spec."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator
from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER
from minimax_cover.plugin.spec.schema import (
    build_request_schema,
    build_result_schema,
    committed_schema_files,
    render_schema_files,
)


def test_committed_files_match_generator() -> None:
    generated = render_schema_files()
    committed = committed_schema_files()
    for name, text in generated.items():
        assert committed[name] == text, (
            f"schemas/{name} is out of date: run `minimax-cover schema --write`"
        )


@pytest.mark.parametrize("build", [build_request_schema, build_result_schema])
def test_schema_is_valid_against_metaschema(build) -> None:  # type: ignore[no-untyped-def]
    schema = build()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(".schema.json")
    assert schema["title"] and schema["description"]


def test_every_spec_field_is_in_the_schema_with_its_rules() -> None:
    schema = build_request_schema()
    for f in MINIMAX_MUSIC_COVER.fields:
        head, _, tail = f.path.partition(".")
        prop = schema["properties"][head]["properties"][tail] if tail else (
            schema["properties"][head])
        assert prop["description"] == f.description
        for key, value in (("minimum", f.minimum), ("maximum", f.maximum),
                           ("minLength", f.min_length), ("maxLength", f.max_length),
                           ("default", f.default), ("const", f.const)):
            if value is not None:
                assert prop[key] == value, (f.path, key)
        if f.enum:
            assert prop["enum"] == list(f.enum)


def test_nested_objects_are_closed() -> None:
    schema = build_request_schema()
    assert schema["additionalProperties"] is False
    for place in ("inputs", "settings", "audioSettings"):
        assert schema["properties"][place]["additionalProperties"] is False
    assert schema["required"] == ["taskType", "taskUUID", "model", "positivePrompt", "inputs"]
    assert schema["properties"]["inputs"]["required"] == ["audio"]


def test_extensions_are_marked() -> None:
    props = build_request_schema()["properties"]
    assert "x-extension" in props["outputFormat"]
    assert "x-extension" in props["audioSettings"]
    assert "x-extension" not in props["positivePrompt"]


def test_result_schema_allows_server_fields() -> None:
    schema = build_result_schema()
    assert schema["additionalProperties"] is True
    assert {"audioURL", "audioDataURI", "audioBase64Data", "seed", "cost"} <= set(
        schema["properties"])
    assert schema["properties"]["seed"]["maximum"] == 2**32 - 1


def test_files_are_stable_json() -> None:
    for text in render_schema_files().values():
        assert text.endswith("\n")
        assert json.loads(text)
