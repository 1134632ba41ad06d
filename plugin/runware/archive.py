"""Runware's task archive (``getTaskDetails``): the last word before "outcome unknown".

When a submit's outcome is unknown and ``getResponse`` cannot find the task, the poller asks
``getTaskDetails`` with the same ``taskUUID`` (Runware docs, "Task Details": the original
request and the response it produced, ``{"data": [...]}`` or ``{"errors": [...]}``) before
declaring the outcome unknown, and reports what it says:

- the archive holds the task's results: they are collected like polled ones (paid results are
  saved, nothing is submitted);
- it holds the task's errors: the task failed (:class:`~..errors.TaskFailedError`) or was
  rejected (the API error), a known outcome;
- it knows the task but holds not all its results yet: it was accepted, and the poller goes on
  waiting (``getResponse``, then the archive) until it is done or the deadline passes;
- it does not know the task: it was probably never run.

The task is never submitted again, whatever the archive says.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from ..errors import APIError
from ..results import TaskResult
from .envelope import Envelope
from .tasks import task_items
from .tracker import GenerationTracker
from .transport import RunwareTransport

__all__ = ["TaskDetails", "consult_archive", "task_details"]

log = logging.getLogger("minimax_cover.client")

ARCHIVE = "Runware's task archive (getTaskDetails)"


@dataclass(frozen=True)
class TaskDetails:
    """What ``getTaskDetails`` said about a task.

    ``found`` is False when the archive does not know the task (``code`` says why);
    ``items`` and ``errors`` are the task's own, from the archived response.
    """

    found: bool
    items: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    code: str | None = None


def _as_list(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def task_details(transport: RunwareTransport, task_uuid: str) -> TaskDetails | None:
    """Ask the archive about ``task_uuid``; ``None`` when it could not be asked (an API error)."""
    try:
        env = transport.post([{"taskType": "getTaskDetails", "taskUUID": task_uuid}])
    except APIError as exc:
        log.info("task %s: getTaskDetails failed (%s)", task_uuid, exc.message)
        return None
    errors = env.errors_for(task_uuid)
    details = [d for d in env.data_for(task_uuid) if d.get("taskType") == "getTaskDetails"]
    if not details:
        code = str(errors[0].get("code")) if errors else None
        return TaskDetails(found=False, code=code)
    response = details[0].get("response")
    response = response if isinstance(response, dict) else {}
    items = [i for i in _as_list(response.get("data")) if i.get("taskUUID") in (None, task_uuid)]
    errs = [e for e in _as_list(response.get("errors"))
            if e.get("taskUUID") in (None, task_uuid)]
    return TaskDetails(found=True, items=items, errors=errs)


def consult_archive(transport: RunwareTransport, tracker: GenerationTracker
                    ) -> tuple[TaskResult | None, str, bool]:
    """Ask the archive about the tracker's task and take in what it holds.

    :returns: ``(result, note, known)``: the finished task when the archive holds all its
        results (else ``None``), a sentence saying what the archive said (for the
        unknown-outcome message), and whether the archive knows the task (it exists: the
        caller keeps waiting for it instead of declaring the outcome unknown).
    :raises TaskFailedError: the archive shows a failed generation (paid successes kept).
    :raises APIStatusError: the archive shows the task was rejected (nothing ran).
    """
    uuid_ = tracker.task_uuid
    details = task_details(transport, uuid_)
    if details is None:
        return None, f"{ARCHIVE} could not be asked", False
    if not details.found:
        why = f" ({details.code})" if details.code else ""
        return None, f"{ARCHIVE} does not know it either{why}: it was probably never run", False
    env = Envelope(data=details.items, errors=details.errors)
    results = task_items(env, uuid_)
    log.warning("task %s: %s holds %d item(s)", uuid_, ARCHIVE, len(results))
    tracker.add(results)
    if tracker.finished:
        if tracker.failures:
            raise tracker.failed()
        return tracker.result(), f"{ARCHIVE} held its results", True
    return None, (f"{ARCHIVE} shows the task was accepted: {len(tracker.successes)} of "
                  f"{tracker.total} result(s) so far"), True
