"""How long an API client waits: one frozen value object, as ``httpx.Timeout`` is.

Both clients take ``timeout=`` as a :class:`Timeout`, one number (connect and read alike) or a
``(connect_s, read_s)`` pair; :meth:`Timeout.of` turns any of those into a :class:`Timeout`.
The fields are named, so a deadline for a whole call can join them later without changing how
existing callers build one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Union

__all__ = ["Timeout", "TimeoutLike"]

#: What a ``timeout=`` argument accepts.
TimeoutLike = Union["Timeout", float, tuple[float, float]]


@dataclass(frozen=True)
class Timeout:
    """Seconds to wait for a connection and for each read of an answer.

    :param connect_s: to open the connection (TCP and TLS).
    :param read_s: between two reads of the answer (for a long ``sync`` call, the whole wait).
    :raises ValueError: a value that is not a positive number.
    """

    connect_s: float
    read_s: float

    def __post_init__(self) -> None:
        for name in ("connect_s", "read_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"timeout {name}: must be a number of seconds (got {value!r})")
            if not value > 0:
                raise ValueError(f"timeout {name}: must be > 0 (got {value!r})")
            object.__setattr__(self, name, float(value))

    @classmethod
    def of(cls, value: TimeoutLike) -> Timeout:
        """A :class:`Timeout` from a :class:`Timeout`, one number, or ``(connect_s, read_s)``.

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
        """A copy with another read timeout (a long ``sync`` call, for example)."""
        return replace(self, read_s=read_s)

    def as_requests(self) -> tuple[float, float]:
        """The ``(connect, read)`` pair ``requests`` takes as ``timeout=``."""
        return (self.connect_s, self.read_s)
