"""The cover pipeline end to end against the sandbox: cover() -> CoverJob -> files.

Every job runs the real stack on 127.0.0.1 (Runware backend, sandbox, journal in tmp_path):
validation before any request, keywords by spec name and by generated alias, hook order,
output names, cost totals and the resume of an identical unfinished request.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.errors import AudioLimitError, NotFoundError, SpecValidationError
from minimax_cover.plugin.hooks.registry import make_registry
from minimax_cover.plugin.hooks.specs import hookimpl
from minimax_cover.plugin.jobs.job import CoverJob, output_path
from minimax_cover.plugin.jobs.pipeline import build_request, cover
from minimax_cover.plugin.journal.store import Journal
from minimax_cover.plugin.sandbox import Fault
from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER

PROMPT = "warm acoustic folk, fingerpicked guitar"
LYRICS = "[Verse]\nsing the old song new\n[Chorus]\nla la la"


def _options(sb: Any) -> dict[str, Any]:
    from minimax_cover.plugin.transport.retry import RetryPolicy

    return {"api_key": sb.api_key, "base_url": sb.url, "timeout": (2.0, 5.0),
            "sync_read_timeout_s": 10.0, "poll_initial_s": 0.02, "poll_max_s": 0.05,
            "retry_policy": RetryPolicy(base_delay_s=0.01, max_delay_s=0.05)}


def _cover(sb: Any, song: Any, tmp_path: Path, **kwargs: Any) -> Any:
    kwargs.setdefault("prompt", PROMPT)
    kwargs.setdefault("journal", False)
    kwargs.setdefault("output_dir", tmp_path / "out")
    return cover(song, backend="runware", backend_options=_options(sb), **kwargs)


@pytest.fixture
def song(tmp_path: Path, song_wav: bytes) -> Path:
    path = tmp_path / "song.wav"
    path.write_bytes(song_wav)
    return path


# --------------------------------------------------------------------------- before sending


@pytest.mark.parametrize(("kwargs", "param"), [
    ({"prompt": "short"}, "positivePrompt"),
    ({"results": 9}, "numberResults"),
    ({"format": "AAC"}, "outputFormat"),
    ({"format": "WAV", "bitrate": 128}, "audioSettings"),
    ({"promt": PROMPT}, "promt"),
])
def test_invalid_parameters_send_nothing(sandbox: Any, song: Path, tmp_path: Path,
                                         kwargs: dict[str, Any], param: str) -> None:
    with pytest.raises(SpecValidationError) as info:
        _cover(sandbox, song, tmp_path, **kwargs)
    assert param in info.value.parameters
    assert sandbox.requests_log == []  # no upload, no submit
    assert not (tmp_path / "out").exists()


def test_unknown_keyword_says_did_you_mean(sandbox: Any, song: Path, tmp_path: Path) -> None:
    with pytest.raises(SpecValidationError, match=r"numberResult.*did you mean 'numberResults'"):
        _cover(sandbox, song, tmp_path, numberResult=2)
    with pytest.raises(SpecValidationError, match="give the song as the first argument"):
        _cover(sandbox, song, tmp_path, audio="https://example.com/a.mp3")
    assert sandbox.requests_log == []


def test_song_outside_limits_sends_nothing(sandbox: Any, make_tone: Any, tmp_path: Path) -> None:
    with pytest.raises(AudioLimitError, match=r"inputs\.audio: duration"):
        _cover(sandbox, make_tone(3.0, 8000, "WAV"), tmp_path)
    assert sandbox.requests_log == []


# --------------------------------------------------------------------------- keywords


def test_spec_names_and_aliases_build_the_same_request() -> None:
    by_alias = build_request(prompt=PROMPT, results=2, format="OGG", lyrics=LYRICS,
                             sample_rate=44100, channels=1, include_cost=True, seed=5)
    by_spec_name = build_request(positivePrompt=PROMPT, numberResults=2, outputFormat="OGG",
                                 includeCost=True, seed=5, audioSettings={"sampleRate": 44100},
                                 **{"settings.lyrics": LYRICS, "audioSettings.channels": 1})
    by_snake = build_request({"settings": {"lyrics": LYRICS}}, positive_prompt=PROMPT,
                             number_results=2, output_format="OGG", sampleRate=44100,
                             channels=1, includeCost=True, seed=5)
    assert by_alias == by_spec_name == by_snake
    assert by_alias["audioSettings"] == {"sampleRate": 44100, "channels": 1}


def test_one_field_given_twice_is_refused() -> None:
    with pytest.raises(SpecValidationError, match=r"positivePrompt: given twice"):
        build_request(prompt=PROMPT, positivePrompt=PROMPT)


def test_aliases_reach_the_request_sent(sandbox: Any, song: Path, tmp_path: Path) -> None:
    result = _cover(sandbox, song, tmp_path, results=2, format="OGG", lyrics=LYRICS, seed=11,
                    sample_rate=44100, delivery_method="async", output_stem="take")
    sent = result.request
    assert (sent["numberResults"], sent["outputFormat"], sent["seed"]) == (2, "OGG", 11)
    assert sent["settings"] == {"lyrics": LYRICS}
    assert sent["audioSettings"] == {"sampleRate": 44100}
    assert [p.name for p in result.files] == ["take_1.ogg", "take_2.ogg"]
    assert [o.seed for o in result.outputs] == [11, 12]


# --------------------------------------------------------------------------- hooks


class Recorder:
    """Records the job's hook calls in order; prepare_request changes the request."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    @hookimpl(wrapper=True)
    def stage_audio(self, source: Any, backend: Any, context: Any) -> Any:
        staged = yield
        self.calls.append("stage_audio")
        return staged

    @hookimpl
    def prepare_request(self, request: dict[str, Any], context: Any) -> None:
        self.calls.append(f"prepare_request audio={request['inputs']['audio'] != ''}")
        request["seed"] = 4242
        request["includeCost"] = True

    @hookimpl
    def on_result(self, output: Any, context: Any) -> None:
        assert output.path.is_file()
        self.calls.append(f"on_result {output.index} {output.path.name}")

    @hookimpl
    def on_job_done(self, result: Any, context: Any) -> None:
        self.calls.append(f"on_job_done {len(result.outputs)}")


def test_hooks_run_in_order_and_prepare_request_changes_the_request(
        sandbox: Any, song: Path, tmp_path: Path) -> None:
    recorder = Recorder()
    registry = make_registry(entry_points=False, plugins=[recorder])
    result = _cover(sandbox, song, tmp_path, results=2, output_stem="s", registry=registry)
    assert recorder.calls == ["stage_audio", "prepare_request audio=True",
                              "on_result 0 s_1.mp3", "on_result 1 s_2.mp3", "on_job_done 2"]
    assert result.request["seed"] == 4242  # validated again, then sent as changed
    assert [o.seed for o in result.outputs] == [4242, 4243]
    assert result.cost_total is not None


def test_prepare_request_is_validated_again(sandbox: Any, song: Path, tmp_path: Path) -> None:
    class Breaker:
        @hookimpl
        def prepare_request(self, request: dict[str, Any], context: Any) -> None:
            request["numberResults"] = 99

    registry = make_registry(entry_points=False, plugins=[Breaker()])
    with pytest.raises(SpecValidationError, match="numberResults"):
        _cover(sandbox, song, tmp_path, registry=registry)
    assert sandbox.submissions() == 0


# --------------------------------------------------------------------------- outputs, cost


def test_output_names(sandbox: Any, song: Path, tmp_path: Path) -> None:
    one = _cover(sandbox, song, tmp_path)
    assert [p.name for p in one.files] == [f"cover_{one.task_uuid[:8]}.mp3"]
    flac = _cover(sandbox, song, tmp_path, format="FLAC", results=3, output_stem="song")
    assert [p.name for p in flac.files] == ["song_1.flac", "song_2.flac", "song_3.flac"]
    assert all(p.parent == tmp_path / "out" and p.stat().st_size > 0 for p in flac.files)
    assert output_path(tmp_path, "x", 0, 1, "OGG") == tmp_path / "x.ogg"


def test_cost_totals(sandbox: Any, song: Path, tmp_path: Path) -> None:
    price = MINIMAX_MUSIC_COVER.price_per_result_usd
    result = _cover(sandbox, song, tmp_path, results=3, include_cost=True)
    assert [o.cost for o in result.outputs] == [price] * 3
    assert result.cost_total == pytest.approx(3 * price)
    assert result.cost_total == pytest.approx(MINIMAX_MUSIC_COVER.estimated_cost_usd(
        result.request))
    assert result.to_dict()["costTotal"] == result.cost_total
    default = _cover(sandbox, song, tmp_path)  # includeCost is on unless asked otherwise
    assert default.request["includeCost"] is True and default.cost_total == pytest.approx(price)
    assert _cover(sandbox, song, tmp_path, include_cost=False).cost_total is None


def test_decode_and_sandbox_flags(sandbox: Any, song: Path, tmp_path: Path) -> None:
    result = _cover(sandbox, song, tmp_path, decode=True)
    out = result.outputs[0]
    assert out.audio is not None and out.audio.duration_s == pytest.approx(7.0, abs=0.1)
    assert result.sandbox and out.sandbox and result.backend == "runware"


# --------------------------------------------------------------------------- resume


def test_identical_unfinished_request_is_resumed(make_sandbox: Any, song: Path,
                                                 tmp_path: Path) -> None:
    sb = make_sandbox(faults=[Fault("expire_url")])
    with Journal(tmp_path / "j.sqlite3") as journal:
        with pytest.raises(NotFoundError) as info:
            _cover(sb, song, tmp_path, journal=journal, seed=3)
        task_uuid = info.value.task_uuid
        assert task_uuid and journal.get(task_uuid).status != "saved"
        # the same song (as bytes this time: the digest is of the content) and parameters
        again = _cover(sb, song.read_bytes(), tmp_path, journal=journal, seed=3)
        assert again.resumed and again.task_uuid == task_uuid
        assert sb.submissions() == 1  # collected with getResponse, not paid twice
        assert journal.get(task_uuid).status == "saved"
        # saved: the same job is served from its file at no cost
        reused = _cover(sb, song, tmp_path, journal=journal, seed=3)
        assert reused.reused and reused.reused["taskUUID"] == task_uuid
        assert reused.files == again.files  # in the same folder: the saved file itself
        assert sb.submissions() == 1
        fresh = _cover(sb, song, tmp_path, journal=journal, seed=3, again=True)  # pays again
        assert not fresh.resumed and not fresh.reused and fresh.task_uuid != task_uuid
        assert sb.submissions() == 2


def test_resume_false_submits_anew(make_sandbox: Any, song: Path, tmp_path: Path) -> None:
    sb = make_sandbox(faults=[Fault("expire_url")])
    with Journal(tmp_path / "j.sqlite3") as journal:
        with pytest.raises(NotFoundError):
            _cover(sb, song, tmp_path, journal=journal)
        result = _cover(sb, song, tmp_path, journal=journal, resume=False)
        assert not result.resumed and sb.submissions() == 2


# --------------------------------------------------------------------------- the job object


def test_cover_job_steps_can_be_driven_one_by_one(sandbox: Any, song: Path,
                                                  tmp_path: Path) -> None:
    registry = make_registry(entry_points=False)
    job = CoverJob.create(song, build_request(prompt=PROMPT), registry=registry,
                          backend="runware", backend_options=_options(sandbox), journal=False,
                          output_dir=tmp_path)
    assert job.request["inputs"]["audio"].startswith("00000000-")  # validated, not uploaded
    assert sandbox.requests_log == []
    job.stage()
    assert job.request["inputs"]["audio"] != job.source and len(sandbox.requests_log) == 1
    job.prepare()
    result = job.execute()
    job.close()
    assert len(result.files) == 1 and sandbox.submissions() == 1


def test_from_minimax_cover_import_star_works(tmp_path: Path) -> None:
    code = ("from minimax_cover import *\n"
            "assert callable(cover) and CoverJob.__name__ == 'CoverJob'\n"
            "import minimax_cover\n"
            "assert all(hasattr(minimax_cover, n) for n in minimax_cover.__all__)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
