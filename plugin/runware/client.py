"""The Runware REST client (on ``requests``): submit, poll, upload, never pay twice.

Every call is ``POST <base_url>`` with a JSON array of tasks and ``Authorization: Bearer``.
Retries follow the protocol reference §8:

- 429/503 answered with a Runware ``errors`` body (the task was not queued) and connections
  that failed before the request was sent are retried, honouring ``Retry-After`` up to a cap;
- a paid submit whose outcome is unknown (read timeout, connection dropped after sending,
  408/5xx, unparsable body) is **never** sent again: :meth:`RunwareClient.run` asks
  ``getResponse`` with the same ``taskUUID`` and raises :class:`OutcomeUnknownError` if the task
  cannot be found;
- ``getResponse`` polls are retried freely (within the retry budget); an upload whose outcome is
  unknown is looked up with ``getResponse`` before it is sent again.

Environment read (at construction): ``RUNWARE_API_KEY`` (then ``runware_api_key`` in
``<config dir>/config.json``, ``MINIMAX_COVER_CONFIG_DIR`` overriding the folder) and
``RUNWARE_API_URL``. The key lives in a private attribute, is registered for redaction and is
only ever sent to the API endpoint; logs (``minimax_cover.client``) carry method, path, task
types and status, never headers, bodies or keys.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from ..config import config_file, resolve_api_key, resolve_base_url
from ..constants import (
    API_KEY_ENV,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT_S,
    POLL_BACKOFF_FACTOR,
    POLL_DEADLINE_S,
    POLL_INITIAL_INTERVAL_S,
    POLL_MAX_INTERVAL_S,
    RECOVERY_MAX_MISSES,
    SLEEP_SLICE_S,
    SYNC_READ_TIMEOUT_S,
    UPLOAD_POLL_DEADLINE_S,
)
from ..errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    InsufficientCreditsError,
    Interrupted,
    MissingAPIKeyError,
    NotFoundError,
    OutcomeUnknownError,
    ResponseFormatError,
    TaskFailedError,
)
from ..redaction import install_log_redaction, redact, register_secret
from ..results import GenerationResult, MediaRef, ProgressEvent, TaskResult
from ..transport.retry import RetryPolicy
from ..transport.session import SessionClient, failed_before_sending
from .envelope import (
    Envelope,
    error_from,
    generation_from_item,
    parse_envelope,
    task_error_from,
)

__all__ = ["RunwareClient", "Timeout"]

log = logging.getLogger("minimax_cover.client")

#: ``(connect_s, read_s)`` or one number for both.
Timeout = float | tuple[float, float]
ProgressCallback = Callable[[ProgressEvent], None]
ResultCallback = Callable[[GenerationResult], None]
CancelCheck = Callable[[], bool]

#: Task types that only read, so they may be sent again after an unknown outcome. Anything
#: else (inference: paid; mediaStorage: a taskUUID is single-use) raises OutcomeUnknownError.
_REPEATABLE = frozenset({"getResponse"})


class _Failure:
    """One failed attempt: the error to raise and whether/how it may be retried."""

    __slots__ = ("error", "retryable", "unknown", "retry_after")

    def __init__(self, error: APIError, *, retryable: bool, unknown: bool = False,
                 retry_after: str | None = None) -> None:
        self.error = error
        self.retryable = retryable
        self.unknown = unknown  # the request may have been processed
        self.retry_after = retry_after


def _timeout_pair(timeout: Timeout) -> tuple[float, float]:
    if isinstance(timeout, (int, float)):
        return float(timeout), float(timeout)
    connect, read = timeout
    return float(connect), float(read)


def _number_results(task: Mapping[str, Any]) -> int:
    try:
        return max(1, int(task.get("numberResults", 1)))
    except (TypeError, ValueError):
        return 1


def _is_async(task: Mapping[str, Any]) -> bool:
    return str(task.get("deliveryMethod", "sync")).lower() == "async"


class _Tracker:
    """Collects the generations of one task across cumulative answers (de-duplicated)."""

    def __init__(self, task_uuid: str, total: int, elapsed: Callable[[], float],
                 on_progress: ProgressCallback | None, on_result: ResultCallback | None) -> None:
        self.task_uuid = task_uuid
        self.total = total
        self.elapsed = elapsed
        self.on_progress = on_progress
        self.on_result = on_result
        self.successes: dict[str, GenerationResult] = {}
        self.failures: dict[str, GenerationResult] = {}
        self.running = 0
        self.progress: float | None = None

    @staticmethod
    def _key(result: GenerationResult) -> str:
        if result.audio_uuid:
            return "uuid:" + result.audio_uuid
        if result.result_index is not None:
            return f"index:{result.result_index}"
        if result.status == "error":
            err = result.raw.get("error")
            detail = err if isinstance(err, Mapping) else result.raw
            return f"error:{detail.get('code')}:{detail.get('message')}"
        return "out:" + str(result.url or hash(result.data_uri or result.base64_data or ""))

    @property
    def done(self) -> int:
        return len(self.successes) + len(self.failures)

    @property
    def finished(self) -> bool:
        """All generations are terminal, or one failed and the server reports none running."""
        return self.done >= self.total or (bool(self.failures) and self.running == 0)

    def cost(self) -> float | None:
        costs = [r.cost for r in self.successes.values() if r.cost is not None]
        return round(sum(costs), 10) if costs else None

    def emit(self, phase: str) -> None:
        if self.on_progress is not None:
            self.on_progress(ProgressEvent(
                task_uuid=self.task_uuid, phase=phase, done=self.done, total=self.total,
                elapsed_s=round(self.elapsed(), 3), progress=self.progress, cost=self.cost(),
            ))

    def add(self, results: Iterable[GenerationResult]) -> None:
        running: list[float | None] = []
        for result in results:
            if result.status == "processing":
                running.append(result.progress)
                continue
            key = self._key(result)
            if key in self.successes or key in self.failures:
                continue
            if result.status == "success":
                self.successes[key] = result
                if self.on_result is not None:
                    self.on_result(result)
                self.emit("result")
            else:
                self.failures[key] = result
        self.running = len(running)
        known = [p for p in running if p is not None]
        if known:
            partial = sum(min(100.0, max(0.0, p)) for p in known) / 100.0
            self.progress = min(1.0, (len(self.successes) + partial) / self.total)
        elif self.done:
            self.progress = min(1.0, self.done / self.total)

    def failed(self) -> TaskFailedError:
        """The error for the first failure, carrying the paid successes."""
        source = next(iter(self.failures.values())).raw
        return task_error_from(source, task_uuid=self.task_uuid,
                               partial_results=list(self.successes.values()), total=self.total)

    def result(self) -> TaskResult:
        self.progress = 1.0
        self.emit("done")
        return TaskResult.from_results(self.task_uuid, self.successes.values())


class RunwareClient(SessionClient):
    """A synchronous client for Runware's REST API (one ``requests.Session`` per client).

    :param api_key: the key; default ``RUNWARE_API_KEY``, then the config file.
    :param base_url: the endpoint; default ``RUNWARE_API_URL``, then Runware's ``/v1``.
    :param timeout: ``(connect_s, read_s)`` for every call but sync submits (or one number).
    :param sync_read_timeout_s: read timeout of a ``sync`` submit (the whole generation).
    :param max_retries: retry budget for retryable failures (ignored with ``retry_policy``).
    :param retry_policy: backoff and ``Retry-After`` policy (default from the constants).
    :param poll_initial_s: first ``getResponse`` interval; grows by ``POLL_BACKOFF_FACTOR``.
    :param poll_max_s: cap of the poll interval.
    :param poll_deadline_s: give up waiting for a task after this long (it is not resubmitted).
    :param http_client: a caller-built ``requests.Session`` (proxies, CA bundle, pools); the
        caller closes it.
    :param sleep: the sleep function (inject a fake one in tests).
    :raises MissingAPIKeyError: no key was given or found.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT_S,
        sync_read_timeout_s: float = SYNC_READ_TIMEOUT_S,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_policy: RetryPolicy | None = None,
        poll_initial_s: float = POLL_INITIAL_INTERVAL_S,
        poll_max_s: float = POLL_MAX_INTERVAL_S,
        poll_deadline_s: float = POLL_DEADLINE_S,
        http_client: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        key = resolve_api_key(api_key)
        if not key:
            raise MissingAPIKeyError(
                f"no Runware API key: set {API_KEY_ENV} or add \"runware_api_key\" to "
                f"{config_file()}"
            )
        register_secret(key)
        install_log_redaction(log)
        self.__api_key = key
        self.base_url = resolve_base_url(base_url)
        self._path = urlsplit(self.base_url).path or "/"
        self.timeout = _timeout_pair(timeout)
        self.sync_read_timeout_s = float(sync_read_timeout_s)
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self.poll_initial_s = float(poll_initial_s)
        self.poll_max_s = float(poll_max_s)
        self.poll_deadline_s = float(poll_deadline_s)
        self._sleep = sleep or time.sleep
        self._slept = 0.0
        self._init_session(http_client)

    # ------------------------------------------------------------------ lifecycle

    def __repr__(self) -> str:
        return f"RunwareClient(base_url={self.base_url!r})"

    def with_options(self, **overrides: Any) -> RunwareClient:
        """A copy with some constructor arguments replaced; it shares this client's session.

        The copy never closes the shared session; close the original when done.
        """
        options: dict[str, Any] = {
            "api_key": self.__api_key,
            "base_url": self.base_url,
            "timeout": self.timeout,
            "sync_read_timeout_s": self.sync_read_timeout_s,
            "retry_policy": self.retry_policy,
            "poll_initial_s": self.poll_initial_s,
            "poll_max_s": self.poll_max_s,
            "poll_deadline_s": self.poll_deadline_s,
            "http_client": self._session,
            "sleep": self._sleep,
        }
        if "max_retries" in overrides and "retry_policy" not in overrides:
            options["retry_policy"] = self.retry_policy.with_max_retries(
                overrides.pop("max_retries"))
        unknown = set(overrides) - set(options)
        if unknown:
            raise TypeError(f"with_options: unknown option(s) {', '.join(sorted(unknown))}")
        options.update(overrides)
        return RunwareClient(**options)

    @property
    def download_session(self) -> requests.Session:
        """The session for fetching result URLs: it carries no ``Authorization`` header."""
        return self._session

    # ------------------------------------------------------------------ transport

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.__api_key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

    def _wait(self, seconds: float, should_cancel: CancelCheck | None = None,
              task_uuid: str | None = None) -> None:
        """Sleep ``seconds``, in slices of at most ``SLEEP_SLICE_S`` when cancellable."""
        if should_cancel is None:
            if seconds > 0:
                self._sleep(seconds)
                self._slept += seconds
            return
        remaining = seconds
        while True:
            if should_cancel():
                raise Interrupted(
                    f"interrupted while waiting for task {task_uuid}; it was not cancelled on "
                    "the server: resume it with the same taskUUID",
                    task_uuid=task_uuid,
                )
            if remaining <= 0:
                return
            step = min(SLEEP_SLICE_S, remaining)
            self._sleep(step)
            self._slept += step
            remaining -= step

    def _attempt(self, body: str, types: str, read_timeout: float,
                 task_uuid: str | None) -> Envelope | _Failure:
        """Send once; return the envelope or a classified failure (never raises APIError)."""
        started = time.monotonic()
        try:
            resp = self._session.post(
                self.base_url,
                data=body.encode("utf-8"),
                headers=self._headers(),
                timeout=(self.timeout[0], read_timeout),
                allow_redirects=False,
            )
        except requests.exceptions.RequestException as exc:
            return self._transport_failure(exc, types, read_timeout)
        status = resp.status_code
        log.debug("POST %s [%s] -> HTTP %d in %.2f s", self._path, types, status,
                  time.monotonic() - started)
        env: Envelope | None
        try:
            env = parse_envelope(status, resp.headers, resp.text)
            bad: ResponseFormatError | None = None
        except ResponseFormatError as exc:
            env, bad = None, exc
        if 200 <= status < 300:
            if env is not None:
                return env
            assert bad is not None
            return _Failure(bad, retryable=True, unknown=True)
        if 300 <= status < 400:
            where = redact(resp.headers.get("Location", "?"))
            return _Failure(APIStatusError(
                f"Runware endpoint {self.base_url} redirected (HTTP {status}) to {where}; set "
                "RUNWARE_API_URL to the final URL", status_code=status), retryable=False)
        first = env.errors[0] if env is not None and env.errors else None
        error = error_from(status, first, resp.headers, task_uuid=task_uuid)
        retry_after = resp.headers.get("Retry-After")
        if status in (429, 503):
            # A Runware error body says the task was not queued; anything else is unknown.
            return _Failure(error, retryable=True, unknown=first is None, retry_after=retry_after)
        if status == 408 or status >= 500:
            return _Failure(error, retryable=True, unknown=True, retry_after=retry_after)
        return _Failure(error, retryable=False)

    def _transport_failure(self, exc: requests.exceptions.RequestException, types: str,
                           read_timeout: float) -> _Failure:
        reason = redact(type(exc).__name__)
        log.debug("POST %s [%s] failed: %s", self._path, types, reason)
        if isinstance(exc, requests.exceptions.SSLError):
            return _Failure(APIConnectionError(
                f"TLS error talking to {self.base_url}: {redact(exc)}"), retryable=False)
        if failed_before_sending(exc):
            cls = APITimeoutError if isinstance(exc, requests.exceptions.Timeout) else (
                APIConnectionError)
            return _Failure(cls(f"cannot connect to {self.base_url} ({reason}); nothing was sent"),
                            retryable=True)
        if isinstance(exc, requests.exceptions.Timeout):
            return _Failure(APITimeoutError(
                f"no answer from {self.base_url} within {read_timeout:g} s (read timeout)"),
                retryable=True, unknown=True)
        if isinstance(exc, (requests.exceptions.ConnectionError,
                            requests.exceptions.ChunkedEncodingError,
                            requests.exceptions.ContentDecodingError)):
            return _Failure(APIConnectionError(
                f"connection to {self.base_url} dropped after the request was sent ({reason})"),
                retryable=True, unknown=True)
        return _Failure(APIConnectionError(f"request to {self.base_url} failed: {redact(exc)}"),
                        retryable=False)

    def _request(self, tasks: list[dict[str, Any]], *, read_timeout: float | None = None,
                 should_cancel: CancelCheck | None = None) -> Envelope:
        types = ",".join(str(t.get("taskType")) for t in tasks)
        writes = [t for t in tasks if t.get("taskType") not in _REPEATABLE]
        write_uuid = str(writes[0].get("taskUUID")) if writes else None
        body = json.dumps(tasks, separators=(",", ":"))
        read = float(read_timeout) if read_timeout is not None else self.timeout[1]
        attempt = 0
        while True:
            outcome = self._attempt(body, types, read, write_uuid)
            if isinstance(outcome, Envelope):
                return outcome
            error = outcome.error
            if outcome.unknown and writes:
                log.warning("POST %s [%s]: outcome unknown (%s); task %s is not sent again",
                            self._path, types, type(error).__name__, write_uuid)
                raise OutcomeUnknownError(
                    f"outcome of task {write_uuid} is unknown ({error.message}); it was not "
                    "submitted again", task_uuid=write_uuid, body=error.body) from error
            delay = self.retry_policy.delay(attempt, outcome.retry_after) if (
                outcome.retryable) else None
            if delay is None:
                raise error
            attempt += 1
            log.info("POST %s [%s]: %s; retry %d/%d in %.2f s", self._path, types,
                     type(error).__name__, attempt, self.retry_policy.max_retries, delay)
            self._wait(delay, should_cancel, write_uuid)

    def post_tasks(self, tasks: list[dict[str, Any]], *, read_timeout: float | None = None
                   ) -> Envelope:
        """POST a task array and return the parsed envelope (low level).

        Retries 429/503 answered with a Runware error body and connections that failed before
        sending, honouring ``Retry-After``; retries every transient failure of an array of
        ``getResponse`` tasks. Per-task ``errors`` in a 2xx answer are returned, not raised.

        :param read_timeout: overrides the read timeout for this call.
        :raises OutcomeUnknownError: a task other than ``getResponse`` may or may not have been
            accepted (it is never sent again here).
        :raises APIStatusError: 4xx answers, or retryable ones after the budget is spent.
        :raises APIConnectionError: the endpoint could not be reached.
        """
        return self._request(tasks, read_timeout=read_timeout)

    # ------------------------------------------------------------------ tasks

    @staticmethod
    def _prepare(task: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(task)
        out.setdefault("taskType", "audioInference")
        if not out.get("taskUUID"):
            out["taskUUID"] = str(uuid.uuid4())
        return out

    def _submit_envelope(self, task: dict[str, Any],
                         should_cancel: CancelCheck | None = None) -> Envelope:
        read = self.timeout[1] if _is_async(task) else self.sync_read_timeout_s
        log.info("submitting %s task %s (%s)", task.get("taskType"), task["taskUUID"],
                 "async" if _is_async(task) else "sync")
        return self._request([task], read_timeout=read, should_cancel=should_cancel)

    @staticmethod
    def _items(env: Envelope, task_uuid: str) -> list[GenerationResult]:
        """The task's items; generation failures in ``errors`` become ``error`` items.

        Any other error for the task (validation, auth, credits, not found...) is raised.
        """
        results = [generation_from_item(item, task_uuid=task_uuid)
                   for item in env.data_for(task_uuid)
                   if item.get("taskType") not in ("authentication", "getResponse")]
        for err in env.errors_for(task_uuid):
            error = error_from(None if env.status_code == 200 else env.status_code, err,
                               task_uuid=task_uuid)
            if not isinstance(error, TaskFailedError):
                raise error
            failed = {"taskUUID": task_uuid, "status": "error",
                      "error": {"code": err["code"], "message": err["message"]}}
            for name in ("resultIndex", "audioUUID", "responseContent"):
                if name in err:
                    failed[name] = err[name]
            results.append(generation_from_item(failed, task_uuid=task_uuid))
        return results

    @staticmethod
    def _raise_failed(results: list[GenerationResult], task_uuid: str, total: int) -> None:
        failed = [r for r in results if r.status == "error"]
        if failed:
            kept = [r for r in results if r.status == "success"]
            raise task_error_from(failed[0].raw, task_uuid=task_uuid, partial_results=kept,
                                  total=total)

    def submit(self, task: Mapping[str, Any]) -> list[GenerationResult]:
        """Submit one inference task once; return the items of the answer.

        A ``sync`` task (the default) answers with its results; an ``async`` one with an
        acknowledgment that usually holds no items (poll :meth:`get_response`).

        :raises TaskFailedError: the answer carries a failed generation (paid successes kept).
        :raises OutcomeUnknownError: the submit's fate is unknown; it was not sent again.
        :raises APIStatusError: the task was rejected (``InvalidParameterError``...).
        """
        prepared = self._prepare(task)
        uuid_ = prepared["taskUUID"]
        results = self._items(self._submit_envelope(prepared), uuid_)
        self._raise_failed(results, uuid_, _number_results(prepared))
        return results

    def get_response(self, task_uuid: str) -> list[GenerationResult]:
        """Poll ``getResponse`` once; return the task's items (cumulative; any status).

        Failed generations come back as ``status == "error"`` items whatever their shape
        (nested, flat, or in the answer's ``errors`` array).

        :raises NotFoundError: the server does not know the task (``taskFailedOrNotFound``).
        """
        return self._get_response(task_uuid)

    def _get_response(self, task_uuid: str, should_cancel: CancelCheck | None = None
                      ) -> list[GenerationResult]:
        env = self._request([{"taskType": "getResponse", "taskUUID": task_uuid}],
                            should_cancel=should_cancel)
        return self._items(env, task_uuid)

    def _elapsed_since(self) -> Callable[[], float]:
        t0, s0 = time.monotonic(), self._slept
        return lambda: max(time.monotonic() - t0, self._slept - s0)

    def run(
        self,
        task: Mapping[str, Any],
        *,
        on_progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
        on_result: ResultCallback | None = None,
    ) -> TaskResult:
        """Submit ``task`` once and wait until every generation is finished.

        ``sync`` tasks return with the answer; ``async`` ones are polled with ``getResponse``
        (exponential backoff from ``poll_initial_s``, capped at ``poll_max_s``, bounded by
        ``poll_deadline_s``). ``on_result`` is called as each generation succeeds (partial
        results); ``should_cancel`` is checked at least twice a second while waiting (between
        polls and retries: a ``sync`` submit blocks until its answer or read timeout).
        If the submit's outcome is unknown the task is not submitted again: it is looked up with
        ``getResponse`` (same ``taskUUID``).

        :returns: the successful generations and ``cost_total`` (``None`` without
            ``includeCost``).
        :raises TaskFailedError: a generation failed; ``partial_results`` keeps paid successes.
        :raises OutcomeUnknownError: the task could not be found or did not finish in time.
        :raises Interrupted: ``should_cancel()`` returned True (``task_uuid`` is set).
        """
        prepared = self._prepare(task)
        uuid_ = prepared["taskUUID"]
        tracker = _Tracker(uuid_, _number_results(prepared), self._elapsed_since(),
                           on_progress, on_result)
        tracker.emit("submitting")
        try:
            env = self._submit_envelope(prepared, should_cancel)
        except OutcomeUnknownError as exc:
            log.warning("task %s: recovering with getResponse after an unknown outcome", uuid_)
            return self._collect(tracker, should_cancel, accepted=False, cause=exc)
        tracker.add(self._items(env, uuid_))
        if not _is_async(prepared):
            if tracker.failures:
                raise tracker.failed()
            if len(tracker.successes) < tracker.total:
                log.warning("task %s: sync answer has %d of %d results", uuid_,
                            len(tracker.successes), tracker.total)
            return tracker.result()
        if tracker.finished:
            if tracker.failures:
                raise tracker.failed()
            return tracker.result()
        tracker.emit("queued")
        return self._collect(tracker, should_cancel, accepted=True)

    def resume(
        self,
        task: Mapping[str, Any],
        *,
        on_progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
        on_result: ResultCallback | None = None,
    ) -> TaskResult:
        """Collect an already submitted task (same ``taskUUID``) with ``getResponse`` only.

        Never submits. Raises like :meth:`run`; :class:`OutcomeUnknownError` when the server
        does not know the task.
        """
        uuid_ = str(task.get("taskUUID") or "")
        if not uuid_:
            raise ValueError("resume: the task has no taskUUID")
        tracker = _Tracker(uuid_, _number_results(task), self._elapsed_since(),
                           on_progress, on_result)
        return self._collect(tracker, should_cancel, accepted=False, cause=None)

    def _collect(self, tracker: _Tracker, should_cancel: CancelCheck | None, *,
                 accepted: bool, cause: BaseException | None = None) -> TaskResult:
        """Poll ``getResponse`` until the task is finished (see :meth:`run`)."""
        uuid_ = tracker.task_uuid
        interval = self.poll_initial_s
        seen = accepted
        misses = 0
        wait_first = accepted
        while True:
            if wait_first:
                self._wait(interval, should_cancel, uuid_)
                interval = min(interval * POLL_BACKOFF_FACTOR, self.poll_max_s)
            wait_first = True
            if tracker.elapsed() > self.poll_deadline_s:
                raise OutcomeUnknownError(
                    f"task {uuid_} did not finish within {self.poll_deadline_s:g} s; it was not "
                    "submitted again: resume it later with the same taskUUID",
                    task_uuid=uuid_) from cause
            try:
                results: list[GenerationResult] | None = self._get_response(uuid_, should_cancel)
            except NotFoundError:
                results = None
            except (APIConnectionError, APIStatusError, ResponseFormatError) as exc:
                if isinstance(exc, (AuthenticationError, InsufficientCreditsError)):
                    raise
                raise OutcomeUnknownError(
                    f"could not collect task {uuid_} ({exc.message}); it was not submitted "
                    "again: resume it later with the same taskUUID", task_uuid=uuid_) from exc
            if not results and (results is None or not seen):
                misses += 1
                if misses >= RECOVERY_MAX_MISSES:
                    why = "does not know the task" if results is None else "returns nothing"
                    origin = cause.__cause__ if cause is not None else None
                    after = f" after {origin.message}" if isinstance(origin, APIError) else ""
                    raise OutcomeUnknownError(
                        f"outcome of task {uuid_} is unknown{after}: getResponse {why} after "
                        f"{misses} attempts; it was not submitted again (check your Runware "
                        "dashboard before retrying)", task_uuid=uuid_) from cause
                continue
            misses = 0
            seen = True
            tracker.add(results or [])
            if tracker.finished:
                if tracker.failures:
                    raise tracker.failed()
                return tracker.result()
            tracker.emit("processing")

    # ------------------------------------------------------------------ media

    def upload_media(self, data: bytes, *, mime: str | None = None) -> MediaRef:
        """Upload bytes with ``mediaStorage`` (raw base64); return the media UUID and URL.

        An answer without a ``mediaUUID`` is polled with ``getResponse`` for at most
        ``UPLOAD_POLL_DEADLINE_S``. After an unknown outcome (dropped connection, 5xx...) the
        upload is first looked up with ``getResponse``, and only sent again, with a new
        ``taskUUID``, if the server does not know it (uploads are free; once at most).
        ``mime`` is only logged (the server sniffs the bytes).
        """
        if not data:
            raise ValueError("upload_media: no data to upload")
        media = base64.b64encode(bytes(data)).decode("ascii")
        log.info("uploading %d bytes (%s) with mediaStorage", len(data), mime or "unknown type")
        for attempt in (1, 2):
            task_uuid = str(uuid.uuid4())
            task = {"taskType": "mediaStorage", "taskUUID": task_uuid, "operation": "upload",
                    "media": media}
            try:
                env = self._request([task])
            except OutcomeUnknownError:
                ref = self._await_upload(task_uuid, known=False)
                if ref is None and attempt == 1:
                    log.info("upload %s not found after an unknown outcome; sending it again",
                             task_uuid)
                    continue
                if ref is None:
                    raise
            else:
                self._raise_media_errors(env, task_uuid)
                ref = self._media_ref(env.data_for(task_uuid)) or self._await_upload(
                    task_uuid, known=True)
            assert ref is not None
            log.info("uploaded media %s", ref.media_uuid)
            return ref
        raise AssertionError("unreachable")  # pragma: no cover

    def _await_upload(self, task_uuid: str, *, known: bool) -> MediaRef | None:
        """Poll ``getResponse`` until an upload has a ``mediaUUID``.

        Returns ``None`` when ``known`` is false and the server does not know the upload.
        """
        elapsed = self._elapsed_since()
        interval = self.poll_initial_s
        wait = known
        while True:
            if wait:
                if elapsed() > UPLOAD_POLL_DEADLINE_S:
                    raise ResponseFormatError(
                        f"mediaStorage upload {task_uuid} returned no mediaUUID within "
                        f"{UPLOAD_POLL_DEADLINE_S:g} s", task_uuid=task_uuid)
                self._wait(interval)
                interval = min(interval * POLL_BACKOFF_FACTOR, self.poll_max_s)
            wait = True
            try:
                poll = self._request([{"taskType": "getResponse", "taskUUID": task_uuid}])
                self._raise_media_errors(poll, task_uuid)
            except NotFoundError:
                if not known:
                    return None
                raise
            items = poll.data_for(task_uuid)
            ref = self._media_ref(items)
            if ref is not None:
                return ref
            if not items and not known:
                return None
            known = True

    @staticmethod
    def _media_ref(items: list[dict[str, Any]]) -> MediaRef | None:
        for item in items:
            media_uuid = item.get("mediaUUID")
            if media_uuid not in (None, "", "1"):
                url = item.get("mediaURL")
                return MediaRef(str(media_uuid), str(url) if url else None)
        return None

    def delete_media(self, media_uuid: str) -> None:
        """Delete uploaded media with ``mediaStorage`` ``operation: "delete"``.

        After an unknown outcome the delete is sent once more (new ``taskUUID``); a
        not-found answer to that second attempt means the first one worked.

        :raises NotFoundError: the media does not exist.
        """
        for attempt in (1, 2):
            task_uuid = str(uuid.uuid4())
            try:
                env = self._request([{"taskType": "mediaStorage", "taskUUID": task_uuid,
                                      "operation": "delete", "mediaUUID": media_uuid}])
                self._raise_media_errors(env, task_uuid)
                return
            except OutcomeUnknownError:
                if attempt == 2:
                    raise
            except NotFoundError:
                if attempt == 1:
                    raise
                return

    @staticmethod
    def _raise_media_errors(env: Envelope, task_uuid: str) -> None:
        errors = env.errors_for(task_uuid)
        if errors:
            raise error_from(None if env.status_code == 200 else env.status_code, errors[0],
                             task_uuid=task_uuid)

    def fetch(self, result: GenerationResult, dest: str | Path, *, expected_format: str,
              **options: Any) -> Path:
        """Download or decode ``result`` to ``dest`` (see :func:`.download.fetch_result`)."""
        from ..transport.download import fetch_result

        options.setdefault("timeout", self.timeout)
        return fetch_result(result, Path(dest), expected_format=expected_format,
                            session=self._session, **options)
