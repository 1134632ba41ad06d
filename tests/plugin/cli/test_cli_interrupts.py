"""Ctrl-C in ``cover`` and ``batch`` (real SIGINTs to a subprocess, sandbox over loopback).

First press: nothing new is submitted, what is in flight is collected (and said so); second
press: the wait stops at once, everything stays resumable, the way to resume is printed, 130.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from minimax_cover.plugin.audio import Audio, write_audio

PROMPT = "warm acoustic folk, fingerpicked guitar"


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "minimax_cover.plugin.cli", *args]


def _env(sb: Any) -> dict[str, str]:
    return {**os.environ, "RUNWARE_API_URL": sb.url, "RUNWARE_API_KEY": sb.api_key,
            "PYTHONUNBUFFERED": "1"}


def _song(path: Path, freq: float) -> Path:
    t = np.arange(7 * 8000) / 8000
    write_audio(Audio((0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), 8000), path,
                "WAV")
    return path


def _wait_for(check: Any, proc: subprocess.Popen[str], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


@pytest.fixture
def slow_sandbox(make_sandbox: Any) -> Any:
    return make_sandbox(latency_s=4.0)


def _in_flight(sb: Any) -> int:
    return sum(1 for r in sb.requests_log if "audioInference" in r["task_types"])


def test_batch_first_ctrl_c_with_every_row_in_flight_collects_them(
        slow_sandbox: Any, tmp_path: Path) -> None:
    songs = tmp_path / "songs"
    songs.mkdir()
    for i in range(3):
        _song(songs / f"s{i}.wav", 200.0 + 40 * i)
    proc = subprocess.Popen(
        _cli("batch", str(songs), "-o", str(tmp_path / "out"), "--prompt", PROMPT,
             "--concurrency", "3", "--no-progress"),
        env=_env(slow_sandbox), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: _in_flight(slow_sandbox) >= 3, proc, "rows never submitted")
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert "stopping: no new rows; waiting for 3 in flight (Ctrl-C again to stop waiting" in err
    assert proc.returncode == 0, err  # nothing was left over
    assert "not finished" not in err
    assert out.count(" saved ") == 3
    assert slow_sandbox.submissions() == 3


def test_batch_second_ctrl_c_stops_waiting_and_says_how_to_resume(
        slow_sandbox: Any, tmp_path: Path) -> None:
    songs = tmp_path / "songs"
    songs.mkdir()
    for i in range(4):
        _song(songs / f"s{i}.wav", 200.0 + 40 * i)
    cmd = _cli("batch", str(songs), "-o", str(tmp_path / "out"), "--prompt", PROMPT,
               "--concurrency", "2", "--no-progress", "--seed", "7")  # (seedless: issue 20.2)
    proc = subprocess.Popen(cmd, env=_env(slow_sandbox), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: _in_flight(slow_sandbox) >= 2, proc, "rows never submitted")
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    pressed = time.monotonic()
    out, err = proc.communicate(timeout=60)
    stopped = time.monotonic() - pressed
    assert proc.returncode == 130, err
    assert stopped < 3.5  # did not wait for the 4-s covers (1 s on a quiet machine)
    assert "stopping: no new rows; 2 row(s) not started; waiting for 2 in flight" in err
    assert "stopped waiting for 2 row(s) in flight" in err
    assert "4 row(s) not finished; nothing is paid twice: run the same command again" in err
    assert "Traceback" not in err
    assert slow_sandbox.submissions() == 2
    slow_sandbox.latency_s = 0.0
    again = subprocess.run(cmd, env=_env(slow_sandbox), capture_output=True, text=True,
                           timeout=60)
    assert again.returncode == 0, again.stderr
    assert slow_sandbox.submissions() == 4  # the two in flight were collected, not repaid


def test_cover_second_ctrl_c_stops_waiting_and_names_resume(slow_sandbox: Any,
                                                             tmp_path: Path) -> None:
    song = _song(tmp_path / "song.wav", 220.0)
    proc = subprocess.Popen(
        _cli("cover", str(song), "--prompt", PROMPT, "-o", str(tmp_path / "out"),
             "--no-progress"),
        env=_env(slow_sandbox), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: _in_flight(slow_sandbox) >= 1, proc, "never submitted")
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    assert proc.poll() is None  # the first press keeps collecting
    proc.send_signal(signal.SIGINT)
    pressed = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - pressed < 3.5  # 1 s on a quiet machine; the cover takes 4 s
    assert proc.returncode == 130, err
    assert "stopping: waiting for task" in err
    assert "minimax-cover resume " in err and "Traceback" not in err
    assert slow_sandbox.submissions() == 1


def test_cover_first_ctrl_c_before_the_submit_sends_nothing(make_sandbox: Any,
                                                             tmp_path: Path) -> None:
    from minimax_cover.plugin.sandbox import Fault

    sb = make_sandbox(faults=[Fault("latency", task_type="mediaStorage", delay_s=20.0)])
    song = _song(tmp_path / "song.wav", 220.0)
    proc = subprocess.Popen(
        _cli("cover", str(song), "--prompt", PROMPT, "-o", str(tmp_path / "out"),
             "--no-progress"),
        env=_env(sb), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4.0)  # started, and held in its upload (20 s)
    assert proc.poll() is None
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "stopped before anything was submitted" in err or "interrupted" in err
    assert "Traceback" not in err
    assert sb.submissions() == 0
