"""Refuse a job or batch the account cannot pay for, before anything is sent.

A backend that can report its account has an ``account()`` method returning an
:class:`~.pricing.AccountDetails` (Runware: ``accountManagement`` ``getDetails``). When the
balance is known and below the price, :func:`require_balance` raises
:class:`~..errors.InsufficientBalanceError`; when it is unknown (no such method, the key may not
read the account, the call failed) the job goes on and the API's own 402 stays the last word.
``MINIMAX_COVER_CHECK_BALANCE=0`` turns the check off.

The answer is kept for the process, per account (a backend's ``account_key``: endpoint and
key, hashed), for ``MINIMAX_COVER_BALANCE_TTL_S`` seconds (default
:data:`BALANCE_TTL_S`; ``0``: ask every time), less the price of every job or batch this
process let through since. Within that time a job the remainder can pay goes on without a
round trip; any other job asks the account again, so a refusal always comes from a fresh
answer.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import replace
from typing import Any

from ..errors import APIError, AuthenticationError, InsufficientBalanceError
from .caps import balance_check_enabled
from .pricing import AccountDetails, format_usd

__all__ = ["BALANCE_TTL_ENV", "BALANCE_TTL_S", "account_details", "forget_balances",
           "require_balance"]

log = logging.getLogger("minimax_cover.money")

_EPSILON = 1e-9  # prices are decimal cents; float sums must not refuse an exact fit
#: How long an account's answer is reused by this process (seconds), less what it let through.
BALANCE_TTL_S = 30.0
BALANCE_TTL_ENV = "MINIMAX_COVER_BALANCE_TTL_S"


class _Known:
    __slots__ = ("details", "passed_usd", "read_at")

    def __init__(self, details: AccountDetails, read_at: float, passed_usd: float) -> None:
        self.details = details
        self.read_at = read_at  # time.monotonic() of the answer
        self.passed_usd = passed_usd  # prices let through since the answer


_known: dict[str, _Known] = {}
_lock = threading.Lock()


def _ttl_s() -> float:
    raw = os.environ.get(BALANCE_TTL_ENV)
    if raw is None:
        return BALANCE_TTL_S
    try:
        return max(0.0, float(raw))
    except ValueError:
        log.warning("%s=%r is not a number of seconds; using %g", BALANCE_TTL_ENV, raw,
                    BALANCE_TTL_S)
        return BALANCE_TTL_S


def forget_balances() -> None:
    """Drop every account answer this process keeps (the next check asks again)."""
    with _lock:
        _known.clear()


def _from_memory(key: str | None, amount_usd: float) -> AccountDetails | None:
    """The kept answer for ``key`` if it is fresh and its remainder pays ``amount_usd`` (which
    is then counted as let through); else ``None``."""
    ttl = _ttl_s()
    if key is None or ttl <= 0:
        return None
    with _lock:
        known = _known.get(key)
        if known is None or time.monotonic() - known.read_at >= ttl:
            return None
        balance = known.details.balance_usd
        if balance is None:  # the account reports no balance: nothing to refuse on
            return known.details
        left = balance - known.passed_usd
        if left + _EPSILON < amount_usd:
            return None  # ask again: only a fresh answer refuses
        known.passed_usd += amount_usd
        return replace(known.details, balance_usd=left)


def _remember(key: str | None, details: AccountDetails, amount_usd: float) -> None:
    if key is not None and _ttl_s() > 0:
        with _lock:
            _known[key] = _Known(details, time.monotonic(), amount_usd)


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

    A kept answer (see the module doc) lets the job through when its remainder pays for it;
    otherwise the account is asked.

    :returns: the account details when they are known (a kept answer: the balance less what
        this process let through since), else ``None``.
    :raises InsufficientBalanceError: the balance is known and below ``amount_usd``.
    """
    if amount_usd is None or amount_usd <= 0 or not balance_check_enabled():
        return None
    key = getattr(backend, "account_key", None)
    key = key if isinstance(key, str) else None
    kept = _from_memory(key, amount_usd)
    if kept is not None:
        return kept
    details = account_details(backend)
    if details is None:
        return None  # unknown (the call failed): asked again next time
    if details.balance_usd is None:
        _remember(key, details, amount_usd)
        return details
    if details.balance_usd + _EPSILON < amount_usd:
        where = "sandbox account" if details.sandbox else "Runware account"
        raise InsufficientBalanceError(
            f"the {what} costs {format_usd(amount_usd)} but the {where} balance is "
            f"{format_usd(details.balance_usd)}; nothing was sent (add credit, or ask for "
            "fewer results)", balance_usd=details.balance_usd, estimate_usd=amount_usd)
    _remember(key, details, amount_usd)
    return details
