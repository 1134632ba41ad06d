"""Runware's wire format, parsed: answer envelopes and result items (pure, no I/O).

:func:`parse_envelope` turns an HTTP answer into an :class:`Envelope` (the documented
``{"data": [...], "errors": [...]}`` and the legacy shapes of protocol reference §2), with every
error object normalized by :func:`normalize_error`; :func:`generation_from_item` turns a result
or poll item into a :class:`~..results.GenerationResult`, whatever its status shape (§5).
Turning error objects into exceptions is :mod:`.errors`' job. Quoted text is one line,
truncated and redacted (:func:`clip_message`). Answers are parsed with bounded memory and
depth (:mod:`..transport.jsonstream`): inline audio longer than ``SPOOL_TEXT_BYTES`` arrives
as a :class:`~..transport.jsonstream.SpooledText`, which ``data_uri``/``base64_data`` keep.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ResponseFormatError
from ..redaction import redact
from ..results import GenerationResult
from ..transport.jsonstream import JsonAnswer, SpooledText, TooLargeError, parse_stream

__all__ = [
    "MESSAGE_LIMIT",
    "Envelope",
    "clip_message",
    "envelope_from_answer",
    "generation_from_item",
    "item_status",
    "answer_error",
    "normalize_error",
    "parse_envelope",
    "sanitize_body",
    "str_or_none",
]

#: Longest server message quoted in an exception message.
MESSAGE_LIMIT = 300
_OUTPUT_FIELDS = (
    ("audioURL", "URL"), ("audioDataURI", "dataURI"), ("audioBase64Data", "base64Data"),
)
_RUNNING = frozenset({"processing", "pending", "queued", "running", "in_progress", "started"})


# --------------------------------------------------------------------------- result items


def generation_from_item(
    item: Mapping[str, Any], *, task_uuid: str | None = None
) -> GenerationResult:
    """A :class:`GenerationResult` from a Runware result or poll item.

    ``task_uuid`` fills a missing ``taskUUID``.
    """
    return GenerationResult(
        task_uuid=str(item.get("taskUUID") or task_uuid or ""),
        audio_uuid=str_or_none(item.get("audioUUID")),
        seed=_int_or_none(item.get("seed")),
        cost=_float_or_none(item.get("cost")),
        url=str_or_none(item.get("audioURL")),
        data_uri=_inline_or_none(item.get("audioDataURI")),
        base64_data=_inline_or_none(item.get("audioBase64Data")),
        status=item_status(item),
        raw=dict(item),
        result_index=_int_or_none(item.get("resultIndex")),
        progress=_float_or_none(item.get("progress")),
    )


@dataclass
class Envelope:
    """A parsed answer: the ``data`` items and the normalized ``errors`` objects."""

    data: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    status_code: int = 200

    def data_for(self, task_uuid: str) -> list[dict[str, Any]]:
        """Items of one task (items without a ``taskUUID`` are included)."""
        return [d for d in self.data if d.get("taskUUID") in (None, task_uuid)]

    def errors_for(self, task_uuid: str) -> list[dict[str, Any]]:
        """Errors of one task (errors without a ``taskUUID`` concern every task)."""
        return [e for e in self.errors if e.get("taskUUID") in (None, task_uuid)]


# --------------------------------------------------------------------------- helpers


def str_or_none(value: Any) -> str | None:
    """``None`` for ``None`` and ``""``, else ``str(value)``."""
    if value is None or value == "":
        return None
    return str(value)


def _inline_or_none(value: Any) -> Any:
    """Inline audio: a spooled string as it is (never materialized), else :func:`str_or_none`."""
    if isinstance(value, SpooledText):
        return value if value else None
    return str_or_none(value)


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def clip_message(text: Any, limit: int = MESSAGE_LIMIT) -> str:
    """One redacted line of at most ``limit`` characters."""
    if not isinstance(text, str):
        text = json.dumps(text, default=str) if isinstance(text, (dict, list)) else str(text)
    line = " ".join(redact(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def sanitize_body(value: Any, depth: int = 0) -> Any:
    """A redacted, size-bounded copy of a JSON value (for ``APIError.body``)."""
    if depth > 4:
        return "..."
    if isinstance(value, Mapping):
        return {str(k): sanitize_body(v, depth + 1) for k, v in list(value.items())[:30]}
    if isinstance(value, list):
        return [sanitize_body(v, depth + 1) for v in value[:30]]
    if isinstance(value, str):
        return clip_message(value, 1000)
    if isinstance(value, SpooledText):
        return str(value)
    return value


def item_status(item: Mapping[str, Any]) -> str:
    """``"success"``, ``"error"`` or ``"processing"`` for a result or poll item.

    An item is an error when its status says so or it carries an ``error`` object (the nested
    and flat shapes of §5); a success when its status says so or it carries an output; anything
    else (``processing``, ``pending``, unknown statuses) is still running.
    """
    status = str(item.get("status") or "").strip().lower()
    error = item.get("error")
    if status in ("error", "failed", "failure") or isinstance(error, Mapping) or error is True:
        return "error"
    if status in ("success", "succeeded", "completed", "done"):
        return "success"
    if status in _RUNNING:
        return "processing"
    if any(item.get(name) for name, _ in _OUTPUT_FIELDS):
        return "success"
    return "processing"


def normalize_error(obj: Any) -> dict[str, Any]:
    """A Runware error object with string ``code`` and ``message``, whatever its shape.

    Handles the documented object, the legacy WebSocket form (``error: true``, ``errorId``,
    ``errorMessage``), a nested ``{"error": {...}}`` and bare strings.
    """
    if isinstance(obj, str):
        return {"code": "unknownError", "message": obj}
    if not isinstance(obj, Mapping):
        return {"code": "unknownError", "message": clip_message(obj)}
    out = dict(obj)
    nested = out.get("error")
    if isinstance(nested, Mapping):
        inner = normalize_error(nested)
        out = {**{k: v for k, v in out.items() if k != "error"}, **inner}
    code = out.get("code")
    if code is None and out.get("errorId") is not None:
        code = out.get("errorId")
    message = out.get("message")
    if message is None:
        message = out.get("errorMessage") or out.get("responseContent") or ""
    out["code"] = str(code) if code not in (None, "") else "unknownError"
    out["message"] = message if isinstance(message, str) else clip_message(message)
    return out


def _looks_like_error(item: Mapping[str, Any]) -> bool:
    if "errorMessage" in item or "errorId" in item:
        return True
    return "code" in item and "message" in item and "status" not in item and not any(
        item.get(name) for name, _ in _OUTPUT_FIELDS
    )


def _as_items(value: Any, what: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [dict(value)]
    if isinstance(value, list) and all(isinstance(v, Mapping) for v in value):
        return [dict(v) for v in value]
    raise ResponseFormatError(f"unexpected Runware answer: {what!r} is not a list of objects")


def parse_envelope(status_code: int, headers: Mapping[str, str] | None, text: str) -> Envelope:
    """Parse an HTTP answer's body into ``data`` items and normalized ``errors``.

    Accepts ``{"data": [...], "errors": [...]}`` (either or both), ``data`` as a single object,
    a top-level ``error`` object (or the legacy ``error: true`` form), a bare list of items or
    errors, and a single bare item.

    :raises ResponseFormatError: the body is not JSON, nests too deep, is too large, or is not
        one of those shapes.
    """
    del headers  # part of the signature so callers need not care what is read
    head = bytearray()
    chunks = [text.encode("utf-8", "surrogatepass")] if text else []
    try:
        answer = parse_stream(chunks, head=head)
    except ValueError as exc:
        raise answer_error(status_code, exc, bytes(head)) from None
    return envelope_from_answer(status_code, answer)


def answer_error(status_code: int, exc: ValueError, head: bytes) -> ResponseFormatError:
    """The :class:`ResponseFormatError` for an answer :func:`parse_stream` refused."""
    hint = clip_message(head.decode("utf-8", "replace"), 120) if head else "(empty)"
    if isinstance(exc, TooLargeError):
        return ResponseFormatError(f"Runware answered HTTP {status_code} with an answer too "
                                   f"large to be the protocol: {exc}", body=hint)
    if isinstance(exc, json.JSONDecodeError) or isinstance(exc, UnicodeDecodeError):
        return ResponseFormatError(
            f"Runware answered HTTP {status_code} with a body that is not JSON: {hint}",
            body=hint)
    return ResponseFormatError(f"Runware answered HTTP {status_code} with an unusable body "
                               f"({exc}): {hint}", body=hint)


def envelope_from_answer(status_code: int, answer: JsonAnswer) -> Envelope:
    """An :class:`Envelope` from an answer parsed by :func:`~..transport.jsonstream.parse_stream`.

    :raises ResponseFormatError: empty, or not one of the shapes :func:`parse_envelope` takes.
    """
    doc = answer.doc
    body_hint = clip_message(answer.head.decode("utf-8", "replace"), 120) if answer.head else (
        "(empty)")
    if doc is None:
        raise ResponseFormatError(f"Runware answered HTTP {status_code} with an empty body")
    data: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    if isinstance(doc, list):
        for item in _as_items(doc, "body"):
            (errors if _looks_like_error(item) else data).append(item)
    elif isinstance(doc, Mapping):
        if "data" in doc or "errors" in doc:
            data = _as_items(doc.get("data"), "data")
            errors = _as_items(doc.get("errors"), "errors")
            if doc.get("error") not in (None, False):
                errors.append(dict(doc) if doc.get("error") is True else {"error": doc["error"]})
        elif doc.get("error") not in (None, False):
            err = doc["error"]
            errors = [dict(doc) if err is True else err if isinstance(err, Mapping) else
                      {"code": "unknownError", "message": str(err)}]
        elif "taskType" in doc or "taskUUID" in doc:
            data = [dict(doc)]
        elif "code" in doc and "message" in doc:
            errors = [dict(doc)]
        else:
            raise ResponseFormatError(
                f"Runware answered HTTP {status_code} without data or errors: {body_hint}",
                body=body_hint,
            )
    else:
        raise ResponseFormatError(
            f"Runware answered HTTP {status_code} with an unexpected JSON value: {body_hint}",
            body=body_hint,
        )
    return Envelope(data=data, errors=[normalize_error(e) for e in errors],
                    status_code=status_code)
