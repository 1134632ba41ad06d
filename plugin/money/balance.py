"""Refuse a job or batch the account cannot pay for, before anything is sent.

A backend that can report its account has an ``account()`` method returning an
:class:`~.pricing.AccountDetails` (Runware: ``accountManagement`` ``getDetails``). When the
balance is known and below the price, :func:`require_balance` raises
:class:`~..errors.InsufficientBalanceError`; when it is unknown (no such method, the key may not
read the account, the call failed) the job goes on and the API's own 402 stays the last word.
``MINIMAX_COVER_CHECK_BALANCE=0`` turns the check off.
"""

from __future__ import annotations

import logging
from typing import Any

from ..errors import APIError, AuthenticationError, InsufficientBalanceError
from .caps import balance_check_enabled
from .pricing import AccountDetails, format_usd

__all__ = ["account_details", "require_balance"]

log = logging.getLogger("minimax_cover.money")

_EPSILON = 1e-9  # prices are decimal cents; float sums must not refuse an exact fit


def account_details(backend: Any) -> AccountDetails | None:
    """The backend's account (balance), or ``None`` when it cannot tell.

    :raises AuthenticationError: the key was refused (401): the job would fail anyway.
    """
    account = getattr(backend, "account", None)
    if not callable(account):
        return None
    try:
        details = account()
    except AuthenticationError as exc:
        if exc.status_code == 401:
            raise
        log.info("balance unknown: %s", exc.message)  # 403: the key may not read the account
        return None
    except APIError as exc:
        log.info("balance unknown: %s", exc.message)
        return None
    return details if isinstance(details, AccountDetails) else None


def require_balance(backend: Any, amount_usd: float | None, *, what: str = "job"
                    ) -> AccountDetails | None:
    """Check that the account can pay ``amount_usd`` for ``what`` (a job, a batch).

    :returns: the account details when they were read, else ``None``.
    :raises InsufficientBalanceError: the balance is known and below ``amount_usd``.
    """
    if amount_usd is None or amount_usd <= 0 or not balance_check_enabled():
        return None
    details = account_details(backend)
    if details is None or details.balance_usd is None:
        return details
    if details.balance_usd + _EPSILON < amount_usd:
        where = "sandbox account" if details.sandbox else "Runware account"
        raise InsufficientBalanceError(
            f"the {what} costs {format_usd(amount_usd)} but the {where} balance is "
            f"{format_usd(details.balance_usd)}; nothing was sent (add credit, or ask for "
            "fewer results)", balance_usd=details.balance_usd, estimate_usd=amount_usd)
    return details
