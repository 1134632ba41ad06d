"""POST /v1: routing, authentication, body checks, validation errors, mixed answers, UUIDs."""

from __future__ import annotations

import pytest
import requests
from minimax_cover.plugin.sandbox import Sandbox
from sandbox_support import KEY, TIMEOUT, cover_task, get_response, new_uuid, post


def test_bearer_header_authenticates(sandbox: Sandbox, media: str) -> None:
    r = post(sandbox, [cover_task(media, outputFormat="WAV")])
    assert r.status_code == 200, r.text
    assert r.headers["X-Sandbox"] == "true"
    assert r.json()["data"][0]["sandbox"] is True


def test_authentication_task_authenticates(sandbox: Sandbox, media: str) -> None:
    body = [{"taskType": "authentication", "apiKey": KEY}, cover_task(media, outputFormat="WAV")]
    r = post(sandbox, body, key=None)
    assert r.status_code == 200, r.text
    assert [i["taskType"] for i in r.json()["data"]] == ["audioInference"]


def test_authentication_task_alone_answers_empty_data(sandbox: Sandbox) -> None:
    r = post(sandbox, [{"taskType": "authentication", "apiKey": KEY}], key=None)
    assert r.status_code == 200
    assert r.json() == {"data": []}


@pytest.mark.parametrize(
    "key, body_key",
    [(None, None), ("wrong-key-000", None), (None, "wrong-key-000"), (KEY, "wrong-key-000")],
    ids=["missing", "bad-header", "bad-payload", "header-ok-payload-bad"],
)
def test_missing_or_wrong_key_is_401(sandbox: Sandbox, media: str, key: str | None,
                                     body_key: str | None) -> None:
    body = [cover_task(media)]
    if body_key is not None:
        body.insert(0, {"taskType": "authentication", "apiKey": body_key})
    r = post(sandbox, body, key=key)
    assert r.status_code == 401
    (error,) = r.json()["errors"]
    assert error["code"] == "invalidApiKey"
    assert error["parameter"] == "apiKey"
    assert error["taskType"] == "authentication"
    assert KEY not in r.text
    assert sandbox.submissions() == 0


def test_non_bearer_scheme_is_rejected(sandbox: Sandbox) -> None:
    r = requests.post(sandbox.url, json=[], headers={"Authorization": f"Basic {KEY}"},
                      timeout=TIMEOUT)
    assert r.status_code == 401


def test_requests_log_never_holds_the_key(sandbox: Sandbox, media: str) -> None:
    post(sandbox, [{"taskType": "authentication", "apiKey": KEY}, cover_task(media)], key=None)
    post(sandbox, [cover_task(media)], key="wrong-key-000")
    assert KEY not in repr(sandbox.requests_log)
    assert "wrong-key-000" not in repr(sandbox.requests_log)
    assert {e["status"] for e in sandbox.requests_log} >= {200, 401}


@pytest.mark.parametrize(
    "data, fragment",
    [(b"{not json", "not valid JSON"), (b'{"taskType": "getResponse"}', "JSON array"),
     (b"[]", "empty array")],
)
def test_bad_bodies_are_400(sandbox: Sandbox, data: bytes, fragment: str) -> None:
    r = requests.post(sandbox.url, data=data, timeout=TIMEOUT,
                      headers={"Authorization": f"Bearer {KEY}",
                               "Content-Type": "application/json"})
    assert r.status_code == 400
    (error,) = r.json()["errors"]
    assert error["code"] == "invalidRequestBody"
    assert fragment in error["message"]


def test_only_exact_post_v1(sandbox: Sandbox) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    assert requests.post(sandbox.base_url + "/v1/", json=[], headers=headers,
                         timeout=TIMEOUT).status_code == 404
    assert requests.post(sandbox.base_url + "/v2", json=[], headers=headers,
                         timeout=TIMEOUT).status_code == 404
    assert requests.get(sandbox.url, timeout=TIMEOUT).status_code == 405
    assert requests.put(sandbox.url, data=b"x", timeout=TIMEOUT).status_code == 405
    info = requests.get(sandbox.base_url + "/", timeout=TIMEOUT)
    assert info.json()["sandbox"] is True and info.json()["endpoint"] == sandbox.url


def test_stdlib_errors_are_labelled_json(sandbox: Sandbox) -> None:
    r = requests.options(sandbox.url, timeout=TIMEOUT)
    assert r.status_code == 501 and r.headers["X-Sandbox"] == "true"
    assert r.json()["errors"][0]["code"] == "methodNotAllowed"
    assert requests.head(sandbox.url, timeout=TIMEOUT).headers["X-Sandbox"] == "true"
    assert sandbox.requests_log[-1]["status"] == 501


def test_validation_errors_name_each_parameter(sandbox: Sandbox, media: str) -> None:
    task = cover_task(media, positivePrompt="short", numberResults=9, colour="blue",
                      audioSettings={"sampleRate": 44100}, outputFormat="WAV")
    del task["model"]
    r = post(sandbox, [task])
    assert r.status_code == 400
    errors = r.json()["errors"]
    by_param = {e["parameter"]: e for e in errors}
    assert by_param["model"]["code"] == "missingParameter"
    assert by_param["positivePrompt"]["code"] == "invalidParameter"
    assert "at least 10 characters" in by_param["positivePrompt"]["message"]
    assert by_param["numberResults"]["code"] == "invalidParameter"
    assert by_param["colour"]["code"] == "unknownParameter"
    assert by_param["audioSettings"]["code"] == "unsupportedParameter"
    for error in errors:
        assert error["taskType"] == "audioInference"
        assert error["taskUUID"] == task["taskUUID"]
    assert sandbox.submissions() == 0


def test_missing_task_uuid_is_not_invented(sandbox: Sandbox, media: str) -> None:
    task = cover_task(media)
    del task["taskUUID"]
    r = post(sandbox, [task])
    assert r.status_code == 400
    (error,) = r.json()["errors"]
    assert (error["code"], error["parameter"]) == ("missingParameter", "taskUUID")


def test_unknown_model(sandbox: Sandbox, media: str) -> None:
    r = post(sandbox, [cover_task(media, model="minimax:music@2")])
    assert r.status_code == 400
    (error,) = r.json()["errors"]
    assert (error["code"], error["parameter"]) == ("unknownModel", "model")


def test_unknown_task_type(sandbox: Sandbox) -> None:
    r = post(sandbox, [{"taskType": "imageInference", "taskUUID": new_uuid()}])
    assert r.status_code == 400
    assert r.json()["errors"][0]["code"] == "unsupportedTaskType"


def test_mixed_data_and_errors_is_200(sandbox: Sandbox, media: str) -> None:
    good = cover_task(media, outputFormat="WAV")
    bad = cover_task(media, positivePrompt="short")
    r = post(sandbox, [good, bad])
    assert r.status_code == 200
    body = r.json()
    assert [i["taskUUID"] for i in body["data"]] == [good["taskUUID"]]
    assert [e["taskUUID"] for e in body["errors"]] == [bad["taskUUID"]]
    assert body["errors"][0]["parameter"] == "positivePrompt"


def test_duplicate_task_uuid_is_rejected(sandbox: Sandbox, media: str) -> None:
    task = cover_task(media, outputFormat="WAV")
    assert post(sandbox, [task]).status_code == 200
    r = post(sandbox, [task])
    assert r.status_code == 400
    (error,) = r.json()["errors"]
    assert (error["code"], error["parameter"]) == ("duplicateTaskUUID", "taskUUID")
    assert sandbox.submissions(task["taskUUID"]) == 1
    assert sandbox.submissions() == 1


def test_duplicate_within_one_body(sandbox: Sandbox, media: str) -> None:
    task = cover_task(media, outputFormat="WAV")
    r = post(sandbox, [task, dict(task)])
    assert r.status_code == 200
    assert len(r.json()["data"]) == 1
    assert r.json()["errors"][0]["code"] == "duplicateTaskUUID"


def test_rejected_task_uuid_can_be_reused(sandbox: Sandbox, media: str) -> None:
    task = cover_task(media, positivePrompt="short")
    assert post(sandbox, [task]).status_code == 400
    task["positivePrompt"] = "a corrected, long enough prompt"
    assert post(sandbox, [task]).status_code == 200
    assert sandbox.submissions(task["taskUUID"]) == 1


def test_get_response_unknown_uuid(sandbox: Sandbox) -> None:
    missing = new_uuid()
    r = get_response(sandbox, missing)
    assert r.status_code == 200
    body = r.json()
    assert "data" not in body or body["data"] == []
    (error,) = body["errors"]
    assert error["code"] == "taskFailedOrNotFound"
    assert error["taskUUID"] == missing
    assert error["taskType"] == "getResponse"


def test_get_response_needs_task_uuid(sandbox: Sandbox) -> None:
    r = post(sandbox, [{"taskType": "getResponse"}])
    assert r.status_code == 400
    assert r.json()["errors"][0]["code"] == "missingParameter"


def test_requests_log_records_types_and_uuids(sandbox: Sandbox, media: str) -> None:
    task = cover_task(media, outputFormat="WAV")
    post(sandbox, [task])
    entry = sandbox.requests_log[-1]
    assert entry["method"] == "POST" and entry["path"] == "/v1"
    assert entry["task_types"] == ["audioInference"]
    assert entry["task_uuids"] == [task["taskUUID"]]
    assert entry["status"] == 200

