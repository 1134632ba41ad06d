"""Injectable faults of the sandbox: what can go wrong, on which requests, how many times.

A :class:`Fault` names one behaviour (a status, a dropped connection, a failed generation...).
:class:`FaultPlan` decides, deterministically and thread-safely, which faults hit a request:
each fault counts the matching requests that reach its *phase* (in arrival order), lets the
first ``skip`` pass, then affects the next ``times`` (``-1``: all of them).

Phases, in the order a ``POST /v1`` goes through them (only authenticated, well-formed bodies):

1. ``pre``: ``latency`` (delays, stacks), then at most one of ``status``, ``drop_before``,
   ``malformed_json`` (the first active one in list order; later ones do not see the request).
   These answer without accepting any task.
2. ``accept``: ``task_error``, counted per *accepted* ``audioInference`` task (not per request).
3. ``post``: ``stall`` (delays the answer, stacks), ``drop_after`` (closes the connection
   after the tasks were accepted) and ``omit`` (the answer leaves out the first ``getResponse``
   task it was asked about, as a server may).

``truncate_download`` and ``expire_url`` apply to ``GET /results/...`` only (``task_type`` is
ignored for them); the first active one wins.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

__all__ = ["FAULT_KINDS", "Fault", "FaultPlan"]

FaultKind = Literal[
    "latency",
    "status",
    "drop_before",
    "drop_after",
    "malformed_json",
    "task_error",
    "truncate_download",
    "expire_url",
    "stall",
    "omit",
]

FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)

PRE_KINDS = frozenset({"latency", "status", "drop_before", "malformed_json"})
ACCEPT_KINDS = frozenset({"task_error"})
POST_KINDS = frozenset({"stall", "drop_after", "omit"})
GET_KINDS = frozenset({"truncate_download", "expire_url"})
#: Kinds that decide the answer: at most one of them applies to a request.
TERMINAL_KINDS = frozenset(
    {"status", "drop_before", "malformed_json", "drop_after", "truncate_download", "expire_url"}
)


@dataclass
class Fault:
    """One injectable misbehaviour of the sandbox.

    :param kind: what happens (see the module docstring for when each kind is checked).
    :param task_type: only requests holding a task of this type (``"audioInference"``,
        ``"getResponse"``, ``"mediaStorage"``); ``None``: any ``POST /v1`` (for ``task_error``:
        ``audioInference``). Ignored by ``truncate_download`` and ``expire_url``.
    :param times: how many matching requests it affects, then it is spent; ``-1``: forever.
    :param status: the HTTP status for ``kind="status"`` (default 500); for
        ``malformed_json`` the status of the non-JSON answer (default 200; e.g. 502 sends an
        HTML error page, as a gateway would).
    :param retry_after: a ``Retry-After`` header value for ``kind="status"`` (seconds or date).
    :param delay_s: seconds of delay for ``latency`` and ``stall``.
    :param code: the Runware error code (default by status; ``processingFailed`` for
        ``task_error``).
    :param result_index: ``task_error`` only: which generation fails (``None``: all).
    :param skip: let this many matching requests pass before the fault starts.
    """

    kind: FaultKind
    task_type: str | None = None
    times: int = 1
    status: int | None = None
    retry_after: str | None = None
    delay_s: float = 0.0
    code: str | None = None
    result_index: int | None = None
    skip: int = 0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            kinds = ", ".join(FAULT_KINDS)
            raise ValueError(f"Fault.kind must be one of {kinds} (got {self.kind!r})")
        if isinstance(self.times, bool) or not isinstance(self.times, int) or (
            self.times < 1 and self.times != -1
        ):
            raise ValueError(f"Fault.times must be a positive integer or -1 (got {self.times!r})")
        if isinstance(self.skip, bool) or not isinstance(self.skip, int) or self.skip < 0:
            raise ValueError(f"Fault.skip must be a non-negative integer (got {self.skip!r})")
        if self.delay_s < 0:
            raise ValueError(f"Fault.delay_s must be >= 0 (got {self.delay_s!r})")
        if self.kind == "status":
            if self.status is None:
                self.status = 500
            if not 400 <= int(self.status) <= 599:
                raise ValueError(f"Fault.status must be an HTTP error status (got {self.status!r})")
        if self.kind == "malformed_json" and self.status is not None and not (
            200 <= int(self.status) <= 599
        ):
            raise ValueError(f"Fault.status must be an HTTP status (got {self.status!r})")
        if self.result_index is not None and self.result_index < 0:
            raise ValueError(f"Fault.result_index must be >= 0 (got {self.result_index!r})")


class _Entry:
    __slots__ = ("fault", "seen", "used")

    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self.seen = 0
        self.used = 0

    def matches(self, task_types: frozenset[str] | None) -> bool:
        kind = self.fault.kind
        if kind in GET_KINDS:
            return task_types is None
        if task_types is None:
            return False
        wanted = self.fault.task_type
        if wanted is None and kind == "task_error":
            wanted = "audioInference"
        return wanted is None or wanted in task_types

    def spent(self) -> bool:
        return self.fault.times != -1 and self.used >= self.fault.times


class FaultPlan:
    """The faults of one sandbox, with their counters; every method is thread-safe."""

    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []
        self.add(*faults)

    def add(self, *faults: Fault) -> None:
        """Append faults (they start counting from the next request)."""
        for fault in faults:
            if not isinstance(fault, Fault):
                raise TypeError(f"expected a Fault (got {type(fault).__name__})")
        with self._lock:
            self._entries.extend(_Entry(f) for f in faults)

    def take(self, kinds: frozenset[str], task_types: Iterable[str] | None) -> list[Fault]:
        """The faults of ``kinds`` that affect this request, counting it for each that sees it.

        ``task_types`` is the set of task types in a ``POST /v1`` body, or ``None`` for a
        ``GET`` of a result file. At most one terminal fault is returned.
        """
        types = None if task_types is None else frozenset(task_types)
        chosen: list[Fault] = []
        terminal_taken = False
        with self._lock:
            for entry in self._entries:
                kind = entry.fault.kind
                if kind not in kinds or not entry.matches(types):
                    continue
                is_terminal = kind in TERMINAL_KINDS
                if is_terminal and terminal_taken:
                    continue
                entry.seen += 1
                if entry.seen <= entry.fault.skip or entry.spent():
                    continue
                entry.used += 1
                chosen.append(entry.fault)
                terminal_taken = terminal_taken or is_terminal
        return chosen

    def clear(self) -> None:
        """Drop every fault (spent or not): requests from now on see none."""
        with self._lock:
            self._entries.clear()

    def pending(self) -> list[Fault]:
        """Faults not yet spent."""
        with self._lock:
            return [e.fault for e in self._entries if not e.spent()]
