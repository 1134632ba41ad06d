"""One send-and-retry loop for every vendor's client: what may be sent again, and when.

A client describes one attempt (send once, classify the answer: a value, or a :class:`Failure`
saying whether it may be retried and whether the request may have been processed);
:func:`send_with_retry` repeats it under a :class:`~.retry.RetryPolicy`: ``Retry-After``
honoured (seconds or HTTP date, capped), exponential backoff with jitter otherwise, sleeps cut
into slices that notice ``should_cancel``. A request that is not repeatable (a paid submit)
and whose outcome is unknown is **never** sent again: the client's ``on_unknown`` error is
raised instead. Answers are read with :func:`read_capped` (size-capped, under the exchange's
deadline and minimum rate).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import requests

from ..errors import APIError
from .body import iter_body
from .deadline import ExchangeWatch
from .jsonstream import TooLargeError
from .retry import RetryPolicy
from .sleeper import CancelCheck, Sleeper

__all__ = ["Failure", "read_capped", "send_with_retry"]

log = logging.getLogger("minimax_cover.client")

T = TypeVar("T")


class Failure:
    """One failed attempt: the error to raise and whether/how it may be retried.

    :param retryable: another attempt may succeed (rate limit, 5xx, dropped connection...).
    :param unknown: the request may have been processed (sent, then no usable answer).
    :param retry_after: the answer's ``Retry-After`` header value, if any.
    """

    __slots__ = ("error", "retryable", "unknown", "retry_after")

    def __init__(self, error: APIError, *, retryable: bool, unknown: bool = False,
                 retry_after: str | None = None) -> None:
        self.error = error
        self.retryable = retryable
        self.unknown = unknown
        self.retry_after = retry_after


def send_with_retry(attempt: Callable[[], T | Failure], *, policy: RetryPolicy,
                    sleeper: Sleeper, repeatable: bool,
                    on_unknown: Callable[[Failure], BaseException],
                    should_cancel: CancelCheck | None = None, label: str = "request",
                    task_uuid: str | None = None,
                    before_retry: Callable[[Failure, float], None] | None = None) -> T:
    """Run ``attempt`` until it gives a value, retrying what ``policy`` and safety allow.

    :param repeatable: the request only reads (or is idempotent): sent again even after an
        unknown outcome. Otherwise an unknown outcome raises ``on_unknown(failure)``.
    :param label: what the log lines name (method, path, task types; never a body or key).
    :param task_uuid: put on :class:`~..errors.Interrupted` when a cancel stops a wait.
    :param before_retry: told each failure and the delay before it is retried (a shared rate
        limiter holds everyone off).
    :raises APIError: the last failure's error when it may not or no longer be retried.
    :raises Interrupted: ``should_cancel()`` returned True while waiting to retry.
    """
    attempts = 0
    while True:
        outcome = attempt()
        if not isinstance(outcome, Failure):
            return outcome
        error = outcome.error
        if outcome.unknown and not repeatable:
            log.warning("%s: outcome unknown (%s); it is not sent again", label,
                        type(error).__name__)
            raise on_unknown(outcome) from error
        delay = policy.delay(attempts, outcome.retry_after) if outcome.retryable else None
        if delay is None:
            raise error
        attempts += 1
        if before_retry is not None:
            before_retry(outcome, delay)
        log.info("%s: %s; retry %d/%d in %.2f s", label, type(error).__name__, attempts,
                 policy.max_retries, delay)
        sleeper.wait(delay, should_cancel, task_uuid)


def read_capped(resp: requests.Response, watch: ExchangeWatch, max_bytes: int, *,
                task_uuid: str | None = None) -> bytes:
    """The whole body of ``resp`` (opened with ``stream=True``), at most ``max_bytes``.

    :raises TooLargeError: the body is longer (reading stops there; nothing more is held).
    :raises DeadlineExceededError: past the exchange's deadline or below its minimum rate.
    :raises requests.exceptions.RequestException: the transfer broke.
    """
    body = bytearray()
    for chunk in iter_body(resp, watch, task_uuid=task_uuid):
        body += chunk
        if len(body) > max_bytes:
            raise TooLargeError("answer", max_bytes)
    return bytes(body)
