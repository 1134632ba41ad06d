"""One place for defaults and prices (the spec), the pre-staging check, the lyrics fallback."""

from __future__ import annotations

import dataclasses

import pytest
from minimax_cover.plugin.errors import SpecValidationError
from minimax_cover.plugin.spec.lyrics import cover_lyrics, heard_lyrics, with_cover_lyrics
from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER as SPEC
from minimax_cover.plugin.spec.validation import (
    PLACEHOLDER_AUDIO,
    apply_defaults,
    lint_request,
    validate_params,
)

PROMPT = "warm acoustic folk, fingerpicked guitar"


def test_defaults_read_from_the_spec_match_what_validation_fills() -> None:
    filled = apply_defaults({})
    for path in ("outputType", "outputFormat", "deliveryMethod", "numberResults",
                 "includeCost", "taskType", "model"):
        assert SPEC.default(path) == filled[path] == SPEC.value({}, path)
    assert SPEC.default("seed") is None and SPEC.default("settings.lyrics") is None
    with pytest.raises(KeyError):
        SPEC.default("nope")


def test_value_prefers_the_request() -> None:
    request = {"numberResults": 3, "settings": {"lyrics": "[Inst]"}, "outputFormat": None}
    assert SPEC.value(request, "numberResults") == 3
    assert SPEC.value(request, "settings.lyrics") == "[Inst]"
    assert SPEC.value(request, "outputFormat") == "MP3"  # None counts as absent


def test_price_table() -> None:
    assert SPEC.price_per_result_usd == 0.15
    assert SPEC.estimated_cost_usd({"numberResults": 4}) == pytest.approx(0.60)
    assert SPEC.estimated_cost_usd({}) == pytest.approx(0.15)
    assert dataclasses.replace(SPEC, price_per_result_usd=None).estimated_cost_usd({}) is None


def test_lossless_rule_comes_from_the_format_table() -> None:
    rule = SPEC.cross_rules[0]
    assert rule.when == {"outputFormat": ("WAV", "FLAC")}
    assert rule.message == ("audioSettings must not be provided with WAV or FLAC "
                            "(lossy formats only)")


def test_validate_params_checks_everything_but_the_song() -> None:
    out = validate_params({"positivePrompt": PROMPT})
    assert out["inputs"]["audio"] == PLACEHOLDER_AUDIO and out["numberResults"] == 1
    given = validate_params({"positivePrompt": PROMPT, "inputs": {"audio": "https://x.io/a"}})
    assert given["inputs"]["audio"] == "https://x.io/a"
    with pytest.raises(SpecValidationError) as info:
        validate_params({"positivePrompt": "short", "numberResults": 0})
    assert info.value.parameters == ["numberResults", "positivePrompt"]


def test_lint_reads_the_output_type_default() -> None:
    assert lint_request({"ttl": 60}) == []
    assert lint_request({"ttl": 60, "outputType": "dataURI"}) == [
        "ttl: only applies when outputType is URL (outputType is 'dataURI')"]


class Handle:
    def __init__(self, heard: str) -> None:
        self.formatted_lyrics = heard


def test_cover_lyrics_fallback() -> None:
    heard = "[Verse]\nwhat the model heard"
    assert cover_lyrics({}, Handle(heard)) == heard
    assert cover_lyrics({"settings": {"lyrics": "[Chorus] mine"}}, Handle(heard)) == \
        "[Chorus] mine"
    assert cover_lyrics({"settings": {"lyrics": ""}}, Handle(heard)) == heard
    assert cover_lyrics({}, Handle("[Inst]")) is None  # shorter than the field allows
    assert cover_lyrics({}, Handle("x" * 1001)) is None  # longer than the field allows
    assert cover_lyrics({}, None) is None and heard_lyrics(object()) is None


def test_with_cover_lyrics_copies() -> None:
    request = {"positivePrompt": PROMPT}
    out = with_cover_lyrics(request, Handle("[Verse]\nwhat the model heard"))
    assert out["settings"] == {"lyrics": "[Verse]\nwhat the model heard"}
    assert request == {"positivePrompt": PROMPT}
    assert with_cover_lyrics(request, None) is request
