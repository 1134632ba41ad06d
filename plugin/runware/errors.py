"""Runware error objects classified into the exception tree of :mod:`..errors`.

:func:`error_from` turns a Runware error object (or an error status without one) into the
matching :class:`~..errors.APIError` subclass, by HTTP status first and code pattern second
(protocol reference §3); :func:`task_error_from` does the same for a generation that ended with
``status: "error"`` in any of its three shapes (§5). Pure functions, no I/O; messages name the
code, the parameter and the server's text, one line, truncated and redacted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import (
    APIError,
    APIStatusError,
    AuthenticationError,
    InsufficientCreditsError,
    InvalidParameterError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TaskFailedError,
)
from ..results import GenerationResult
from ..transport.retry import parse_retry_after
from .envelope import clip_message, normalize_error, sanitize_body, str_or_none

__all__ = ["classify_code", "error_from", "task_error_from"]

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
    return str_or_none(value)


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
    uuid = (str_or_none(err.get("taskUUID")) if err else None) or task_uuid
    where = f" (HTTP {status_code})" if status_code is not None else ""
    if err is not None:
        message = clip_message(err.get("message") or "")
        allowed = err.get("allowedValues")
        if isinstance(allowed, list) and allowed:
            message += f" (allowed: {clip_message(', '.join(map(str, allowed)), 120)})"
    else:
        message = f"HTTP {status_code} with no Runware error in the body"
    head = f"Runware {code or 'error'}{where}"
    if parameter:
        head += f" on {parameter}"
    text = f"{head}: {message}{_hint(cls)}"
    body = sanitize_body(err) if err is not None else None
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
    uuid = str_or_none(item.get("taskUUID")) or task_uuid
    code = err["code"]
    provider = err.get("message") or err.get("responseContent") or ""
    provider_text = clip_message(provider)
    kept = list(partial_results or [])
    done = f"; {len(kept)} of {total} generation(s) succeeded and were kept" if (
        kept and total) else (f"; {len(kept)} generation(s) succeeded and were kept" if kept
                              else "")
    message = f"Runware generation failed: {code}: {provider_text}{done} (task {uuid})"
    return TaskFailedError(message, task_uuid=uuid, code=code, provider_message=provider_text,
                           partial_results=kept, body=sanitize_body(err))
