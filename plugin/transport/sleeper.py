"""Waiting between requests: sleeps cut into slices that notice a cancel, and a tally of them.

One :class:`Sleeper` per client is shared by the request loop (retry delays), the poller and
the media uploads, so ``elapsed`` deadlines also count time a test's fake ``sleep`` skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..constants import SLEEP_SLICE_S
from ..errors import Interrupted

__all__ = ["CancelCheck", "Sleeper"]

CancelCheck = Callable[[], bool]


class Sleeper:
    """Sleeps with an injectable ``sleep`` function and counts the seconds it slept.

    :param sleep: the sleep function (default :func:`time.sleep`; tests inject a fake one).
    """

    def __init__(self, sleep: Callable[[float], None] | None = None) -> None:
        self.sleep_fn: Callable[[float], None] = sleep or time.sleep
        self.slept_s = 0.0

    def wait(self, seconds: float, should_cancel: CancelCheck | None = None,
             task_uuid: str | None = None) -> None:
        """Sleep ``seconds``, in slices of at most ``SLEEP_SLICE_S`` when cancellable.

        :raises Interrupted: ``should_cancel()`` returned True (checked before every slice and
            once more at the end); the message and ``task_uuid`` name the task to resume.
        """
        if should_cancel is None:
            if seconds > 0:
                self.sleep_fn(seconds)
                self.slept_s += seconds
            return
        remaining = seconds
        while True:
            if should_cancel():
                raise Interrupted(
                    f"interrupted while waiting for task {task_uuid}; it was not cancelled on "
                    "the server: resume it with the same taskUUID",
                    task_uuid=task_uuid,
                )
            if remaining <= 0:
                return
            step = min(SLEEP_SLICE_S, remaining)
            self.sleep_fn(step)
            self.slept_s += step
            remaining -= step

    def stopwatch(self) -> Callable[[], float]:
        """A function returning the seconds since now: wall time, or the time slept if more."""
        t0, s0 = time.monotonic(), self.slept_s
        return lambda: max(time.monotonic() - t0, self.slept_s - s0)
