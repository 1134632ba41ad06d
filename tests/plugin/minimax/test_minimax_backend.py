"""The MiniMax platform client and backend, against MiniMaxSandbox over real loopback HTTP."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.audio import sniff_format
from minimax_cover.plugin.errors import (
    APIStatusError,
    AuthenticationError,
    InsufficientCreditsError,
    Interrupted,
    InvalidParameterError,
    MissingAPIKeyError,
    OutcomeUnknownError,
    RateLimitError,
    ServerError,
    SpecValidationError,
    TaskFailedError,
)
from minimax_cover.plugin.minimax.backend import MiniMaxBackend
from minimax_cover.plugin.minimax.client import MiniMaxClient
from minimax_cover.plugin.minimax.errors import error_from_base_resp
from minimax_cover.plugin.sandbox.minimax_server import MiniMaxFault, MiniMaxSandbox
from minimax_cover.plugin.transport.retry import RetryPolicy

MM_KEY = "mm-FAKEKEY-0c4e8a1f-dont-leak"
PROMPT = "warm acoustic folk, fingerpicked guitar"


@pytest.fixture
def make_mm() -> Iterator[Callable[..., MiniMaxSandbox]]:
    started: list[MiniMaxSandbox] = []

    def make(*faults: MiniMaxFault) -> MiniMaxSandbox:
        sb = MiniMaxSandbox(api_key=MM_KEY, faults=faults, banner=False).start()
        started.append(sb)
        return sb

    yield make
    for sb in started:
        sb.stop()


@pytest.fixture
def make_mm_client(sleeps: Any) -> Iterator[Callable[..., MiniMaxClient]]:
    made: list[MiniMaxClient] = []

    def make(sb: MiniMaxSandbox, **options: Any) -> MiniMaxClient:
        options.setdefault("api_key", MM_KEY)
        options.setdefault("base_url", sb.url)
        options.setdefault("preprocess_timeout", (2.0, 10.0))
        options.setdefault("generation_timeout", (2.0, 10.0))
        options.setdefault("retry_policy", RetryPolicy(max_retries=2, base_delay_s=0.01,
                                                       max_delay_s=0.02))
        options.setdefault("sleep", sleeps)
        client = MiniMaxClient(**options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def _backend(sb: MiniMaxSandbox, client: MiniMaxClient) -> MiniMaxBackend:
    return MiniMaxBackend(client=client)


def _request(audio: str, **overrides: Any) -> dict[str, Any]:
    req: dict[str, Any] = {"taskType": "audioInference", "taskUUID":
                           "7d7c2a4e-1b7e-4c1b-9f57-3a1f2b7c9d10",
                           "model": "minimax:music@cover", "positivePrompt": PROMPT,
                           "inputs": {"audio": audio}, "numberResults": 1,
                           "outputType": "base64Data", "outputFormat": "MP3"}
    req.update(overrides)
    return req


# --------------------------------------------------------------------------- error mapping


@pytest.mark.parametrize(("code", "cls", "extra"), [
    (1004, AuthenticationError, None), (2049, AuthenticationError, None),
    (1008, InsufficientCreditsError, None), (2056, InsufficientCreditsError, None),
    (2013, InvalidParameterError, None),
    (1002, RateLimitError, None), (1039, RateLimitError, None), (2045, RateLimitError, None),
    (1000, ServerError, None), (1001, ServerError, None), (1024, ServerError, None),
    (1033, ServerError, None),
    (1026, InvalidParameterError, "contentPolicyViolation"),
    (1027, InvalidParameterError, "contentPolicyViolation"),
    (4242, APIStatusError, None),
])
def test_error_mapping(code: int, cls: type, extra: str | None) -> None:
    err = error_from_base_resp(code, f"msg with Bearer {MM_KEY}", operation="generation")
    assert type(err) is cls
    assert str(code) in str(err) and MM_KEY not in str(err)
    if extra:
        assert err.code == extra


def test_missing_key_and_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(MissingAPIKeyError, match="MINIMAX_API_KEY"):
        MiniMaxClient()
    monkeypatch.setenv("MINIMAX_API_KEY", MM_KEY)
    client = MiniMaxClient()
    assert MM_KEY not in repr(client) and "api.minimax.io" in client.base_url
    client.close()


# --------------------------------------------------------------------------- client


def test_preprocess_and_generate(make_mm: Any, make_mm_client: Any, song_wav: bytes) -> None:
    sb = make_mm()
    client = make_mm_client(sb)
    handle = client.preprocess(song_wav)
    assert len(handle.feature_id) == 32 and handle.sandbox
    assert "[Verse 1]" in handle.formatted_lyrics and handle.structure
    assert client.preprocess(song_wav).feature_id == handle.feature_id  # MD5 dedup
    audio, extra = client.generate(PROMPT, handle.formatted_lyrics,
                                   cover_feature_id=handle.feature_id,
                                   audio_setting={"format": "wav"}, seed=4)
    assert sniff_format(audio) == "WAV"
    assert extra["music_duration"] == pytest.approx(7000, abs=50)
    body = sb.generations[-1]
    assert body["model"] == "music-cover" and body["seed"] == 4
    assert body["cover_feature_id"] == handle.feature_id


def test_bad_key_is_authentication_error(make_mm: Any, make_mm_client: Any,
                                         song_wav: bytes) -> None:
    client = make_mm_client(make_mm(), api_key="mm-wrong-key-123456")
    with pytest.raises(AuthenticationError, match="1004") as err:
        client.preprocess(song_wav)
    assert "mm-wrong-key-123456" not in str(err.value)


def test_invalid_params_2013(make_mm: Any, make_mm_client: Any, song_wav: bytes) -> None:
    sb = make_mm()
    client = make_mm_client(sb)
    handle = client.preprocess(song_wav)
    with pytest.raises(InvalidParameterError, match="2013.*prompt"):
        client.generate("too short", None, cover_feature_id=handle.feature_id)
    assert len(sb.generations) == 1  # never retried


def test_insufficient_balance_not_retried(make_mm: Any, make_mm_client: Any,
                                          song_wav: bytes) -> None:
    sb = make_mm(MiniMaxFault(1008, "generation"))
    client = make_mm_client(sb)
    handle = client.preprocess(song_wav)
    with pytest.raises(InsufficientCreditsError, match="1008"):
        client.generate(PROMPT, None, cover_feature_id=handle.feature_id)
    assert len(sb.generations) == 1


@pytest.mark.parametrize("endpoint", ["preprocess", "generation"])
def test_rate_limit_is_retried(make_mm: Any, make_mm_client: Any, song_wav: bytes,
                               sleeps: Any, endpoint: str) -> None:
    sb = make_mm(MiniMaxFault(1002, endpoint))
    client = make_mm_client(sb)
    handle = client.preprocess(song_wav)
    client.generate(PROMPT, None, cover_feature_id=handle.feature_id)
    assert len(sleeps.calls) == 1
    assert len(sb.generations) == (2 if endpoint == "generation" else 1)


def test_rate_limit_retries_are_bounded(make_mm: Any, make_mm_client: Any,
                                        song_wav: bytes, sleeps: Any) -> None:
    sb = make_mm(MiniMaxFault(1002, "preprocess", times=-1))
    with pytest.raises(RateLimitError):
        make_mm_client(sb).preprocess(song_wav)
    assert len(sleeps.calls) == 2 and len(sb.requests) == 3


def test_server_error_retried_for_preprocess_only(make_mm: Any, make_mm_client: Any,
                                                  song_wav: bytes) -> None:
    sb = make_mm(MiniMaxFault(1000, "preprocess"), MiniMaxFault(1000, "generation"))
    client = make_mm_client(sb)
    handle = client.preprocess(song_wav)  # retried: idempotent
    with pytest.raises(OutcomeUnknownError, match="not sent again"):
        client.generate(PROMPT, None, cover_feature_id=handle.feature_id)
    assert len(sb.generations) == 1


def test_content_policy(make_mm: Any, make_mm_client: Any, song_wav: bytes) -> None:
    sb = make_mm(MiniMaxFault(1026, "generation"))
    client = make_mm_client(sb)
    handle = client.preprocess(song_wav)
    with pytest.raises(InvalidParameterError) as err:
        client.generate(PROMPT, None, cover_feature_id=handle.feature_id)
    assert err.value.code == "contentPolicyViolation"


def test_url_output(make_mm: Any, make_mm_client: Any, song_wav: bytes) -> None:
    sb = make_mm()
    client = make_mm_client(sb)
    handle = client.preprocess(song_wav)
    url, _ = client.generate(PROMPT, None, cover_feature_id=handle.feature_id,
                             output_format="url")
    assert isinstance(url, str) and url.startswith(sb.url + "/files/")
    assert sniff_format(client.session.get(url, timeout=5).content) == "MP3"


# --------------------------------------------------------------------------- backend


@pytest.mark.parametrize(("fmt", "output_type"), [
    ("MP3", "URL"), ("WAV", "base64Data"), ("FLAC", "URL"), ("OGG", "dataURI"),
])
def test_backend_formats(make_mm: Any, make_mm_client: Any, song_wav: bytes, tmp_path: Path,
                         fmt: str, output_type: str) -> None:
    sb = make_mm()
    backend = _backend(sb, make_mm_client(sb))
    audio_input = backend.upload_audio(song_wav)
    assert len(audio_input) == 36 and audio_input.count("-") == 4
    task = backend.run(_request(audio_input, outputFormat=fmt, outputType=output_type))
    [result] = task.results
    assert result.sandbox and result.output_type == (
        "URL" if (output_type == "URL" and fmt in ("MP3", "WAV")) else
        "dataURI" if output_type == "dataURI" else "base64Data")
    sent = sb.generations[-1]
    assert sent["audio_setting"]["format"] == ("mp3" if fmt == "MP3" else "wav")
    assert sent["lyrics"].startswith("[Verse 1]")  # the handle's lyrics by default
    path = backend.fetch(result, tmp_path / f"out.{fmt.lower()}", expected_format=fmt)
    assert sniff_format(path.read_bytes()) == fmt


def test_backend_number_results_and_seeds(make_mm: Any, make_mm_client: Any,
                                          song_wav: bytes) -> None:
    sb = make_mm()
    backend = _backend(sb, make_mm_client(sb))
    audio_input = backend.upload_audio(song_wav)
    seen: list[Any] = []
    events: list[str] = []
    task = backend.run(_request(audio_input, numberResults=3, seed=10,
                                settings={"lyrics": "[Verse]\nmy own words here"}),
                       on_result=seen.append, on_progress=lambda e: events.append(e.phase))
    assert [r.seed for r in task.results] == [10, 11, 12] == [b["seed"] for b in sb.generations]
    assert seen == task.results
    assert {b["lyrics"] for b in sb.generations} == {"[Verse]\nmy own words here"}
    assert events[0] == "submitting" and events[-1] == "done" and events.count("result") == 3
    assert len({r.audio_uuid for r in task.results}) == 3


def test_backend_partial_failure_keeps_results(make_mm: Any, make_mm_client: Any,
                                               song_wav: bytes) -> None:
    sb = make_mm(MiniMaxFault(1008, "generation", skip=1))
    backend = _backend(sb, make_mm_client(sb))
    with pytest.raises(TaskFailedError, match="1008") as err:
        backend.run(_request(backend.upload_audio(song_wav), numberResults=2))
    assert len(err.value.partial_results) == 1


def test_backend_refuses_unsupported_audio_settings(make_mm: Any, make_mm_client: Any,
                                                    song_wav: bytes) -> None:
    sb = make_mm()
    backend = _backend(sb, make_mm_client(sb))
    audio_input = backend.upload_audio(song_wav)
    with pytest.raises(InvalidParameterError, match="audioSettings.sampleRate") as err:
        backend.run(_request(audio_input, audioSettings={"sampleRate": 48000}))
    assert err.value.parameter == "audioSettings.sampleRate"
    assert sb.generations == []
    backend.run(_request(audio_input, audioSettings={"sampleRate": 24000, "bitrate": 64,
                                                     "channels": 1}))
    assert sb.generations[-1]["audio_setting"] == {"format": "mp3", "sample_rate": 24000,
                                                   "bitrate": 64000, "channel": 1}


def test_backend_rejects_non_feature_uuid(make_mm: Any, make_mm_client: Any) -> None:
    sb = make_mm()
    backend = _backend(sb, make_mm_client(sb))
    with pytest.raises(SpecValidationError, match="inputs.audio"):
        backend.run(_request("not-a-feature-id"))


def test_backend_cancel_and_resume(make_mm: Any, make_mm_client: Any, song_wav: bytes) -> None:
    sb = make_mm()
    backend = _backend(sb, make_mm_client(sb))
    req = _request(backend.upload_audio(song_wav))
    with pytest.raises(Interrupted):
        backend.run(req, should_cancel=lambda: True)
    assert sb.generations == []
    with pytest.raises(OutcomeUnknownError, match="no task polling"):
        backend.resume(req)


def test_backend_one_step_url_source(make_mm: Any, make_mm_client: Any,
                                     song_wav: bytes) -> None:
    sb = make_mm()
    client = make_mm_client(sb)
    handle = client.preprocess(song_wav)
    url, _ = client.generate(PROMPT, None, cover_feature_id=handle.feature_id,
                             output_format="url", audio_setting={"format": "wav"})
    backend = _backend(sb, client)
    backend.run(_request(url))
    assert sb.generations[-1]["audio_url"] == url


def test_backend_offline_sandbox_by_default() -> None:
    """Whoever opens the backend (the registry) starts the sandbox; the backend is a client."""
    from minimax_cover.plugin.errors import MissingAPIKeyError
    from minimax_cover.plugin.hooks.registry import get_registry

    with pytest.raises(MissingAPIKeyError, match="MINIMAX_API_KEY"):
        MiniMaxBackend()  # never starts a server itself
    backend = get_registry().backend("minimax")
    try:
        assert backend.sandbox and "SANDBOX" in backend.label
        assert backend.endpoint.startswith("http://127.0.0.1:")
    finally:
        backend.close()


def test_backend_with_key_is_not_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIMAX_API_KEY", MM_KEY)
    backend = MiniMaxBackend()
    try:
        assert not backend.sandbox and backend.label == "MiniMax (https://api.minimax.io)"
    finally:
        backend.close()


def test_base64_result_decodes(make_mm: Any, make_mm_client: Any, song_wav: bytes) -> None:
    sb = make_mm()
    backend = _backend(sb, make_mm_client(sb))
    [result] = backend.run(_request(backend.upload_audio(song_wav))).results
    assert sniff_format(base64.b64decode(result.base64_data or "")) == "MP3"


def test_submit_does_the_work_and_collect_never_spends(make_mm: Any, make_mm_client: Any,
                                                       song_wav: bytes) -> None:
    sb = make_mm()
    backend = _backend(sb, make_mm_client(sb))
    req = {**_request(backend.upload_audio(song_wav)), "numberResults": 2}
    with pytest.raises(Interrupted):
        backend.submit(req, should_cancel=lambda: True)
    assert sb.generations == []  # a cancel before the first generation sends nothing
    phases: list[str] = []
    paid: list[Any] = []
    ticket = backend.submit(req, on_progress=lambda e: phases.append(e.phase),
                            on_result=paid.append)
    assert ticket.complete and len(ticket.results) == 2 and len(paid) == 2
    assert phases[0] == "submitting" and phases.count("result") == 2
    assert len(sb.generations) == 2
    outcome = backend.collect([ticket])[ticket.task_uuid]
    assert len(outcome.results) == 2 and len(sb.generations) == 2  # handed over, not re-run
    lost = backend.collect([backend.ticket_for(req)])[req["taskUUID"]]
    assert isinstance(lost, OutcomeUnknownError) and len(sb.generations) == 2
