"""When to ask about a pending task next (pure: no I/O, no clock of its own).

The collector asks about every pending task of an endpoint in one POST per tick; each task
says when it wants the next tick (:meth:`TaskPace.next_at`), the earliest wins. A task's wish:

- nothing known about its end: once every ``idle_s`` (about once a second);
- an expected end from the server's ``progress``: half the remaining time at a time (at least
  ``idle_s``, at most ``far_s``), then exactly at the expected end (plus ``lead_s``), so a
  result is collected moments after it is ready whatever the job's length, without asking
  often while it is far; an expected end from earlier jobs alone (the journal) keeps the
  ``idle_s`` pace and adds the question at that end;
- a progress answer whose expected end is closer than ``min_gap_s`` (``processing`` at 99 %
  of a short job) is followed up at that end even if that is sooner than ``min_gap_s`` after
  the last POST (:attr:`TaskPace.gap`), once per task, so the last poll is not a gap late;
- past the expected end and still running (a server may say ``processing`` a few more times
  whatever the clock says): every ``near_s`` for ``overdue_polls`` answers, then back to
  ``idle_s``; an estimate is never trusted alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..constants import (
    COLLECT_IDLE_GAP_S,
    COLLECT_LEAD_S,
    COLLECT_MIN_GAP_S,
    COLLECT_NEAR_GAP_S,
    COLLECT_OVERDUE_POLLS,
    POLL_INITIAL_INTERVAL_S,
    POLL_MAX_INTERVAL_S,
)

__all__ = ["PaceSettings", "TaskPace"]

#: Progress below this fraction says too little to extrapolate an end from.
_MIN_FRACTION = 0.02


@dataclass(frozen=True)
class PaceSettings:
    """The collector's pace, in seconds (see the module doc)."""

    first_s: float = POLL_INITIAL_INTERVAL_S
    idle_s: float = COLLECT_IDLE_GAP_S
    far_s: float = POLL_MAX_INTERVAL_S
    near_s: float = COLLECT_NEAR_GAP_S
    min_gap_s: float = COLLECT_MIN_GAP_S
    lead_s: float = COLLECT_LEAD_S
    overdue_polls: int = COLLECT_OVERDUE_POLLS

    @classmethod
    def from_poll(cls, initial_s: float, max_s: float) -> PaceSettings:
        """The pace of a client made with ``poll_initial_s`` and ``poll_max_s``: the first poll
        after ``initial_s``, no gap longer than ``max_s`` (small values scale every gap down)."""
        idle = min(COLLECT_IDLE_GAP_S, max_s)
        near = min(COLLECT_NEAR_GAP_S, initial_s, idle)
        return cls(first_s=initial_s, idle_s=idle, far_s=max(max_s, idle), near_s=near,
                   min_gap_s=min(COLLECT_MIN_GAP_S, near), lead_s=min(COLLECT_LEAD_S, near))

    def scaled(self, factor: float) -> PaceSettings:
        """Every duration multiplied by ``factor`` (a benchmark's time scale)."""
        return replace(self, first_s=self.first_s * factor, idle_s=self.idle_s * factor,
                       far_s=self.far_s * factor, near_s=self.near_s * factor,
                       min_gap_s=self.min_gap_s * factor, lead_s=self.lead_s * factor)


class TaskPace:
    """One pending task's timing: when it was sent, what is known of its end, when to ask.

    :param settings: the pace.
    :param started: ``time.monotonic()`` at the submit (when its answer arrived).
    :param expected_s: the expected duration from the submit, if known (earlier jobs).
    :param now: the current ``time.monotonic()``.
    """

    def __init__(self, settings: PaceSettings, started: float, expected_s: float | None,
                 now: float) -> None:
        self.settings = settings
        self.started = started
        self.expected_s = expected_s if expected_s and expected_s > 0 else None
        self.progress_end: float | None = None
        self.overdue = 0
        self.asked = 0
        #: The shortest gap this task accepts before its next POST (see :meth:`observe`).
        self.gap = settings.min_gap_s
        self._prompt_left = 1
        first = started + settings.first_s
        end = self.expected_end()
        if end is not None:
            first = min(max(first, now), end + settings.lead_s)
        self.next_at = max(first, now)

    def expected_end(self) -> float | None:
        """The expected end (monotonic): from the server's progress, else the hint."""
        if self.progress_end is not None:
            return self.progress_end
        if self.expected_s is not None:
            return self.started + self.expected_s
        return None

    def observe(self, now: float, fraction: float | None) -> None:
        """An answer left the task pending at ``now``; ``fraction`` is its progress (0-1)."""
        self.asked += 1
        s = self.settings
        self.gap = s.min_gap_s
        if fraction is not None and fraction >= _MIN_FRACTION and now > self.started:
            self.progress_end = self.started + (now - self.started) / min(fraction, 1.0)
        end = self.expected_end()
        if end is None:
            self.next_at = now + s.idle_s
            return
        remaining = end - now
        if remaining > 0:
            self.overdue = 0
            # Only the server's own progress earns gaps longer than idle_s; a hint from earlier
            # jobs just adds the question at the expected end.
            far = s.far_s if self.progress_end is not None else s.idle_s
            step = min(max(remaining / 2.0, s.idle_s), far)
            self.next_at = end + s.lead_s if now + step >= end else now + step
            if (self.progress_end is not None and remaining < s.min_gap_s
                    and self._prompt_left > 0):
                self._prompt_left -= 1  # ready any moment: do not wait out the lane's gap
                self.gap = min(s.min_gap_s, s.lead_s)
            return
        self.overdue += 1
        self.next_at = now + (s.near_s if self.overdue <= s.overdue_polls else s.idle_s)

    def hold(self, until: float) -> None:
        """Ask no sooner than ``until`` (the server said ``Retry-After``)."""
        self.next_at = max(self.next_at, until)
