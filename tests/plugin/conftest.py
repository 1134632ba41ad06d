"""Fixtures for the client tests: a real sandbox on 127.0.0.1 per test, a client bound to it.

Timeouts, poll intervals and retry delays are tiny; the client's ``sleep`` is recorded (the
delays the client *asked for*) and really sleeps at most 20 ms, so a ``Retry-After: 1`` costs
no second of wall time.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from minimax_cover.plugin.runware.client import RunwareClient
from minimax_cover.plugin.transport.retry import RetryPolicy

#: A recognisable fake key: no test output, repr, message or log record may contain it.
FAKE_KEY = "rw-FAKEKEY-7f3a9c1e5b2d4f60-dont-leak"
VALID_PROMPT = "warm acoustic folk, fingerpicked guitar"


class SleepRecorder:
    """An injectable ``sleep`` that records requested delays and sleeps at most ``cap_s``."""

    def __init__(self, cap_s: float = 0.02) -> None:
        self.calls: list[float] = []
        self.cap_s = cap_s

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        time.sleep(min(seconds, self.cap_s))

    @property
    def total(self) -> float:
        return sum(self.calls)


@pytest.fixture
def dead_url() -> str:
    """A Runware-style base URL on 127.0.0.1 where nothing listens (connection refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture
def sleeps() -> SleepRecorder:
    """The delays the client asked for."""
    return SleepRecorder()


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Any]]:
    """Start a sandbox with options (``faults=[...]``, ``latency_s``...); stopped after the test."""
    from minimax_cover.plugin.sandbox import Sandbox

    started: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("api_key", FAKE_KEY)
        options.setdefault("latency_s", 0.0)
        sb = Sandbox(**options)
        sb.__enter__()
        started.append(sb)
        return sb

    yield make
    for sb in reversed(started):
        sb.__exit__(None, None, None)


@pytest.fixture
def sandbox(make_sandbox: Callable[..., Any]) -> Any:
    """A fault-free sandbox started for this test."""
    return make_sandbox()


@pytest.fixture
def make_client(sleeps: SleepRecorder) -> Iterator[Callable[..., RunwareClient]]:
    """Build clients for a sandbox with test-sized timings (override any option)."""
    made: list[RunwareClient] = []

    def make(sb: Any, **options: Any) -> RunwareClient:
        options.setdefault("api_key", FAKE_KEY)
        options.setdefault("base_url", sb.url)
        options.setdefault("timeout", (2.0, 5.0))
        options.setdefault("sync_read_timeout_s", 10.0)
        options.setdefault("poll_initial_s", 0.02)
        options.setdefault("poll_max_s", 0.1)
        options.setdefault("poll_deadline_s", 15.0)
        options.setdefault("sleep", sleeps)
        if "retry_policy" not in options:
            options["retry_policy"] = RetryPolicy(
                max_retries=options.pop("max_retries", 3), base_delay_s=0.05, max_delay_s=0.2,
                max_retry_after_s=5.0)
        client = RunwareClient(**options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(sandbox: Any, make_client: Callable[..., RunwareClient]) -> RunwareClient:
    """A client bound to :func:`sandbox`."""
    return make_client(sandbox)


@pytest.fixture
def fake_key() -> str:
    """The recognisable fake API key every client and sandbox here uses."""
    return FAKE_KEY


@pytest.fixture
def song_wav() -> bytes:
    """7 s of 16 kHz mono WAV (a reference song inside the model's limits)."""
    return _tone(7.0, 16000, "WAV")


@pytest.fixture
def make_tone() -> Callable[..., bytes]:
    """``make_tone(seconds, rate, fmt, channels=1)`` -> encoded sine tone bytes."""
    return _tone


@pytest.fixture
def make_task() -> Callable[..., dict[str, Any]]:
    """``make_task(audio, **overrides)`` -> a valid cover task with a fresh taskUUID."""
    return _cover_task


def _tone(seconds: float, rate: int, fmt: str, channels: int = 1) -> bytes:
    """A sine tone encoded as ``fmt``."""
    import numpy as np
    from minimax_cover.plugin.audio import Audio, encode_audio

    t = np.arange(int(seconds * rate), dtype=np.float32) / rate
    mono = 0.3 * np.sin(2 * np.pi * 220.0 * t).astype(np.float32)
    return encode_audio(Audio(np.stack([mono] * channels), rate), fmt)


def _cover_task(audio: str, **overrides: Any) -> dict[str, Any]:
    """A valid ``audioInference`` task for ``minimax:music@cover``."""
    task: dict[str, Any] = {
        "taskType": "audioInference",
        "taskUUID": str(uuid.uuid4()),
        "model": "minimax:music@cover",
        "positivePrompt": VALID_PROMPT,
        "inputs": {"audio": audio},
        "numberResults": 1,
        "outputType": "URL",
        "outputFormat": "MP3",
        "deliveryMethod": "sync",
    }
    task.update(overrides)
    return task
