"""Runware's wire format, parsed: envelopes, typed results, and error classification.

Pure functions and value types, no I/O. :func:`parse_envelope` turns an HTTP answer into an
:class:`Envelope` (the documented ``{"data": [...], "errors": [...]}`` and the legacy shapes of
protocol reference §2); :func:`error_from` turns a Runware error object into the matching
:class:`~.errors.APIError` subclass, by HTTP status first and code pattern second (§3);
:func:`task_error_from` does the same for a generation that ended with ``status: "error"`` in
any of its three shapes (§5). Messages are one line, truncated and redacted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import (
    APIError,
    APIStatusError,
    AuthenticationError,
    InsufficientCreditsError,
    InvalidParameterError,
    NotFoundError,
    RateLimitError,
    ResponseFormatError,
    ServerError,
    TaskFailedError,
)
from ..redaction import redact
from ..results import GenerationResult
from ..transport.retry import parse_retry_after

__all__ = [
    "Envelope",
    "classify_code",
    "error_from",
    "generation_from_item",
    "item_status",
    "normalize_error",
    "parse_envelope",
    "task_error_from",
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
        audio_uuid=_str_or_none(item.get("audioUUID")),
        seed=_int_or_none(item.get("seed")),
        cost=_float_or_none(item.get("cost")),
        url=_str_or_none(item.get("audioURL")),
        data_uri=_str_or_none(item.get("audioDataURI")),
        base64_data=_str_or_none(item.get("audioBase64Data")),
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


def _str_or_none(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


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


def _clip(text: Any, limit: int = MESSAGE_LIMIT) -> str:
    """One redacted line of at most ``limit`` characters."""
    if not isinstance(text, str):
        text = json.dumps(text, default=str) if isinstance(text, (dict, list)) else str(text)
    line = " ".join(redact(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _sanitize(value: Any, depth: int = 0) -> Any:
    """A redacted, size-bounded copy of a JSON value (for ``APIError.body``)."""
    if depth > 4:
        return "..."
    if isinstance(value, Mapping):
        return {str(k): _sanitize(v, depth + 1) for k, v in list(value.items())[:30]}
    if isinstance(value, list):
        return [_sanitize(v, depth + 1) for v in value[:30]]
    if isinstance(value, str):
        return _clip(value, 1000)
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
        return {"code": "unknownError", "message": _clip(obj)}
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
    out["message"] = message if isinstance(message, str) else _clip(message)
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

    :raises ResponseFormatError: the body is not JSON, or not one of those shapes.
    """
    del headers  # part of the signature so callers need not care what is read
    body_hint = _clip(text, 120) if text else "(empty)"
    try:
        doc = json.loads(text) if text and text.strip() else None
    except ValueError:
        raise ResponseFormatError(
            f"Runware answered HTTP {status_code} with a body that is not JSON: {body_hint}",
            body=body_hint,
        ) from None
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


# --------------------------------------------------------------------------- classification

_AUTH = frozenset({"invalidapikey", "unauthorized", "forbidden", "authenticationfailed",
                   "tokenexpired", "missingapikey"})
_QUOTA = frozenset({"insufficientcredits", "quotaexceeded", "paymentrequired"})
_TIMEOUT = frozenset({"timeoutprovider", "requesttimeout", "timeout"})
_NOT_FOUND = frozenset({"taskfailedornotfound", "taskcancelled", "unknownmodel"})
_SERVER = frozenset({"internalservererror", "serviceunavailable", "unknownerror"})
_PROVIDER = frozenset({"inferenceerror", "processingfailed", "taskfailed", "downloadfailed",
                       "uploadfailed", "noavailableserver", "modelunavailable"})
_VALIDATION = frozenset({"unknownparameter", "incompatibleparameters", "validationfailed"})
_VALIDATION_PREFIXES = ("invalid", "missing", "unsupported", "duplicate", "conflict")
_SAFETY = frozenset({"contentpolicyviolation", "nsfwcontentdetected", "promptblocked"})


def classify_code(code: str | None) -> str:
    """The category of a Runware error code (§3.2).

    :returns: one of ``auth``, ``quota``, ``rate_limit``, ``timeout``, ``not_found``,
        ``server``, ``provider``, ``validation``, ``safety`` or ``unknown``.
    """
    c = (code or "").strip().lower()
    if c in _AUTH or "apikey" in c:
        return "auth"
    if c in _QUOTA or any(s in c for s in ("credits", "quota", "balance")):
        return "quota"
    if "ratelimit" in c:
        return "rate_limit"
    if c in _TIMEOUT:
        return "timeout"
    if c in _NOT_FOUND or c.endswith(("notfound", "expired")):
        return "not_found"
    if c in _SERVER:
        return "server"
    if c in _PROVIDER or c.startswith("provider"):
        return "provider"
    if c in _VALIDATION or c.startswith(_VALIDATION_PREFIXES):
        return "validation"
    if c in _SAFETY:
        return "safety"
    return "unknown"


_BY_CATEGORY: dict[str, type[APIError]] = {
    "auth": AuthenticationError,
    "quota": InsufficientCreditsError,
    "rate_limit": RateLimitError,
    "not_found": NotFoundError,
    "server": ServerError,
    "validation": InvalidParameterError,
    "safety": InvalidParameterError,
    "provider": TaskFailedError,
    "timeout": TaskFailedError,
}


def _class_for(status_code: int | None, category: str) -> type[APIError]:
    if status_code in (401, 403):
        return AuthenticationError
    if status_code == 402:
        return InsufficientCreditsError
    if status_code == 429:
        return RateLimitError
    if status_code in (404, 410):
        return NotFoundError
    if status_code is not None and (status_code == 408 or status_code >= 500):
        return RateLimitError if category == "rate_limit" else ServerError
    cls = _BY_CATEGORY.get(category)
    if cls is not None:
        return cls
    if status_code is not None and 400 <= status_code < 500:
        return InvalidParameterError
    return APIStatusError


def _parameter(err: Mapping[str, Any]) -> str | None:
    value = err.get("parameter")
    if isinstance(value, (list, tuple)):
        names = [str(v) for v in value if v not in (None, "")]
        return ", ".join(names) or None
    return _str_or_none(value)


def _hint(cls: type[APIError]) -> str:
    if cls is AuthenticationError:
        return "; check RUNWARE_API_KEY (or runware_api_key in the config file)"
    if cls is InsufficientCreditsError:
        return "; add credits to your Runware account (the task was not run)"
    return ""


def error_from(
    status_code: int | None,
    error_obj: Mapping[str, Any] | None,
    headers: Mapping[str, str] | None = None,
    *,
    task_uuid: str | None = None,
) -> APIError:
    """The exception for a Runware error object (or for an error status without one).

    Classified by HTTP status first (401/403 auth, 402 credits, 404/410 not found, 429 rate
    limit, 408/5xx server), then, for 200/400 and other statuses, by the code's category.

    :param status_code: the HTTP status, or ``None`` for an error found inside a 200 answer.
    :param error_obj: the error object (any shape :func:`normalize_error` accepts), or ``None``
        when the body was not JSON.
    :param headers: the response headers (``Retry-After`` feeds ``RateLimitError``).
    :param task_uuid: the task concerned, when the error object does not name it.
    :returns: an :class:`APIError` subclass; its message names the code, the parameter and the
        server's message (truncated and redacted), never the key.
    """
    err = normalize_error(error_obj) if error_obj is not None else None
    code = err["code"] if err else None
    if err is None and status_code == 401:
        code = "invalidApiKey"
    category = classify_code(code)
    cls = _class_for(status_code, category)
    parameter = _parameter(err) if err else None
    uuid = (_str_or_none(err.get("taskUUID")) if err else None) or task_uuid
    where = f" (HTTP {status_code})" if status_code is not None else ""
    if err is not None:
        message = _clip(err.get("message") or "")
        allowed = err.get("allowedValues")
        if isinstance(allowed, list) and allowed:
            message += f" (allowed: {_clip(', '.join(map(str, allowed)), 120)})"
    else:
        message = f"HTTP {status_code} with no Runware error in the body"
    head = f"Runware {code or 'error'}{where}"
    if parameter:
        head += f" on {parameter}"
    text = f"{head}: {message}{_hint(cls)}"
    body = _sanitize(err) if err is not None else None
    if cls is TaskFailedError:
        return TaskFailedError(f"{text} (task {uuid})" if uuid else text, task_uuid=uuid,
                               code=code, provider_message=message, body=body)
    if cls is RateLimitError:
        retry_after = parse_retry_after((headers or {}).get("Retry-After"))
        return RateLimitError(text, retry_after_s=retry_after, status_code=status_code,
                              code=code, parameter=parameter, body=body, task_uuid=uuid)
    if issubclass(cls, APIStatusError):
        return cls(text, status_code=status_code, code=code, parameter=parameter, body=body,
                   task_uuid=uuid)
    return cls(text, body=body, task_uuid=uuid)  # pragma: no cover - every class is above


def task_error_from(
    item: Mapping[str, Any],
    *,
    task_uuid: str | None = None,
    partial_results: list[GenerationResult] | None = None,
    total: int | None = None,
) -> TaskFailedError:
    """A :class:`TaskFailedError` for a generation that ended with ``status: "error"``.

    ``item`` may be a nested (``error: {code, message}``) or flat (``code``, ``message``) poll
    item, or an entry of a poll answer's top-level ``errors`` array (``responseContent``).
    ``partial_results`` are the generations that already succeeded (paid for, kept).
    """
    err = normalize_error(item)
    uuid = _str_or_none(item.get("taskUUID")) or task_uuid
    code = err["code"]
    provider = err.get("message") or err.get("responseContent") or ""
    provider_text = _clip(provider)
    kept = list(partial_results or [])
    done = f"; {len(kept)} of {total} generation(s) succeeded and were kept" if (
        kept and total) else (f"; {len(kept)} generation(s) succeeded and were kept" if kept
                              else "")
    message = f"Runware generation failed: {code}: {provider_text}{done} (task {uuid})"
    return TaskFailedError(message, task_uuid=uuid, code=code, provider_message=provider_text,
                           partial_results=kept, body=_sanitize(err))
