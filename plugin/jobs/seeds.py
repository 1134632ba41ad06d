"""Reusable seeds: the client picks the seed a user did not give, inside the range it accepts.

Runware draws a missing seed "in the unsigned 32-bit range", but only 0–1,000,000 is accepted
back (the spec's ``seed`` field), so a server-drawn seed often cannot be sent again. The
pipeline therefore chooses one itself (:func:`choose_seed`), journals it with the request and
reports it; a result's seed is ``seed + i`` for the ``i``-th of ``numberResults``, so the
chosen seed leaves room for all of them. :func:`seed_in_range` tells a reusable reported seed
from one outside the range.
"""

from __future__ import annotations

import os
from typing import Any

from ..spec.model import ModelSpec
from ..spec.task import CoverTask

__all__ = ["choose_seed", "seed_range", "seed_in_range", "with_seed"]


def seed_range(spec: ModelSpec) -> tuple[int, int] | None:
    """``(minimum, maximum)`` of the spec's ``seed`` field, or ``None`` without one."""
    try:
        f = spec.field("seed")
    except KeyError:
        return None
    if f.minimum is None or f.maximum is None:
        return None
    return int(f.minimum), int(f.maximum)


def seed_in_range(spec: ModelSpec, seed: int | None) -> bool | None:
    """True when ``seed`` can be sent back as ``seed`` (``None`` when unknown)."""
    bounds = seed_range(spec)
    if seed is None or bounds is None:
        return None
    return bounds[0] <= int(seed) <= bounds[1]


def choose_seed(spec: ModelSpec, count: int = 1) -> int | None:
    """A random seed ``s`` with ``s`` .. ``s + count - 1`` all inside the spec's range.

    Drawn from ``os.urandom`` (uniform, by rejection); ``None`` when the spec has no bounded
    ``seed`` field.
    """
    bounds = seed_range(spec)
    if bounds is None:
        return None
    low, high = bounds
    span = max(1, high - low + 1 - max(0, count - 1))
    limit = (1 << 32) - (1 << 32) % span
    while True:
        draw = int.from_bytes(os.urandom(4), "big")
        if draw < limit:
            return low + draw % span


def with_seed(request: dict[str, Any], spec: ModelSpec) -> bool:
    """Set a chosen ``seed`` in ``request`` when it has none; True when one was chosen."""
    if not isinstance(request, dict) or seed_range(spec) is None:
        return False
    task = CoverTask(spec, request)
    if task.seed is not None:
        return False
    f = spec.field("seed")
    if f.placement != "top" and not isinstance(request.get(f.placement, {}), dict):
        return False  # validation names the wrong type
    task.set_seed(choose_seed(spec, task.number_results))
    return True


def seed_help(spec: ModelSpec) -> str | None:
    """What ``--seed`` does, with the range the API enforces (``None``: no bounded seed).

    The spec's own text says a missing seed is drawn "in the unsigned 32-bit range", which is
    the server's behaviour, not what this client does or what the field accepts.
    """
    bounds = seed_range(spec)
    if bounds is None:
        return None
    low, high = bounds
    return (f"Random seed for reproducible generation, {low}–{high}. When omitted, a seed is "
            "chosen in that range (leaving room for numberResults: result i uses seed + i), "
            "journaled and printed, so any take can be made again with --seed.")
