"""Hostile servers: nothing paid for nothing, nothing unbounded (issue 17, items 3-6).

Two matrices against :class:`hostile_server.Hostile` on 127.0.0.1:

- **client** (a fresh process per case, ``rss_probe.py``): ``RunwareClient.run`` + ``fetch``
  with a 2 s deadline, a 1,000 B/s floor after 0.5 s and an 8 MiB result cap. Every case ends
  within its time bound, in the expected outcome, and its peak memory growth (``VmHWM`` after
  a reset) stays under twice the largest accepted result (the cap), whatever the server sends:
  a 1-byte-a-second answer or download, trickled headers, a 300 MB JSON answer, a 400 MB
  base64 result, 200,000 nested arrays, bodies longer or shorter than their Content-Length.
- **pipeline** (``cover()`` in this process, with a journal): the same servers, then the
  server is fixed and every unsaved paid task is resumed. *Paid for nothing* counts tasks the
  server accepted whose results end neither saved (verified) nor recoverable by ``resume``:
  it must be 0; a result is never marked saved unless it passed its checks.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hostile_server import Hostile
from minimax_cover.plugin.errors import (
    DeadlineExceededError,
    DownloadError,
    DownloadTimeoutError,
    MinimaxCoverError,
    OutcomeUnknownError,
)
from minimax_cover.plugin.jobs.pipeline import cover, resume_job
from minimax_cover.plugin.journal.store import UNFINISHED_STATUSES, Journal
from minimax_cover.plugin.transport.retry import RetryPolicy
from minimax_cover.plugin.transport.timeouts import Timeout
from rel_support import PROMPT, write_song

KEY = "rw-HOSTILE-test-key"
CAP = 8 * 1024 * 1024  # the largest result accepted
PROBE = Path(__file__).with_name("rss_probe.py")
#: (connect, read, total deadline, minimum rate B/s, rate window s)
TIMEOUT = (2.0, 5.0, 2.0, 1000.0, 0.5)
#: No case may take longer than this (the deadline bounds each exchange; recovery adds polls).
BOUND_S = 15.0


def _audio(fmt: str, seconds: float, rate: int = 22050) -> bytes:
    import numpy as np
    from minimax_cover.plugin.audio import Audio, encode_audio

    t = np.arange(int(seconds * rate), dtype=np.float64) / rate
    return encode_audio(Audio((0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), rate),
                        fmt)


@pytest.fixture(scope="module")
def mp3() -> bytes:
    return _audio("MP3", 8.0)


@pytest.fixture(scope="module")
def big_wav() -> bytes:
    """A WAV just under the cap (~7.9 MiB), the largest accepted result."""
    data = _audio("WAV", 180.0)
    assert CAP * 0.9 < len(data) < CAP
    return data


@dataclass(frozen=True)
class Case:
    answer: str = "ok"
    download: str = "ok"
    output_type: str = "URL"
    big: bool = False  # the result is the ~8 MiB WAV
    expect: str | None = None  # error class name, None: saved
    paid: int = 1  # tasks the server accepts
    huge_bytes: int = 300 * 1024 * 1024


CLIENT_CASES: dict[str, Case] = {
    "plain answer, URL result": Case(),
    "answer body at 20 B/s": Case(answer="slow_body"),
    "headers at 20 B/s": Case(answer="slow_headers"),
    "endless answer at 20 kB/s": Case(answer="steady"),
    "300 MB JSON answer": Case(answer="huge_json"),
    "400 MB base64 result": Case(answer="huge_base64", huge_bytes=400 * 1024 * 1024),
    "200,000 nested arrays": Case(answer="nested", expect="OutcomeUnknownError", paid=0),
    "500 before acceptance": Case(answer="error_500", expect="OutcomeUnknownError", paid=0),
    "download longer than Content-Length": Case(download="lie_long", expect="DownloadError"),
    "download shorter than Content-Length": Case(download="lie_short", expect="DownloadError"),
    "download at 20 B/s": Case(download="slow", expect="DownloadTimeoutError"),
    "endless download": Case(download="endless", expect="DownloadError"),
    "download cut to a tenth": Case(download="truncated", expect="DownloadError"),
    "accepted: URL result at the cap": Case(big=True),
    "accepted: base64 result at the cap": Case(big=True, output_type="base64Data"),
    "accepted: data URI result at the cap": Case(big=True, output_type="dataURI"),
}


def _task(output_type: str, fmt: str) -> dict[str, Any]:
    return {"taskType": "audioInference", "taskUUID": str(uuid.uuid4()),
            "model": "minimax:music@cover", "positivePrompt": PROMPT,
            "inputs": {"audio": "https://example.invalid/song.mp3"}, "outputFormat": fmt,
            "outputType": output_type}


def _probe(h: Hostile, case: Case, out: Path) -> dict[str, Any]:
    fmt = "WAV" if case.big else "MP3"
    args = {"url": h.url, "key": KEY, "out": str(out), "task": _task(case.output_type, fmt),
            "format": fmt, "max_result_bytes": CAP, "timeout": list(TIMEOUT)}
    done = subprocess.run([sys.executable, str(PROBE), json.dumps(args)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _report(name: str, figures: dict[str, Any]) -> None:
    """Append the case's figures to ``$MMC_RELIABILITY_REPORT`` (JSON lines), if set."""
    import os

    target = os.environ.get("MMC_RELIABILITY_REPORT")
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"case": name, **figures}) + "\n")


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CLIENT_CASES))
def test_client_is_bounded(name: str, mp3: bytes, big_wav: bytes, tmp_path: Path) -> None:
    case = CLIENT_CASES[name]
    audio = big_wav if case.big else mp3
    with Hostile(audio=audio, api_key=KEY, answer=case.answer, download=case.download,
                 output_type=case.output_type, drip_s=0.05,
                 huge_bytes=case.huge_bytes) as h:
        got = _probe(h, case, tmp_path)
        paid = list(h.paid)
        sent = h.sent_bytes
    _report(name, {**got, "paid": len(paid), "server_sent": sent})
    assert got["error"] == case.expect, got
    assert got["error"] != "RecursionError"
    assert got["elapsed_s"] < BOUND_S, got  # unbounded = 0
    assert len(paid) == case.paid and len(set(paid)) == len(paid)  # never paid twice
    if got["peak_reset"]:  # VmHWM could be reset: the job's own peak is known
        assert got["growth"] < 2 * CAP, got
    if case.expect is None:
        files = [Path(f) for f in got["files"]]
        assert files and all(f.read_bytes() == audio for f in files)
    assert not list(tmp_path.glob(".*.part"))  # nothing half-written left behind


# --------------------------------------------------------------------------- pipeline


def _options(h: Hostile) -> dict[str, Any]:
    connect, read, total, rate, window = TIMEOUT
    return {"api_key": KEY, "base_url": h.url,
            "timeout": Timeout(connect, read, total_s=total, min_rate_bps=rate,
                               rate_window_s=window),
            "sync_read_timeout_s": read, "max_result_bytes": CAP,
            "retry_policy": RetryPolicy(max_retries=1, base_delay_s=0.01, max_delay_s=0.02),
            "poll_initial_s": 0.02, "poll_max_s": 0.05, "poll_deadline_s": 10.0}


PIPELINE_CASES: dict[str, tuple[Case, type[BaseException] | None]] = {
    "answer body at 20 B/s": (Case(answer="slow_body"), None),
    "300 MB JSON answer": (Case(answer="huge_json"), None),
    "400 MB base64 result": (Case(answer="huge_base64", huge_bytes=400 * 1024 * 1024), None),
    "nested answer": (Case(answer="nested", paid=0), OutcomeUnknownError),
    "download longer than Content-Length": (Case(download="lie_long"), DownloadError),
    "download shorter than Content-Length": (Case(download="lie_short"), DownloadError),
    "download at 20 B/s": (Case(download="slow"), DownloadTimeoutError),
    "download cut to a tenth": (Case(download="truncated"), DownloadError),
    "endless download": (Case(download="endless"), DownloadError),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(PIPELINE_CASES))
def test_pipeline_pays_for_nothing_unsaved(name: str, mp3: bytes, tmp_path: Path) -> None:
    case, expect = PIPELINE_CASES[name]
    song = write_song(tmp_path / "song.wav")
    out = tmp_path / "out"
    with Hostile(audio=mp3, api_key=KEY, answer=case.answer, download=case.download,
                 drip_s=0.05, huge_bytes=case.huge_bytes) as h:
        options = _options(h)
        try:
            result = cover(song, prompt=PROMPT, output_dir=out, backend="runware",
                           backend_options=options)
        except MinimaxCoverError as exc:
            assert expect is not None and isinstance(exc, expect), repr(exc)
            assert exc.task_uuid, "the error names the task"
            if isinstance(exc, DeadlineExceededError):
                assert exc.received_bytes >= 0
        else:
            assert expect is None, f"expected {expect.__name__}"
            assert all(f.read_bytes() == mp3 for f in result.files)
        assert len(h.paid) == case.paid and len(set(h.paid)) == case.paid
        with Journal() as journal:
            for row in journal.list_jobs(limit=None):
                if row.status == "saved":  # never saved what was not verified
                    assert row.files and all(Path(f).read_bytes() == mp3 for f in row.files)
            # the server is fixed: every paid, unsaved task is recovered by resume
            h.answer, h.download = "ok", "ok"
            for row in journal.unfinished():
                if row.task_uuid in h.paid:
                    resume_job(row.task_uuid, journal=journal, backend_options=options)
            unsaved = [t for t in h.paid
                       if (r := journal.get(t)) is None or r.status != "saved"]
            assert unsaved == [], "paid for nothing"  # paid-for-nothing = 0
            assert all(r.status not in UNFINISHED_STATUSES or r.task_uuid not in h.paid
                       for r in journal.list_jobs(limit=None))
        assert len(h.paid) == case.paid  # resume never submitted again
    assert not list(out.glob(".*.part"))


def test_nested_poll_answer_is_an_unparsable_answer_not_a_recursion_error(mp3: bytes) -> None:
    from minimax_cover.plugin.errors import ResponseFormatError
    from minimax_cover.plugin.runware.client import RunwareClient

    with Hostile(audio=mp3, api_key=KEY, poll="nested") as h:
        with RunwareClient(**_options(h)) as client:
            with pytest.raises(ResponseFormatError, match="nests deeper than 64 levels"):
                client.get_response(str(uuid.uuid4()))
        assert len(h.requests) == 2  # getResponse only reads: retried once, then refused


@pytest.mark.slow
def test_cli_nested_answer_is_one_line_no_traceback(tmp_path: Path, mp3: bytes) -> None:
    import os

    song = write_song(tmp_path / "song.wav")
    with Hostile(audio=mp3, api_key=KEY, answer="nested") as h:
        done = subprocess.run(
            [sys.executable, "-m", "minimax_cover.plugin.cli", "cover", str(song), "--prompt",
             PROMPT, "-o", str(tmp_path / "out"), "--no-progress"],
            env={**os.environ, "RUNWARE_API_URL": h.url, "RUNWARE_API_KEY": KEY},
            capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr  # outcome unknown: never resubmitted
    assert "Traceback" not in done.stderr and "RecursionError" not in done.stderr
    assert "nests deeper than 64 levels" in done.stderr


def test_cli_unverified_download_exits_5_and_resume_saves_it(tmp_path: Path,
                                                             mp3: bytes) -> None:
    """A body longer than its Content-Length: not saved under its name, exit 5 (paid, not
    saved), not 2 ("invalid input, nothing sent"); resume saves it once the host is fixed."""
    import os

    song = write_song(tmp_path / "song.wav")
    out = tmp_path / "out"
    with Hostile(audio=mp3, api_key=KEY, download="lie_long") as h:
        env = {**os.environ, "RUNWARE_API_URL": h.url, "RUNWARE_API_KEY": KEY}
        cli = [sys.executable, "-m", "minimax_cover.plugin.cli"]
        done = subprocess.run([*cli, "cover", str(song), "--prompt", PROMPT, "-o", str(out),
                               "--no-progress"], env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 5, done.stderr
        assert "content check failed" in done.stderr and h.paid[0] in done.stderr
        assert not list(out.glob("*.mp3")) and not list(out.glob(".*.part"))
        with Journal() as journal:
            assert journal.get(h.paid[0]).status in UNFINISHED_STATUSES  # type: ignore
        h.download = "ok"
        again = subprocess.run([*cli, "resume", "-o", str(out)], env=env, capture_output=True,
                               text=True, timeout=120)
        assert again.returncode == 0, again.stderr
        assert [p.read_bytes() for p in out.glob("*.mp3")] == [mp3] and len(h.paid) == 1
