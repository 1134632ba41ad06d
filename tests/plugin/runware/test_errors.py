"""Error classification: Runware error objects and statuses to the exception tree."""

from __future__ import annotations

import json

import pytest
from minimax_cover.plugin import errors
from minimax_cover.plugin.redaction import register_secret
from minimax_cover.plugin.runware.envelope import generation_from_item
from minimax_cover.plugin.runware.errors import classify_code, error_from, task_error_from

UUID = "3f0c2b1e-8d4a-4c5e-9b7a-2e6f1d0c9a11"


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("invalidApiKey", "auth"), ("tokenExpired", "auth"), ("missingApiKey", "auth"),
        ("insufficientCredits", "quota"), ("lowBalance", "quota"), ("quotaExceeded", "quota"),
        ("rateLimitExceeded", "rate_limit"), ("timeoutProvider", "timeout"),
        ("taskFailedOrNotFound", "not_found"), ("mediaNotFound", "not_found"),
        ("urlExpired", "not_found"), ("internalServerError", "server"),
        ("processingFailed", "provider"), ("providerOverloaded", "provider"),
        ("invalidPositivePrompt", "validation"), ("missingParameter", "validation"),
        ("unknownParameter", "validation"), ("contentPolicyViolation", "safety"),
        ("somethingElse", "unknown"), (None, "unknown"),
    ],
)
def test_classify_code(code: str | None, category: str) -> None:
    assert classify_code(code) == category


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (401, "invalidApiKey", errors.AuthenticationError),
        (403, "forbidden", errors.AuthenticationError),
        (402, "insufficientCredits", errors.InsufficientCreditsError),
        (402, None, errors.InsufficientCreditsError),
        (400, "insufficientCredits", errors.InsufficientCreditsError),
        (400, "invalidSeed", errors.InvalidParameterError),
        (400, "weird", errors.InvalidParameterError),
        (404, "taskFailedOrNotFound", errors.NotFoundError),
        (None, "taskFailedOrNotFound", errors.NotFoundError),
        (429, "rateLimitExceeded", errors.RateLimitError),
        (503, "rateLimitExceeded", errors.RateLimitError),
        (500, "internalServerError", errors.ServerError),
        (504, "timeoutProvider", errors.ServerError),
        (408, None, errors.ServerError),
        (None, "processingFailed", errors.TaskFailedError),
        (None, "timeoutProvider", errors.TaskFailedError),
        (None, "invalidApiKey", errors.AuthenticationError),
        (None, "whatever", errors.APIStatusError),
    ],
)
def test_error_from_status_then_code(status: int | None, code: str | None, cls: type) -> None:
    obj = None if code is None else {"code": code, "message": "m"}
    err = error_from(status, obj, {})
    assert type(err) is cls


def test_error_message_names_code_parameter_and_message() -> None:
    err = error_from(400, {"code": "invalidPositivePrompt", "message": "too short",
                           "parameter": "positivePrompt", "taskUUID": UUID,
                           "allowedValues": ["a", "b"]}, {})
    assert isinstance(err, errors.InvalidParameterError)
    assert err.parameter == "positivePrompt" and err.code == "invalidPositivePrompt"
    assert err.status_code == 400 and err.task_uuid == UUID
    text = str(err)
    assert "invalidPositivePrompt" in text and "positivePrompt" in text and "too short" in text
    assert "allowed: a, b" in text and "\n" not in text


def test_parameter_list_is_joined() -> None:
    err = error_from(400, {"code": "incompatibleParameters", "message": "m",
                           "parameter": ["outputFormat", "audioSettings"]}, {})
    assert err.parameter == "outputFormat, audioSettings"


def test_rate_limit_reads_retry_after() -> None:
    err = error_from(429, {"code": "rateLimitExceeded", "message": "slow"}, {"Retry-After": "7"})
    assert isinstance(err, errors.RateLimitError) and err.retry_after_s == 7.0


def test_non_json_401_is_invalid_api_key_with_hint() -> None:
    err = error_from(401, None, {})
    assert isinstance(err, errors.AuthenticationError)
    assert err.code == "invalidApiKey" and "RUNWARE_API_KEY" in str(err)


def test_server_message_is_truncated_and_redacted() -> None:
    key = "rw-test-key-ABCDEF123456"
    register_secret(key)
    err = error_from(400, {"code": "invalidX", "message": f"bad key {key} " + "y" * 2000}, {})
    assert key not in str(err) and "[REDACTED]" in str(err)
    assert len(str(err)) < 500
    assert key not in json.dumps(err.body)


@pytest.mark.parametrize(
    "item",
    [
        {"taskUUID": UUID, "status": "error", "error": {"code": "processingFailed",
                                                        "message": "provider broke"}},
        {"taskUUID": UUID, "status": "error", "code": "processingFailed",
         "message": "provider broke"},
        {"taskUUID": UUID, "code": "processingFailed", "responseContent": "provider broke"},
    ],
    ids=["nested", "flat", "errors-array"],
)
def test_task_error_from_all_three_shapes(item: dict) -> None:
    kept = [generation_from_item({"audioUUID": "ok", "audioURL": "u"})]
    err = task_error_from(item, partial_results=kept, total=2)
    assert isinstance(err, errors.TaskFailedError)
    assert err.code == "processingFailed" and err.provider_message == "provider broke"
    assert err.task_uuid == UUID and err.partial_results == kept
    assert "1 of 2" in str(err) and "processingFailed" in str(err)
