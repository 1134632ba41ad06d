"""The spending cap of a batch (``--max-cost``): estimated before each submit, actual after.

The cap covers the whole batch: what its rows cost in earlier runs (rows skipped as saved,
rows resumed), what this run spent, and the estimates of the jobs in flight. A row is
submitted only when its estimate fits under the cap with all of that counted; when it does not
fit while other jobs are in flight, the driver waits for them to settle (their actual cost may
be lower) before deciding, and a row that still does not fit is not run. A reported cost
counts only when it is a sane price, and never below the job's estimate.
"""

from __future__ import annotations

from typing import Any

from ..money.reported import counted_cost

__all__ = ["Budget"]

_EPSILON = 1e-9  # prices are decimal cents; float sums must not refuse an exact fit


class Budget:
    """Spending so far, reservations for jobs in flight, and the cap (``None``: no cap)."""

    def __init__(self, cap: float | None, spent_before: float = 0.0) -> None:
        if cap is not None and cap < 0:
            raise ValueError(f"max_cost: must be >= 0 (got {cap!r})")
        self.cap = cap
        self.spent_before = float(spent_before)
        self.spent = 0.0
        self.reserved = 0.0

    @property
    def committed(self) -> float:
        """Earlier spending, this run's spending and the estimates in flight."""
        return self.spent_before + self.spent + self.reserved

    def fits(self, estimate: float | None) -> bool:
        """True when a job of ``estimate`` can start without passing the cap."""
        if self.cap is None:
            return True
        return self.committed + (estimate or 0.0) <= self.cap + _EPSILON

    def reserve(self, estimate: float | None) -> float:
        """Hold ``estimate`` for a job about to be submitted; returns the amount held."""
        amount = float(estimate or 0.0)
        self.reserved += amount
        return amount

    def settle(self, reserved: float, actual: Any, *, sent: bool = True) -> None:
        """Replace a job's reservation by what it cost: never less than its estimate (a
        server cannot lower the count, see :func:`~..money.reported.counted_cost`); nothing
        for a job that was never sent."""
        self.reserved = max(0.0, self.reserved - reserved)
        if sent:
            self.spent += counted_cost(actual, reserved)


class CapCheck:
    """The per-job and daily spending caps, checked for each row before anything of it is
    uploaded (the spending guard checks them again, atomically with its hold, before the
    submit). Inactive when the guard is blocked or neither cap is set.
    """

    def __init__(self, *, spec: Any, registry: Any, backend: Any, journal: Any,
                 output_dir: Any) -> None:
        from ..money.caps import load_caps
        from ..money.preflight import guard_active

        caps = load_caps() if guard_active(registry) else None
        self.caps = caps if caps is not None and (
            caps.job_usd is not None or caps.day_usd is not None) else None
        self._spec, self._registry = spec, registry
        self._backend, self._journal, self._output_dir = backend, journal, output_dir

    def refusal(self, request: dict[str, Any], pending_usd: float) -> Exception | None:
        """The :class:`~..errors.SpendingCapError` a cap gives this row now, else ``None``.

        :param pending_usd: this batch's jobs in flight (they may not be held yet).
        """
        if self.caps is None:
            return None
        from pathlib import Path

        from ..errors import SpendingCapError
        from ..hooks.types import JobContext
        from ..money.guard import check_caps

        context = JobContext(spec=self._spec, registry=self._registry,
                             output_dir=Path(self._output_dir), backend=self._backend,
                             journal=self._journal or None)
        try:
            check_caps(dict(request), context, hold=False, pending_usd=pending_usd,
                       caps=self.caps)
        except SpendingCapError as exc:
            return exc
        return None
