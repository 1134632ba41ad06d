"""The sandbox's task handlers: ``audioInference``, ``getResponse`` and ``mediaStorage``.

:class:`TaskProcessor` turns the tasks of one ``POST /v1`` body into a :class:`Batch`: the
answer of each task, in order. ``sync`` tasks are accepted at once and answered when
:meth:`Batch.finish` has waited for them, so a fault can drop the connection in between.
Accepted ``audioInference`` tasks run in the background (:mod:`.runner`); media references
are resolved by :mod:`.media`.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import AudioError, short_repr
from .account import Account, account_item, dry_run_item, task_details_item
from .errors import SandboxTaskError, error_object, violation_code
from .faults import ACCEPT_KINDS, FaultPlan
from .media import MediaSource, content_type
from .runner import TaskRunner, poll_item
from .settings import Endpoint, Settings
from .state import Generation, Media, Store, Task

if TYPE_CHECKING:
    from ..audio import Audio

__all__ = ["Batch", "TaskProcessor"]

MODEL_ID = "minimax:music@cover"
_MEDIA_OPERATIONS = ("upload", "delete")


@dataclass
class _Answer:
    data: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    rejected: bool = False
    sync_task: Task | None = None
    status: int | None = None  # the HTTP status when every task was refused (default 400)


@dataclass
class Batch:
    """The answers of one request body's tasks; ``sync`` ones are completed by :meth:`finish`."""

    answers: list[_Answer]
    processor: TaskProcessor

    def finish(self) -> tuple[int, dict[str, Any]]:
        """Wait for the ``sync`` tasks, then return ``(http_status, envelope)``.

        The status is 400 when every task was rejected outright, else 200 (errors of accepted
        tasks, such as failed generations or unknown ``getResponse`` UUIDs, ride along in
        ``errors``).
        """
        data: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for answer in self.answers:
            data.extend(answer.data)
            errors.extend(answer.errors)
            if answer.sync_task is not None:
                items, errs = self.processor.sync_items(answer.sync_task)
                data.extend(items)
                errors.extend(errs)
        status = 200
        if self.answers and all(a.rejected for a in self.answers):
            status = next((a.status for a in self.answers if a.status), 400)
        envelope: dict[str, Any] = {"data": data} if data or not errors else {}
        if errors:
            envelope["errors"] = errors
        return status, envelope


def _reject(obj: dict[str, Any]) -> _Answer:
    return _Answer(errors=[obj], rejected=True)


class TaskProcessor:
    """Validates, accepts and runs the tasks of one sandbox.

    :param store: accepted tasks and uploaded media.
    :param plan: the faults; ``task_error`` ones are taken when a task is accepted.
    :param settings: ``latency_s`` and ``enforce_reference_limits``.
    :param endpoint: the base URL of uploaded media.
    :param runner: runs accepted ``audioInference`` tasks in the background.
    :param media: resolves ``inputs.audio`` and ``mediaStorage`` ``media`` values.
    :param stopping: set when the sandbox stops (a ``sync`` answer stops waiting).
    :param account: the balance tasks are charged to (default: unlimited, from ``settings``).
    """

    def __init__(self, *, store: Store, plan: FaultPlan, settings: Settings, endpoint: Endpoint,
                 runner: TaskRunner, media: MediaSource, stopping: threading.Event,
                 account: Account | None = None) -> None:
        self.store = store
        self.account = account or Account(settings)
        self.plan = plan
        self.settings = settings
        self.endpoint = endpoint
        self.runner = runner
        self.media = media
        self.stopping = stopping

    # ------------------------------------------------------------------ dispatch
    def process(self, tasks: list[Any], *, dry_run: bool = False) -> Batch:
        """Validate and accept each task in order; return their answers.

        With ``dry_run`` (``X-Runware-Dry-Run: 1``) inference tasks are validated and priced,
        never run or charged (see :mod:`.account`).
        """
        answers: list[_Answer] = []
        for task in tasks:
            if not isinstance(task, dict):
                answers.append(_reject(error_object(
                    "invalidParameter",
                    f"each task must be a JSON object (got {type(task).__name__})")))
                continue
            task_type = task.get("taskType")
            handler = {
                "audioInference": lambda t: self._audio_inference(t, dry_run=dry_run),
                "getResponse": self._get_response,
                "mediaStorage": self._media_storage,
                "accountManagement": lambda t: _Answer(data=[account_item(t, self.account)]),
                "getTaskDetails": lambda t: _Answer(data=[task_details_item(t, self.store)]),
            }.get(task_type) if isinstance(task_type, str) else None
            try:
                if handler is not None:
                    answers.append(handler(task))
                elif task_type == "authentication":
                    raise SandboxTaskError(error_object(
                        "invalidParameter", "the authentication task must be the first element",
                        task_type="authentication"))
                elif "taskType" not in task:
                    raise SandboxTaskError(error_object(
                        "missingParameter", "taskType: is required", parameter="taskType",
                        task_uuid=task.get("taskUUID")))
                else:
                    raise SandboxTaskError(error_object(
                        "unsupportedTaskType",
                        f"taskType {short_repr(task_type)} is not served by the sandbox "
                        "(audioInference, getResponse, mediaStorage, accountManagement, "
                        "getTaskDetails)",
                        parameter="taskType", task_uuid=task.get("taskUUID")))
            except SandboxTaskError as exc:
                answers.append(_Answer(errors=[exc.obj], rejected=exc.rejected,
                                       status=exc.status))
        return Batch(answers, self)

    # ------------------------------------------------------------------ audioInference
    def _audio_inference(self, task: dict[str, Any], *, dry_run: bool = False) -> _Answer:
        from ..spec.validation import apply_defaults, check_request

        tt = "audioInference"
        task_uuid = task.get("taskUUID")
        if "model" in task and task["model"] != MODEL_ID:
            return _reject(error_object(
                "unknownModel",
                f"model: {short_repr(task['model'])} is not served by the sandbox "
                f"(only {MODEL_ID})",
                parameter="model", task_type=tt, task_uuid=task_uuid))
        request = apply_defaults(task)
        for name in ("taskUUID", "model"):  # required: the API invents neither
            if name not in task:
                request.pop(name, None)
        problems = check_request(request)
        if problems:
            return _Answer(errors=[
                error_object(violation_code(v), str(v),
                             parameter=None if v.path.startswith("(") else v.path,
                             task_type=tt, task_uuid=task_uuid)
                for v in problems
            ], rejected=True)
        if self.store.has_task(task_uuid):
            return _reject(self._duplicate(task_uuid, tt))
        if dry_run:
            return _Answer(data=[dry_run_item(request, self.account)])
        audio = self._input_audio(request["inputs"]["audio"], task_uuid)

        count = int(request["numberResults"])
        price = self.account.price(count)
        if not self.account.charge(price):
            raise self.account.refusal(price, task_uuid)
        from .synth import result_seeds

        seeds = result_seeds(request.get("seed"), task_uuid, count)
        latency = self.settings.latency_s
        start = time.monotonic()
        is_async = request["deliveryMethod"] == "async"
        generations = [
            Generation(index=i, seed=seeds[i],
                       starts_at=start + (i * latency if is_async else 0.0),
                       ends_at=start + ((i + 1) * latency if is_async else latency))
            for i in range(count)
        ]
        record = Task(task_uuid, tt, request, request["deliveryMethod"], generations)
        if not self.store.add_task(record):  # lost a race with the same taskUUID
            self.account.refund(price)
            return _reject(self._duplicate(task_uuid, tt))
        failures: dict[int, str] = {}
        for fault in self.plan.take(ACCEPT_KINDS, {tt}):
            code = fault.code or "processingFailed"
            indexes = range(count) if fault.result_index is None else [fault.result_index]
            failures.update((i, code) for i in indexes if i < count)
        self.runner.start(record, audio, failures)
        if is_async:
            return _Answer(data=[{"taskType": tt, "taskUUID": task_uuid, "status": "processing",
                                  "sandbox": True}])
        return _Answer(sync_task=record)

    def _duplicate(self, task_uuid: str, task_type: str) -> dict[str, Any]:
        return error_object(
            "duplicateTaskUUID",
            f"taskUUID: {task_uuid} was already used by an accepted task; each task needs a "
            "new UUID (use getResponse to collect the existing one)",
            parameter="taskUUID", task_type=task_type, task_uuid=task_uuid)

    def _input_audio(self, ref: str, task_uuid: str) -> Audio:
        from ..audio import check_reference_limits, probe_audio, read_audio

        data = self.media.fetch(ref, "inputs.audio", "audioInference", task_uuid)
        try:
            if self.settings.enforce_reference_limits:
                check_reference_limits(probe_audio(data))
            return read_audio(data)
        except AudioError as exc:
            raise SandboxTaskError(error_object(
                "invalidAudio", f"inputs.audio: unusable audio ({exc})", parameter="inputs.audio",
                task_type="audioInference", task_uuid=task_uuid)) from None

    # ------------------------------------------------------------------ sync answers
    def sync_items(self, task: Task) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Wait for a ``sync`` task, then its result items and the errors of failed ones."""
        while not task.done.wait(0.05):
            if self.stopping.is_set():
                break
        items: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for gen in task.generations:
            if gen.status == "success" and gen.item is not None:
                items.append(dict(gen.item))
            elif gen.status == "error" and gen.error is not None:
                errors.append({**gen.error, "taskType": "audioInference",
                               "taskUUID": task.task_uuid, "resultIndex": gen.index})
            else:
                errors.append(error_object(
                    "serviceUnavailable", "the sandbox stopped before the generation finished",
                    task_type="audioInference", task_uuid=task.task_uuid, resultIndex=gen.index))
        return items, errors

    # ------------------------------------------------------------------ getResponse
    def _get_response(self, task: dict[str, Any]) -> _Answer:
        task_uuid = task.get("taskUUID")
        if not isinstance(task_uuid, str) or not task_uuid:
            return _reject(error_object(
                "missingParameter", "taskUUID: is required (the UUID of the task to collect)",
                parameter="taskUUID", task_type="getResponse"))
        found = self.store.task(task_uuid)
        if found is None:
            return _Answer(errors=[error_object(
                "taskFailedOrNotFound",
                f"no task with taskUUID {task_uuid} on this sandbox (never accepted, or the "
                "sandbox was restarted)",
                parameter="taskUUID", task_type="getResponse", task_uuid=task_uuid)])
        if found.task_type == "mediaStorage":
            return _Answer(data=[dict(found.media_item or {})])
        answer = _Answer()
        for gen in found.generations:
            item, err = poll_item(found, gen, self.settings.error_shape)
            if item is not None:
                answer.data.append(item)
            if err is not None:
                answer.errors.append(err)
        return answer

    # ------------------------------------------------------------------ mediaStorage
    def _media_storage(self, task: dict[str, Any]) -> _Answer:
        tt = "mediaStorage"
        task_uuid = task.get("taskUUID")

        def fail(code: str, message: str, parameter: str | None) -> _Answer:
            return _reject(error_object(code, message, parameter=parameter, task_type=tt,
                                        task_uuid=task_uuid))

        if not isinstance(task_uuid, str) or not task_uuid:
            return fail("missingParameter", "taskUUID: is required", "taskUUID")
        operation = task.get("operation")
        if operation is None:
            return fail("missingParameter", "operation: is required (upload or delete)",
                        "operation")
        if operation not in _MEDIA_OPERATIONS:
            return fail("invalidParameter",
                        f"operation: must be one of upload, delete (got {short_repr(operation)})",
                        "operation")
        if self.store.has_task(task_uuid):
            return _reject(self._duplicate(task_uuid, tt))
        if operation == "delete":
            media_uuid = task.get("mediaUUID")
            if not isinstance(media_uuid, str) or not media_uuid:
                return fail("missingParameter", "mediaUUID: is required for delete", "mediaUUID")
            if not self.store.delete_media(media_uuid):
                return fail("mediaNotFound",
                            f"mediaUUID: no media {short_repr(media_uuid)} on this sandbox",
                            "mediaUUID")
            item = {"taskType": tt, "taskUUID": task_uuid, "operation": "delete",
                    "mediaUUID": media_uuid, "sandbox": True}
        else:
            media = task.get("media")
            if media is None:
                return fail("missingParameter", "media: is required for upload", "media")
            if not isinstance(media, str) or not media:
                return fail("invalidParameter",
                            "media: must be base64, a data URI or a URL (a string)", "media")
            data = self.media.upload_bytes(media, task_uuid)
            media_uuid = str(uuid.uuid4())
            self.store.put_media(media_uuid, Media(data, content_type(data)))
            item = {"taskType": tt, "taskUUID": task_uuid, "operation": "upload",
                    "mediaUUID": media_uuid,
                    "mediaURL": f"{self.endpoint.base_url}/media/{media_uuid}", "sandbox": True}
        record = Task(task_uuid, tt, {"operation": operation}, media_item=item)
        record.done.set()
        if not self.store.add_task(record):
            return _reject(self._duplicate(task_uuid, tt))
        return _Answer(data=[dict(item)])
