"""Fixtures for the sandbox tests (helpers live in ``sandbox_support``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from minimax_cover.plugin.audio import Audio, encode_audio
from minimax_cover.plugin.sandbox import Sandbox
from sandbox_support import KEY, Receiver, make_clip, upload


@pytest.fixture(scope="session")
def clip() -> Audio:
    return make_clip()


@pytest.fixture(scope="session")
def clip_wav(clip: Audio) -> bytes:
    return encode_audio(clip, "WAV")


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(api_key=KEY, log=False) as sb:
        yield sb


@pytest.fixture
def media(sandbox: Sandbox, clip_wav: bytes) -> str:
    """The test clip uploaded to ``sandbox``."""
    return upload(sandbox, clip_wav)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()
