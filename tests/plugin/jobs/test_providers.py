"""Two providers: Runware first, MiniMax when Runware refused before accepting the job.

Both doubles run on loopback: the Runware sandbox (faults injected) and the MiniMax sandbox.
The next provider runs the job only after a refusal before acceptance; after an unknown
outcome nothing moves and the job stays resumable.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.errors import OutcomeUnknownError, SpecValidationError
from minimax_cover.plugin.jobs.pipeline import cover
from minimax_cover.plugin.jobs.providers import provider_order, refused_before_accepting
from minimax_cover.plugin.journal.store import Journal
from minimax_cover.plugin.sandbox import Fault
from minimax_cover.plugin.sandbox.minimax_server import MiniMaxSandbox
from minimax_cover.plugin.transport.retry import RetryPolicy

MM_KEY = "mm-FAKEKEY-5e1f-dont-leak"
PROMPT = "warm acoustic folk, fingerpicked guitar"
FAST = {"retry_policy": RetryPolicy(max_retries=1, base_delay_s=0.01, max_delay_s=0.02),
        "poll_initial_s": 0.02, "poll_max_s": 0.05, "poll_deadline_s": 10.0,
        "timeout": (2.0, 5.0)}


@pytest.fixture
def minimax(monkeypatch: pytest.MonkeyPatch) -> Iterator[MiniMaxSandbox]:
    sb = MiniMaxSandbox(api_key=MM_KEY, banner=False).start()
    monkeypatch.setenv("MINIMAX_API_URL", sb.url)
    monkeypatch.setenv("MINIMAX_API_KEY", MM_KEY)
    monkeypatch.setenv("MINIMAX_COVER_PROVIDERS", "runware,minimax")
    yield sb
    sb.stop()


@pytest.fixture
def song(tmp_path: Path, song_wav: bytes) -> Path:
    path = tmp_path / "song.wav"
    path.write_bytes(song_wav)
    return path


def _runware_at(monkeypatch: pytest.MonkeyPatch, url: str, key: str) -> None:
    monkeypatch.setenv("RUNWARE_API_URL", url)
    monkeypatch.setenv("RUNWARE_API_KEY", key)


def _cover(song: Path, tmp_path: Path) -> Any:
    return cover(str(song), prompt=PROMPT, output_dir=tmp_path / "out",
                 backend_options=dict(FAST), deliveryMethod="async")


def test_connection_refused_runs_on_minimax_once(minimax: MiniMaxSandbox, dead_url: str, song: Path,
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _runware_at(monkeypatch, dead_url, "rw-FAKEKEY-dead")
    result = _cover(song, tmp_path)
    assert result.backend == "minimax" and len(result.files) == 1
    assert len(minimax.preprocesses) == 1 and len(minimax.generations) == 1
    with Journal() as journal:
        row = journal.get(result.task_uuid)
    assert row is not None and row.backend == "minimax" and row.status == "saved"


def test_5xx_on_submit_runs_on_minimax_once(minimax: MiniMaxSandbox, make_sandbox: Any,
                                            song: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    runware = make_sandbox(faults=[Fault("status", task_type="audioInference", status=503,
                                         times=-1)])
    _runware_at(monkeypatch, runware.url, runware.api_key)
    result = _cover(song, tmp_path)
    assert result.backend == "minimax" and len(result.files) == 1
    assert len(minimax.generations) == 1
    assert "SANDBOX" in result.backend_label  # the MiniMax sandbox says what it is
    with Journal() as journal:
        row = journal.get(result.task_uuid)
    assert row is not None and row.backend == "minimax"
    assert row.endpoint.startswith(minimax.url)


def test_unknown_outcome_never_fails_over(minimax: MiniMaxSandbox, make_sandbox: Any,
                                          song: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    runware = make_sandbox(faults=[Fault("malformed_json", task_type="audioInference",
                                         status=502)])
    _runware_at(monkeypatch, runware.url, runware.api_key)
    with pytest.raises(OutcomeUnknownError) as err:
        _cover(song, tmp_path)
    assert minimax.requests == []  # MiniMax never heard of it
    with Journal() as journal:
        row = journal.get(err.value.task_uuid or "")
        assert row is not None and row.backend == "runware" and row.status == "unknown"
        assert any(r.task_uuid == row.task_uuid for r in journal.unfinished())


def test_a_named_backend_never_fails_over(minimax: MiniMaxSandbox, dead_url: str, song: Path,
                                          tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _runware_at(monkeypatch, dead_url, "rw-FAKEKEY-dead")
    with pytest.raises(Exception, match="cannot connect"):
        cover(str(song), prompt=PROMPT, output_dir=tmp_path / "out", backend="runware",
              backend_options=dict(FAST))
    assert minimax.requests == []


def test_order_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert provider_order() == ["runware"]
    monkeypatch.setenv("MINIMAX_COVER_PROVIDERS", "minimax, runware")
    assert provider_order(["runware", "minimax"]) == ["minimax", "runware"]
    monkeypatch.setenv("MINIMAX_COVER_PROVIDERS", "runware,runware")
    with pytest.raises(SpecValidationError, match="MINIMAX_COVER_PROVIDERS"):
        provider_order()
    monkeypatch.setenv("MINIMAX_COVER_PROVIDERS", "runware,replicate")
    with pytest.raises(SpecValidationError, match="registered"):
        provider_order(["runware", "minimax"])


def test_refusal_classes() -> None:
    from minimax_cover.plugin.errors import (
        APIConnectionError,
        InsufficientCreditsError,
        InvalidParameterError,
        RateLimitError,
        ServerError,
        TaskFailedError,
    )

    assert refused_before_accepting(APIConnectionError("refused"))
    assert refused_before_accepting(ServerError("503", status_code=503))
    assert refused_before_accepting(RateLimitError("429", status_code=429))
    assert refused_before_accepting(InsufficientCreditsError("402", status_code=402))
    assert not refused_before_accepting(OutcomeUnknownError("maybe"))
    assert not refused_before_accepting(InvalidParameterError("bad", status_code=400))
    assert not refused_before_accepting(TaskFailedError("failed"))


def test_order_decides_the_first_provider(minimax: MiniMaxSandbox, make_sandbox: Any,
                                          song: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    runware = make_sandbox()
    _runware_at(monkeypatch, runware.url, runware.api_key)
    monkeypatch.setenv("MINIMAX_COVER_PROVIDERS", "minimax,runware")
    result = _cover(song, tmp_path)
    assert result.backend == "minimax" and len(minimax.generations) == 1
    monkeypatch.setenv("MINIMAX_COVER_PROVIDERS", "minimax")
    assert cover(str(song), prompt=PROMPT, output_dir=tmp_path / "two").backend == "minimax"


def test_minimax_credit_refusal_moves_to_runware(minimax: MiniMaxSandbox, make_sandbox: Any,
                                                 song: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from minimax_cover.plugin.sandbox.minimax_server import MiniMaxFault

    runware = make_sandbox()
    _runware_at(monkeypatch, runware.url, runware.api_key)
    monkeypatch.setenv("MINIMAX_COVER_PROVIDERS", "minimax,runware")
    minimax.faults.append(MiniMaxFault(1008, "generation"))
    result = cover(str(song), prompt=PROMPT, output_dir=tmp_path / "out")
    assert result.backend == "runware" and len(result.files) == 1
    assert len(minimax.generations) == 1  # refused: balance too low, nothing charged
    with Journal() as journal:
        row = journal.get(result.task_uuid)
    assert row is not None and row.backend == "runware" and row.status == "saved"


def test_a_moved_job_with_an_unknown_outcome_is_resumed_where_it_moved(
        minimax: MiniMaxSandbox, make_sandbox: Any, song: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from minimax_cover.plugin.sandbox.minimax_server import MiniMaxFault

    runware = make_sandbox(faults=[Fault("status", task_type="audioInference", status=503,
                                         times=-1)])
    _runware_at(monkeypatch, runware.url, runware.api_key)
    minimax.faults.append(MiniMaxFault(1024, "generation", times=-1))  # sent, outcome unknown
    with pytest.raises(OutcomeUnknownError) as first:
        _cover(song, tmp_path)
    sent = len(minimax.generations)
    with pytest.raises(OutcomeUnknownError) as again:  # MiniMax cannot look a job up
        _cover(song, tmp_path)
    assert again.value.task_uuid == first.value.task_uuid
    assert len(minimax.generations) == sent  # never sent again, on either provider
    assert runware.submissions() == 0
