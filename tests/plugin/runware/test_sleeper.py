"""Sleeper: cancellable sleeps in slices, and the clock the poll deadlines use. No I/O."""

from __future__ import annotations

import pytest
from minimax_cover.plugin.constants import SLEEP_SLICE_S
from minimax_cover.plugin.errors import Interrupted
from minimax_cover.plugin.runware.sleeper import Sleeper


class FakeSleep:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def test_uncancellable_wait_is_one_sleep() -> None:
    fake = FakeSleep()
    sleeper = Sleeper(fake)
    sleeper.wait(2.0)
    sleeper.wait(0.0)
    assert fake.calls == [2.0] and sleeper.slept_s == 2.0


def test_cancellable_wait_is_sliced() -> None:
    fake = FakeSleep()
    sleeper = Sleeper(fake)
    sleeper.wait(1.2, lambda: False, "t")
    assert all(step <= SLEEP_SLICE_S for step in fake.calls)
    assert sum(fake.calls) == pytest.approx(1.2) and sleeper.slept_s == pytest.approx(1.2)


def test_cancel_raises_interrupted_naming_the_task() -> None:
    fake = FakeSleep()
    sleeper = Sleeper(fake)
    answers = iter([False, True])
    with pytest.raises(Interrupted, match="task t-1.*same taskUUID") as info:
        sleeper.wait(5.0, lambda: next(answers), "t-1")
    assert info.value.task_uuid == "t-1" and fake.calls == [SLEEP_SLICE_S]


def test_stopwatch_counts_skipped_sleep() -> None:
    sleeper = Sleeper(FakeSleep())
    elapsed = sleeper.stopwatch()
    sleeper.wait(30.0)
    assert elapsed() >= 30.0
    assert sleeper.stopwatch()() < 1.0
