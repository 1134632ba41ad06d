"""Property tests: every request the schema generates validates; the validator agrees with the
schema; the CLI exit codes follow validity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator, FormatChecker
from minimax_cover.plugin.cli import main
from minimax_cover.plugin.errors import SpecValidationError
from minimax_cover.plugin.spec.schema import build_request_schema
from minimax_cover.plugin.spec.validation import check_request, validate_request

SCHEMA = build_request_schema()
_FAST = settings(max_examples=60, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _strategy() -> st.SearchStrategy[dict]:
    # hypothesis-jsonschema ignores x- keywords; formats uuid/uri are generated as such.
    return from_schema(SCHEMA)


@pytest.mark.slow
@_FAST
@given(_strategy())
def test_every_generated_request_validates(request: dict) -> None:
    out = validate_request(request)
    assert out["taskUUID"] == request["taskUUID"]


@_FAST
@given(st.dictionaries(st.sampled_from(["positivePrompt", "seed", "numberResults", "ttl",
                                        "outputFormat", "inputs", "bogus"]),
                       st.one_of(st.integers(-5, 2_000_000), st.text(max_size=40),
                                 st.none(), st.booleans())))
def test_validator_agrees_with_plain_jsonschema(request: dict) -> None:
    ours = check_request(request)
    plain = list(Draft202012Validator(SCHEMA, format_checker=FormatChecker()).iter_errors(request))
    assert bool(ours) == bool(plain)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(_strategy())
def test_cli_validate_exit_zero_for_valid(tmp_path_factory, request: dict) -> None:  # type: ignore[no-untyped-def]
    path = Path(tmp_path_factory.mktemp("req")) / "r.json"
    path.write_text(json.dumps(request))
    assert main(["validate", str(path)]) == 0


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(min_value=5, max_value=50), st.text(max_size=9))
def test_cli_validate_exit_two_for_invalid(tmp_path_factory, n: int, prompt: str) -> None:  # type: ignore[no-untyped-def]
    path = Path(tmp_path_factory.mktemp("req")) / "r.json"
    path.write_text(json.dumps({"positivePrompt": prompt, "numberResults": n,
                                "inputs": {"audio": "https://example.com/a.mp3"}}))
    assert main(["validate", str(path)]) == 2
    with pytest.raises(SpecValidationError) as info:
        validate_request(json.loads(path.read_text()))
    assert {"positivePrompt", "numberResults"} <= set(info.value.parameters)
