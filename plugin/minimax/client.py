"""A small synchronous client for MiniMax's own music-cover API (the two-step workflow).

Two calls, both ``POST`` with ``Authorization: Bearer <key>`` and a JSON body:

- ``/v1/music_cover_preprocess`` (:meth:`MiniMaxClient.preprocess`): analyse a song once,
  get a :class:`~.twostep.CoverHandle` (feature id, lyrics, structure). Idempotent (MiniMax
  deduplicates by MD5 of the audio), so transient failures are retried.
- ``/v1/music_generation`` (:meth:`MiniMaxClient.generate`): one synchronous cover. Paid, so it
  is retried only when the server certainly did not run it (rate limits, connection refused);
  any other failure after sending raises :class:`~.errors.OutcomeUnknownError`.

Errors come as HTTP 200 with a non-zero ``base_resp.status_code``; :mod:`.errors` maps them
onto the exception tree. Environment: ``MINIMAX_API_KEY`` (when no ``api_key`` is given),
``MINIMAX_API_URL`` (default ``https://api.minimax.io``), ``MINIMAX_PLAN`` (the rate tier, see
:mod:`.plan`: every attempt takes a slot of the process's limiter for the endpoint, and a
rate-limit answer pauses the other threads as long as this one backs off).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from typing import Any

import requests

from ..constants import (
    DEFAULT_MAX_RETRIES,
    MINIMAX_API_KEY_ENV,
    MINIMAX_API_URL,
    MINIMAX_API_URL_ENV,
    MINIMAX_COVER_MODEL,
    MINIMAX_GENERATION_TIMEOUT_S,
    MINIMAX_PREPROCESS_TIMEOUT_S,
)
from ..errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    InvalidParameterError,
    MissingAPIKeyError,
    OutcomeUnknownError,
    RateLimitError,
    ResponseFormatError,
    ServerError,
)
from ..redaction import install_log_redaction, redact, register_secret
from ..transport.deadline import exchange
from ..transport.retry import RetryPolicy
from ..transport.session import SessionClient, failed_before_sending
from ..transport.timeouts import Timeout, TimeoutLike
from .errors import MESSAGE_LIMIT, error_from_base_resp, http_error
from .handle import CoverHandle

__all__ = ["MiniMaxClient", "error_from_base_resp", "resolve_minimax_key"]

log = logging.getLogger("minimax_cover.minimax")

PREPROCESS_PATH = "/v1/music_cover_preprocess"
GENERATION_PATH = "/v1/music_generation"


def resolve_minimax_key(explicit: str | None = None) -> str | None:
    """The MiniMax key: ``explicit``, else ``MINIMAX_API_KEY``; registered as a secret."""
    key = (explicit or "").strip() or (os.environ.get(MINIMAX_API_KEY_ENV) or "").strip() or None
    register_secret(key)
    return key


class MiniMaxClient(SessionClient):
    """MiniMax's music-cover endpoints over one ``requests.Session``.

    :param api_key: the key; default ``MINIMAX_API_KEY``.
    :param base_url: default ``MINIMAX_API_URL``, then ``https://api.minimax.io``.
    :param model: ``music-cover`` (default) or ``music-cover-free``.
    :param preprocess_timeout: a :class:`~..transport.timeouts.Timeout`, ``(connect_s, read_s)``
        or one number, for a preprocess call.
    :param generation_timeout: the same for a generation (it runs minutes).
    :param max_retries: retry budget (ignored with ``retry_policy``).
    :param retry_policy: backoff policy shared with the Runware client.
    :param http_client: a caller-built session (the caller closes it).
    :param sleep: the sleep function (inject a fake one in tests).
    :raises MissingAPIKeyError: no key was given or found.
    :raises ValueError: a timeout that is not a positive number of seconds.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        model: str = MINIMAX_COVER_MODEL,
        preprocess_timeout: TimeoutLike = MINIMAX_PREPROCESS_TIMEOUT_S,
        generation_timeout: TimeoutLike = MINIMAX_GENERATION_TIMEOUT_S,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_policy: RetryPolicy | None = None,
        http_client: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        key = resolve_minimax_key(api_key)
        if not key:
            raise MissingAPIKeyError(f"no MiniMax API key: set {MINIMAX_API_KEY_ENV}")
        install_log_redaction(log)
        self.__api_key = key
        url = (base_url or os.environ.get(MINIMAX_API_URL_ENV) or MINIMAX_API_URL).strip()
        self.base_url = url.rstrip("/")
        self.model = model
        self.preprocess_timeout = Timeout.of(preprocess_timeout)
        self.generation_timeout = Timeout.of(generation_timeout)
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self._sleep = sleep or time.sleep
        self._init_session(http_client)
        self.sandbox = False
        from .plan import minimax_limiter

        self.limiter = minimax_limiter(self.base_url)
        #: Identifies the key without revealing it (part of the preprocess cache's key).
        self.key_fingerprint = hashlib.sha256(f"minimax-key\0{key}".encode()).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"MiniMaxClient(base_url={self.base_url!r}, model={self.model!r})"

    # ------------------------------------------------------------------ transport

    def _post(self, path: str, body: dict[str, Any], *, timeout: Timeout, operation: str,
              idempotent: bool) -> dict[str, Any]:
        """POST ``body``; retry what is safe to retry; return the checked JSON answer."""
        attempt = 0
        data = json.dumps(body)
        headers = {"Authorization": f"Bearer {self.__api_key}",
                   "Content-Type": "application/json", "Accept": "application/json"}
        while True:
            error: APIError
            retryable: bool
            try:
                log.debug("POST %s (attempt %d)", path, attempt + 1)
                with self.limiter.slot(), exchange(timeout, f"MiniMax {operation}"):
                    resp = self._session.post(self.base_url + path, data=data,
                                              headers=headers, timeout=timeout.as_requests())
            except requests.exceptions.RequestException as exc:
                before = failed_before_sending(exc)
                kind = APITimeoutError if isinstance(exc, requests.exceptions.Timeout) \
                    else APIConnectionError
                error = kind(f"MiniMax {operation}: {type(exc).__name__} talking to "
                             f"{self.base_url}")
                error.__cause__ = exc
                retryable = idempotent or before
                if not retryable:
                    error = self._unknown(operation, error)
            else:
                error, retryable = self._check(resp, operation, idempotent)
                if error is None:
                    return resp.json()
            delay = self.retry_policy.delay(attempt) if retryable else None
            if delay is None:
                raise error
            if isinstance(error, RateLimitError):
                self.limiter.refused(delay)  # refused, nothing paid: everyone holds off
            log.info("%s; retrying in %.1f s", error, delay)
            self._sleep(delay)
            attempt += 1

    @staticmethod
    def _unknown(operation: str, cause: APIError) -> OutcomeUnknownError:
        err = OutcomeUnknownError(
            f"MiniMax {operation}: outcome unknown ({cause}); it may have run and been "
            "charged, so it is not sent again automatically"
        )
        err.__cause__ = cause
        return err

    def _check(self, resp: requests.Response, operation: str,
               idempotent: bool) -> tuple[Any, bool]:
        """``(None, False)`` on success, else ``(error, retryable)``."""
        if resp.headers.get("X-Sandbox"):
            self.sandbox = True
        if resp.status_code != 200:
            error = http_error(resp.status_code, operation)
            if isinstance(error, RateLimitError):
                return error, True
            if isinstance(error, ServerError):
                return (error, True) if idempotent else (self._unknown(operation, error), False)
            return error, False
        try:
            doc = resp.json()
        except (ValueError, RecursionError):  # deep nesting is not an answer either
            error = ResponseFormatError(f"MiniMax {operation}: answer is not JSON",
                                        body=redact(resp.text[:MESSAGE_LIMIT]))
            return (error, True) if idempotent else (self._unknown(operation, error), False)
        if not isinstance(doc, dict):
            return ResponseFormatError(f"MiniMax {operation}: answer is not a JSON object"), False
        base = doc.get("base_resp") or {}
        try:
            code = int(base.get("status_code", 0))
        except (TypeError, ValueError):
            code = -1
        if code == 0:
            return None, False
        error = error_from_base_resp(code, str(base.get("status_msg") or ""), operation=operation)
        if isinstance(error, RateLimitError):
            return error, True  # refused before any work: safe to retry even a generation
        if isinstance(error, ServerError):
            return (error, True) if idempotent else (self._unknown(operation, error), False)
        return error, False

    # ------------------------------------------------------------------ API

    def preprocess(self, audio: bytes | None = None, *, audio_url: str | None = None
                   ) -> CoverHandle:
        """Step 1: analyse a song; returns its :class:`CoverHandle` (retried when transient).

        :param audio: the song's file bytes (any common format, 6 s-6 min, at most 50 MB).
        :param audio_url: or a public URL of the song (exactly one of the two).
        """
        if (audio is None) == (audio_url is None):
            raise InvalidParameterError("MiniMax preprocess: give exactly one of audio bytes "
                                        "or audio_url", parameter="audio")
        body: dict[str, Any] = {"model": "music-cover"}
        if audio is not None:
            body["audio_base64"] = base64.b64encode(bytes(audio)).decode("ascii")
        else:
            body["audio_url"] = audio_url
        doc = self._post(PREPROCESS_PATH, body, timeout=self.preprocess_timeout,
                         operation="preprocess", idempotent=True)
        return CoverHandle.from_response(doc, sandbox=self.sandbox or bool(doc.get("sandbox")))

    def generate(
        self,
        prompt: str,
        lyrics: str | None = None,
        *,
        cover_feature_id: str | None = None,
        audio_url: str | None = None,
        audio_base64: str | None = None,
        audio_setting: dict[str, Any] | None = None,
        output_format: str = "hex",
        seed: int | None = None,
    ) -> tuple[bytes | str, dict[str, Any]]:
        """Step 2 (or a one-step cover): generate one cover; never resent after sending.

        :param prompt: the target style (10-300 characters).
        :param lyrics: lyrics with section tags (10-1000 characters); always send them with a
            feature id.
        :param cover_feature_id: from :meth:`preprocess` (two-step), or one of
        :param audio_url: a song URL (one-step), or
        :param audio_base64: the song's bytes in base64 (one-step).
        :param audio_setting: ``{"format": "mp3"|"wav", "sample_rate", "bitrate", "channel"}``.
        :param output_format: ``"hex"`` (bytes returned) or ``"url"`` (a URL valid 24 hours).
        :param seed: 0-1,000,000.
        :returns: ``(audio bytes or URL, extra_info)``; ``extra_info`` holds ``music_duration``
            (ms), ``music_sample_rate``, ``music_channel``, ``bitrate``, ``music_size``.
        :raises OutcomeUnknownError: the call failed after it may have run (not retried).
        """
        sources = [s for s in (cover_feature_id, audio_url, audio_base64) if s]
        if len(sources) != 1:
            raise InvalidParameterError(
                "MiniMax generation: give exactly one of cover_feature_id, audio_url, "
                f"audio_base64 (got {len(sources)})", parameter="cover_feature_id")
        if output_format not in ("hex", "url"):
            raise InvalidParameterError(
                f"output_format: must be 'hex' or 'url' (got {output_format!r})",
                parameter="output_format")
        body: dict[str, Any] = {"model": self.model, "prompt": prompt,
                                "output_format": output_format}
        if lyrics:
            body["lyrics"] = lyrics
        if cover_feature_id:
            body["cover_feature_id"] = cover_feature_id
        if audio_url:
            body["audio_url"] = audio_url
        if audio_base64:
            body["audio_base64"] = audio_base64
        if audio_setting:
            body["audio_setting"] = dict(audio_setting)
        if seed is not None:
            body["seed"] = int(seed)
        doc = self._post(GENERATION_PATH, body, timeout=self.generation_timeout,
                         operation="generation", idempotent=False)
        data = doc.get("data") or {}
        audio = data.get("audio") or data.get("audio_url")
        if not isinstance(audio, str) or not audio:
            raise self._unknown("generation", ResponseFormatError(
                "MiniMax generation answered without data.audio"))
        extra = dict(doc.get("extra_info") or {})
        extra["trace_id"] = doc.get("trace_id")
        if output_format == "url":
            return audio, extra
        try:
            return bytes.fromhex(audio), extra
        except ValueError:
            raise self._unknown("generation", ResponseFormatError(
                "MiniMax generation: data.audio is not hex")) from None
