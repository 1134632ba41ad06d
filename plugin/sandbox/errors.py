"""Runware's answer vocabulary as the sandbox speaks it: error objects and their codes."""

from __future__ import annotations

from typing import Any

from ..errors import Violation

__all__ = [
    "STATUS_CODES",
    "SandboxTaskError",
    "error_object",
    "violation_code",
]

#: Default Runware error code (and message) per HTTP status of a ``status`` fault.
STATUS_CODES: dict[int, tuple[str, str]] = {
    400: ("invalidRequest", "the request was rejected"),
    401: ("invalidApiKey", "invalid API key"),
    402: ("insufficientCredits", "insufficient credits: the balance cannot pay for this task"),
    403: ("forbidden", "the API key lacks permission for this operation"),
    404: ("notFound", "not found"),
    408: ("requestTimeout", "the request timed out"),
    409: ("conflict", "conflicting request"),
    429: ("rateLimitExceeded", "queue capacity exceeded, retry with backoff"),
    500: ("internalServerError", "internal server error"),
    502: ("serviceUnavailable", "bad gateway: the upstream service did not answer"),
    503: ("serviceUnavailable", "temporary capacity constraint, retry with backoff"),
    504: ("timeoutProvider", "the request exceeded the maximum queue wait time"),
}


def error_object(
    code: str,
    message: str,
    *,
    parameter: str | None = None,
    task_type: str | None = None,
    task_uuid: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    """A Runware error object: ``code``, ``message`` and the optional scoping fields."""
    obj: dict[str, Any] = {"code": code, "message": f"{message} [sandbox]"}
    if parameter is not None:
        obj["parameter"] = parameter
    if task_type is not None:
        obj["taskType"] = task_type
    if isinstance(task_uuid, str):
        obj["taskUUID"] = task_uuid
    obj.update(extra)
    return obj


def violation_code(v: Violation) -> str:
    """The Runware code for a spec violation: missing, unknown, unsupported or invalid."""
    if v.rule == "is required":
        return "missingParameter"
    if v.rule.startswith("unknown parameter"):
        return "unknownParameter"
    if v.path == "audioSettings" and "must not be provided" in v.rule:
        return "unsupportedParameter"
    return "invalidParameter"


class SandboxTaskError(Exception):
    """A task the sandbox rejects; carries the error object to answer with."""

    def __init__(self, obj: dict[str, Any], *, rejected: bool = True,
                 status: int | None = None) -> None:
        self.obj = obj
        #: True when the task was refused outright (counts towards an HTTP 400 answer).
        self.rejected = rejected
        #: The HTTP status of an answer where every task was refused (default 400).
        self.status = status
        super().__init__(obj.get("message", ""))
