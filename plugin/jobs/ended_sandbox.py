"""Jobs that can never be collected: they ran on a local sandbox that has ended.

With no API key, ``cover`` and ``batch`` start the sandbox inside their own process; a job
left unfinished there (a killed command) went with it: its synthetic results are gone and
nothing was charged. ``resume`` closes such a job (``failed``, with the reason) instead of
asking for a key it does not need. Only a Runware sandbox job qualifies (the spending guard's
hold says so, else its endpoint is on loopback; the MiniMax sandbox keeps state on disk and is
left to its backend) and only when nothing listens at its endpoint any more: a job of a paid
service is never closed here.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from ..journal.records import JobRecord
    from ..journal.store import Journal

__all__ = ["close_if_sandbox_ended", "sandbox_ended"]

_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_CONNECT_TIMEOUT_S = 2.0  # a loopback connect is answered at once; refused when nobody listens


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=_CONNECT_TIMEOUT_S):
            return True
    except OSError:
        return False


def sandbox_ended(record: JobRecord, journal: Journal) -> str | None:
    """Why ``record`` cannot be collected, when it ran on a local sandbox that has ended.

    :returns: the reason (one sentence), or ``None`` when the job may still be collected (its
        endpoint is not a sandbox's, or something still listens there).
    """
    from ..journal.ledger import Ledger

    if record.backend != "runware":  # only the Runware sandbox is known to live in memory
        return None
    try:
        parts = urlsplit(record.endpoint or "")
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return None
    if host not in _LOOPBACK or port is None:
        return None
    rows = [row for row in Ledger(journal).rows() if row.task_uuid == record.task_uuid]
    if rows and rows[0].sandbox is False:
        return None  # the guard held it as a paid job (a keyed loopback proxy): never closed
    if _listening(host, port):
        return None
    return (f"it ran on the local sandbox at {record.endpoint}, which has ended (a sandbox "
            "started without an API key lives as long as the command that started it): its "
            "synthetic results went with it, and nothing was charged")


def close_if_sandbox_ended(record: JobRecord, journal: Journal) -> str | None:
    """Mark ``record`` failed when :func:`sandbox_ended` says so; returns the reason or None."""
    from .ledger import uncollectable

    reason = sandbox_ended(record, journal)
    if reason is not None:
        uncollectable(journal, record.task_uuid, f"not collected: {reason}")
    return reason
