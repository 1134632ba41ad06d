"""Moving a job to another provider before it was accepted (failover, :mod:`..jobs.providers`).

A job refused by one provider before acceptance runs on the next one under the same
``taskUUID``; its row is updated so that ``resume`` and ``jobs`` ask the provider that
accepted it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..redaction import redact
from .rows import clean_endpoint, now_iso

if TYPE_CHECKING:
    from .store import Journal

__all__ = ["move_job"]


def move_job(journal: Journal, task_uuid: str, *, backend: str, endpoint: str) -> bool:
    """Record that ``task_uuid`` now runs on ``backend`` at ``endpoint``; False if unknown."""
    with journal._db.write(durable=True) as db:
        cur = db.execute(
            "UPDATE jobs SET backend = ?, endpoint = ?, updated_at = ? WHERE task_uuid = ?",
            (redact(backend), clean_endpoint(endpoint), now_iso(), task_uuid))
    return cur.rowcount > 0
