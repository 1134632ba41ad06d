"""The progress line never freezes: a heartbeat between events, on a terminal and in a log."""

from __future__ import annotations

import io
import time

from minimax_cover.plugin.cli.progress import ProgressLine
from minimax_cover.plugin.results import ProgressEvent


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _event(phase: str, done: int = 0) -> ProgressEvent:
    return ProgressEvent(task_uuid="t", phase=phase, done=done, total=1, elapsed_s=0.0)


def test_log_gets_a_heartbeat_line_between_events() -> None:
    out = io.StringIO()
    with ProgressLine(True, delivery="sync", stream=out, interval_s=0.05) as line:
        line(_event("submitting"))
        time.sleep(0.3)
        line(_event("done", 1))
        time.sleep(0.15)  # nothing after done
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("submitting: 0/1 result(s)")
    beats = [x for x in lines if "generating (sync: one request until the answer)" in x]
    assert len(beats) >= 3
    assert lines[-1].endswith("done: 1/1 result(s)")


def test_terminal_line_is_redrawn_in_place_and_ended() -> None:
    out = _Tty()
    with ProgressLine(True, delivery="async", stream=out, interval_s=0.05) as line:
        line(_event("queued"))
        time.sleep(0.2)
    text = out.getvalue()
    assert "\n" not in text.rstrip("\n") and text.endswith("\n")
    assert text.count("\r") >= 3 and "queued (async: collecting)" in text


def test_disabled_prints_nothing() -> None:
    out = io.StringIO()
    with ProgressLine(False, stream=out, interval_s=0.01) as line:
        line(_event("submitting"))
        time.sleep(0.05)
    assert out.getvalue() == ""
