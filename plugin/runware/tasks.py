"""One task in and its items out: defaults filled before sending, answers read per task.

Pure functions over the task dict and the parsed :class:`~.envelope.Envelope`; no I/O.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from ..errors import TaskFailedError
from ..results import GenerationResult
from ..spec.model import MINIMAX_MUSIC_COVER
from .envelope import Envelope, generation_from_item
from .errors import error_from, task_error_from

__all__ = ["is_async", "number_results", "prepare_task", "raise_failed", "task_items"]

# Defaults (what the API applies to an absent field) come from the spec, never typed here.


def prepare_task(task: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``task`` with ``taskType`` (``audioInference``) and a fresh ``taskUUID``
    filled in when missing."""
    out = dict(task)
    out.setdefault("taskType", MINIMAX_MUSIC_COVER.default("taskType"))
    if not out.get("taskUUID"):
        out["taskUUID"] = str(uuid.uuid4())
    return out


def number_results(task: Mapping[str, Any]) -> int:
    """The task's ``numberResults`` (1 when absent or not a number)."""
    try:
        return max(1, int(MINIMAX_MUSIC_COVER.value(task, "numberResults")))
    except (TypeError, ValueError):
        return 1


def is_async(task: Mapping[str, Any]) -> bool:
    """True for ``deliveryMethod: "async"`` (answered with an acknowledgment, then polled)."""
    return str(MINIMAX_MUSIC_COVER.value(task, "deliveryMethod")).lower() == "async"


def task_items(env: Envelope, task_uuid: str) -> list[GenerationResult]:
    """The task's items; generation failures in ``errors`` become ``error`` items.

    Any other error for the task (validation, auth, credits, not found...) is raised.
    """
    results = [generation_from_item(item, task_uuid=task_uuid)
               for item in env.data_for(task_uuid)
               if item.get("taskType") not in ("authentication", "getResponse")]
    for err in env.errors_for(task_uuid):
        error = error_from(None if env.status_code == 200 else env.status_code, err,
                           task_uuid=task_uuid)
        if not isinstance(error, TaskFailedError):
            raise error
        failed = {"taskUUID": task_uuid, "status": "error",
                  "error": {"code": err["code"], "message": err["message"]}}
        for name in ("resultIndex", "audioUUID", "responseContent"):
            if name in err:
                failed[name] = err[name]
        results.append(generation_from_item(failed, task_uuid=task_uuid))
    return results


def raise_failed(results: list[GenerationResult], task_uuid: str, total: int) -> None:
    """Raise :class:`TaskFailedError` for the first failed item, keeping the successes.

    :raises TaskFailedError: ``results`` holds an ``error`` item.
    """
    failed = [r for r in results if r.status == "error"]
    if failed:
        kept = [r for r in results if r.status == "success"]
        raise task_error_from(failed[0].raw, task_uuid=task_uuid, partial_results=kept,
                              total=total)
