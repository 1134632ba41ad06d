"""Keep API keys out of logs, messages and files.

Keys are registered when a client reads them (:func:`register_secret`); :func:`redact` replaces
every registered key, and anything shaped like a bearer token or an ``apiKey`` field, with
``[REDACTED]``. :func:`install_log_redaction` adds a filter doing the same to log records, and
:class:`RedactingStream` to a text stream (the CLI wraps stdout and stderr in one). Every key
the tool can see (the environment's and the config file's, not only the one in use) is
registered by :func:`~.config.register_known_secrets`.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

__all__ = ["REDACTED", "RedactingFilter", "RedactingStream", "install_log_redaction", "redact",
           "register_secret"]

REDACTED = "[REDACTED]"
_lock = threading.Lock()
_secrets: set[str] = set()
_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{6,}"),
    re.compile(r'(?i)("?(?:api[_-]?key|authorization)"?\s*[:=]\s*"?)([^"\s,}]{6,})'),
)


def register_secret(value: str | None) -> None:
    """Remember ``value`` as a secret to be redacted everywhere (ignored if short or empty)."""
    if value and len(value) >= 6:
        with _lock:
            _secrets.add(value)


def redact(text: Any) -> str:
    """``str(text)`` with every known secret and bearer-like token replaced."""
    out = str(text)
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in out:
            out = out.replace(secret, REDACTED)
    out = _PATTERNS[0].sub(lambda m: m.group(1) + REDACTED, out)
    out = _PATTERNS[1].sub(lambda m: m.group(1) + REDACTED, out)
    return out


class RedactingFilter(logging.Filter):
    """A logging filter that redacts secrets from the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is not ours to fix here
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_FILTER = RedactingFilter()


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Attach the redacting filter to ``logger`` (default: root) and its handlers, once."""
    target = logger or logging.getLogger()
    for item in (target, *target.handlers):
        if _FILTER not in item.filters:
            item.addFilter(_FILTER)
    pkg = logging.getLogger("minimax_cover")
    if _FILTER not in pkg.filters:
        pkg.addFilter(_FILTER)


class RedactingStream:
    """A text stream that redacts each piece written to it before passing it on."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        """Write ``text`` redacted; returns ``len(text)`` as a stream does."""
        self.inner.write(redact(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
