"""Generated names: CLI flags and Python keywords come from one generator and agree."""

from __future__ import annotations

import argparse

import pytest
from minimax_cover.plugin.cli.options import add_schema_options, collect_schema_options
from minimax_cover.plugin.errors import SpecValidationError
from minimax_cover.plugin.spec.aliases import (
    describe_keywords,
    field_names,
    kebab,
    keyword_table,
    request_from_keywords,
    resolve_keyword,
)
from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER as SPEC


@pytest.mark.parametrize(("name", "want"), [("positivePrompt", "positive-prompt"),
                                            ("webhookURL", "webhook-url"), ("ttl", "ttl"),
                                            ("audioSettings.sampleRate",
                                             "audio-settings-sample-rate")])
def test_kebab(name: str, want: str) -> None:
    assert kebab(name) == want


def test_every_user_field_has_names_and_internal_ones_do_not() -> None:
    paths = [n.field.path for n in field_names(SPEC)]
    assert "positivePrompt" in paths and "settings.lyrics" in paths
    assert not {"taskUUID", "taskType", "model", "inputs.audio"} & set(paths)
    prompt = next(n for n in field_names(SPEC) if n.field.name == "positivePrompt")
    assert prompt.flags == ("--positive-prompt", "--prompt")
    assert prompt.keywords == ("positivePrompt", "positive_prompt", "prompt")


def test_cli_flags_and_python_keywords_come_from_one_generator() -> None:
    parser = argparse.ArgumentParser()
    add_schema_options(parser, SPEC)
    table = keyword_table(SPEC)
    flags = {opt for action in parser._actions for opt in action.option_strings} - {"-h",
                                                                                     "--help"}
    for flag in flags:
        if flag.startswith("--no-"):  # the negative form of a boolean option
            continue
        assert flag[2:].replace("-", "_") in table, flag
    args = parser.parse_args(["--prompt", "a folk cover", "--results", "2", "--lyrics", "[Inst]",
                              "--sample-rate", "44100"])
    assert collect_schema_options(args) == request_from_keywords(
        None, SPEC, prompt="a folk cover", results=2, lyrics="[Inst]", sample_rate=44100)


def test_internal_fields_by_spec_name_only() -> None:
    assert resolve_keyword("taskUUID", SPEC).name == "taskUUID"
    with pytest.raises(SpecValidationError, match="did you mean 'taskUUID'"):
        resolve_keyword("taskUUD", SPEC)


def test_unknown_keywords_are_all_reported_with_a_hint() -> None:
    with pytest.raises(SpecValidationError) as info:
        request_from_keywords(None, SPEC, promt="x", formatt="MP3", zzz=1)
    text = str(info.value)
    assert "did you mean 'prompt'" in text and "did you mean 'format'" in text
    assert info.value.parameters == ["promt", "formatt", "zzz"]


def test_keywords_merge_into_a_copy_of_the_request() -> None:
    base = {"settings": {"lyrics": "[Inst]"}, "audioSettings": {"bitrate": 128}}
    out = request_from_keywords(base, SPEC, sample_rate=44100, seed=None)
    assert out == {"settings": {"lyrics": "[Inst]"},
                   "audioSettings": {"bitrate": 128, "sampleRate": 44100}}
    assert base == {"settings": {"lyrics": "[Inst]"}, "audioSettings": {"bitrate": 128}}


def test_describe_keywords_lists_every_field_with_its_rule() -> None:
    text = describe_keywords(SPEC)
    assert "``prompt``: positivePrompt [10–300 characters]" in text
    assert "numberResults [1–4; default 1]" in text
    assert len(text.splitlines()) == len(field_names(SPEC))
