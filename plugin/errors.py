"""The exception hierarchy of minimax-cover.

Every error the package raises on purpose derives from :class:`MinimaxCoverError`, so a host can
catch one class; the subclasses carry attributes a host can branch on. Messages are one line,
name the parameter and the value where there is one, and never contain an API key or an
unsanitized response body.

```text
MinimaxCoverError
├── SpecValidationError      .violations: [Violation(path, rule, value)], all reported at once
├── AudioError               unreadable, unsupported or out-of-limits audio  (.path)
│   ├── AudioLimitError      duration/size/format outside the model's limits
│   └── SilentSongError      a silent or near-silent song where one is refused (batch)
├── MissingAPIKeyError       names the environment variable and the config file
├── PluginError
│   └── PluginLoadError      .name, .dist, cause chained
├── WorkflowError            headless runner: unknown node type, bad link, cycle
├── UsageError               a command-line value or file argument that cannot be used
│   └── OutputPathError      the output destination cannot be written or named; nothing sent
├── SpendingRefusedError     refused for money before anything was sent (.estimate_usd)
│   ├── SpendingCapError     over a spending cap: job, batch or day (.cap, .limit_usd)
│   └── InsufficientBalanceError  the account balance cannot pay the price (.balance_usd)
├── JournalError             the task journal cannot be read or written
│   └── JobBusyError         another live process is running the same job (.task_uuid)
├── Interrupted              the host asked to stop (ComfyUI interrupt, Ctrl-C)
├── ResultNotSavedError      a paid result could not be written (disk full, read-only folder:
│                            .task_uuid, .path, .errno); `resume -o DIR` saves it elsewhere
└── APIError                 .message, .body (sanitized), .task_uuid
    ├── APIConnectionError   the request may not have reached the server
    │   └── APITimeoutError
    │       └── DeadlineExceededError  an answer or download passed its total deadline or
    │                                  fell below the minimum rate (.received_bytes)
    ├── ResponseFormatError  the server answered something that is not the protocol
    ├── OutcomeUnknownError  a submit whose fate is unknown and that could not be recovered
    ├── APIStatusError       .status_code, .code, .parameter
    │   ├── AuthenticationError    401/403, invalidApiKey
    │   ├── InsufficientCreditsError 402, insufficientCredits
    │   ├── InvalidParameterError  400, invalid*/missing*/unsupported* (.parameter)
    │   ├── RateLimitError         429 (.retry_after_s)
    │   ├── NotFoundError          404, taskFailedOrNotFound, expired result URLs
    │   └── ServerError            5xx
    ├── TaskFailedError      a generation ended with status "error" (.provider_message,
    │                        .partial_results: what already succeeded and was paid for)
    └── DownloadError        a result could not be fetched or failed its content check
        └── DownloadTimeoutError  ...because it passed its deadline or minimum rate (also a
                                  DeadlineExceededError)
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AudioError",
    "AudioLimitError",
    "AuthenticationError",
    "DeadlineExceededError",
    "DownloadError",
    "DownloadTimeoutError",
    "InsufficientBalanceError",
    "InsufficientCreditsError",
    "Interrupted",
    "InvalidParameterError",
    "JobBusyError",
    "JournalError",
    "MinimaxCoverError",
    "MissingAPIKeyError",
    "NotFoundError",
    "OutcomeUnknownError",
    "OutputPathError",
    "PluginError",
    "PluginLoadError",
    "RateLimitError",
    "ResponseFormatError",
    "ResultNotSavedError",
    "ServerError",
    "SilentSongError",
    "SpendingCapError",
    "SpendingRefusedError",
    "SpecValidationError",
    "TaskFailedError",
    "UsageError",
    "Violation",
    "WorkflowError",
    "short_repr",
]


def short_repr(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class MinimaxCoverError(Exception):
    """Base class of every error raised by minimax-cover on purpose."""


@dataclass(frozen=True)
class Violation:
    """One broken rule: where (a JSON path like ``settings.lyrics``), which rule, what value."""

    path: str
    rule: str
    value: Any = None
    has_value: bool = True
    got: str | None = None

    def __str__(self) -> str:
        if not self.has_value:
            return f"{self.path}: {self.rule}"
        if _SECRET_FIELD.search(self.path.rsplit(".", 1)[-1]):
            return f"{self.path}: {self.rule} (value hidden: it names a secret)"
        return f"{self.path}: {self.rule} (got {self.got or short_repr(self.value)})"


#: A field whose value is never echoed in a message (``apiKey``, ``authorization``, ...).
_SECRET_FIELD = re.compile(r"(?i)(api[_-]?key|authorization|token|secret|password)$")


class SpecValidationError(MinimaxCoverError, ValueError):
    """A request broke one or more rules of the spec; nothing was sent.

    ``violations`` lists every problem found, not only the first.
    """

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = list(violations)
        lines = "\n".join(f"  - {v}" for v in self.violations)
        count = len(self.violations)
        super().__init__(f"invalid request ({count} problem{'s' if count != 1 else ''}):\n{lines}")

    @property
    def parameters(self) -> list[str]:
        """The JSON paths of the parameters that broke a rule."""
        return [v.path for v in self.violations]


class AudioError(MinimaxCoverError, ValueError):
    """Audio that cannot be read, written or used."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        super().__init__(message)


class AudioLimitError(AudioError):
    """Reference audio outside the model's limits (duration, size, format); nothing was sent."""


class SilentSongError(AudioError):
    """The song is silent or near-silent and the caller refuses such songs; nothing was sent."""


class MissingAPIKeyError(MinimaxCoverError):
    """No API key was found where the backend looks for one."""


class PluginError(MinimaxCoverError):
    """A plugin broke a registry rule (duplicate name, wrong type)."""


class PluginLoadError(PluginError):
    """A plugin could not be imported or registered."""

    def __init__(self, name: str, dist: str | None, error: BaseException) -> None:
        self.name = name
        self.dist = dist
        self.error = error
        where = f" (from {dist})" if dist else ""
        super().__init__(f"plugin {name!r}{where} failed to load: {type(error).__name__}: {error}")


class WorkflowError(MinimaxCoverError):
    """An API-format workflow cannot be run: unknown node type, bad link, cycle, bad input."""


class UsageError(MinimaxCoverError, ValueError):
    """A command-line value or argument that cannot be used (the message names the option)."""


class OutputPathError(UsageError):
    """The output destination cannot be used: not writable, under a file, or a name that
    contradicts the format. Raised before anything is uploaded or paid for."""


class SpendingRefusedError(MinimaxCoverError):
    """A job or batch was refused for money (a cap, the balance) before anything was sent.

    ``estimate_usd`` is the price of what was refused, ``limit_usd`` what it had to fit in.
    """

    def __init__(self, message: str, *, estimate_usd: float | None = None,
                 limit_usd: float | None = None) -> None:
        self.estimate_usd = estimate_usd
        self.limit_usd = limit_usd
        super().__init__(message)


class SpendingCapError(SpendingRefusedError):
    """The price would pass a spending cap: ``cap`` is ``"job"``, ``"batch"`` or ``"day"``;
    ``committed_usd`` what that cap already counts (spent and in flight)."""

    def __init__(self, message: str, *, cap: str, estimate_usd: float | None = None,
                 limit_usd: float | None = None, committed_usd: float = 0.0) -> None:
        self.cap = cap
        self.committed_usd = committed_usd
        super().__init__(message, estimate_usd=estimate_usd, limit_usd=limit_usd)


class InsufficientBalanceError(SpendingRefusedError):
    """The account's balance (``balance_usd``) is below the price; nothing was sent."""

    def __init__(self, message: str, *, balance_usd: float, estimate_usd: float) -> None:
        self.balance_usd = balance_usd
        super().__init__(message, estimate_usd=estimate_usd, limit_usd=balance_usd)


class JournalError(MinimaxCoverError):
    """The task journal cannot be opened, read or written (the message names the file)."""


class JobBusyError(JournalError):
    """The same job (same song and parameters) is being run by another live process.

    Nothing was sent by this one; ``task_uuid`` is the other's job, ``owner`` its process.
    """

    def __init__(self, message: str, *, task_uuid: str | None = None,
                 owner: str | None = None) -> None:
        self.task_uuid = task_uuid
        self.owner = owner
        super().__init__(message)


class Interrupted(MinimaxCoverError):
    """The host asked the job to stop; the task UUID is kept so a paid result can be resumed."""

    def __init__(self, message: str = "interrupted", *, task_uuid: str | None = None) -> None:
        self.task_uuid = task_uuid
        super().__init__(message)


class ResultNotSavedError(MinimaxCoverError):
    """A paid result could not be written to its folder (disk full, read-only, no permission).

    The task ran and stays resumable in the journal: ``minimax-cover resume <task_uuid> -o
    OTHER_DIR`` saves it elsewhere. ``errno`` is the operating system's error number.
    """

    def __init__(self, message: str, *, task_uuid: str | None = None, path: str | None = None,
                 errno: int | None = None) -> None:
        self.task_uuid = task_uuid
        self.path = path
        self.errno = errno
        super().__init__(message)


class APIError(MinimaxCoverError):
    """An error talking to a backend API."""

    def __init__(
        self,
        message: str,
        *,
        body: Any = None,
        task_uuid: str | None = None,
    ) -> None:
        self.message = message
        self.body = body
        self.task_uuid = task_uuid
        super().__init__(message)


class APIConnectionError(APIError):
    """The connection failed; the request may or may not have reached the server."""


class APITimeoutError(APIConnectionError):
    """A connect or read timeout expired."""


class DeadlineExceededError(APITimeoutError):
    """An answer or a download took longer than its total deadline, or arrived slower than the
    minimum rate (``Timeout.total_s``, ``Timeout.min_rate_bps``).

    Nothing is lost: a submit whose answer was cut is looked up with ``getResponse``, and a
    result download can be resumed. ``received_bytes`` counts what had arrived.
    """

    def __init__(self, message: str, *, received_bytes: int = 0, **kwargs: Any) -> None:
        self.received_bytes = received_bytes
        super().__init__(message, **kwargs)


class ResponseFormatError(APIError):
    """The server's answer is not valid JSON or not the documented envelope."""


class OutcomeUnknownError(APIError):
    """A submit's outcome is unknown and getResponse could not find the task.

    The task is never submitted again automatically; ``task_uuid`` is kept in the journal so the
    user can resume or check it.
    """


class APIStatusError(APIError):
    """The server answered with an error status or a Runware error object."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        parameter: str | None = None,
        body: Any = None,
        task_uuid: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.code = code
        self.parameter = parameter
        super().__init__(message, body=body, task_uuid=task_uuid)


class AuthenticationError(APIStatusError):
    """The API key is missing, invalid or lacks permission (401/403)."""


class InsufficientCreditsError(APIStatusError):
    """The account cannot pay for the task (402, insufficientCredits); never retried."""


class InvalidParameterError(APIStatusError):
    """The server rejected a parameter; ``parameter`` names it."""


class RateLimitError(APIStatusError):
    """Too many requests (429) and the retry budget ran out."""

    def __init__(self, message: str, *, retry_after_s: float | None = None, **kwargs: Any) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message, **kwargs)


class NotFoundError(APIStatusError):
    """The task, media or result URL does not exist (anymore)."""


class ServerError(APIStatusError):
    """The server failed (5xx) and the retry budget ran out."""


class TaskFailedError(APIError):
    """A generation ended with ``status: "error"``; final, never resubmitted automatically.

    ``partial_results`` holds the generations that succeeded before the failure: they were paid
    for, so they are kept and reported; ``saved_files`` the paths a cover job saved them to.
    """

    def __init__(
        self,
        message: str,
        *,
        task_uuid: str | None = None,
        code: str | None = None,
        provider_message: str | None = None,
        partial_results: list[Any] | None = None,
        body: Any = None,
    ) -> None:
        self.code = code
        self.provider_message = provider_message
        self.partial_results = list(partial_results or [])
        self.saved_files: list[str] = []
        super().__init__(message, body=body, task_uuid=task_uuid)


class DownloadError(APIError):
    """A result could not be downloaded, was too large, or is not the requested format."""


class DownloadTimeoutError(DownloadError, DeadlineExceededError):
    """A result download passed its total deadline or fell below the minimum rate; the task
    is paid and resumable (``minimax-cover resume``)."""
