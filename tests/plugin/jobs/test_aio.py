"""``await acover(...)`` and :class:`AsyncCoverClient`: the cover job for asyncio hosts.

No pytest-asyncio: each test runs its own loop with ``asyncio.run``. The job runs against a
real sandbox on 127.0.0.1; the loop must stay responsive, callbacks arrive on the loop's thread,
and cancelling the awaiting task leaves a resumable job (one submit in all).
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.errors import SpecValidationError
from minimax_cover.plugin.jobs.aio import AsyncCoverClient, acover, aresume_job
from minimax_cover.plugin.journal.store import Journal

PROMPT = "warm acoustic folk, fingerpicked guitar"


def _options(sb: Any) -> dict[str, Any]:
    from minimax_cover.plugin.transport.retry import RetryPolicy

    return {"api_key": sb.api_key, "base_url": sb.url, "timeout": (2.0, 5.0),
            "sync_read_timeout_s": 10.0, "poll_initial_s": 0.02, "poll_max_s": 0.05,
            "retry_policy": RetryPolicy(base_delay_s=0.01, max_delay_s=0.05)}


@pytest.fixture
def song(tmp_path: Path, song_wav: bytes) -> Path:
    path = tmp_path / "song.wav"
    path.write_bytes(song_wav)
    return path


def _submits(sb: Any) -> int:
    return len([r for r in sb.requests_log if r["task_types"] == ["audioInference"]])


def test_acover_runs_the_job_without_blocking_the_loop(make_sandbox: Any, song: Path,
                                                       tmp_path: Path) -> None:
    sb = make_sandbox(latency_s=0.6)
    loop_thread: list[int] = []
    events: list[tuple[str, int]] = []

    async def on_progress(event: Any) -> None:  # a coroutine callback, on the loop's thread
        events.append((event.phase, threading.get_ident()))

    async def main() -> tuple[Any, int]:
        loop_thread.append(threading.get_ident())
        ticks = 0
        job = asyncio.create_task(acover(
            song, prompt=PROMPT, backend="runware", backend_options=_options(sb),
            journal=Journal(tmp_path / "j.sqlite3"), output_dir=tmp_path / "out",
            on_progress=on_progress))
        while not job.done():
            await asyncio.sleep(0.02)
            ticks += 1
        return await job, ticks

    result, ticks = asyncio.run(main())
    assert result.files[0].is_file() and result.request["deliveryMethod"] == "async"
    assert ticks >= 15  # the loop kept running while the job waited 0.6 s
    assert events and {ident for _, ident in events} == {loop_thread[0]}
    assert "done" in [phase for phase, _ in events]


def test_acover_raises_the_same_errors(tmp_path: Path, song: Path) -> None:
    with pytest.raises(SpecValidationError, match="positivePrompt"):
        asyncio.run(acover(song, prompt="short", journal=False, output_dir=tmp_path))


def test_cancelling_the_task_stops_the_wait_and_keeps_the_job_resumable(
        make_sandbox: Any, song: Path, tmp_path: Path) -> None:
    sb = make_sandbox(latency_s=1.5)
    planned = tmp_path / "planned"
    journal = Journal(tmp_path / "j.sqlite3")

    async def main() -> float:
        job = asyncio.create_task(acover(
            song, prompt=PROMPT, backend="runware", backend_options=_options(sb),
            journal=journal, output_dir=planned))
        while _submits(sb) < 1:
            await asyncio.sleep(0.01)
        started = time.monotonic()
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
        return time.monotonic() - started

    took = asyncio.run(main())
    assert took < 1.2  # not the rest of the 1.5 s generation
    (row,) = journal.list_jobs(limit=None)
    assert row.status == "submitted" and not list(planned.glob("*.mp3"))

    result = asyncio.run(aresume_job(row.task_uuid, journal=journal,
                                     backend_options=_options(sb)))
    assert result.files[0].parent == planned and result.files[0].is_file()
    assert journal.get(row.task_uuid).status == "saved"
    assert _submits(sb) == 1
    journal.close()


def test_async_client_shares_options_and_runs_jobs_concurrently(make_sandbox: Any, song: Path,
                                                                tmp_path: Path) -> None:
    sb = make_sandbox(latency_s=3.0)
    journal = Journal(tmp_path / "j.sqlite3")

    async def main() -> list[Any]:
        async with AsyncCoverClient(backend="runware", backend_options=_options(sb),
                                    journal=journal, output_dir=tmp_path / "out",
                                    max_concurrency=4) as client:
            return await asyncio.gather(*(
                client.cover(song, prompt=PROMPT, seed=seed, output_stem=f"take{seed}")
                for seed in (1, 2, 3)))

    started = time.monotonic()
    results = asyncio.run(main())
    # three 3 s jobs side by side (3 s and some), not in a row (9 s and more)
    assert time.monotonic() - started < 8.5
    assert sorted(p.name for r in results for p in r.files) == [
        "take1.mp3", "take2.mp3", "take3.mp3"]
    assert {r.request["seed"] for r in results} == {1, 2, 3}
    assert len(journal.list_jobs(limit=None, status="saved")) == 3
    journal.close()


def test_async_client_refuses_unknown_options() -> None:
    with pytest.raises(TypeError, match="colour"):
        AsyncCoverClient(colour="red")


def test_acover_takes_every_option_of_cover(make_sandbox: Any, song: Path,
                                            tmp_path: Path) -> None:
    """Job options (``dry_run``, ``output``, ``overwrite``...) are not mistaken for spec fields."""
    sb = make_sandbox()
    result = asyncio.run(acover(song, prompt=PROMPT, results=2, dry_run=True,
                                output=tmp_path / "out.flac", overwrite=False,
                                backend="runware", backend_options=_options(sb),
                                journal=False))
    assert result.outputs == [] and sb.submissions() == 0  # priced with the dry-run header
    assert result.dry_run and result.estimated_cost == pytest.approx(0.30)
    assert not (tmp_path / "out.flac").exists()
