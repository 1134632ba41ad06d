"""One submit per taskUUID; a way out of an unknown task; no .part left behind (issue 17, 1 & 9).

- A request file reused as it is (``validate r.json > req.json``, then ``cover --request
  req.json`` twice) never sends its ``taskUUID`` twice: the second job gets a new one and
  says so; both are saved, each paid once.
- After a 500 answered before the task was accepted, the task's outcome is unknown: every
  rerun resumes it and exits 3, and the message says how to start fresh (``--no-resume``,
  ``jobs forget TASK --force``); both ways work.
- A download killed mid-way leaves a ``.part`` file; ``resume`` removes it and saves the
  result.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hostile_server import Hostile
from minimax_cover.plugin.errors import OutcomeUnknownError
from minimax_cover.plugin.jobs.pipeline import cover
from minimax_cover.plugin.journal.store import Journal
from rel_support import PROMPT, cli, cli_env, fast_options

KEY = "rw-REUSE-test-key"


@pytest.fixture(scope="module")
def mp3() -> bytes:
    import numpy as np
    from minimax_cover.plugin.audio import Audio, encode_audio

    t = np.arange(8 * 22050, dtype=np.float64) / 22050
    return encode_audio(Audio((0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), 22050),
                        "MP3")


# --------------------------------------------------------------------------- item 1


def test_reused_request_file_never_sends_its_task_uuid_twice(song: Path, tmp_path: Path,
                                                             make_sandbox: Any) -> None:
    sb = make_sandbox()
    env = cli_env(sb.url, sb.api_key)
    (tmp_path / "r.json").write_text(json.dumps({  # SONG on the command line replaces it
        "positivePrompt": PROMPT, "inputs": {"audio": "https://example.invalid/song.mp3"}}))
    normalized = subprocess.run(cli("validate", str(tmp_path / "r.json")), env=env,
                                capture_output=True, text=True, timeout=60)
    assert normalized.returncode == 0, normalized.stderr
    (tmp_path / "req.json").write_text(normalized.stdout)
    given = json.loads(normalized.stdout)["taskUUID"]

    runs = [subprocess.run(cli("cover", str(song), "--request", str(tmp_path / "req.json"),
                                "-o", str(tmp_path / f"out{i}"), "--no-progress", "--json"),
                           env=env, capture_output=True, text=True, timeout=120)
            for i in (1, 2)]
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    first, second = (json.loads(r.stdout)["taskUUID"] for r in runs)
    assert first == given and second != given
    assert f"taskUUID {given} of the request was already used" in runs[1].stderr
    assert sb.submissions(given) == 1 and sb.submissions(second) == 1
    with Journal() as journal:
        assert {journal.get(t).status for t in (first, second)} == {"saved"}  # type: ignore


def test_api_reuse_keeps_an_unfinished_job_resumable(song: Path, tmp_path: Path,
                                                     make_sandbox: Any) -> None:
    sb = make_sandbox()
    used = cover(song, prompt=PROMPT, output_dir=tmp_path / "a", backend="runware",
                 backend_options=fast_options(sb)).task_uuid
    again = cover(song, {"taskUUID": used}, prompt=PROMPT, output_dir=tmp_path / "b",
                  backend="runware", backend_options=fast_options(sb), resume=False)
    assert again.task_uuid != used
    assert any(used in w and "new taskUUID" in w for w in again.warnings)
    assert sb.submissions(used) == 1


# --------------------------------------------------------------------------- item 9


def test_unknown_task_says_how_to_start_fresh(song: Path, tmp_path: Path, mp3: bytes) -> None:
    with Hostile(audio=mp3, api_key=KEY, answer="error_500") as h:
        options = fast_options(h, api_key=KEY)

        def run(**kw: Any) -> Any:
            return cover(song, prompt=PROMPT, output_dir=tmp_path / "out", backend="runware",
                         backend_options=options, **kw)

        tasks = []
        for _ in range(2):  # every rerun resumes the same unknown task...
            with pytest.raises(OutcomeUnknownError) as info:
                run()
            message = str(info.value)
            tasks.append(info.value.task_uuid)
            assert "--no-resume" in message and f"jobs forget {tasks[-1]} --force" in message
        assert tasks[0] == tasks[1]
        assert [r[0] for r in h.requests].count("audioInference") == 1 and h.paid == []

        h.answer = "ok"
        fresh = run(resume=False)  # way 1: --no-resume submits anew
        assert fresh.task_uuid != tasks[0] and fresh.files
        with Journal() as journal:  # way 2: forget the unknown task, then run as usual
            journal.forget(tasks[0], force=True)
        h.answer = "error_500"
        with pytest.raises(OutcomeUnknownError) as info:
            run()
        assert info.value.task_uuid not in tasks  # a new task, not the forgotten one


@pytest.mark.slow
def test_cli_exit_code_3_with_the_hint(song: Path, tmp_path: Path, mp3: bytes) -> None:
    with Hostile(audio=mp3, api_key=KEY, answer="error_500") as h:
        done = subprocess.run(cli("cover", str(song), "--prompt", PROMPT, "-o",
                                   str(tmp_path / "out"), "--no-progress"),
                              env=cli_env(h.url, KEY), capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert "--no-resume" in done.stderr and "jobs forget" in done.stderr


# --------------------------------------------------------------------------- .part files


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_resume_cleans_the_part_file_of_a_killed_download(song: Path, tmp_path: Path,
                                                          mp3: bytes) -> None:
    out = tmp_path / "out"
    with Hostile(audio=mp3, api_key=KEY, download="slow", drip_s=0.05) as h:
        env = cli_env(h.url, KEY)
        proc = subprocess.Popen(cli("cover", str(song), "--prompt", PROMPT, "-o", str(out),
                                     "--no-progress"), env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            until = time.monotonic() + 30
            while not (out.is_dir() and list(out.glob(".*.part"))):
                assert proc.poll() is None and time.monotonic() < until, "no download began"
                time.sleep(0.02)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        parts = list(out.glob(".*.part"))
        assert parts  # the killed process left its half-written file
        h.download = "ok"
        done = subprocess.run(cli("resume", "-o", str(out)), env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert not any(p.exists() for p in parts) and not list(out.glob(".*.part"))
        assert [p.read_bytes() for p in out.glob("*.mp3")] == [mp3]
        assert len(h.paid) == 1
