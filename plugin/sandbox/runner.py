"""Running an accepted ``audioInference`` task: generations, result files, webhooks, uploads.

:meth:`TaskRunner.run` runs on a background thread per task: each generation is rendered, then
finished when its planned window ends (``latency_s`` after acceptance for ``sync`` tasks; one
after another for ``async`` ones). A finished generation is stored, PUT to ``uploadEndpoint``
and POSTed to ``webhookURL`` (loopback only, see :mod:`.outbound`).
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import error_object
from .outbound import deliver
from .records import Recorder
from .settings import Endpoint, ErrorShape, Settings
from .state import Generation, ResultFile, Store, Task
from .workers import Workers

if TYPE_CHECKING:
    from ..audio import Audio

__all__ = ["TaskRunner", "poll_item"]

log = logging.getLogger("minimax_cover.sandbox")

_OUTPUT_FIELDS = {"URL": "audioURL", "dataURI": "audioDataURI", "base64Data": "audioBase64Data"}


class TaskRunner:
    """Runs accepted tasks in the background and publishes what they produce.

    :param store: where result files go.
    :param workers: the threads (one per task, one per outgoing request) and the stop signal.
    :param recorder: keeps every webhook and ``uploadEndpoint`` attempt.
    :param settings: ``default_ttl_s``, ``cost_per_result`` and ``error_shape``.
    :param endpoint: the base URL result files are served under.
    """

    def __init__(self, store: Store, workers: Workers, recorder: Recorder, settings: Settings,
                 endpoint: Endpoint) -> None:
        self.store = store
        self.workers = workers
        self.recorder = recorder
        self.settings = settings
        self.endpoint = endpoint

    def start(self, task: Task, audio: Audio, failures: dict[int, str]) -> None:
        """Run ``task`` on its own background thread (see :meth:`run`)."""
        self.workers.spawn(self.run, task, audio, failures,
                           name=f"sandbox-task-{task.task_uuid[:8]}")

    def run(self, task: Task, audio: Audio, failures: dict[int, str]) -> None:
        """Produce every generation of ``task`` at its planned time; ``failures`` maps a result
        index to the error code it must end with (``task_error`` faults)."""
        from .synth import render

        req = task.request
        try:
            for gen in task.generations:
                data = None
                if gen.index not in failures:
                    data = render(audio, prompt=req["positivePrompt"], seed=gen.seed,
                                  output_format=req["outputFormat"],
                                  audio_settings=req.get("audioSettings"))
                if self.workers.stopping.wait(max(0.0, gen.ends_at - time.monotonic())):
                    return
                if data is None:
                    self._finish_error(task, gen, failures[gen.index],
                                       f"sandbox fault: generation {gen.index} failed")
                else:
                    self._finish_success(task, gen, data)
        except Exception as exc:  # a sandbox bug must end the task, not hang its clients
            log.exception("sandbox: task %s crashed", task.task_uuid)
            for gen in task.generations:
                if gen.status == "processing":
                    self._finish_error(task, gen, "internalServerError",
                                       f"sandbox internal error: {type(exc).__name__}")
        finally:
            task.done.set()

    def _finish_success(self, task: Task, gen: Generation, data: bytes) -> None:
        from .synth import MIME_TYPES

        req = task.request
        fmt = req["outputFormat"]
        mime = MIME_TYPES[fmt]
        audio_uuid = str(uuid.uuid4())
        item: dict[str, Any] = {"taskType": "audioInference", "taskUUID": task.task_uuid,
                                "audioUUID": audio_uuid, "seed": gen.seed}
        output_type = req["outputType"]
        if output_type == "URL":
            ext = fmt.lower()
            ttl = req.get("ttl") or self.settings.default_ttl_s
            self.store.put_result(audio_uuid,
                                  ResultFile(data, mime, ext, self.store.clock() + ttl))
            item["audioURL"] = f"{self.endpoint.base_url}/results/{audio_uuid}.{ext}"
        else:
            encoded = base64.b64encode(data).decode("ascii")
            value = f"data:{mime};base64,{encoded}" if output_type == "dataURI" else encoded
            item[_OUTPUT_FIELDS[output_type]] = value
        if req.get("includeCost"):
            item["cost"] = round(self.settings.cost_per_result, 4)
        item["sandbox"] = True
        gen.item = item
        gen.finished_at = time.monotonic()
        gen.status = "success"  # after the item: a reader that sees "success" sees the item
        meta = {"taskUUID": task.task_uuid, "audioUUID": audio_uuid, "resultIndex": gen.index}
        if req.get("uploadEndpoint"):
            self._send_out("PUT", req["uploadEndpoint"], data, mime, meta, self.recorder.upload)
        self._webhook(task, gen)

    def _finish_error(self, task: Task, gen: Generation, code: str, message: str) -> None:
        gen.error = {"code": code, "message": f"{message} [sandbox]"}
        gen.status = "error"
        self._webhook(task, gen)

    def _webhook(self, task: Task, gen: Generation) -> None:
        url = task.request.get("webhookURL")
        if not url:
            return
        item, err = poll_item(task, gen, self.settings.error_shape)
        body = item if item is not None else {"errors": [err]}
        meta = {"taskUUID": task.task_uuid, "resultIndex": gen.index,
                "audioUUID": (gen.item or {}).get("audioUUID")}
        self._send_out("POST", url, json.dumps(body).encode("utf-8"), "application/json", meta,
                       self.recorder.webhook)

    def _send_out(self, method: str, url: str, body: bytes, content_type: str,
                  meta: dict[str, Any], record: Callable[[dict[str, Any]], None]) -> None:
        self.workers.spawn(deliver, method, url, body, content_type, record=record,
                           stop=self.workers.stopping, meta=meta,
                           name=f"sandbox-{method.lower()}")


def poll_item(task: Task, gen: Generation,
              error_shape: ErrorShape) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """A generation as a ``getResponse``/webhook item, or as an error object.

    Returns ``(item, None)``, or ``(None, error)`` when failures are reported in a top-level
    ``errors`` array (``error_shape="errors"``).
    """
    base = {"taskType": "audioInference", "taskUUID": task.task_uuid}
    if gen.status == "success" and gen.item is not None:
        return {**gen.item, "status": "success", "resultIndex": gen.index}, None
    if gen.status == "error" and gen.error is not None:
        if error_shape == "errors":
            return None, error_object(
                gen.error["code"], gen.error["message"].removesuffix(" [sandbox]"),
                task_type="audioInference", task_uuid=task.task_uuid,
                resultIndex=gen.index, responseContent={"status": "error", **gen.error})
        if error_shape == "flat":
            return {**base, "status": "error", **gen.error, "resultIndex": gen.index,
                    "sandbox": True}, None
        return {**base, "status": "error", "error": dict(gen.error), "resultIndex": gen.index,
                "sandbox": True}, None
    return {**base, "status": "processing", "progress": gen.progress(),
            "resultIndex": gen.index, "sandbox": True}, None
