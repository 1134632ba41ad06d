"""Waiting for a task with ``getResponse``: backoff between polls, a deadline, recovery.

:meth:`Poller.collect` polls until every generation of a task is terminal. The interval starts
at ``initial_s`` and grows by ``POLL_BACKOFF_FACTOR`` up to ``max_s``; past ``deadline_s`` the
task is given up (never resubmitted). After an unknown submit outcome the task may not exist:
``RECOVERY_MAX_MISSES`` answers that do not know it are followed by a question to Runware's task
archive (``getTaskDetails``, :mod:`.archive`); only when the archive does not know it either
does the poll end in :class:`~..errors.OutcomeUnknownError`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..constants import (
    POLL_BACKOFF_FACTOR,
    POLL_DEADLINE_S,
    POLL_INITIAL_INTERVAL_S,
    POLL_MAX_INTERVAL_S,
    RECOVERY_MAX_MISSES,
)
from ..errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    AuthenticationError,
    InsufficientCreditsError,
    NotFoundError,
    OutcomeUnknownError,
    ResponseFormatError,
)
from ..results import GenerationResult, TaskResult
from .sleeper import CancelCheck, Sleeper
from .tasks import task_items
from .tracker import GenerationTracker
from .transport import RunwareTransport

__all__ = ["PollSettings", "Poller"]


@dataclass(frozen=True)
class PollSettings:
    """``getResponse`` timing: first interval, cap of the interval, give-up deadline (seconds)."""

    initial_s: float = POLL_INITIAL_INTERVAL_S
    max_s: float = POLL_MAX_INTERVAL_S
    deadline_s: float = POLL_DEADLINE_S

    def next_interval(self, interval: float) -> float:
        """The interval after ``interval``: grown by ``POLL_BACKOFF_FACTOR``, capped."""
        return min(interval * POLL_BACKOFF_FACTOR, self.max_s)


class Poller:
    """Polls one endpoint with ``getResponse`` through ``transport``.

    :param transport: sends the ``getResponse`` arrays (retried freely, they only read).
    :param sleeper: waits between polls (cancellable) and measures the deadline.
    :param settings: intervals and deadline.
    """

    def __init__(self, transport: RunwareTransport, sleeper: Sleeper,
                 settings: PollSettings) -> None:
        self.transport = transport
        self.sleeper = sleeper
        self.settings = settings

    def get_response(self, task_uuid: str, should_cancel: CancelCheck | None = None
                     ) -> list[GenerationResult]:
        """Poll ``getResponse`` once; return the task's items (cumulative; any status).

        :raises NotFoundError: the server does not know the task (``taskFailedOrNotFound``).
        """
        env = self.transport.post([{"taskType": "getResponse", "taskUUID": task_uuid}],
                                  should_cancel=should_cancel)
        return task_items(env, task_uuid)

    def collect(self, tracker: GenerationTracker, should_cancel: CancelCheck | None, *,
                accepted: bool, cause: BaseException | None = None) -> TaskResult:
        """Poll until the task is finished; return its successes.

        :param tracker: the task's generations so far (fed with every answer).
        :param should_cancel: checked at least twice a second while waiting.
        :param accepted: the server acknowledged the task (wait before the first poll, and an
            empty answer is not a miss).
        :param cause: the unknown submit outcome being recovered from, if any (chained).
        :raises TaskFailedError: a generation failed; ``partial_results`` keeps paid successes.
        :raises OutcomeUnknownError: the task could not be found or did not finish in time.
        :raises Interrupted: ``should_cancel()`` returned True.
        """
        uuid_ = tracker.task_uuid
        interval = self.settings.initial_s
        seen = accepted
        misses = 0
        wait_first = accepted
        while True:
            if wait_first:
                self.sleeper.wait(interval, should_cancel, uuid_)
                interval = self.settings.next_interval(interval)
            wait_first = True
            if tracker.elapsed() > self.settings.deadline_s:
                raise OutcomeUnknownError(
                    f"task {uuid_} did not finish within {self.settings.deadline_s:g} s; it was "
                    "not submitted again: resume it later with the same taskUUID",
                    task_uuid=uuid_) from cause
            try:
                results: list[GenerationResult] | None = self.get_response(uuid_, should_cancel)
            except NotFoundError:
                results = None
            except (APIConnectionError, APIStatusError, ResponseFormatError) as exc:
                if isinstance(exc, (AuthenticationError, InsufficientCreditsError)):
                    raise
                raise OutcomeUnknownError(
                    f"could not collect task {uuid_} ({exc.message}); it was not submitted "
                    "again: resume it later with the same taskUUID", task_uuid=uuid_) from exc
            if not results and (results is None or not seen):
                misses += 1
                if misses >= RECOVERY_MAX_MISSES:
                    from .archive import consult_archive  # only after misses: not every run

                    recovered, archive, known = consult_archive(self.transport, tracker)
                    if recovered is not None:
                        return recovered
                    if known:  # it exists: ask again (getResponse, then the archive) until
                        tracker.emit("processing")  # it is done or the deadline passes
                        continue
                    why = "does not know the task" if results is None else "returns nothing"
                    origin = cause.__cause__ if cause is not None else None
                    after = f" after {origin.message}" if isinstance(origin, APIError) else ""
                    raise OutcomeUnknownError(
                        f"outcome of task {uuid_} is unknown{after}: getResponse {why} after "
                        f"{misses} attempts and {archive}; it was not submitted again (check "
                        "your Runware dashboard before retrying)", task_uuid=uuid_) from cause
                continue
            misses = 0
            seen = True
            tracker.add(results or [])
            if tracker.finished:
                if tracker.failures:
                    raise tracker.failed()
                return tracker.result()
            tracker.emit("processing")
