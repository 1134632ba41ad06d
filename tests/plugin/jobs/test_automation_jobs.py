"""Jobs for automation hosts (issue 16): reusable seeds, resume to the planned destination,
enum values in any case, one size rule for paths and in-memory audio."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.errors import AudioLimitError, Interrupted
from minimax_cover.plugin.jobs.pipeline import build_request, cover, resume_job
from minimax_cover.plugin.jobs.seeds import choose_seed, seed_in_range, with_seed
from minimax_cover.plugin.jobs.staging import prepare_upload
from minimax_cover.plugin.journal.store import Journal
from minimax_cover.plugin.runware.backend import RunwareBackend
from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER as SPEC

PROMPT = "warm acoustic folk, fingerpicked guitar"


def _options(sb: Any, **extra: Any) -> dict[str, Any]:
    from minimax_cover.plugin.transport.retry import RetryPolicy

    return {"api_key": sb.api_key, "base_url": sb.url, "timeout": (2.0, 5.0),
            "sync_read_timeout_s": 10.0, "poll_initial_s": 0.02, "poll_max_s": 0.05,
            "retry_policy": RetryPolicy(base_delay_s=0.01, max_delay_s=0.05), **extra}


@pytest.fixture
def song(tmp_path: Path, song_wav: bytes) -> Path:
    path = tmp_path / "song.wav"
    path.write_bytes(song_wav)
    return path


# --------------------------------------------------------------------------- seeds


@pytest.mark.parametrize("count", [1, 2, 4])
def test_chosen_seed_leaves_room_for_every_result(count: int) -> None:
    for _ in range(200):
        seed = choose_seed(SPEC, count)
        assert seed is not None and 0 <= seed and seed + count - 1 <= 1_000_000


def test_a_given_seed_is_kept() -> None:
    request = {"seed": 42, "numberResults": 4}
    assert with_seed(request, SPEC) is False and request["seed"] == 42
    fresh: dict[str, Any] = {"numberResults": 4}
    assert with_seed(fresh, SPEC) is True and 0 <= fresh["seed"] <= 1_000_000 - 3


def test_cover_without_seed_sends_and_journals_a_reusable_one(sandbox: Any, song: Path,
                                                              tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite3") as journal:
        result = cover(song, prompt=PROMPT, results=2, backend="runware", journal=journal,
                       backend_options=_options(sandbox), output_dir=tmp_path / "out")
        seed = result.request["seed"]
        assert 0 <= seed <= 1_000_000 - 1
        assert [o.seed for o in result.outputs] == [seed, seed + 1]
        assert all(o.seed_reusable for o in result.outputs)
        assert journal.get(result.task_uuid).request["seed"] == seed


class _WideSeeds(RunwareBackend):
    """A server that reports seeds of its own, in the unsigned 32-bit range."""

    def collect(self, tickets: Any, **callbacks: Any) -> Any:
        save = callbacks["on_result"]
        callbacks["on_result"] = lambda r: save(dataclasses.replace(r, seed=2090572802))
        return self.client.collect(tickets, **callbacks)


def test_a_server_seed_outside_the_range_is_reported_as_such(sandbox: Any, song: Path,
                                                             tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    from minimax_cover.plugin.cli.cover_cmd import print_summary

    backend = _WideSeeds(**_options(sandbox))
    try:
        result = cover(song, prompt=PROMPT, backend=backend, journal=False,
                       output_dir=tmp_path / "out")
    finally:
        backend.close()
    out = result.outputs[0]
    assert out.seed == 2090572802 and out.seed_reusable is False
    assert out.to_dict()["seedReusable"] is False
    assert seed_in_range(SPEC, 2090572802) is False
    print_summary(result, SPEC)
    text = capsys.readouterr().out
    assert "2090572802 (drawn by the server outside 0–1000000: cannot be passed to --seed)" in text


# --------------------------------------------------------------------------- values


def test_enum_values_in_any_case_become_the_api_case() -> None:
    request = build_request(prompt=PROMPT, format="mp3", output_type="datauri",
                            delivery_method="ASYNC")
    assert request["outputFormat"] == "MP3"
    assert request["outputType"] == "dataURI"
    assert request["deliveryMethod"] == "async"
    assert build_request(format="mp4")["outputFormat"] == "mp4"  # validation reports it


def test_cover_takes_a_lower_case_format(sandbox: Any, song: Path, tmp_path: Path) -> None:
    result = cover(song, prompt=PROMPT, format="flac", backend="runware", journal=False,
                   backend_options=_options(sandbox), output_dir=tmp_path / "out")
    assert result.outputs[0].format == "FLAC" and result.files[0].suffix == ".flac"


# --------------------------------------------------------------------------- resume


def _interrupted_job(sb: Any, song: Path, journal: Journal, out: Path, **kwargs: Any) -> str:
    """Submit an async job and stop waiting once it is sent: the journal keeps it
    ``submitted`` (a Ctrl-C before the send would send nothing)."""
    sent: list[str] = []
    with pytest.raises(Interrupted) as info:
        cover(song, prompt=PROMPT, delivery_method="async", backend="runware",
              backend_options=_options(sb), journal=journal, output_dir=out,
              on_progress=lambda e: sent.append(e.phase), should_cancel=lambda: "queued" in sent,
              **kwargs)
    task = info.value.task_uuid
    record = journal.get(task)
    assert record.status == "submitted" and record.output_dir == str(out)
    return task


def test_resume_saves_where_the_job_was_meant_to_go(make_sandbox: Any, song: Path,
                                                    tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    sb = make_sandbox(latency_s=0.2)
    planned = tmp_path / "planned"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # resume runs from another folder
    with Journal(tmp_path / "j.sqlite3") as journal:
        task = _interrupted_job(sb, song, journal, planned, output_stem="take")
        assert journal.get(task).output_stem == "take"
        assert journal.get(task).song == str(song)
        result = resume_job(task, journal=journal, backend_options=_options(sb))
    assert result.files == [planned / "take.mp3"] and result.files[0].is_file()
    assert not list(elsewhere.iterdir())
    assert len([r for r in sb.requests_log if r["task_types"] == ["audioInference"]]) == 1


def test_resume_output_overrides_the_plan(make_sandbox: Any, song: Path,
                                          tmp_path: Path) -> None:
    sb = make_sandbox(latency_s=0.2)
    with Journal(tmp_path / "j.sqlite3") as journal:
        task = _interrupted_job(sb, song, journal, tmp_path / "planned", output_stem="take")
        result = resume_job(task, journal=journal, output_dir=tmp_path / "other",
                            backend_options=_options(sb))
        assert result.files == [tmp_path / "other" / "take.mp3"]  # the folder, same name
    assert not (tmp_path / "planned" / "take.mp3").exists()


# --------------------------------------------------------------------------- one size rule


def _loud_song(seconds: float, rate: int = 48000) -> Any:
    """Noisy stereo float audio: large as WAV, hard to compress."""
    import numpy as np
    from minimax_cover.plugin.audio import Audio

    rng = np.random.default_rng(3)
    return Audio((0.5 * rng.standard_normal((2, int(seconds * rate)))).astype("float32"), rate)


@pytest.mark.parametrize("kind", ["path", "bytes", "audio"])
def test_one_size_rule_for_every_input(kind: str, tmp_path: Path) -> None:
    """Over the limit: a path, its bytes and the decoded audio are all transcoded alike."""
    from minimax_cover.plugin.audio import write_audio

    audio = _loud_song(6.5, rate=32000)
    path = tmp_path / "big.wav"
    write_audio(audio, path, "WAV")
    size = path.stat().st_size
    source = {"path": path, "bytes": path.read_bytes(), "audio": audio}[kind]
    limits = {"max_bytes": size - 1}  # the WAV is just over; MP3 320 k fits
    data, mime = prepare_upload(source, limits=limits)
    assert len(data) < size and mime == "audio/mpeg"
    with pytest.raises(AudioLimitError, match="file size"):  # still over: refused alike
        prepare_upload(source, limits={"max_bytes": 1000})


@pytest.mark.slow
def test_a_long_wav_path_over_50_mib_is_accepted_like_in_memory_audio(tmp_path: Path) -> None:
    """A 2:50 stereo 48 kHz 32-bit float WAV (62 MiB) passes the local checks and is staged
    as FLAC, as the same audio in memory is (it used to be refused for its size)."""
    import numpy as np
    from minimax_cover.plugin.audio import Audio, probe_audio, write_audio
    from minimax_cover.plugin.jobs.local_audio import check_local_audio

    rate, seconds = 48000, 170.0
    t = np.arange(int(rate * seconds), dtype=np.float32) / rate
    tone = (0.3 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)
    audio = Audio(np.stack([tone, tone]), rate)
    path = tmp_path / "long.wav"
    write_audio(audio, path, "WAV", subtype="FLOAT")
    assert path.stat().st_size > 50 * 1024 * 1024
    check_local_audio(path)
    from_path, from_memory = prepare_upload(path), prepare_upload(audio)
    assert from_path[1] == from_memory[1] == "audio/flac"
    assert len(from_path[0]) <= 50 * 1024 * 1024
    assert probe_audio(from_path[0]).duration_s == pytest.approx(seconds, abs=0.01)
