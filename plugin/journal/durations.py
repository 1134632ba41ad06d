"""How long jobs like this one took before: a hint for the collector's pace, never a promise.

The journal keeps when each job was recorded (right before its submit) and when it was last
changed (saved): for jobs that ran once, without a resume, the difference is the job's wall
time (download included). :func:`typical_duration_s` is the median of the latest such jobs
on the same endpoint with the same number of results, or ``None`` with too few of them. The
collector still asks while the estimate is far and keeps asking when it has passed.
"""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

__all__ = ["typical_duration_s"]

#: Saved jobs looked at, and how many alike are needed before a hint is given.
_LOOK_AT = 200
_MOST_ALIKE = 20
_FEWEST_ALIKE = 3


def typical_duration_s(journal: Any, *, endpoint: str, number_results: int) -> float | None:
    """The median wall time of recent saved jobs alike (``None``: too few, or no journal)."""
    if journal is None:
        return None
    try:
        records = journal.list_jobs(limit=_LOOK_AT, status="saved")
    except Exception:  # a hint: never the reason a job fails
        return None
    spans: list[float] = []
    for record in records:
        if (record.endpoint != endpoint or record.number_results != number_results
                or record.attempts > 1):
            continue
        span = _span(record.created_at, record.updated_at)
        if span is not None:
            spans.append(span)
        if len(spans) >= _MOST_ALIKE:
            break
    return statistics.median(spans) if len(spans) >= _FEWEST_ALIKE else None


def _span(start: str, end: str) -> float | None:
    try:
        seconds = (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None
