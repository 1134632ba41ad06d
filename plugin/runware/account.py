"""What a job would cost and what the account holds: dry runs and ``accountManagement``.

- :func:`dry_run_cost`: the task sent with ``X-Runware-Dry-Run: 1``, which validates it and
  returns its cost without running or charging it (Runware's ``runware-run`` skill; the answer's
  shape is undocumented: every ``cost`` of the task's items is summed, ``None`` when there is
  none). Validation errors are raised like a real submit's.
- :func:`account_details`: ``{"taskType": "accountManagement", "operation": "getDetails"}``
  (Runware docs, "Account Management"); only the balance and the organization's name are kept
  (the answer also lists team members and API keys).

Both only read, so the transport may send them again after an unknown outcome.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from typing import Any

from ..errors import ResponseFormatError
from ..money.pricing import AccountDetails
from .envelope import str_or_none
from .errors import error_from
from .tasks import prepare_task
from .transport import RunwareTransport

__all__ = ["DRY_RUN_HEADER", "account_details", "dry_run_cost"]

DRY_RUN_HEADER = "X-Runware-Dry-Run"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def dry_run_cost(transport: RunwareTransport, task: Mapping[str, Any]) -> float | None:
    """Price ``task`` without running it; its cost in USD, or ``None`` if the answer has none.

    :raises InvalidParameterError, SpecValidationError-like API errors: the task is invalid.
    :raises AuthenticationError, InsufficientCreditsError: refused for the key or account.
    """
    prepared = prepare_task(task)
    uuid_ = str(prepared["taskUUID"])
    dry = copy.copy(transport)  # a copy: a real submit on another thread never carries it
    dry.extra_headers = {**transport.extra_headers, DRY_RUN_HEADER: "1"}
    try:
        env = dry.post([prepared])
    finally:
        if getattr(dry, "sandbox_seen", False):  # what the copy learnt of the endpoint
            transport.sandbox_seen = True  # type: ignore[attr-defined]
    for err in env.errors_for(uuid_):
        raise error_from(None if env.status_code == 200 else env.status_code, err,
                         task_uuid=uuid_)
    costs = [_number(item.get("cost")) for item in env.data_for(uuid_)]
    known = [c for c in costs if c is not None]
    return round(sum(known), 6) if known else None


def account_details(transport: RunwareTransport, *, sandbox: bool = False) -> AccountDetails:
    """The account's balance (USD) and organization, from ``accountManagement``.

    :raises APIStatusError: the key cannot read the account (401/403) or the call failed.
    :raises ResponseFormatError: the answer holds no account item.
    """
    task_uuid = str(uuid.uuid4())
    env = transport.post([{"taskType": "accountManagement", "taskUUID": task_uuid,
                           "operation": "getDetails"}])
    for err in env.errors_for(task_uuid):
        raise error_from(None if env.status_code == 200 else env.status_code, err,
                         task_uuid=task_uuid)
    items = [d for d in env.data_for(task_uuid)
             if d.get("taskType") in (None, "accountManagement")]
    if not items:
        raise ResponseFormatError("the accountManagement answer holds no account details")
    item = items[0]
    return AccountDetails(balance_usd=_number(item.get("balance")),
                          organization=str_or_none(item.get("organizationName")),
                          sandbox=sandbox or bool(item.get("sandbox")))
