"""The request loop: POST a task array to Runware, retry what is safe, never pay twice.

Every call is ``POST <base_url>`` with a JSON array of tasks and ``Authorization: Bearer``.
Retries follow the protocol reference §8:

- 429/503 answered with a Runware ``errors`` body (the task was not queued) and connections
  that failed before the request was sent are retried, honouring ``Retry-After`` up to a cap;
- a task other than ``getResponse`` whose outcome is unknown (read timeout, connection dropped
  after sending, 408/5xx, unparsable body) is **never** sent again here:
  :class:`~..errors.OutcomeUnknownError` is raised and the caller looks the task up;
- an array of ``getResponse`` tasks only reads, so it is retried freely (within the budget).

Every exchange runs under a total deadline and a minimum rate (:mod:`..transport.deadline`):
a cut answer is an unknown outcome like a dropped connection. Answers are read as they stream
with bounded memory (:mod:`..transport.jsonstream`): too large or too deeply nested is an
unparsable answer (:class:`~..errors.ResponseFormatError`), never an exhausted process.

Logs (``minimax_cover.client``) carry method, path, task types and status, never headers,
bodies or keys.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import urlsplit

import requests

from ..constants import MAX_RETRY_AFTER_S
from ..errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    DeadlineExceededError,
    OutcomeUnknownError,
    ResponseFormatError,
)
from ..redaction import redact
from ..transport.body import iter_body
from ..transport.deadline import exchange
from ..transport.jsonstream import AnswerLimits, parse_stream
from ..transport.retry import RetryPolicy, parse_retry_after
from ..transport.send import Failure, send_with_retry
from ..transport.session import failed_before_sending
from ..transport.timeouts import Timeout
from .envelope import Envelope, answer_error, envelope_from_answer
from .errors import error_from
from .sleeper import CancelCheck, Sleeper

__all__ = ["REPEATABLE_TASK_TYPES", "Failure", "RunwareTransport"]

log = logging.getLogger("minimax_cover.client")

#: Task types that only read, so they may be sent again after an unknown outcome. Anything
#: else (inference: paid; mediaStorage: a taskUUID is single-use) raises OutcomeUnknownError.
REPEATABLE_TASK_TYPES = frozenset({"getResponse", "getTaskDetails", "accountManagement"})


class RunwareTransport:
    """Sends task arrays to one Runware endpoint over a caller's ``requests.Session``.

    :param api_key: sent as ``Authorization: Bearer``; kept in a private attribute.
    :param base_url: the endpoint every task array is POSTed to.
    :param session: the HTTP session (owned by the client).
    :param timeout: connect and default read timeout of every call.
    :param retry_policy: how often and how long to wait before retrying.
    :param sleeper: waits between retries (shared with the poller, for its clock).
    :param limits: caps on each answer (kept part, spooled inline audio, depth).
    """

    def __init__(self, *, api_key: str, base_url: str, session: requests.Session,
                 timeout: Timeout, retry_policy: RetryPolicy, sleeper: Sleeper,
                 limits: AnswerLimits | None = None) -> None:
        self.__api_key = api_key
        self.base_url = base_url
        self.session = session
        self.timeout = timeout
        self.retry_policy = retry_policy
        self.sleeper = sleeper
        self.limits = limits or AnswerLimits()
        self._path = urlsplit(base_url).path or "/"
        #: Headers added to every call (a copy with ``X-Runware-Dry-Run`` prices tasks).
        self.extra_headers: dict[str, str] = {}
        #: True once an answer carried ``X-Sandbox``: the built-in sandbox, not Runware.
        self.sandbox_seen = False
        #: ``time.monotonic()`` before which the server asked not to be asked again (its last
        #: ``Retry-After``); the collector keeps its ticks after it.
        self.retry_after_until = 0.0

    @property
    def identity(self) -> str:
        """The endpoint and key this transport talks to, hashed (the collector's lane key)."""
        import hashlib

        return self.base_url + "#" + hashlib.sha256(self.__api_key.encode()).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"RunwareTransport(base_url={self.base_url!r})"

    def post(self, tasks: list[dict[str, Any]], *, read_timeout: float | None = None,
             should_cancel: CancelCheck | None = None) -> Envelope:
        """POST ``tasks`` once, or again while that is safe; return the parsed envelope.

        Per-task ``errors`` in a 2xx answer are returned, not raised.

        :param read_timeout: overrides the read timeout for this call; a longer one than the
            client's is added to the deadline too (:meth:`Timeout.for_wait`).
        :param should_cancel: checked while waiting before a retry.
        :raises OutcomeUnknownError: a task other than ``getResponse`` may or may not have been
            accepted (it is never sent again here).
        :raises APIStatusError: 4xx answers, or retryable ones after the budget is spent.
        :raises APIConnectionError: the endpoint could not be reached.
        :raises Interrupted: ``should_cancel()`` returned True while waiting.
        """
        types = ",".join(str(t.get("taskType")) for t in tasks)
        writes = [t for t in tasks if t.get("taskType") not in REPEATABLE_TASK_TYPES]
        write_uuid = str(writes[0].get("taskUUID")) if writes else None
        body = json.dumps(tasks, separators=(",", ":"))
        timeout = self.timeout
        if read_timeout is not None:
            read = float(read_timeout)
            timeout = timeout.for_wait(read) if read > timeout.read_s else timeout.with_read(read)

        def unknown(failure: Failure) -> OutcomeUnknownError:
            error = failure.error
            return OutcomeUnknownError(
                f"outcome of task {write_uuid} is unknown ({error.message}); it was not "
                "submitted again", task_uuid=write_uuid, body=error.body)

        return send_with_retry(
            lambda: self._attempt(body, types, timeout, write_uuid), policy=self.retry_policy,
            sleeper=self.sleeper, repeatable=not writes, on_unknown=unknown,
            should_cancel=should_cancel, label=f"POST {self._path} [{types}]",
            task_uuid=write_uuid)

    # ------------------------------------------------------------------ one attempt

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.__api_key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            **self.extra_headers,
        }

    def _attempt(self, body: str, types: str, timeout: Timeout,
                 task_uuid: str | None) -> Envelope | Failure:
        """Send once; return the envelope or a classified failure (never raises APIError)."""
        started = time.monotonic()
        with exchange(timeout, f"answer of {self.base_url}") as watch:
            try:
                resp = self.session.post(
                    self.base_url,
                    data=body.encode("utf-8"),
                    headers=self._headers(),
                    timeout=timeout.as_requests(),
                    allow_redirects=False,
                    stream=True,
                )
            except requests.exceptions.RequestException as exc:
                if watch.expired() and not failed_before_sending(exc):
                    return Failure(watch.error(0, task_uuid=task_uuid), retryable=True,
                                   unknown=True)
                return self._transport_failure(exc, types, timeout.read_s)
            with resp:
                status = resp.status_code
                if resp.headers.get("X-Sandbox"):
                    self.sandbox_seen = True
                head = bytearray()
                env: Envelope | None = None
                bad: ResponseFormatError | None = None
                try:
                    answer = parse_stream(iter_body(resp, watch, task_uuid=task_uuid),
                                          self.limits, head=head)
                    env = envelope_from_answer(status, answer)
                except ResponseFormatError as exc:
                    bad = exc
                except ValueError as exc:  # too large, too deep, not JSON
                    bad = answer_error(status, exc, bytes(head))
                except DeadlineExceededError as exc:
                    log.debug("POST %s [%s]: %s", self._path, types, exc.message)
                    return Failure(exc, retryable=True, unknown=True)
                except requests.exceptions.RequestException as exc:
                    return self._transport_failure(exc, types, timeout.read_s)
        log.debug("POST %s [%s] -> HTTP %d in %.2f s", self._path, types, status,
                  time.monotonic() - started)
        if 200 <= status < 300:
            if env is not None:
                return env
            assert bad is not None
            return Failure(bad, retryable=True, unknown=True)
        if 300 <= status < 400:
            where = redact(resp.headers.get("Location", "?"))
            return Failure(APIStatusError(
                f"Runware endpoint {self.base_url} redirected (HTTP {status}) to {where}; set "
                "RUNWARE_API_URL to the final URL", status_code=status), retryable=False)
        first = env.errors[0] if env is not None and env.errors else None
        error = error_from(status, first, resp.headers, task_uuid=task_uuid)
        retry_after = resp.headers.get("Retry-After")
        hinted = parse_retry_after(retry_after)
        if hinted is not None:
            self.retry_after_until = max(self.retry_after_until,
                                         time.monotonic() + min(hinted, MAX_RETRY_AFTER_S))
        if status in (429, 503):
            # A Runware error body says the task was not queued; anything else is unknown.
            return Failure(error, retryable=True, unknown=first is None, retry_after=retry_after)
        if status == 408 or status >= 500:
            return Failure(error, retryable=True, unknown=True, retry_after=retry_after)
        return Failure(error, retryable=False)

    def _transport_failure(self, exc: requests.exceptions.RequestException, types: str,
                           read_timeout: float) -> Failure:
        reason = redact(type(exc).__name__)
        log.debug("POST %s [%s] failed: %s", self._path, types, reason)
        if isinstance(exc, requests.exceptions.SSLError):
            return Failure(APIConnectionError(
                f"TLS error talking to {self.base_url}: {redact(exc)}"), retryable=False)
        if failed_before_sending(exc):
            cls = APITimeoutError if isinstance(exc, requests.exceptions.Timeout) else (
                APIConnectionError)
            return Failure(cls(f"cannot connect to {self.base_url} ({reason}); nothing was sent"),
                           retryable=True)
        if isinstance(exc, requests.exceptions.Timeout):
            return Failure(APITimeoutError(
                f"no answer from {self.base_url} within {read_timeout:g} s (read timeout)"),
                retryable=True, unknown=True)
        if isinstance(exc, (requests.exceptions.ConnectionError,
                            requests.exceptions.ChunkedEncodingError,
                            requests.exceptions.ContentDecodingError)):
            return Failure(APIConnectionError(
                f"connection to {self.base_url} dropped after the request was sent ({reason})"),
                retryable=True, unknown=True)
        return Failure(APIConnectionError(f"request to {self.base_url} failed: {redact(exc)}"),
                       retryable=False)
