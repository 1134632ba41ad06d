"""The jsonschema-free check: it never calls an invalid request valid, and it proves the
requests the CLI and the pipeline send valid (so they import no jsonschema)."""

from __future__ import annotations

import subprocess
import sys
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator
from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER as SPEC
from minimax_cover.plugin.spec.quickcheck import certainly_valid
from minimax_cover.plugin.spec.schema import build_request_schema
from minimax_cover.plugin.spec.validation import _validator, apply_defaults

SCHEMA = build_request_schema()
_FAST = settings(max_examples=150, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
_VALUES = st.one_of(st.integers(-5, 2_000_000), st.floats(allow_nan=True), st.text(max_size=30),
                    st.none(), st.booleans(), st.sampled_from(["MP3", "WAV", "URL", "async"]),
                    st.dictionaries(st.sampled_from(["audio", "lyrics", "bitrate",
                                                     "sampleRate", "x"]),
                                    st.one_of(st.integers(0, 50_000), st.text(max_size=20)),
                                    max_size=3))


def _full_check_errors(request: dict) -> list:
    return list(_validator(SPEC).iter_errors(request))


def _base() -> dict:
    return apply_defaults({"positivePrompt": "warm acoustic folk, fingerpicked guitar",
                           "inputs": {"audio": str(uuid.uuid4())}}, SPEC)


@_FAST
@given(st.dictionaries(st.sampled_from(["positivePrompt", "seed", "numberResults", "ttl",
                                        "outputFormat", "outputType", "deliveryMethod",
                                        "inputs", "settings", "audioSettings", "includeCost",
                                        "webhookURL", "bogus"]), _VALUES))
def test_never_calls_an_invalid_request_valid(changes: dict) -> None:
    request = {**_base(), **changes}
    if certainly_valid(request, SPEC):
        assert _full_check_errors(request) == []


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(from_schema(SCHEMA))
def test_agrees_on_generated_valid_requests(request: dict) -> None:
    assert Draft202012Validator(SCHEMA).is_valid(request)
    if certainly_valid(request, SPEC):
        assert _full_check_errors(request) == []


def test_proves_typical_requests_valid() -> None:
    request = _base()
    assert certainly_valid(request, SPEC)
    lossy = {**request, "outputFormat": "MP3", "seed": 5,
             "audioSettings": {"sampleRate": 44100, "bitrate": 320}}
    assert certainly_valid(lossy, SPEC)
    assert not certainly_valid({**lossy, "audioSettings": {"sampleRate": 8000,
                                                           "bitrate": 320}}, SPEC)
    assert not certainly_valid({**request, "seed": 1_000_001}, SPEC)
    assert not certainly_valid({**request, "outputFormat": "mp3"}, SPEC)


def test_cover_command_imports_no_jsonschema(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A valid ``cover`` request is validated (twice) without importing jsonschema."""
    code = ("import sys\n"
            "from minimax_cover.plugin.jobs.pipeline import build_request\n"
            "from minimax_cover.plugin.spec.validation import validate_params, validate_request\n"
            "r = validate_params(build_request(prompt='warm acoustic folk, fingerpicked guitar',"
            " format='flac', seed=3))\n"
            "validate_request(r)\n"
            "print('jsonschema' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "False"
