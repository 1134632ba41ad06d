"""Host adapters: status text, no-op stubs outside ComfyUI, progress and interrupt plumbing."""

from __future__ import annotations

from typing import Any

import pytest
from minimax_cover.nodes import host
from minimax_cover.plugin.results import ProgressEvent


def event(phase: str = "processing", done: int = 1, total: int = 2, **kw: Any) -> ProgressEvent:
    return ProgressEvent(task_uuid="t", phase=phase, done=done, total=total,
                         elapsed_s=kw.pop("elapsed_s", 12.4), **kw)


def test_status_text_lines() -> None:
    text = host.status_text("processing", done=1, total=2, elapsed_s=12.9, cost=0.0375,
                            sandbox=True)
    assert text.splitlines() == ["Status: processing 1/2",
                                 "Price: none (SANDBOX: synthetic audio, no cost)",
                                 "Time elapsed: 12s"]
    assert host.status_text("done", cost=0.0375).splitlines()[1] == "Price: $0.0375"


def test_outside_comfyui_callbacks_are_noops() -> None:
    on_progress, should_cancel = host.make_callbacks("5")
    on_progress(event())
    assert should_cancel() is False


def test_inside_comfyui_progress_and_text(comfy_stubs: Any) -> None:
    on_progress, should_cancel = host.make_callbacks("9")
    on_progress(event(progress=0.5, cost=0.01))
    on_progress(event(phase="result", done=2, total=2))
    assert comfy_stubs.texts[0] == ("9", "Status: processing 1/2\nPrice: $0.0100\n"
                                         "Time elapsed: 12s")
    bar = comfy_stubs.bars[-1]
    assert bar.node_id == "9" and bar.values[-1] == (200, 200)
    assert should_cancel() is False
    comfy_stubs.interrupted = True
    assert should_cancel() is True
    assert comfy_stubs.interrupted is True  # reading does not clear ComfyUI's flag


def test_interrupt_from_progress_hook_is_kept(comfy_stubs: Any) -> None:
    reporter = host.make_reporter("4")
    reporter.on_progress(event())
    bar = comfy_stubs.bars[-1]

    def hooked(value: int, total: int | None = None, preview: Any = None) -> None:
        raise comfy_stubs.InterruptProcessingException()  # what ComfyUI's hook does

    bar.update_absolute = hooked
    reporter.on_progress(event(done=2))
    assert reporter.should_cancel() is True
    with pytest.raises(comfy_stubs.InterruptProcessingException):
        reporter.raise_interrupt(RuntimeError("pipeline stopped"))


def test_no_node_id_sends_no_text(comfy_stubs: Any) -> None:
    reporter = host.make_reporter(None)
    reporter.on_progress(event())
    assert comfy_stubs.texts == []
