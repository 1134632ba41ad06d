"""The account at a glance: the balance (``accountManagement``), today's spend from the journal
and the spending caps, as one JSON-ready document (the ``account`` tool of ``mcp`` and
``GET /v1/account`` of ``serve``; ``minimax-cover account --json`` prints the same keys)."""

from __future__ import annotations

from datetime import date
from typing import Any

__all__ = ["account_summary"]


def account_summary() -> dict[str, Any]:
    """``{balance..., endpoint, spentTodayUsd, estimatedTodayUsd, caps, sandbox}``.

    Reads ``RUNWARE_API_KEY`` / ``RUNWARE_API_URL`` like every client; the key is never in it.
    With neither, the local sandbox answers (``"sandbox": true``), as it runs every cover then.
    """
    from ..hooks.registry import get_registry
    from ..money.caps import load_caps
    from ..money.receipts import spend_report

    backend = get_registry().backend("runware")  # its opener starts the sandbox if needed
    try:
        details = backend.account()
        endpoint = backend.endpoint
    finally:
        backend.close()
    today = spend_report(date.today())
    return {**details.to_dict(), "endpoint": endpoint, "spentTodayUsd": today.total_usd,
            "estimatedTodayUsd": today.estimated_usd, "caps": load_caps().to_dict()}
