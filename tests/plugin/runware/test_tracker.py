"""GenerationTracker: cumulative answers de-duplicated, progress, partial results. No I/O."""

from __future__ import annotations

import pytest
from minimax_cover.plugin.errors import TaskFailedError
from minimax_cover.plugin.results import GenerationResult, ProgressEvent
from minimax_cover.plugin.runware.envelope import generation_from_item
from minimax_cover.plugin.runware.tracker import GenerationTracker

UUID = "5a0c2b1e-8d4a-4c5e-9b7a-2e6f1d0c9a11"


def item(index: int, status: str, **extra: object) -> GenerationResult:
    raw = {"taskUUID": UUID, "resultIndex": index, "status": status, **extra}
    return generation_from_item(raw)


def test_repeated_items_count_once_and_progress_grows() -> None:
    events: list[ProgressEvent] = []
    seen: list[GenerationResult] = []
    tracker = GenerationTracker(UUID, 3, lambda: 1.0, events.append, seen.append)
    tracker.add([item(0, "processing", progress=50), item(1, "processing")])
    assert tracker.progress == pytest.approx(0.5 / 3) and not tracker.finished
    first = [item(0, "success", audioUUID="a0", audioURL="u0", cost=0.1),
             item(1, "processing", progress=20)]
    tracker.add(first)
    tracker.add(first)  # getResponse repeats what it already sent
    assert [r.audio_uuid for r in seen] == ["a0"] and tracker.done == 1
    tracker.add([item(0, "success", audioUUID="a0", audioURL="u0", cost=0.1),
                 item(1, "success", audioUUID="a1", audioURL="u1", cost=0.1),
                 item(2, "success", audioUUID="a2", audioURL="u2", cost=0.1)])
    assert tracker.finished and tracker.cost() == pytest.approx(0.3)
    result = tracker.result()
    assert len(result.results) == 3 and events[-1].phase == "done"
    assert [e.phase for e in events].count("result") == 3


def test_a_failure_with_nothing_running_finishes_and_keeps_successes() -> None:
    tracker = GenerationTracker(UUID, 2, lambda: 0.0, None, None)
    tracker.add([item(0, "success", audioUUID="a0", audioURL="u0"),
                 item(1, "error", error={"code": "processingFailed", "message": "broke"})])
    assert tracker.finished
    error = tracker.failed()
    assert isinstance(error, TaskFailedError) and error.code == "processingFailed"
    assert [r.audio_uuid for r in error.partial_results] == ["a0"]


def test_progress_is_never_behind_the_results_counted() -> None:
    """Issue 24.6: not "3/3 result(s) 67%" when the last results arrive in one answer."""
    events: list[ProgressEvent] = []
    tracker = GenerationTracker(UUID, 3, lambda: 1.0, events.append, None)
    tracker.add([item(0, "success", audioUUID="a0", audioURL="u0"),
                 item(1, "processing", progress=40), item(2, "processing", progress=40)])
    tracker.add([item(0, "success", audioUUID="a0", audioURL="u0"),
                 item(1, "success", audioUUID="a1", audioURL="u1"),
                 item(2, "success", audioUUID="a2", audioURL="u2")])
    results = [e for e in events if e.phase == "result"]
    assert [e.done for e in results] == [1, 2, 3]
    assert all(e.progress is not None and e.progress >= e.done / e.total for e in results)
    assert results[-1].progress == 1.0
