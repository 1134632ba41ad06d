"""parse_stream: JSON parsed as it arrives, long strings spooled, size and depth capped."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from minimax_cover.plugin.transport.jsonstream import (
    AnswerLimits,
    DepthError,
    SpooledText,
    TooLargeError,
    encoded_size,
    parse_stream,
)

SMALL = AnswerLimits(max_bytes=1 << 20, spool_bytes=16, max_string_bytes=1 << 20,
                     max_spooled_bytes=1 << 22, max_depth=64)

_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
_key = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=1)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False,
                                                           allow_infinity=False) | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_key, inner, max_size=4),
    max_leaves=20,
)


def _materialize(value: Any) -> Any:
    if isinstance(value, SpooledText):
        return value.read_text()
    if isinstance(value, dict):
        return {k: _materialize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_materialize(v) for v in value]
    return value


def _chunks(data: bytes, sizes: list[int]) -> list[bytes]:
    out, pos = [], 0
    for size in sizes:
        out.append(data[pos:pos + size])
        pos += size
    out.append(data[pos:])
    return [c for c in out if c]


@settings(max_examples=200, deadline=None, database=None)
@given(doc=_json, ascii_only=st.booleans(), slash=st.booleans(),
       sizes=st.lists(st.integers(1, 7), max_size=60))
def test_same_document_as_json_loads(doc: Any, ascii_only: bool, slash: bool,
                                     sizes: list[int]) -> None:
    text = json.dumps(doc, ensure_ascii=ascii_only)
    if slash:
        text = text.replace("/", "\\/")  # some servers escape every slash
    data = text.encode("utf-8")
    answer = parse_stream(_chunks(data, sizes), SMALL)
    assert _materialize(answer.doc) == json.loads(data)
    assert answer.size == len(data)


@settings(max_examples=100, deadline=None, database=None)
@given(value=_text.filter(lambda v: len(v) > 3), reps=st.integers(1, 300),
       piece=st.integers(7, 50))
def test_spooled_text_reads_back_in_any_piece_size(value: str, reps: int, piece: int) -> None:
    long = (value + "\\/\u00e9\U0001f3b5\"") * reps
    answer = parse_stream([json.dumps({"a": long}).encode()], SMALL)
    spooled = answer.doc["a"]
    assert isinstance(spooled, SpooledText)
    assert "".join(spooled.chunks(piece)) == long
    assert spooled.startswith(long[:5]) and str(spooled).startswith("<spooled text")


def test_long_strings_are_spooled_short_ones_kept() -> None:
    b64 = "QUJD" * 100_000
    answer = parse_stream([json.dumps({"data": [{"audioBase64Data": b64, "id": "x"}]}).encode()])
    item = answer.doc["data"][0]
    assert isinstance(item["audioBase64Data"], SpooledText)
    assert len(item["audioBase64Data"]) == len(b64) and item["id"] == "x"
    assert item["audioBase64Data"].read_text() == b64


@pytest.mark.parametrize(
    ("body", "limits", "what"),
    [
        (b"[" + b'"ab",' * 1000 + b'"ab"]', AnswerLimits(max_bytes=1000), "the answer"),
        (b'["' + b"A" * 5000 + b'"]', AnswerLimits(spool_bytes=10, max_string_bytes=4000),
         "a string"),
        (b'["' + b"A" * 3000 + b'","' + b"B" * 3000 + b'"]',
         AnswerLimits(spool_bytes=10, max_string_bytes=4000, max_spooled_bytes=5000),
         "the long strings"),
    ],
)
def test_caps(body: bytes, limits: AnswerLimits, what: str) -> None:
    with pytest.raises(TooLargeError, match=what):
        parse_stream([body[i:i + 64] for i in range(0, len(body), 64)], limits)


def test_the_cap_stops_reading_early() -> None:
    fed = 0

    def endless() -> Any:
        nonlocal fed
        yield b"["
        while True:
            fed += 1
            yield b'{"a":1},' * 1000

    with pytest.raises(TooLargeError):
        parse_stream(endless(), AnswerLimits(max_bytes=100_000))
    assert fed < 20


@pytest.mark.parametrize("depth", [65, 1000, 200_000])
def test_deep_nesting_is_refused_not_a_recursion_error(depth: int) -> None:
    with pytest.raises(DepthError, match="deeper than 64"):
        parse_stream([b"[" * depth, b"]" * depth])
    with pytest.raises(DepthError):
        parse_stream([b'{"a":' * depth + b"1" + b"}" * depth])


def test_a_long_object_key_is_not_the_protocol() -> None:
    with pytest.raises(ValueError, match="object key"):
        parse_stream([json.dumps({"k" * 100: 1}).encode()], AnswerLimits(spool_bytes=10))


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"lyrics": "[" * 500 + "{" * 500})
    assert parse_stream([text.encode()]).doc == json.loads(text)


def test_depth_at_the_limit_is_fine() -> None:
    assert parse_stream([b"[" * 64 + b"]" * 64]).doc is not None


@pytest.mark.parametrize("body", [b"<html>502</html>", b'{"a": ', b'{"a": "\xff\xfe"}', b'["ab'])
def test_not_json(body: bytes) -> None:
    with pytest.raises(ValueError):
        parse_stream([body])


def test_unterminated_long_string() -> None:
    with pytest.raises(ValueError, match="inside a long string"):
        parse_stream([b'["' + b"A" * 1000], AnswerLimits(spool_bytes=10))


def test_empty_body() -> None:
    assert parse_stream([]).doc is None
    assert parse_stream([b"  \n"]).doc is None


def test_head_is_kept_when_parsing_fails() -> None:
    head = bytearray()
    with pytest.raises(ValueError):
        parse_stream([b"<html>bad gateway</html>"], head=head)
    assert bytes(head).startswith(b"<html>bad")


def test_encoded_size_holds_the_base64_of_the_cap() -> None:
    import base64

    for size in (1, 1000, 1 << 20):
        assert len(base64.b64encode(b"x" * size)) * 1.1 < encoded_size(size)
