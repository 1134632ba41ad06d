"""MiniMax's error answers mapped onto the exception tree of :mod:`..errors`.

MiniMax answers most errors with HTTP 200 and a non-zero ``base_resp.status_code``
(:func:`error_from_base_resp`); gateways answer with an HTTP status (:func:`http_error`).
Messages are truncated and redacted, and name the key's variable where it matters.
"""

from __future__ import annotations

from ..constants import MINIMAX_API_KEY_ENV
from ..errors import (
    APIError,
    APIStatusError,
    AuthenticationError,
    InsufficientCreditsError,
    InvalidParameterError,
    RateLimitError,
    ServerError,
)
from ..redaction import redact

__all__ = ["MESSAGE_LIMIT", "error_from_base_resp", "http_error"]

#: Longest server message quoted in an exception message.
MESSAGE_LIMIT = 200
_AUTH_CODES = frozenset({1004, 2049})
_CREDIT_CODES = frozenset({1008, 2056})
_RATE_CODES = frozenset({1002, 1039, 2045})
_SERVER_CODES = frozenset({1000, 1001, 1024, 1033})
_POLICY_CODES = frozenset({1026, 1027})


def error_from_base_resp(code: int, message: str, *, operation: str) -> APIError:
    """The exception for a non-zero ``base_resp.status_code`` of MiniMax.

    :param code: ``base_resp.status_code``.
    :param message: ``base_resp.status_msg`` (truncated and redacted here).
    :param operation: ``"preprocess"`` or ``"generation"``, named in the message.
    """
    msg = redact(message)[:MESSAGE_LIMIT]
    head = f"MiniMax {operation} failed with code {code}: {msg}"
    if code in _AUTH_CODES:
        return AuthenticationError(f"{head}; check {MINIMAX_API_KEY_ENV}", status_code=code,
                                   code=str(code))
    if code in _CREDIT_CODES:
        return InsufficientCreditsError(
            f"MiniMax {operation} refused: the account's balance is too low (code {code}: "
            f"{msg}); add balance or wait for the next Token Plan window (nothing was run)",
            status_code=code, code=str(code))
    if code in _RATE_CODES:
        return RateLimitError(head, status_code=code, code=str(code))
    if code in _SERVER_CODES:
        return ServerError(head, status_code=code, code=str(code))
    if code in _POLICY_CODES:
        return InvalidParameterError(f"{head} (content policy; change the input)",
                                     status_code=code, code="contentPolicyViolation")
    if code == 2013:
        return InvalidParameterError(head, status_code=code, code=str(code))
    return APIStatusError(head, status_code=code, code=str(code))


def http_error(status: int, operation: str) -> APIError:
    """The exception for an HTTP error status of a MiniMax call named ``operation``."""
    head = f"MiniMax {operation}: HTTP {status}"
    if status in (401, 403):
        return AuthenticationError(f"{head}; check {MINIMAX_API_KEY_ENV}", status_code=status)
    if status == 402:
        return InsufficientCreditsError(head, status_code=status)
    if status == 429:
        return RateLimitError(head, status_code=status)
    if status >= 500 or status == 408:
        return ServerError(head, status_code=status)
    return InvalidParameterError(head, status_code=status)
