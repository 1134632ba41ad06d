"""Envelope parsing (documented and legacy shapes) and typed results."""

from __future__ import annotations

import json

import pytest
from minimax_cover.plugin import errors
from minimax_cover.plugin.results import TaskResult
from minimax_cover.plugin.runware.envelope import (
    Envelope,
    generation_from_item,
    item_status,
    normalize_error,
    parse_envelope,
)

UUID = "3f0c2b1e-8d4a-4c5e-9b7a-2e6f1d0c9a11"


def parse(body: object, status: int = 200) -> Envelope:
    return parse_envelope(status, {}, json.dumps(body))


# ----------------------------------------------------------------------------- envelopes


def test_data_and_errors_both_read() -> None:
    env = parse({"data": [{"taskType": "audioInference", "taskUUID": "a"}],
                 "errors": [{"code": "invalidSeed", "message": "bad", "taskUUID": "b"}]})
    assert [d["taskUUID"] for d in env.data] == ["a"]
    assert env.errors[0]["code"] == "invalidSeed"
    assert env.data_for("a") and not env.data_for("b")
    assert env.errors_for("b") and not env.errors_for("a")


def test_data_as_single_object_is_a_one_item_list() -> None:
    env = parse({"data": {"taskType": "mediaStorage", "mediaUUID": "m"}})
    assert env.data == [{"taskType": "mediaStorage", "mediaUUID": "m"}]


def test_top_level_error_object() -> None:
    env = parse({"error": {"code": "invalidApiKey", "message": "nope"}}, 401)
    assert env.data == [] and env.errors[0]["code"] == "invalidApiKey"
    assert env.status_code == 401


def test_legacy_websocket_error_shape() -> None:
    env = parse({"error": True, "errorId": 19, "errorMessage": "Invalid api key"})
    assert env.errors == [{"error": True, "errorId": 19, "errorMessage": "Invalid api key",
                           "code": "19", "message": "Invalid api key"}]


def test_bare_list_of_errors_and_items() -> None:
    env = parse([{"code": "unknownModel", "message": "no"},
                 {"taskType": "audioInference", "taskUUID": "a", "status": "error",
                  "code": "processingFailed", "message": "x"}])
    assert [e["code"] for e in env.errors] == ["unknownModel"]
    assert len(env.data) == 1  # a flat generation error item is data, not an envelope error


def test_bare_single_item_and_bare_error() -> None:
    assert parse({"taskType": "audioInference", "taskUUID": "a"}).data[0]["taskUUID"] == "a"
    assert parse({"code": "x", "message": "y"}).errors[0]["code"] == "x"


def test_empty_ack() -> None:
    env = parse({"data": []})
    assert env.data == [] and env.errors == []


@pytest.mark.parametrize("text", ["<html>502 Bad Gateway</html>", "", "   ", '"just a string"',
                                  '{"foo": 1}', '{"data": [1, 2]}'])
def test_not_the_protocol_raises_response_format_error(text: str) -> None:
    with pytest.raises(errors.ResponseFormatError, match="HTTP 200|not a list"):
        parse_envelope(200, {}, text)


def test_non_json_message_is_truncated() -> None:
    with pytest.raises(errors.ResponseFormatError) as info:
        parse_envelope(502, {}, "x" * 5000)
    assert len(str(info.value)) < 300


# ----------------------------------------------------------------------------- results


def test_generation_result_fields_and_output_type() -> None:
    item = {"taskType": "audioInference", "taskUUID": UUID, "audioUUID": "u1", "seed": 2918374650,
            "audioURL": "https://x/u1.mp3", "cost": 0.15, "resultIndex": 0, "sandbox": True}
    r = generation_from_item(item)
    assert (r.audio_uuid, r.seed, r.cost, r.url, r.status) == ("u1", 2918374650, 0.15,
                                                               "https://x/u1.mp3", "success")
    assert r.output_type == "URL" and r.sandbox and r.result_index == 0
    b64 = generation_from_item({"audioBase64Data": "QUJD" * 1000}, task_uuid=UUID)
    assert b64.output_type == "base64Data" and b64.task_uuid == UUID
    assert "QUJD" not in repr(b64)  # inline audio stays out of repr
    assert generation_from_item({"audioDataURI": "data:audio/mpeg;base64,QQ=="}
                                      ).output_type == "dataURI"
    assert generation_from_item({"status": "processing"}).output_type is None


@pytest.mark.parametrize(
    ("item", "status"),
    [
        ({"status": "processing"}, "processing"),
        ({"status": "pending"}, "processing"),
        ({"status": "somethingNew"}, "processing"),
        ({}, "processing"),
        ({"status": "success", "audioURL": "u"}, "success"),
        ({"audioURL": "u"}, "success"),
        ({"status": "error", "error": {"code": "c", "message": "m"}}, "error"),
        ({"status": "error", "code": "timeoutProvider", "message": "m"}, "error"),
        ({"error": {"code": "c", "message": "m"}}, "error"),
    ],
)
def test_item_status(item: dict, status: str) -> None:
    assert item_status(item) == status


def test_task_result_cost_total() -> None:
    rs = [generation_from_item({"audioUUID": str(i), "audioURL": "u", "cost": 0.1})
          for i in range(3)]
    assert TaskResult.from_results(UUID, rs).cost_total == pytest.approx(0.3)
    no_cost = [generation_from_item({"audioUUID": "a", "audioURL": "u"})]
    assert TaskResult.from_results(UUID, no_cost).cost_total is None


def test_normalize_error_shapes() -> None:
    assert normalize_error("boom") == {"code": "unknownError", "message": "boom"}
    nested = normalize_error({"taskUUID": "t", "error": {"code": "c", "message": "m"}})
    assert nested == {"taskUUID": "t", "code": "c", "message": "m"}
