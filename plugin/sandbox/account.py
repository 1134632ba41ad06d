"""The sandbox's money: a balance, dry runs, ``accountManagement`` and ``getTaskDetails``.

Choices where Runware documents nothing (the sandbox's policy):

- The balance is unlimited unless one is set (``Sandbox(balance_usd=...)``,
  ``minimax-cover sandbox --balance``). An accepted ``audioInference`` task is charged
  ``numberResults`` x the price per result at once; one the balance cannot pay is refused with
  HTTP 402 ``insufficientCredits`` and does not run. Failed generations are not refunded.
- A task sent with ``X-Runware-Dry-Run: 1`` is validated like any other and answered with one
  item ``{"taskType", "taskUUID", "cost", "dryRun": true}``: nothing runs, nothing is charged,
  its ``taskUUID`` stays free. The reference audio is not fetched for a dry run.
- ``accountManagement`` ``getDetails`` answers the organization (``minimax-cover sandbox``) and
  ``balance`` (absent while the balance is unlimited).
- ``getTaskDetails`` answers, for a task the sandbox accepted, its ``request`` (as an array) and
  a ``response`` envelope holding the generations finished so far (``data``) and the failed
  ones (``errors``); an unknown ``taskUUID`` gets ``taskFailedOrNotFound``, like
  ``getResponse``.
"""

from __future__ import annotations

import threading
from typing import Any

from ..errors import short_repr
from .errors import SandboxTaskError, error_object
from .settings import Settings
from .state import Store

__all__ = ["SANDBOX_ORGANIZATION", "Account", "account_item", "dry_run_item",
           "task_details_item"]

SANDBOX_ORGANIZATION = "minimax-cover sandbox"
_ORGANIZATION_UUID = "00000000-0000-4000-8000-00000000beef"
_EPSILON = 1e-9


class Account:
    """The sandbox's balance (``settings.balance_usd``; ``None``: unlimited), thread-safe."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()

    def price(self, count: int) -> float:
        """What ``count`` results cost."""
        return round(count * self.settings.cost_per_result, 6)

    def charge(self, amount: float) -> bool:
        """Take ``amount`` from the balance; False (nothing taken) when it cannot pay."""
        with self._lock:
            balance = self.settings.balance_usd
            if balance is None:
                return True
            if balance + _EPSILON < amount:
                return False
            self.settings.balance_usd = round(balance - amount, 6)
            return True

    def refund(self, amount: float) -> None:
        """Give ``amount`` back (a task refused after it was charged)."""
        with self._lock:
            if self.settings.balance_usd is not None:
                self.settings.balance_usd = round(self.settings.balance_usd + amount, 6)

    def refusal(self, amount: float, task_uuid: Any) -> SandboxTaskError:
        """The 402 ``insufficientCredits`` answer for a task of ``amount``."""
        return SandboxTaskError(error_object(
            "insufficientCredits",
            f"insufficient credits: the task costs ${amount:.4f} and the balance is "
            f"${self.settings.balance_usd or 0.0:.4f}",
            task_type="audioInference", task_uuid=task_uuid), status=402)


def dry_run_item(request: dict[str, Any], account: Account) -> dict[str, Any]:
    """The answer to a validated task sent with ``X-Runware-Dry-Run: 1``."""
    return {"taskType": request.get("taskType", "audioInference"),
            "taskUUID": request.get("taskUUID"),
            "cost": account.price(int(request.get("numberResults", 1))), "dryRun": True,
            "sandbox": True}


def account_item(task: dict[str, Any], account: Account) -> dict[str, Any]:
    """The answer to ``accountManagement``; only ``getDetails`` exists."""
    task_uuid = task.get("taskUUID")
    operation = task.get("operation")
    if operation != "getDetails":
        raise SandboxTaskError(error_object(
            "invalidParameter" if operation is not None else "missingParameter",
            f"operation: must be getDetails (got {short_repr(operation)})",
            parameter="operation", task_type="accountManagement", task_uuid=task_uuid))
    item: dict[str, Any] = {"taskType": "accountManagement", "taskUUID": task_uuid,
                            "operation": "getDetails", "organizationUUID": _ORGANIZATION_UUID,
                            "organizationName": SANDBOX_ORGANIZATION, "sandbox": True}
    if account.settings.balance_usd is not None:
        item["balance"] = account.settings.balance_usd
    return item


def task_details_item(task: dict[str, Any], store: Store) -> dict[str, Any]:
    """The answer to ``getTaskDetails``: the accepted task's request and response."""
    task_uuid = task.get("taskUUID")
    if not isinstance(task_uuid, str) or not task_uuid:
        raise SandboxTaskError(error_object(
            "missingParameter", "taskUUID: is required (the UUID of the task to inspect)",
            parameter="taskUUID", task_type="getTaskDetails"))
    found = store.task(task_uuid)
    if found is None:
        raise SandboxTaskError(error_object(
            "taskFailedOrNotFound",
            f"no task with taskUUID {task_uuid} in the sandbox's archive (never accepted, or "
            "the sandbox was restarted)",
            parameter="taskUUID", task_type="getTaskDetails", task_uuid=task_uuid),
            rejected=False)
    data: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    if found.task_type == "mediaStorage":
        data.append(dict(found.media_item or {}))
    for gen in found.generations:
        if gen.status == "success" and gen.item is not None:
            data.append(dict(gen.item))
        elif gen.status == "error" and gen.error is not None:
            errors.append({**gen.error, "taskType": found.task_type, "taskUUID": task_uuid,
                           "resultIndex": gen.index})
    response: dict[str, Any] = {"data": data}
    if errors:
        response["errors"] = errors
    request = {"taskType": found.task_type, "taskUUID": task_uuid, **found.request}
    return {"taskType": "getTaskDetails", "taskUUID": task_uuid, "request": [request],
            "response": response, "sandbox": True}
