"""Running an accepted ``audioInference`` task: generations, result files, webhooks, uploads.

:func:`run_task` runs on a background thread per task: each generation is rendered, then
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
from typing import TYPE_CHECKING, Any

from .outbound import deliver
from .state import Generation, ResultFile, Task
from .wire import error_object

if TYPE_CHECKING:
    from ..audio import Audio
    from .server import Sandbox

__all__ = ["poll_item", "run_task"]

log = logging.getLogger("minimax_cover.sandbox")

_OUTPUT_FIELDS = {"URL": "audioURL", "dataURI": "audioDataURI", "base64Data": "audioBase64Data"}


def run_task(sb: Sandbox, task: Task, audio: Audio, failures: dict[int, str]) -> None:
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
            if sb._stopping.wait(max(0.0, gen.ends_at - time.monotonic())):
                return
            if data is None:
                _finish_error(sb, task, gen, failures[gen.index],
                              f"sandbox fault: generation {gen.index} failed")
            else:
                _finish_success(sb, task, gen, data)
    except Exception as exc:  # a sandbox bug must end the task, not hang its clients
        log.exception("sandbox: task %s crashed", task.task_uuid)
        for gen in task.generations:
            if gen.status == "processing":
                _finish_error(sb, task, gen, "internalServerError",
                              f"sandbox internal error: {type(exc).__name__}")
    finally:
        task.done.set()


def _finish_success(sb: Sandbox, task: Task, gen: Generation, data: bytes) -> None:
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
        ttl = req.get("ttl") or sb.default_ttl_s
        sb._store.put_result(audio_uuid, ResultFile(data, mime, ext, sb._store.clock() + ttl))
        item["audioURL"] = f"{sb.base_url}/results/{audio_uuid}.{ext}"
    else:
        encoded = base64.b64encode(data).decode("ascii")
        value = f"data:{mime};base64,{encoded}" if output_type == "dataURI" else encoded
        item[_OUTPUT_FIELDS[output_type]] = value
    if req.get("includeCost"):
        item["cost"] = round(sb.cost_per_result, 4)
    item["sandbox"] = True
    gen.item = item
    gen.status = "success"  # after the item: a reader that sees "success" sees the item
    meta = {"taskUUID": task.task_uuid, "audioUUID": audio_uuid, "resultIndex": gen.index}
    if req.get("uploadEndpoint"):
        _send_out(sb, "PUT", req["uploadEndpoint"], data, mime, meta, sb.upload_puts)
    _webhook(sb, task, gen)


def _finish_error(sb: Sandbox, task: Task, gen: Generation, code: str, message: str) -> None:
    gen.error = {"code": code, "message": f"{message} [sandbox]"}
    gen.status = "error"
    _webhook(sb, task, gen)


def _webhook(sb: Sandbox, task: Task, gen: Generation) -> None:
    url = task.request.get("webhookURL")
    if not url:
        return
    item, err = poll_item(sb, task, gen)
    body = item if item is not None else {"errors": [err]}
    meta = {"taskUUID": task.task_uuid, "resultIndex": gen.index,
            "audioUUID": (gen.item or {}).get("audioUUID")}
    _send_out(sb, "POST", url, json.dumps(body).encode("utf-8"), "application/json", meta,
              sb.webhook_deliveries)


def _send_out(sb: Sandbox, method: str, url: str, body: bytes, content_type: str,
              meta: dict[str, Any], sink: list[dict[str, Any]]) -> None:
    def record(entry: dict[str, Any]) -> None:
        with sb._records_lock:
            sink.append(entry)

    sb._spawn(deliver, method, url, body, content_type, record=record, stop=sb._stopping,
              meta=meta, name=f"sandbox-{method.lower()}")


def poll_item(sb: Sandbox, task: Task,
              gen: Generation) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """A generation as a ``getResponse``/webhook item, or as an error object.

    Returns ``(item, None)``, or ``(None, error)`` when failures are reported in a top-level
    ``errors`` array (``error_shape="errors"``).
    """
    base = {"taskType": "audioInference", "taskUUID": task.task_uuid}
    if gen.status == "success" and gen.item is not None:
        return {**gen.item, "status": "success", "resultIndex": gen.index}, None
    if gen.status == "error" and gen.error is not None:
        if sb.error_shape == "errors":
            return None, error_object(
                gen.error["code"], gen.error["message"].removesuffix(" [sandbox]"),
                task_type="audioInference", task_uuid=task.task_uuid,
                resultIndex=gen.index, responseContent={"status": "error", **gen.error})
        if sb.error_shape == "flat":
            return {**base, "status": "error", **gen.error, "resultIndex": gen.index,
                    "sandbox": True}, None
        return {**base, "status": "error", "error": dict(gen.error), "resultIndex": gen.index,
                "sandbox": True}, None
    return {**base, "status": "processing", "progress": gen.progress(),
            "resultIndex": gen.index, "sandbox": True}, None
