"""One set of predicates, agreeing with the JSON Schema rules of the same name."""

from __future__ import annotations

import re

import pytest
from minimax_cover.plugin.spec.predicates import (
    HTTP_URL_PATTERN,
    UUID_PATTERN,
    is_absolute_uri,
    is_media_reference,
    is_url,
    is_uuid,
    is_uuid4,
    staged_reference,
)

UUID4 = "6a1d7c2e-0b9f-4e8a-a3c5-5f2e7d9b1c40"
VALUES = ["https://example.com/a.mp3", "http://x/y.wav", "HTTP://example.com/a", "http://",
          "https://exa mple.com/a", "ftp://example.com/a", " https://example.com/a",
          UUID4, UUID4.upper(), "00000000-0000-1000-8000-000000000000",
          "6a1d7c2e0b9f4e8aa3c55f2e7d9b1c40", "6a1d7c2-e0b9f-4e8a-a3c5-5f2e7d9b1c40",
          "{6a1d7c2e-0b9f-4e8a-a3c5-5f2e7d9b1c40}", "", "song.wav", None, 42]


@pytest.mark.parametrize("value", VALUES)
def test_predicates_agree_with_the_schema_patterns(value: object) -> None:
    text = value if isinstance(value, str) else None
    assert is_url(value) == bool(text is not None and re.match(HTTP_URL_PATTERN, text))
    assert is_uuid(value) == bool(text is not None and re.match(UUID_PATTERN, text))
    assert is_media_reference(value) == (is_url(value) or is_uuid(value))


def test_uuid4_and_uri() -> None:
    assert is_uuid4(UUID4) and not is_uuid4("00000000-0000-1000-8000-000000000000")
    assert is_absolute_uri("ftp://example.com/a") and is_absolute_uri("data:,x")
    assert not is_absolute_uri("example.com/a") and not is_absolute_uri(3)


def test_staged_reference_strips_user_text() -> None:
    assert staged_reference("  https://example.com/a.mp3\n") == "https://example.com/a.mp3"
    assert staged_reference(f" {UUID4} ") == UUID4
    assert staged_reference("song.wav") is None and staged_reference(b"RIFF") is None


def test_validation_and_staging_use_the_same_answer() -> None:
    from minimax_cover.plugin.jobs.staging import prepare_upload
    from minimax_cover.plugin.spec.validation import check_request, validate_params

    for value in ("https://example.com/a.mp3", UUID4):
        assert prepare_upload(value) is None  # nothing to upload ...
        assert not check_request(validate_params({"positivePrompt": "a folk cover song",
                                                  "inputs": {"audio": value}}))  # ... and valid
