"""Table-driven tests of every constraint in the spec, through validate_request."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from minimax_cover.plugin.errors import SpecValidationError
from minimax_cover.plugin.spec.validation import apply_defaults, lint_request, validate_request

MEDIA = "6a1d7c2e-0b9f-4e8a-a3c5-5f2e7d9b1c40"
BASE: dict[str, Any] = {
    "positivePrompt": "warm acoustic folk, fingerpicked guitar",
    "inputs": {"audio": MEDIA},
}
MISSING = object()


def with_value(path: str, value: Any) -> dict[str, Any]:
    req = copy.deepcopy(BASE)
    head, _, tail = path.partition(".")
    if tail:
        node = req.setdefault(head, {})
        if value is MISSING:
            node.pop(tail, None)
        else:
            node[tail] = value
    elif value is MISSING:
        req.pop(head, None)
    else:
        req[head] = value
    return req


VALID = [
    # path, value
    ("taskType", "audioInference"),
    ("taskUUID", "3f0c2b1e-8d4a-4c5e-9b7a-2e6f1d0c9a11"),
    ("model", "minimax:music@cover"),
    ("outputType", "URL"),
    ("outputType", "dataURI"),
    ("outputType", "base64Data"),
    ("outputFormat", "MP3"),
    ("outputFormat", "WAV"),
    ("outputFormat", "FLAC"),
    ("outputFormat", "OGG"),
    ("webhookURL", "https://hooks.example.com/runware?token=abc"),
    ("deliveryMethod", "sync"),
    ("deliveryMethod", "async"),
    ("uploadEndpoint", "https://bucket.s3.amazonaws.com/out.mp3?X-Amz-Signature=abc"),
    ("ttl", 60),
    ("ttl", 61),
    ("ttl", 604800),
    ("includeCost", True),
    ("includeCost", False),
    ("numberResults", 1),
    ("numberResults", 2),
    ("numberResults", 4),
    ("inputs.audio", MEDIA),
    ("inputs.audio", "https://example.com/song.mp3"),
    ("positivePrompt", "x" * 10),
    ("positivePrompt", "x" * 11),
    ("positivePrompt", "x" * 299),
    ("positivePrompt", "x" * 300),
    ("seed", 0),
    ("seed", 1),
    ("seed", 999_999),
    ("seed", 1_000_000),
    ("settings.lyrics", "x" * 10),
    ("settings.lyrics", "x" * 1000),
    ("settings.lyrics", "[Intro]\n[Inst]\n[Outro]"),
]

INVALID = [
    # path, value, rule fragment
    ("taskType", "imageInference", "must be 'audioInference'"),
    ("taskType", 5, "must be a string"),
    ("taskUUID", "not-a-uuid", "must be a UUID"),
    ("taskUUID", "3f0c2b1e-8d4a-1c5e-9b7a-2e6f1d0c9a11", "version-4 UUID"),
    ("model", "minimax:music@2", "must be 'minimax:music@cover'"),
    ("outputType", "url", "must be one of URL, dataURI, base64Data"),
    ("outputType", "FILE", "must be one of"),
    ("outputFormat", "mp3", "must be one of MP3, WAV, FLAC, OGG"),
    ("outputFormat", "AAC", "must be one of"),
    ("outputFormat", 3, "must be a string"),
    ("webhookURL", "not a url", "must be an http(s) URL"),
    ("webhookURL", "ftp://files.example.com/in/", "must be an http(s) URL"),
    ("webhookURL", 42, "must be a string"),
    ("deliveryMethod", "webhook", "must be one of sync, async"),
    ("uploadEndpoint", "/relative/path", "must be an http(s) URL"),
    ("uploadEndpoint", "s3://bucket/key", "must be an http(s) URL"),
    ("ttl", 59, "must be at least 60"),
    ("ttl", 0, "must be at least 60"),
    ("ttl", "600", "must be an integer"),
    ("ttl", 60.5, "must be an integer"),
    ("includeCost", "true", "must be true or false"),
    ("includeCost", 1, "must be true or false"),
    ("numberResults", 0, "must be at least 1"),
    ("numberResults", 5, "must be at most 4"),
    ("numberResults", True, "must be an integer"),
    ("numberResults", 2.0 + 0.5, "must be an integer"),
    ("inputs.audio", "song.mp3", "UUID (mediaUUID) or an http(s) URL"),
    ("inputs.audio", "ftp://example.com/a.mp3", "UUID (mediaUUID) or an http(s) URL"),
    ("inputs.audio", 7, "must be a string"),
    ("positivePrompt", "x" * 9, "at least 10 characters"),
    ("positivePrompt", "", "at least 10 characters"),
    ("positivePrompt", "x" * 301, "at most 300 characters"),
    ("positivePrompt", ["a list"], "must be a string"),
    ("seed", -1, "must be at least 0"),
    ("seed", 1_000_001, "must be at most 1000000"),
    ("seed", 4_294_967_295, "must be at most 1000000"),
    ("seed", "7", "must be an integer"),
    ("settings.lyrics", "x" * 9, "at least 10 characters"),
    ("settings.lyrics", "x" * 1001, "at most 1000 characters"),
    ("settings.lyrics", 12345678901, "must be a string"),
    ("audioSettings.sampleRate", 44000, "must be one of 8000"),
    ("audioSettings.bitrate", 7, "must be at least 8"),
    ("audioSettings.bitrate", 321, "must be at most 320"),
    ("audioSettings.channels", 3, "must be one of 1, 2"),
]

REQUIRED = ["positivePrompt", "inputs.audio", "inputs"]

UNKNOWN = [
    ("negativePrompt", "no drums"),
    ("settings.tempo", 120),
    ("inputs.image", MEDIA),
    ("audioSettings.quality", "high"),
]


@pytest.mark.parametrize(("path", "value"), VALID)
def test_valid_values_pass(path: str, value: Any) -> None:
    out = validate_request(with_value(path, value))
    head, _, tail = path.partition(".")
    assert (out[head][tail] if tail else out[head]) == value


@pytest.mark.parametrize(("path", "value", "rule"), INVALID)
def test_invalid_values_name_path_rule_and_value(path: str, value: Any, rule: str) -> None:
    with pytest.raises(SpecValidationError) as info:
        validate_request(with_value(path, value))
    [violation] = [v for v in info.value.violations if v.path == path]
    assert rule in violation.rule
    text = str(info.value)
    assert path in text and rule in text
    assert "got" in text


@pytest.mark.parametrize("path", REQUIRED)
def test_missing_required_fields(path: str) -> None:
    with pytest.raises(SpecValidationError) as info:
        validate_request(with_value(path, MISSING))
    assert any(v.path == path and v.rule == "is required" for v in info.value.violations)


@pytest.mark.parametrize(("path", "value"), UNKNOWN)
def test_unknown_fields_rejected(path: str, value: Any) -> None:
    with pytest.raises(SpecValidationError) as info:
        validate_request(with_value(path, value))
    [violation] = info.value.violations
    assert violation.path == path
    assert "unknown parameter" in violation.rule


def test_unknown_field_suggests_the_close_name() -> None:
    with pytest.raises(SpecValidationError, match="did you mean 'seed'"):
        validate_request(with_value("seeed", 5))


def test_every_problem_is_reported_at_once() -> None:
    bad = {"positivePrompt": "lofi", "numberResults": 9, "seed": -3, "outputFormat": "AAC",
           "inputs": {}, "settings": {"lyrics": "short"}}
    with pytest.raises(SpecValidationError) as info:
        validate_request(bad)
    paths = {v.path for v in info.value.violations}
    assert {"positivePrompt", "numberResults", "seed", "outputFormat", "inputs.audio",
            "settings.lyrics"} <= paths
    assert "positivePrompt: must be at least 10 characters (got 4 characters: 'lofi')" in str(
        info.value
    )


def test_defaults_and_task_uuid_are_filled() -> None:
    out = validate_request(copy.deepcopy(BASE))
    assert out["taskType"] == "audioInference"
    assert out["model"] == "minimax:music@cover"
    assert out["outputType"] == "URL"
    assert out["outputFormat"] == "MP3"
    assert out["deliveryMethod"] == "sync"
    assert out["includeCost"] is False
    assert out["numberResults"] == 1
    assert uuid.UUID(out["taskUUID"]).version == 4
    assert "seed" not in out  # the server draws one
    assert list(out)[:2] == ["taskType", "taskUUID"]


def test_fresh_task_uuid_per_call_and_input_untouched() -> None:
    req = copy.deepcopy(BASE)
    a, b = validate_request(req), validate_request(req)
    assert a["taskUUID"] != b["taskUUID"]
    assert req == BASE


def test_given_task_uuid_is_kept() -> None:
    tid = str(uuid.uuid4())
    assert apply_defaults({**BASE, "taskUUID": tid})["taskUUID"] == tid


def test_not_an_object() -> None:
    with pytest.raises(SpecValidationError, match="must be a JSON object"):
        validate_request(["not", "a", "task"])


# --- cross-field rules (audioSettings extension) ----------------------------------------------


@pytest.mark.parametrize("fmt", ["WAV", "FLAC"])
def test_audio_settings_rejected_with_lossless(fmt: str) -> None:
    req = {**BASE, "outputFormat": fmt, "audioSettings": {"channels": 2}}
    with pytest.raises(SpecValidationError, match="must not be provided with WAV or FLAC"):
        validate_request(req)


@pytest.mark.parametrize("fmt", ["MP3", "OGG"])
def test_audio_settings_allowed_with_lossy(fmt: str) -> None:
    req = {**BASE, "outputFormat": fmt,
           "audioSettings": {"sampleRate": 44100, "bitrate": 192, "channels": 1}}
    assert validate_request(req)["audioSettings"]["bitrate"] == 192


@pytest.mark.parametrize(
    ("rate", "ok", "bad"),
    [(8000, (8, 64), (7, 65)), (11025, (8, 64), (7, 65)), (12000, (8, 64), (7, 65)),
     (16000, (8, 160), (7, 161)), (22050, (8, 160), (7, 161)), (24000, (8, 160), (7, 161)),
     (32000, (32, 320), (31, 321)), (44100, (32, 320), (31, 321)), (48000, (32, 320), (31, 321))],
)
def test_mp3_bitrate_depends_on_sample_rate(rate: int, ok: tuple[int, int],
                                            bad: tuple[int, int]) -> None:
    for kbps in ok:
        validate_request({**BASE, "audioSettings": {"sampleRate": rate, "bitrate": kbps}})
    for kbps in bad:
        with pytest.raises(SpecValidationError) as info:
            validate_request({**BASE, "audioSettings": {"sampleRate": rate, "bitrate": kbps}})
        assert info.value.violations[0].path == "audioSettings.bitrate"
        assert info.value.violations[0].value == kbps


# --- lint ---------------------------------------------------------------------------------------


def test_lint_warns_on_unknown_tags_and_ttl_without_url() -> None:
    req = validate_request({**BASE, "outputType": "base64Data", "ttl": 120,
                            "settings": {"lyrics": "[Verse]\nhello there\n[Hook]\nla la la"}})
    warnings = lint_request(req)
    assert any("[Hook]" in w for w in warnings)
    assert any(w.startswith("ttl:") for w in warnings)


def test_lint_quiet_for_clean_request() -> None:
    req = validate_request({**BASE, "settings": {"lyrics": "[Verse]\nhello\n[Chorus]\nla la"}})
    assert lint_request(req) == []
