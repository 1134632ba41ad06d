"""One collector per process: every pending task of an endpoint asked about in one POST per tick.

Whoever waits for tasks (a ``cover``, each thread of a batch, a node) hands its tickets to the
process's :class:`Lane` for their endpoint and API key, and waits on its own inbox. The lane's
thread sends one ``getResponse`` per pending task in a single POST (Runware's envelope takes
task arrays), paced by :mod:`.pacing` (the earliest task's wish wins, never two POSTs closer
than ``min_gap_s``, never before a ``Retry-After``), and puts each task's items in its waiter's
inbox. A server that refuses arrays (a 4xx to a POST of several tasks) is asked one task per
POST from then on (remembered per endpoint). A task an answer leaves out is still pending.

:func:`wait_for` is the waiting side: it feeds each task's answers to its
:class:`~.tracker.GenerationTracker` in the waiter's own thread (so callbacks, downloads and
journal writes never hold the lane), checks ``should_cancel`` every quarter second, applies the
deadline and recovers tasks whose submit outcome was unknown (misses, then Runware's archive),
exactly as the one-task poller did. Nothing is ever submitted here.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..constants import RECOVERY_MAX_MISSES
from ..errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    AuthenticationError,
    InsufficientCreditsError,
    Interrupted,
    MinimaxCoverError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    ResponseFormatError,
)
from ..results import GenerationResult, TaskResult
from .pacing import PaceSettings, TaskPace
from .tasks import task_items
from .tracker import GenerationTracker
from .transport import RunwareTransport

__all__ = ["Lane", "Pending", "lane_for", "wait_for"]

log = logging.getLogger("minimax_cover.client")

#: How often a waiter checks ``should_cancel`` and its deadline.
WAIT_SLICE_S = 0.25
#: A lane's thread ends after this long with nothing pending (a new ticket starts it again).
_IDLE_EXIT_S = 1.0

Payload = list[GenerationResult] | APIError


@dataclass
class Pending:
    """One task a waiter is waiting for: where its answers go and when to ask about it."""

    task_uuid: str
    total: int
    transport: RunwareTransport
    pace: TaskPace
    inbox: queue.Queue[tuple[str, Payload]] = field(repr=False)


class Lane:
    """The pending tasks of one endpoint and key, and the thread that asks about them."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._cond = threading.Condition()
        self._pending: dict[str, Pending] = {}
        self._thread: threading.Thread | None = None
        self._last_post = float("-inf")
        self._not_before = 0.0
        #: True once the server refused a POST of several tasks: one task per POST from then on.
        self.single = False
        #: POSTs sent (``getResponse`` only), for tests and benchmarks.
        self.posts = 0

    # ------------------------------------------------------------------ waiters' side

    def add(self, pending: Sequence[Pending]) -> None:
        """Start asking about ``pending`` (the thread is started if it is not running)."""
        with self._cond:
            for p in pending:
                self._pending[p.task_uuid] = p
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=f"collector-{self.name}",
                                                daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def remove(self, task_uuids: Sequence[str]) -> None:
        """Stop asking about these tasks (their waiter is done with them)."""
        with self._cond:
            for uuid_ in task_uuids:
                self._pending.pop(uuid_, None)
            self._cond.notify_all()

    @property
    def pending(self) -> int:
        """How many tasks are being asked about."""
        with self._cond:
            return len(self._pending)

    # ------------------------------------------------------------------ the lane's thread

    def _next_batch(self) -> list[Pending] | None:
        """Wait for the next tick; the tasks to ask about, or None when idle long enough."""
        with self._cond:
            idle_since: float | None = None
            while True:
                now = time.monotonic()
                if not self._pending:
                    idle_since = idle_since if idle_since is not None else now
                    if now - idle_since >= _IDLE_EXIT_S:
                        self._thread = None
                        return None
                    self._cond.wait(_IDLE_EXIT_S - (now - idle_since))
                    continue
                idle_since = None
                entries = list(self._pending.values())
                gap = min(p.pace.gap for p in entries)
                due = max(min(p.pace.next_at for p in entries), self._last_post + gap,
                          self._not_before)
                if due <= now:
                    return entries
                self._cond.wait(due - now)

    def _run(self) -> None:
        while True:
            entries = self._next_batch()
            if entries is None:
                return
            try:
                answers = self._ask(entries)
            except Exception as exc:  # never leave waiters hanging on a bug or odd failure
                log.debug("collector %s: %s", self.name, exc, exc_info=True)
                error = exc if isinstance(exc, APIError) else APIConnectionError(
                    f"collecting failed: {type(exc).__name__}: {exc}")
                answers = {p.task_uuid: error for p in entries}
            now = time.monotonic()
            with self._cond:
                self._last_post = now
            for p in entries:
                answer = answers.get(p.task_uuid)
                if answer is None:  # held back (Retry-After): ask again later
                    p.pace.hold(self._not_before)
                    continue
                fraction = _fraction(answer, p.total) if isinstance(answer, list) else None
                p.pace.observe(now, fraction)
                p.pace.hold(self._not_before)
                p.inbox.put((p.task_uuid, answer))

    def _ask(self, entries: list[Pending]) -> dict[str, Payload]:
        """One tick: ``getResponse`` for every entry, in one POST unless the server refuses."""
        transport = entries[0].transport
        if len(entries) > 1 and not self.single:
            try:
                return self._post(transport, entries)
            except RateLimitError as exc:
                return self._throttled(exc)
            except (AuthenticationError, InsufficientCreditsError):
                raise
            except APIStatusError as exc:
                if exc.status_code is None or not 400 <= exc.status_code < 500:
                    raise
                self.single = True
                log.info("collector %s: the server refused %d getResponse tasks in one POST "
                         "(HTTP %s); asking one task per POST from now on", self.name,
                         len(entries), exc.status_code)
        answers: dict[str, Payload] = {}
        for p in entries:
            try:
                answers.update(self._post(transport, [p]))
            except RateLimitError as exc:
                answers.update(self._throttled(exc))
                break
            except APIError as exc:
                answers[p.task_uuid] = exc
        return answers

    def _throttled(self, exc: RateLimitError) -> dict[str, Payload]:
        """429 after the transport's own retries: wait what the server says, keep every task."""
        delay = exc.retry_after_s if exc.retry_after_s is not None else (
            PaceSettings().idle_s * 2)
        self._not_before = time.monotonic() + delay
        log.info("collector %s: rate limited; asking again in %.1f s", self.name, delay)
        return {}

    def _post(self, transport: RunwareTransport, entries: list[Pending]) -> dict[str, Payload]:
        tasks = [{"taskType": "getResponse", "taskUUID": p.task_uuid} for p in entries]
        self.posts += 1
        env = transport.post(tasks)
        hint = transport.retry_after_until
        if hint > self._not_before:
            self._not_before = hint
        answers: dict[str, Payload] = {}
        for p in entries:
            try:
                answers[p.task_uuid] = task_items(env, p.task_uuid)
            except APIError as exc:
                answers[p.task_uuid] = exc
        return answers


def _fraction(items: list[GenerationResult], total: int) -> float | None:
    """The task's progress (0-1) from one cumulative answer, or None when it says nothing.

    A whole percentage ``p`` means somewhere in ``[p, p + 1)``: its middle is used, so the end
    extrapolated from it is not systematically late.
    """
    done = sum(1 for r in items if r.status != "processing")
    running = [r.progress for r in items if r.status == "processing" and r.progress is not None]
    if not running:
        return None
    partial = sum(min(100.0, max(0.0, p + 0.5 if float(p).is_integer() else p))
                  for p in running) / 100.0
    return min(1.0, (done + partial) / max(1, total))


_lanes: dict[str, Lane] = {}
_lanes_lock = threading.Lock()


def _after_fork() -> None:
    """A forked child (a worker process) starts with no lanes: its parent's threads are gone."""
    global _lanes_lock
    _lanes.clear()
    _lanes_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def lane_for(transport: RunwareTransport) -> Lane:
    """The process's lane for ``transport``'s endpoint and key (made on first use)."""
    key = transport.identity
    with _lanes_lock:
        lane = _lanes.get(key)
        if lane is None:
            name = hashlib.sha256(key.encode()).hexdigest()[:8]
            lane = _lanes[key] = Lane(name)
        return lane


# --------------------------------------------------------------------------- the waiting side


@dataclass
class Waiter:
    """One task being collected: its tracker and where its recovery stands."""

    tracker: GenerationTracker
    seen: bool
    cause: BaseException | None = None
    misses: int = 0
    outcome: TaskResult | MinimaxCoverError | None = None

    def take(self, payload: Payload | None, transport: RunwareTransport) -> None:
        """Take in one answer about the task (``None``: the server does not know it)."""
        uuid_ = self.tracker.task_uuid
        results: list[GenerationResult] | None
        if isinstance(payload, NotFoundError):
            results = None
        elif isinstance(payload, (AuthenticationError, InsufficientCreditsError)):
            self.outcome = payload
            return
        elif isinstance(payload, (APIConnectionError, APIStatusError, ResponseFormatError)):
            self.outcome = _unknown(
                f"could not collect task {uuid_} ({payload.message}); it was not submitted "
                "again: resume it later with the same taskUUID", uuid_, payload)
            return
        elif isinstance(payload, APIError):
            self.outcome = payload
            return
        else:
            results = payload
        if not results and (results is None or not self.seen):
            self.misses += 1
            if self.misses >= RECOVERY_MAX_MISSES:
                self._consult(results, transport)
            return
        self.misses = 0
        self.seen = True
        self.tracker.add(results or [])
        self.check_finished()
        if self.outcome is None:
            self.tracker.emit("processing")

    def check_finished(self) -> None:
        """Set the outcome when every generation is terminal."""
        if self.tracker.finished:
            self.outcome = self.tracker.failed() if self.tracker.failures else (
                self.tracker.result())

    def _consult(self, results: list[GenerationResult] | None,
                 transport: RunwareTransport) -> None:
        from .archive import consult_archive  # only after misses: not every run

        uuid_ = self.tracker.task_uuid
        try:
            recovered, archive, known = consult_archive(transport, self.tracker)
        except MinimaxCoverError as exc:
            self.outcome = exc
            return
        if recovered is not None:
            self.outcome = recovered
            return
        if known:  # it exists: ask again (getResponse, then the archive) until it is done
            self.tracker.emit("processing")
            return
        why = "does not know the task" if results is None else "returns nothing"
        origin = self.cause.__cause__ if self.cause is not None else None
        after = f" after {origin.message}" if isinstance(origin, APIError) else ""
        self.outcome = _unknown(
            f"outcome of task {uuid_} is unknown{after}: getResponse {why} after "
            f"{self.misses} attempts and {archive}; it was not submitted again (check your "
            "Runware dashboard before retrying)", uuid_, self.cause)


def _unknown(message: str, task_uuid: str, cause: BaseException | None) -> OutcomeUnknownError:
    error = OutcomeUnknownError(message, task_uuid=task_uuid)
    error.__cause__ = cause
    return error


def wait_for(waiters: list[Waiter], *, transport: RunwareTransport, pace: PaceSettings,
             deadline_s: float, should_cancel: Callable[[], bool] | None,
             starts: dict[str, tuple[float, float | None]]) -> None:
    """Collect every waiter's task through the process's lane; outcomes land on the waiters.

    :param starts: each task's ``(time.monotonic() at submit, expected duration or None)``.
    :raises Interrupted: ``should_cancel()`` returned True (tasks stay resumable).
    """
    open_ = {w.tracker.task_uuid: w for w in waiters if w.outcome is None}
    if not open_:
        return
    inbox: queue.Queue[tuple[str, Payload]] = queue.Queue()
    now = time.monotonic()
    lane = lane_for(transport)
    lane.add([Pending(uuid_, w.tracker.total, transport,
                      TaskPace(pace, *starts.get(uuid_, (now, None)), now=now), inbox)
              for uuid_, w in open_.items()])
    try:
        while open_:
            if should_cancel is not None and should_cancel():
                first = next(iter(open_))
                raise Interrupted(
                    f"interrupted while waiting for task {first}; it was not cancelled on the "
                    "server: resume it with the same taskUUID", task_uuid=first)
            try:
                uuid_, payload = inbox.get(timeout=WAIT_SLICE_S)
            except queue.Empty:
                pass
            else:
                waiter = open_.get(uuid_)
                if waiter is not None:
                    waiter.take(payload, transport)
            for uuid_, waiter in list(open_.items()):
                if waiter.outcome is None and waiter.tracker.elapsed() > deadline_s:
                    waiter.outcome = _unknown(
                        f"task {uuid_} did not finish within {deadline_s:g} s; it was not "
                        "submitted again: resume it later with the same taskUUID", uuid_,
                        waiter.cause)
                if waiter.outcome is not None:
                    del open_[uuid_]
                    lane.remove([uuid_])
    finally:
        lane.remove(list(open_))


def describe(lane: Lane) -> dict[str, Any]:
    """A lane's counters (for tests and benchmarks)."""
    return {"posts": lane.posts, "pending": lane.pending, "single": lane.single}
