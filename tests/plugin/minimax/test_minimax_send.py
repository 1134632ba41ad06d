"""MiniMax through the shared send-and-retry (:mod:`...transport.send`): Retry-After honoured,
cancellable waits, size-capped answers (the MiniMax sandbox over loopback)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from minimax_cover.plugin.errors import (
    Interrupted,
    OutcomeUnknownError,
    RateLimitError,
    ResponseFormatError,
)
from minimax_cover.plugin.minimax.client import MiniMaxClient
from minimax_cover.plugin.sandbox.minimax_server import MiniMaxFault, MiniMaxSandbox
from minimax_cover.plugin.transport.retry import RetryPolicy

PROMPT = "warm acoustic folk, fingerpicked guitar"


@pytest.fixture
def make_mm() -> Iterator[Callable[..., MiniMaxSandbox]]:
    made: list[MiniMaxSandbox] = []

    def make(*faults: MiniMaxFault) -> MiniMaxSandbox:
        sb = MiniMaxSandbox(faults=faults, banner=False).start()
        made.append(sb)
        return sb

    yield make
    for sb in made:
        sb.stop()


@pytest.fixture
def make_client(sleeps: Any) -> Iterator[Callable[..., MiniMaxClient]]:
    made: list[MiniMaxClient] = []

    def make(sb: MiniMaxSandbox, **options: Any) -> MiniMaxClient:
        options.setdefault("retry_policy", RetryPolicy(max_retries=2, base_delay_s=0.01,
                                                       max_delay_s=0.02,
                                                       max_retry_after_s=30.0))
        client = MiniMaxClient(api_key=sb.api_key, base_url=sb.url, sleep=sleeps, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.mark.parametrize("endpoint", ["preprocess", "generation"])
def test_http_429_retry_after_is_honoured(make_mm: Any, make_client: Any, song_wav: bytes,
                                          sleeps: Any, endpoint: str) -> None:
    sb = make_mm(MiniMaxFault(1002, endpoint, http_status=429, retry_after="7"))
    client = make_client(sb)
    handle = client.preprocess(song_wav)
    client.generate(PROMPT, None, cover_feature_id=handle.feature_id)
    assert sum(sleeps.calls) == pytest.approx(7.0)  # the server's wait, not the backoff
    assert len(sb.generations) == (2 if endpoint == "generation" else 1)


def test_retry_after_beyond_the_cap_is_not_waited_for(make_mm: Any, make_client: Any,
                                                      song_wav: bytes, sleeps: Any) -> None:
    sb = make_mm(MiniMaxFault(1002, "preprocess", http_status=429, retry_after="3600"))
    with pytest.raises(RateLimitError):
        make_client(sb).preprocess(song_wav)
    assert sleeps.calls == []


def test_a_cancel_stops_the_wait_before_a_retry(make_mm: Any, make_client: Any,
                                                song_wav: bytes) -> None:
    sb = make_mm(MiniMaxFault(1002, "generation", http_status=429, retry_after="20"))
    client = make_client(sb)
    handle = client.preprocess(song_wav)
    with pytest.raises(Interrupted):
        client.generate(PROMPT, None, cover_feature_id=handle.feature_id,
                        should_cancel=lambda: True)
    assert len(sb.generations) == 1  # refused by the server, never sent again


def test_answers_are_size_capped(make_mm: Any, make_client: Any, song_wav: bytes) -> None:
    sb = make_mm()
    roomy = make_client(sb)
    handle = roomy.preprocess(song_wav)
    tight = make_client(sb, max_answer_bytes=256)
    with pytest.raises(ResponseFormatError, match="larger than 256 bytes"):
        tight.preprocess(song_wav)  # idempotent: retried, then refused
    with pytest.raises(OutcomeUnknownError, match="larger than 256 bytes"):
        tight.generate(PROMPT, None, cover_feature_id=handle.feature_id)  # paid: not resent
    assert len(sb.generations) == 1
    with pytest.raises(ValueError, match="max_answer_bytes"):
        make_client(sb, max_answer_bytes=0)


def test_submit_and_collect_hand_over_the_synchronous_answer(make_mm: Any, make_client: Any,
                                                            song_wav: bytes) -> None:
    from minimax_cover.plugin.minimax.backend import MiniMaxBackend

    sb = make_mm()
    backend = MiniMaxBackend(client=make_client(sb))
    audio = backend.upload_audio(song_wav)
    request = {"taskType": "audioInference", "taskUUID": "7d7c2a4e-1b7e-4c1b-9f57-3a1f2b7c9d11",
               "model": "minimax:music@cover", "positivePrompt": PROMPT,
               "inputs": {"audio": audio}, "numberResults": 2, "outputType": "base64Data",
               "outputFormat": "MP3"}
    ticket = backend.submit(request)
    assert ticket.complete and len(ticket.results) == 2 and len(sb.generations) == 2
    seen: list[Any] = []
    outcome = backend.collect([ticket], on_result=seen.append)
    assert len(outcome[ticket.task_uuid].results) == 2 and len(seen) == 2  # type: ignore[union-attr]
    lost = backend.collect([backend.ticket_for(request)])
    assert isinstance(lost[ticket.task_uuid], OutcomeUnknownError)
    assert len(sb.generations) == 2  # collecting never generates again
