"""How long an API client waits: one frozen value object, as ``httpx.Timeout`` is.

Both clients take ``timeout=`` as a :class:`Timeout`, one number (connect and read alike) or a
``(connect_s, read_s)`` pair; :meth:`Timeout.of` turns any of those into a :class:`Timeout`.

``connect_s`` and ``read_s`` are per operation: the read timeout restarts with every packet,
so on their own they let a server that sends one byte a second hold a call for days. The
whole exchange is therefore also bounded: ``total_s`` from connecting to the last byte of the
answer (or of a downloaded result), and ``min_rate_bps``, the average rate an answer or a
download must keep once it has run ``rate_window_s`` (:mod:`.deadline` enforces both).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Union

from ..constants import EXCHANGE_DEADLINE_S, MIN_TRANSFER_RATE_BPS, RATE_WINDOW_S

__all__ = ["Timeout", "TimeoutLike"]

#: What a ``timeout=`` argument accepts.
TimeoutLike = Union["Timeout", float, tuple[float, float]]


def _positive(name: str, value: object, *, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"timeout {name}: must be a number of seconds (got {value!r})")
    if not value > 0:
        raise ValueError(f"timeout {name}: must be > 0 (got {value!r})")
    if optional and math.isinf(value):
        return None  # an infinite deadline or rate is none
    return float(value)


@dataclass(frozen=True)
class Timeout:
    """Seconds to wait for a connection, for each read, and for a whole exchange.

    :param connect_s: to open the connection (TCP and TLS).
    :param read_s: between two reads of the answer (for a long ``sync`` call, the whole wait).
    :param total_s: the whole exchange, from connecting to the last byte of the answer or of a
        downloaded result (``None``: no deadline). A ``sync`` submit gets ``read_s`` on top
        (:meth:`for_wait`).
    :param min_rate_bps: an answer body or download that averages fewer bytes per second
        than this, measured once it has run ``rate_window_s``, is abandoned (``None``: no
        minimum).
    :param rate_window_s: how long a body may take before its rate is judged.
    :raises ValueError: a value that is not a positive number.
    """

    connect_s: float
    read_s: float
    total_s: float | None = EXCHANGE_DEADLINE_S
    min_rate_bps: float | None = MIN_TRANSFER_RATE_BPS
    rate_window_s: float = RATE_WINDOW_S

    def __post_init__(self) -> None:
        for name in ("connect_s", "read_s", "rate_window_s"):
            object.__setattr__(self, name, _positive(name, getattr(self, name)))
        for name in ("total_s", "min_rate_bps"):
            object.__setattr__(self, name, _positive(name, getattr(self, name), optional=True))

    @classmethod
    def of(cls, value: TimeoutLike) -> Timeout:
        """A :class:`Timeout` from a :class:`Timeout`, one number, or ``(connect_s, read_s)``.

        The deadline and minimum rate take their defaults (``EXCHANGE_DEADLINE_S``,
        ``MIN_TRANSFER_RATE_BPS``) unless a :class:`Timeout` is given.

        :raises ValueError: any other shape, or a value that is not a positive number.
        """
        if isinstance(value, Timeout):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return cls(value, value)
        if isinstance(value, (tuple, list)) and len(value) == 2:
            return cls(value[0], value[1])
        raise ValueError(
            f"timeout: must be seconds, (connect_s, read_s) or a Timeout (got {value!r})"
        )

    def with_read(self, read_s: float) -> Timeout:
        """A copy with another read timeout (the deadline is unchanged)."""
        return replace(self, read_s=read_s)

    def for_wait(self, read_s: float) -> Timeout:
        """A copy for a call whose answer may take ``read_s`` to start (a ``sync`` submit).

        The read timeout becomes ``read_s`` and the deadline ``read_s + total_s``: the long
        wait is allowed, a slow answer after it is still bounded.
        """
        total = None if self.total_s is None else self.total_s + float(read_s)
        return replace(self, read_s=read_s, total_s=total)

    def with_deadline(self, total_s: float | None, min_rate_bps: float | None = None,
                      ) -> Timeout:
        """A copy with another deadline and minimum rate (``None`` turns either off)."""
        return replace(self, total_s=total_s, min_rate_bps=min_rate_bps)

    def as_requests(self) -> tuple[float, float]:
        """The ``(connect, read)`` pair ``requests`` takes as ``timeout=``."""
        return (self.connect_s, self.read_s)
