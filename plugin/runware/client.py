"""The Runware REST client (on ``requests``): submit, poll, upload, never pay twice.

:class:`RunwareClient` is the public face; the work is done by small parts it wires together
(as openai-python's client sits on ``_base_client``):

- :mod:`.transport`: the request loop (envelope POST, retries, ``Retry-After``, unknown
  outcomes; protocol reference §8);
- :mod:`.polling` and :mod:`.tracker`: ``getResponse`` polling and the generations gathered;
- :mod:`.media`: ``mediaStorage`` uploads and deletes;
- :mod:`.tasks`, :mod:`.envelope`, :mod:`.errors`: the wire format, parsed and classified.

A paid submit whose outcome is unknown (read timeout, connection dropped after sending, 408/5xx,
unparsable body) is **never** sent again: :meth:`RunwareClient.run` asks ``getResponse`` with
the same ``taskUUID`` and raises :class:`~..errors.OutcomeUnknownError` if the task cannot be
found.

Environment read (at construction): ``RUNWARE_API_KEY`` (then ``runware_api_key`` in
``<config dir>/config.json``, ``MINIMAX_COVER_CONFIG_DIR`` overriding the folder) and
``RUNWARE_API_URL``. The key lives in a private attribute, is registered for redaction and is
only ever sent to the API endpoint; logs (``minimax_cover.client``) carry method, path, task
types and status, never headers, bodies or keys.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import requests

from ..config import config_file, resolve_api_key, resolve_base_url
from ..constants import (
    API_KEY_ENV,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT_S,
    MAX_DOWNLOAD_BYTES,
    POLL_DEADLINE_S,
    POLL_INITIAL_INTERVAL_S,
    POLL_MAX_INTERVAL_S,
    SYNC_READ_TIMEOUT_S,
)
from ..errors import Interrupted, MinimaxCoverError, MissingAPIKeyError, OutcomeUnknownError
from ..redaction import install_log_redaction, register_secret
from ..results import GenerationResult, MediaRef, ProgressEvent, TaskResult, Ticket
from ..transport.jsonstream import AnswerLimits, encoded_size
from ..transport.retry import RetryPolicy
from ..transport.session import SessionClient
from ..transport.timeouts import Timeout, TimeoutLike
from .collector import Waiter, wait_for
from .envelope import Envelope
from .media import MediaStorage
from .pacing import PaceSettings
from .polling import Poller, PollSettings
from .sleeper import CancelCheck, Sleeper
from .tasks import is_async, number_results, prepare_task, raise_failed, task_items
from .tracker import GenerationTracker, ProgressCallback, ResultCallback
from .transport import RunwareTransport

__all__ = ["RunwareClient", "Timeout"]

log = logging.getLogger("minimax_cover.client")


class RunwareClient(SessionClient):
    """A synchronous client for Runware's REST API (one ``requests.Session`` per client).

    :param api_key: the key; default ``RUNWARE_API_KEY``, then the config file.
    :param base_url: the endpoint; default ``RUNWARE_API_URL``, then Runware's ``/v1``.
    :param timeout: a :class:`~..transport.timeouts.Timeout`, ``(connect_s, read_s)`` or one
        number, for every call and result download; its ``total_s`` bounds each whole
        exchange and its ``min_rate_bps`` each answer and download.
    :param sync_read_timeout_s: read timeout of a ``sync`` submit (the whole generation); it
        is added to the deadline of that call.
    :param max_result_bytes: largest result accepted, downloaded or inline (base64 and data
        URIs are decoded piece by piece with this cap); answers are read with bounded memory.
    :param max_retries: retry budget for retryable failures (ignored with ``retry_policy``).
    :param retry_policy: backoff and ``Retry-After`` policy (default from the constants).
    :param poll_initial_s: first ``getResponse`` after a submit (uploads: first interval,
        growing by ``POLL_BACKOFF_FACTOR``).
    :param poll_max_s: longest gap between two ``getResponse`` of a task.
    :param poll_deadline_s: give up waiting for a task after this long (it is not resubmitted).
    :param http_client: a caller-built ``requests.Session`` (proxies, CA bundle, pools); the
        caller closes it.
    :param sleep: the sleep function (inject a fake one in tests).
    :param pace: the collector's pace for this client's tasks (default derived from
        ``poll_initial_s`` and ``poll_max_s``, see :class:`~.pacing.PaceSettings`).
    :raises MissingAPIKeyError: no key was given or found.
    :raises ValueError: a timeout that is not a positive number of seconds.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: TimeoutLike = DEFAULT_TIMEOUT_S,
        sync_read_timeout_s: float = SYNC_READ_TIMEOUT_S,
        max_result_bytes: int = MAX_DOWNLOAD_BYTES,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_policy: RetryPolicy | None = None,
        poll_initial_s: float = POLL_INITIAL_INTERVAL_S,
        poll_max_s: float = POLL_MAX_INTERVAL_S,
        poll_deadline_s: float = POLL_DEADLINE_S,
        http_client: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
        pace: PaceSettings | None = None,
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
        self.sync_read_timeout_s = float(sync_read_timeout_s)
        if isinstance(max_result_bytes, bool) or not int(max_result_bytes) > 0:
            raise ValueError(f"max_result_bytes: must be > 0 (got {max_result_bytes!r})")
        self.max_result_bytes = int(max_result_bytes)
        timeouts = Timeout.of(timeout)
        self._init_session(http_client)
        self._sleeper = Sleeper(sleep)
        self._transport = RunwareTransport(
            api_key=key, base_url=resolve_base_url(base_url), session=self._session,
            timeout=timeouts, retry_policy=retry_policy or RetryPolicy(max_retries=max_retries),
            sleeper=self._sleeper, limits=_answer_limits(self.max_result_bytes))
        settings = PollSettings(float(poll_initial_s), float(poll_max_s), float(poll_deadline_s))
        self._poller = Poller(self._transport, self._sleeper, settings)
        self._media = MediaStorage(self._transport, self._sleeper, settings)
        #: The collector's pace for this client's tasks (default: from the poll settings).
        self.pace = pace or PaceSettings.from_poll(float(poll_initial_s), float(poll_max_s))

    # ------------------------------------------------------------------ configuration

    @property
    def base_url(self) -> str:
        """The endpoint every task array is POSTed to."""
        return self._transport.base_url

    @property
    def sandbox_seen(self) -> bool:
        """True once an answer carried the built-in sandbox's ``X-Sandbox`` header."""
        return self._transport.sandbox_seen

    @property
    def timeout(self) -> Timeout:
        """Connect and read timeout of every call but ``sync`` submits."""
        return self._transport.timeout

    @property
    def retry_policy(self) -> RetryPolicy:
        """How often and how long to wait before retrying."""
        return self._transport.retry_policy

    @property
    def poll_initial_s(self) -> float:
        """First ``getResponse`` interval."""
        return self._poller.settings.initial_s

    @property
    def poll_max_s(self) -> float:
        """Cap of the ``getResponse`` interval."""
        return self._poller.settings.max_s

    @property
    def poll_deadline_s(self) -> float:
        """How long a task is waited for before it is given up (never resubmitted)."""
        return self._poller.settings.deadline_s

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
            "max_result_bytes": self.max_result_bytes,
            "retry_policy": self.retry_policy,
            "poll_initial_s": self.poll_initial_s,
            "poll_max_s": self.poll_max_s,
            "poll_deadline_s": self.poll_deadline_s,
            "http_client": self._session,
            "sleep": self._sleeper.sleep_fn,
            "pace": self.pace,
        }
        if "max_retries" in overrides and "retry_policy" not in overrides:
            options["retry_policy"] = self.retry_policy.with_max_retries(
                overrides.pop("max_retries"))
        if {"poll_initial_s", "poll_max_s"} & set(overrides) and "pace" not in overrides:
            options["pace"] = None  # derived again from the new poll settings
        unknown = set(overrides) - set(options)
        if unknown:
            raise TypeError(f"with_options: unknown option(s) {', '.join(sorted(unknown))}")
        options.update(overrides)
        return RunwareClient(**options)

    @property
    def download_session(self) -> requests.Session:
        """The session for fetching result URLs: it carries no ``Authorization`` header."""
        return self._session

    # ------------------------------------------------------------------ tasks

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
        return self._transport.post(tasks, read_timeout=read_timeout)

    def _submit_envelope(self, task: dict[str, Any],
                         should_cancel: CancelCheck | None = None) -> Envelope:
        read = self.timeout.read_s if is_async(task) else self.sync_read_timeout_s
        log.info("submitting %s task %s (%s)", task.get("taskType"), task["taskUUID"],
                 "async" if is_async(task) else "sync")
        return self._transport.post([task], read_timeout=read, should_cancel=should_cancel)

    def submit(self, task: Mapping[str, Any]) -> list[GenerationResult]:
        """Submit one inference task once; return the items of the answer.

        A ``sync`` task (the default) answers with its results; an ``async`` one with an
        acknowledgment that usually holds no items (poll :meth:`get_response`).

        :raises TaskFailedError: the answer carries a failed generation (paid successes kept).
        :raises OutcomeUnknownError: the submit's fate is unknown; it was not sent again.
        :raises APIStatusError: the task was rejected (``InvalidParameterError``...).
        """
        prepared = prepare_task(task)
        uuid_ = prepared["taskUUID"]
        results = task_items(self._submit_envelope(prepared), uuid_)
        raise_failed(results, uuid_, number_results(prepared))
        return results

    def get_response(self, task_uuid: str) -> list[GenerationResult]:
        """Poll ``getResponse`` once; return the task's items (cumulative; any status).

        Failed generations come back as ``status == "error"`` items whatever their shape
        (nested, flat, or in the answer's ``errors`` array).

        :raises NotFoundError: the server does not know the task (``taskFailedOrNotFound``).
        """
        return self._poller.get_response(task_uuid)

    def _tracker(self, task_uuid: str, total: int, on_progress: ProgressCallback | None,
                 on_result: ResultCallback | None) -> GenerationTracker:
        return GenerationTracker(task_uuid, total, self._sleeper.stopwatch(), on_progress,
                                 on_result)

    def submit_ticket(self, task: Mapping[str, Any], *,
                      should_cancel: CancelCheck | None = None,
                      expected_s: float | None = None,
                      on_progress: ProgressCallback | None = None) -> Ticket:
        """Send ``task`` once; return its :class:`~..results.Ticket` (collect it later).

        A ``sync`` task's ticket carries its results (``complete``); an ``async`` one's carries
        what the acknowledgment held. When the submit's outcome is unknown the ticket says so
        (``accepted=False``): collecting it looks the task up, it is never sent again.

        :raises APIStatusError: the task was rejected (``InvalidParameterError``...).
        :raises Interrupted: ``should_cancel()`` was True before the send (nothing sent) or
            while a refused send waited to be retried (nothing accepted).
        """
        prepared = prepare_task(task)
        uuid_ = prepared["taskUUID"]
        if should_cancel is not None and should_cancel():
            raise Interrupted(f"interrupted before task {uuid_} was sent; nothing was sent",
                              task_uuid=uuid_)
        if on_progress is not None:
            on_progress(ProgressEvent(uuid_, "submitting", 0, number_results(prepared), 0.0))
        started, sent_at = time.monotonic(), time.time()
        base = {"task_uuid": uuid_, "backend": "runware", "endpoint": self.base_url,
                "number_results": number_results(prepared), "submitted_at": sent_at,
                "started": started, "expected_s": expected_s}
        try:
            env = self._submit_envelope(prepared, should_cancel)
        except OutcomeUnknownError as exc:
            log.warning("task %s: recovering with getResponse after an unknown outcome", uuid_)
            return Ticket(**base, accepted=False, cause=exc)
        # The server's clock started between the send and its answer: pace from the answer, so
        # the first poll does not land just before a result that takes POLL_INITIAL_INTERVAL_S.
        base["started"] = time.monotonic()
        return Ticket(**base, results=tuple(task_items(env, uuid_)),
                      complete=not is_async(prepared))

    def collect(
        self,
        tickets: Sequence[Ticket],
        *,
        on_progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
        on_result: ResultCallback | None = None,
    ) -> dict[str, TaskResult | MinimaxCoverError]:
        """Wait for every ticket's task through the process's collector (one ``getResponse``
        POST per tick for all pending tasks of this endpoint); never submits.

        :returns: per ``taskUUID``, its :class:`TaskResult`, or the error it ended with
            (:class:`TaskFailedError` keeping paid successes, :class:`OutcomeUnknownError`...).
        :raises Interrupted: ``should_cancel()`` returned True (checked every quarter second).
        """
        waiters = [self._waiter(t, self._tracker(t.task_uuid, t.number_results, on_progress,
                                                 on_result)) for t in tickets]
        self._wait(waiters, tickets, should_cancel)
        return {w.tracker.task_uuid: w.outcome for w in waiters
                if w.outcome is not None}

    def _waiter(self, ticket: Ticket, tracker: GenerationTracker) -> Waiter:
        waiter = Waiter(tracker, seen=ticket.accepted, cause=ticket.cause)
        tracker.add(ticket.results)
        if ticket.complete:  # a sync answer: what it holds is all there will be
            if tracker.failures:
                waiter.outcome = tracker.failed()
            else:
                if len(tracker.successes) < tracker.total:
                    log.warning("task %s: sync answer has %d of %d results", ticket.task_uuid,
                                len(tracker.successes), tracker.total)
                waiter.outcome = tracker.result()
        elif ticket.accepted:
            waiter.check_finished()
            if waiter.outcome is None:
                tracker.emit("queued")
        return waiter

    def _wait(self, waiters: list[Waiter], tickets: Sequence[Ticket],
              should_cancel: CancelCheck | None) -> None:
        now = time.monotonic()
        starts = {t.task_uuid: (t.started or now, t.expected_s) for t in tickets}
        wait_for(waiters, transport=self._transport, pace=self.pace,
                 deadline_s=self._poller.settings.deadline_s, should_cancel=should_cancel,
                 starts=starts)

    def _collect_one(self, ticket: Ticket, tracker: GenerationTracker,
                     should_cancel: CancelCheck | None) -> TaskResult:
        waiter = self._waiter(ticket, tracker)
        self._wait([waiter], [ticket], should_cancel)
        outcome = waiter.outcome
        if isinstance(outcome, BaseException):
            raise outcome
        assert outcome is not None
        return outcome

    def run(
        self,
        task: Mapping[str, Any],
        *,
        on_progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
        on_result: ResultCallback | None = None,
        expected_s: float | None = None,
    ) -> TaskResult:
        """Submit ``task`` once and wait until every generation is finished
        (:meth:`submit_ticket`, then the collector).

        ``sync`` tasks return with the answer; ``async`` ones are collected by the process's
        collector (see :mod:`.collector`), bounded by ``poll_deadline_s``. ``on_result`` is
        called as each generation succeeds (partial results); ``should_cancel`` is checked at
        least twice a second while waiting (a ``sync`` submit blocks until its answer or read
        timeout). If the submit's outcome is unknown the task is not submitted again: it is
        looked up with ``getResponse`` (same ``taskUUID``).

        :returns: the successful generations and ``cost_total`` (``None`` without
            ``includeCost``).
        :raises TaskFailedError: a generation failed; ``partial_results`` keeps paid successes.
        :raises OutcomeUnknownError: the task could not be found or did not finish in time.
        :raises Interrupted: ``should_cancel()`` returned True (``task_uuid`` is set).
        """
        prepared = prepare_task(task)
        tracker = self._tracker(prepared["taskUUID"], number_results(prepared), on_progress,
                                on_result)
        ticket = self.submit_ticket(prepared, should_cancel=should_cancel,
                                    expected_s=expected_s, on_progress=on_progress)
        return self._collect_one(ticket, tracker, should_cancel)

    def resume(
        self,
        task: Mapping[str, Any],
        *,
        on_progress: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
        on_result: ResultCallback | None = None,
        expected_s: float | None = None,
    ) -> TaskResult:
        """Collect an already submitted task (same ``taskUUID``) with ``getResponse`` only.

        Never submits. Raises like :meth:`run`; :class:`OutcomeUnknownError` when the server
        does not know the task.
        """
        ticket = self.ticket_for(task, expected_s=expected_s)
        tracker = self._tracker(ticket.task_uuid, ticket.number_results, on_progress, on_result)
        return self._collect_one(ticket, tracker, should_cancel)

    def ticket_for(self, task: Mapping[str, Any], *, expected_s: float | None = None,
                   submitted_at: float | None = None) -> Ticket:
        """The ticket of a task submitted earlier (same ``taskUUID``; its answer unseen)."""
        uuid_ = str(task.get("taskUUID") or "")
        if not uuid_:
            raise ValueError("resume: the task has no taskUUID")
        now = time.time()
        sent = submitted_at if submitted_at is not None else now
        return Ticket(task_uuid=uuid_, backend="runware", endpoint=self.base_url,
                      number_results=number_results(task), submitted_at=sent,
                      started=time.monotonic() - max(0.0, now - sent), expected_s=expected_s,
                      accepted=False)

    def dry_run_cost(self, task: Mapping[str, Any]) -> float | None:
        """Price ``task`` with ``X-Runware-Dry-Run: 1`` (nothing runs or is charged); see
        :func:`.account.dry_run_cost`."""
        from .account import dry_run_cost

        return dry_run_cost(self._transport, task)

    def account_details(self, *, sandbox: bool = False) -> Any:
        """The account's balance, from ``accountManagement`` (see :mod:`.account`)."""
        from .account import account_details

        return account_details(self._transport, sandbox=sandbox)

    # ------------------------------------------------------------------ media

    def upload_media(self, data: bytes, *, mime: str | None = None) -> MediaRef:
        """Upload bytes with ``mediaStorage`` (raw base64); return the media UUID and URL.

        An answer without a ``mediaUUID`` is polled with ``getResponse`` for at most
        ``UPLOAD_POLL_DEADLINE_S``. After an unknown outcome (dropped connection, 5xx...) the
        upload is first looked up with ``getResponse``, and only sent again, with a new
        ``taskUUID``, if the server does not know it (uploads are free; once at most).
        ``mime`` is only logged (the server sniffs the bytes).
        """
        return self._media.upload(data, mime=mime)

    def delete_media(self, media_uuid: str) -> None:
        """Delete uploaded media with ``mediaStorage`` ``operation: "delete"``.

        After an unknown outcome the delete is sent once more (new ``taskUUID``); a
        not-found answer to that second attempt means the first one worked.

        :raises NotFoundError: the media does not exist.
        """
        self._media.delete(media_uuid)

    def fetch(self, result: GenerationResult, dest: str | Path, *, expected_format: str,
              **options: Any) -> Path:
        """Download or decode ``result`` to ``dest``, verified before it is renamed into place
        (see :func:`~..transport.download.fetch_result`); this client's ``timeout`` (deadline
        and minimum rate included) and ``max_result_bytes`` apply unless given."""
        from ..transport.download import fetch_result

        options.setdefault("timeout", self.timeout)
        options.setdefault("max_bytes", self.max_result_bytes)
        return fetch_result(result, Path(dest), expected_format=expected_format,
                            session=self._session, **options)


def _answer_limits(max_result_bytes: int) -> AnswerLimits:
    """Answer caps: inline results up to ``max_result_bytes`` each, for the most results a
    task may ask for."""
    from ..spec.model import MINIMAX_MUSIC_COVER

    most = int(MINIMAX_MUSIC_COVER.field("numberResults").maximum or 1)
    per_result = encoded_size(max_result_bytes)
    return AnswerLimits(max_string_bytes=per_result, max_spooled_bytes=per_result * most)
