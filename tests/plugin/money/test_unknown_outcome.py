"""Unknown outcomes: when ``getResponse`` cannot find the task, ``getTaskDetails`` is asked
with the same ``taskUUID`` before the outcome is declared unknown; nothing is resubmitted."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from minimax_cover.plugin.errors import OutcomeUnknownError, TaskFailedError
from minimax_cover.plugin.sandbox import Fault
from money_support import task_types

NOT_FOUND_POLLS = Fault("status", status=404, task_type="getResponse", times=-1)


def test_archive_recovers_the_paid_results(make_sandbox: Any, song: Path, run_job: Any
                                           ) -> None:
    sb = make_sandbox(faults=[Fault("drop_after", task_type="audioInference"),
                              NOT_FOUND_POLLS])
    result = run_job(sb, song, results=2)
    assert len(result.files) == 2 and all(p.stat().st_size > 1000 for p in result.files)
    assert sb.submissions(result.task_uuid) == 1  # never resubmitted
    types = task_types(sb)
    assert types.count("audioInference") == 1 and types[-1] == "getTaskDetails"


def test_archive_that_does_not_know_the_task_is_reported(make_sandbox: Any, song: Path,
                                                         run_job: Any) -> None:
    sb = make_sandbox(faults=[Fault("status", status=500, task_type="audioInference")])
    with pytest.raises(OutcomeUnknownError) as err:
        run_job(sb, song)
    message = str(err.value)
    assert "getResponse does not know the task after 3 attempts" in message
    assert ("Runware's task archive (getTaskDetails) does not know it either "
            "(taskFailedOrNotFound): it was probably never run") in message
    assert "it was not submitted again" in message
    assert sb.submissions() == 0 and task_types(sb).count("getTaskDetails") == 1


def test_archive_shows_a_failure(make_sandbox: Any, song: Path, run_job: Any) -> None:
    sb = make_sandbox(faults=[Fault("drop_after", task_type="audioInference"),
                              Fault("task_error", times=1), NOT_FOUND_POLLS])
    with pytest.raises(TaskFailedError, match="processingFailed"):
        run_job(sb, song)
    assert sb.submissions() == 1


def test_sandbox_task_details(sandbox: Any, make_task: Any, song_wav: bytes) -> None:
    import base64

    headers = {"Authorization": f"Bearer {sandbox.api_key}"}
    upload = {"taskType": "mediaStorage", "taskUUID": str(uuid.uuid4()), "operation": "upload",
              "media": base64.b64encode(song_wav).decode()}
    media = requests.post(sandbox.url, json=[upload], headers=headers, timeout=5).json()
    task = make_task(media["data"][0]["mediaUUID"], includeCost=True)
    assert requests.post(sandbox.url, json=[task], headers=headers, timeout=10).ok
    details = {"taskType": "getTaskDetails", "taskUUID": task["taskUUID"]}
    [item] = requests.post(sandbox.url, json=[details], headers=headers, timeout=5
                           ).json()["data"]
    assert item["request"][0]["positivePrompt"] == task["positivePrompt"]
    [result] = item["response"]["data"]
    assert result["taskUUID"] == task["taskUUID"] and result["cost"] > 0
    missing = requests.post(sandbox.url, json=[{**details, "taskUUID": str(uuid.uuid4())}],
                            headers=headers, timeout=5)
    assert missing.status_code == 200
    assert missing.json()["errors"][0]["code"] == "taskFailedOrNotFound"
