"""When to retry a request, and how long to wait first (pure: no I/O, injectable clock/random).

Policy (protocol reference §8.2): honour ``Retry-After`` when the server sends it, read as
seconds or as an HTTP date and capped at ``max_retry_after_s`` (a longer wait is not waited for:
the caller raises instead); without it back off exponentially, ``base_delay_s * 2**attempt``
capped at ``max_delay_s``, with jitter. Which failures may be retried at all is the client's
decision, not this module's.
"""

from __future__ import annotations

import random as _random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timezone
from email.utils import parsedate_to_datetime

from ..constants import (
    DEFAULT_MAX_RETRIES,
    MAX_RETRY_AFTER_S,
    RETRY_BASE_DELAY_S,
    RETRY_MAX_DELAY_S,
)

__all__ = ["RetryPolicy", "parse_retry_after"]


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header value.

    Accepts delay-seconds (``"3"``, also ``"1.5"``) or an HTTP date
    (``"Wed, 21 Oct 2015 07:28:00 GMT"``). A date in the past gives ``0.0``.

    :param value: the header value, or ``None``.
    :param now: the current UNIX time for HTTP dates (default :func:`time.time`).
    :returns: the delay in seconds, or ``None`` when absent or unparsable.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if seconds != seconds or seconds in (float("inf"), float("-inf")):
            return None
        return max(0.0, seconds)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": UTC with no known origin
        when = when.replace(tzinfo=timezone.utc)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to retry and how long to wait before each retry.

    :param max_retries: retries after the first attempt (0 disables retrying).
    :param base_delay_s: first backoff delay; doubles with every retry.
    :param max_delay_s: cap of the exponential backoff.
    :param max_retry_after_s: a ``Retry-After`` above this is not waited for (give up).
    :param jitter_ratio: the backoff is multiplied by a random factor in
        ``[1 - jitter_ratio, 1]``, so clients that failed together do not retry together.
    :param random: returns a float in ``[0, 1)`` (inject for tests).
    :param clock: returns the current UNIX time, for HTTP-date ``Retry-After`` values.
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    base_delay_s: float = RETRY_BASE_DELAY_S
    max_delay_s: float = RETRY_MAX_DELAY_S
    max_retry_after_s: float = MAX_RETRY_AFTER_S
    jitter_ratio: float = 0.25
    random: Callable[[], float] = field(default=_random.random, repr=False, compare=False)
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0 (got {self.max_retries})")
        if self.base_delay_s < 0 or self.max_delay_s < 0 or self.max_retry_after_s < 0:
            raise ValueError("retry delays must be >= 0")
        if not 0.0 <= self.jitter_ratio <= 1.0:
            raise ValueError(f"jitter_ratio must be between 0 and 1 (got {self.jitter_ratio})")

    def with_max_retries(self, max_retries: int) -> RetryPolicy:
        """A copy with another retry budget."""
        return replace(self, max_retries=max_retries)

    def backoff(self, attempt: int) -> float:
        """The jittered exponential delay before retry number ``attempt + 1``."""
        raw = min(self.max_delay_s, self.base_delay_s * (2.0 ** max(0, attempt)))
        return raw * (1.0 - self.jitter_ratio * self.random())

    def delay(self, attempt: int, retry_after_header: str | None = None) -> float | None:
        """Seconds to wait before retrying, or ``None`` to give up.

        :param attempt: how many retries were already made (0 before the first retry).
        :param retry_after_header: the response's ``Retry-After`` value, if any.
        :returns: ``None`` when the budget is spent or ``Retry-After`` exceeds the cap; else
            the ``Retry-After`` delay when present, otherwise the jittered backoff.
        """
        if attempt >= self.max_retries:
            return None
        hinted = parse_retry_after(retry_after_header, now=self.clock())
        if hinted is not None:
            return None if hinted > self.max_retry_after_s else hinted
        return self.backoff(attempt)
