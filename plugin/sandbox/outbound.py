"""The sandbox's outgoing HTTP: webhooks, ``uploadEndpoint`` PUTs and input fetches, loopback only.

The sandbox never opens a connection to anything but a loopback address: every URL is checked
with :func:`is_loopback_url` first, and a refused URL is recorded, not contacted. ``http.client``
is used directly, so no proxy settings from the environment can reroute a request.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "OutboundError",
    "deliver",
    "fetch_bytes",
    "is_loopback_url",
    "safe_url",
]

log = logging.getLogger("minimax_cover.sandbox")

#: Webhook/upload retries: first delay, growth, cap, attempts (Runware's integration skill).
RETRY_FIRST_DELAY_S = 0.25
RETRY_MAX_DELAY_S = 8.0
RETRY_MAX_TRIES = 5
OUTBOUND_TIMEOUT_S = 3.0


class OutboundError(Exception):
    """A loopback request failed or a URL was refused (the message says which)."""


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` is http(s) on ``localhost`` or a loopback IP (127.0.0.0/8, ``::1``)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def safe_url(url: str) -> str:
    """``url`` without its query and fragment (which may hold tokens), for logs and messages."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"


def _connection(url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname or "", parts.port, timeout=timeout)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return conn, target


def _request(method: str, url: str, body: bytes | None, headers: dict[str, str],
             timeout: float, max_bytes: int | None = None) -> tuple[int, bytes]:
    if not is_loopback_url(url):
        raise OutboundError(f"refused {safe_url(url)}: the sandbox only contacts loopback URLs")
    conn, target = _connection(url, timeout)
    try:
        conn.request(method, target, body=body, headers=headers)
        response = conn.getresponse()
        limit = -1 if max_bytes is None else max_bytes + 1
        data = response.read(limit) if limit >= 0 else response.read()
        if max_bytes is not None and len(data) > max_bytes:
            raise OutboundError(f"{safe_url(url)}: larger than {max_bytes} bytes")
        return response.status, data
    except (OSError, http.client.HTTPException) as exc:
        raise OutboundError(f"{safe_url(url)}: {type(exc).__name__}: {exc}") from exc
    finally:
        conn.close()


def fetch_bytes(url: str, *, max_bytes: int, timeout: float = OUTBOUND_TIMEOUT_S) -> bytes:
    """GET a loopback URL's body (at most ``max_bytes``); raises :class:`OutboundError`."""
    status, data = _request("GET", url, None, {"User-Agent": "minimax-cover-sandbox"},
                            timeout, max_bytes)
    if not 200 <= status < 300:
        raise OutboundError(f"{safe_url(url)}: HTTP {status}")
    return data


def deliver(
    method: str,
    url: str,
    body: bytes,
    content_type: str,
    *,
    record: Callable[[dict[str, Any]], None],
    stop: threading.Event,
    meta: dict[str, Any] | None = None,
    tries: int | None = None,
) -> bool:
    """Send ``body`` to ``url``, retrying failures and non-2xx answers with backoff.

    Backoff starts at 250 ms and doubles up to 8 s, for at most ``tries`` attempts; ``stop``
    ends the waiting early. Every attempt (or the refusal of a non-loopback URL) is passed to
    ``record`` as ``{"url", "method", "status", "bytes", "attempt", "error", "at", ...meta}``
    (``at``: ``time.monotonic()`` when the attempt ended). Returns whether a 2xx answer came.
    """
    tries = RETRY_MAX_TRIES if tries is None else tries
    base = {"url": url, "method": method, "bytes": len(body), "content_type": content_type,
            **(meta or {})}
    if not is_loopback_url(url):
        record({**base, "status": None, "attempt": 0, "refused": True, "at": time.monotonic(),
                "error": "refused: the sandbox only contacts 127.0.0.1, localhost or ::1"})
        log.warning("sandbox: refused %s to %s (not a loopback address)", method, safe_url(url))
        return False
    headers = {"Content-Type": content_type, "User-Agent": "minimax-cover-sandbox",
               "X-Sandbox": "true"}
    delay = RETRY_FIRST_DELAY_S
    for attempt in range(1, tries + 1):
        status: int | None = None
        error: str | None = None
        try:
            status, _ = _request(method, url, body, headers, OUTBOUND_TIMEOUT_S, 1 << 20)
        except OutboundError as exc:
            error = str(exc)
        ok = status is not None and 200 <= status < 300
        record({**base, "status": status, "attempt": attempt, "refused": False, "error": error,
                "at": time.monotonic()})
        if ok:
            return True
        log.info("sandbox: %s %s attempt %d failed (%s)", method, safe_url(url), attempt,
                 status if status is not None else error)
        if attempt == tries or stop.wait(delay):
            return False
        delay = min(RETRY_MAX_DELAY_S, delay * 2)
    return False
