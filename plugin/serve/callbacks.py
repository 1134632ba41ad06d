"""Completion callbacks: a signed ``POST`` of the job's document to the job's ``callbackURL``.

Headers: ``X-MinimaxCover-Timestamp`` (Unix seconds) and ``X-MinimaxCover-Signature``
(``sha256=<hex>``, HMAC-SHA256 with the service's callback secret over
``<timestamp>.<raw body>``). A receiver recomputes it over the raw bytes it got, compares in
constant time, and rejects old timestamps (replays). Delivery is tried a few times with
backoff; a failure is logged, never fatal to the job.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "CallbackSender", "sign"]

log = logging.getLogger("minimax_cover.serve")

SIGNATURE_HEADER = "X-MinimaxCover-Signature"
TIMESTAMP_HEADER = "X-MinimaxCover-Timestamp"
ATTEMPTS = 3
TIMEOUT_S = (5.0, 10.0)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, ``timestamp + "." + body``)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class CallbackSender:
    """Sends signed callbacks with one shared HTTP session.

    :param secret: the HMAC key (``--callback-secret``).
    """

    def __init__(self, secret: str) -> None:
        import requests

        self._secret = secret
        self._session = requests.Session()
        self._session.trust_env = False  # straight to the receiver: no proxy sees the body

    def __repr__(self) -> str:
        return "CallbackSender()"

    def send(self, url: str, doc: dict[str, Any], *, sleep: Any = time.sleep) -> bool:
        """POST ``doc`` to ``url``, signed; True once a 2xx answer came."""
        import requests

        body = json.dumps(doc, separators=(",", ":")).encode()
        for attempt in range(ATTEMPTS):
            stamp = str(int(time.time()))
            headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: stamp,
                       SIGNATURE_HEADER: sign(self._secret, stamp, body)}
            try:
                answer = self._session.post(url, data=body, headers=headers, timeout=TIMEOUT_S)
                if 200 <= answer.status_code < 300:
                    return True
                log.warning("callback for job %s: HTTP %s", doc.get("id"), answer.status_code)
            except requests.RequestException as exc:
                log.warning("callback for job %s: %s", doc.get("id"), type(exc).__name__)
            sleep(0.5 * 2 ** attempt)
        return False

    def close(self) -> None:
        """Close the session."""
        self._session.close()
