"""The generations of one task, gathered across cumulative answers (sync or polled).

A :class:`GenerationTracker` de-duplicates the items of every answer (``getResponse`` repeats
what it already sent), reports each new success to ``on_result``, keeps the progress figure for
``on_progress`` and decides when the task is finished.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from ..errors import TaskFailedError
from ..results import GenerationResult, ProgressEvent, TaskResult
from .errors import task_error_from

__all__ = ["GenerationTracker", "ProgressCallback", "ResultCallback"]

ProgressCallback = Callable[[ProgressEvent], None]
ResultCallback = Callable[[GenerationResult], None]


class GenerationTracker:
    """Collects the generations of one task across cumulative answers (de-duplicated)."""

    def __init__(self, task_uuid: str, total: int, elapsed: Callable[[], float],
                 on_progress: ProgressCallback | None, on_result: ResultCallback | None) -> None:
        self.task_uuid = task_uuid
        self.total = total
        self.elapsed = elapsed
        self.on_progress = on_progress
        self.on_result = on_result
        self.successes: dict[str, GenerationResult] = {}
        self.failures: dict[str, GenerationResult] = {}
        self.running = 0
        self.progress: float | None = None

    @staticmethod
    def _key(result: GenerationResult) -> str:
        if result.audio_uuid:
            return "uuid:" + result.audio_uuid
        if result.result_index is not None:
            return f"index:{result.result_index}"
        if result.status == "error":
            err = result.raw.get("error")
            detail = err if isinstance(err, Mapping) else result.raw
            return f"error:{detail.get('code')}:{detail.get('message')}"
        return "out:" + str(result.url or hash(result.data_uri or result.base64_data or ""))

    @property
    def done(self) -> int:
        """How many generations are terminal (succeeded or failed)."""
        return len(self.successes) + len(self.failures)

    @property
    def finished(self) -> bool:
        """All generations are terminal, or one failed and the server reports none running."""
        return self.done >= self.total or (bool(self.failures) and self.running == 0)

    def cost(self) -> float | None:
        """The summed ``cost`` of the successes, or ``None`` when none reported one."""
        costs = [r.cost for r in self.successes.values() if r.cost is not None]
        return round(sum(costs), 10) if costs else None

    def emit(self, phase: str) -> None:
        """Report a :class:`ProgressEvent` of ``phase`` to ``on_progress`` (if any)."""
        if self.on_progress is not None:
            progress = self.progress
            if self.done:  # never behind the count of finished generations ("3/3 ... 67%")
                progress = max(progress or 0.0, min(1.0, self.done / self.total))
            self.on_progress(ProgressEvent(
                task_uuid=self.task_uuid, phase=phase, done=self.done, total=self.total,
                elapsed_s=round(self.elapsed(), 3), progress=progress, cost=self.cost(),
            ))

    def add(self, results: Iterable[GenerationResult]) -> None:
        """Take in one answer's items: new successes and failures, running ones' progress."""
        running: list[float | None] = []
        for result in results:
            if result.status == "processing":
                running.append(result.progress)
                continue
            key = self._key(result)
            if key in self.successes or key in self.failures:
                continue
            if result.status == "success":
                self.successes[key] = result
                if self.on_result is not None:
                    self.on_result(result)
                self.emit("result")
            else:
                self.failures[key] = result
        self.running = len(running)
        known = [p for p in running if p is not None]
        if known:
            partial = sum(min(100.0, max(0.0, p)) for p in known) / 100.0
            self.progress = min(1.0, (len(self.successes) + partial) / self.total)
        elif self.done:
            self.progress = min(1.0, self.done / self.total)

    def failed(self) -> TaskFailedError:
        """The error for the first failure, carrying the paid successes."""
        source = next(iter(self.failures.values())).raw
        return task_error_from(source, task_uuid=self.task_uuid,
                               partial_results=list(self.successes.values()), total=self.total)

    def result(self) -> TaskResult:
        """The finished task's successes (and reports the ``done`` phase)."""
        self.progress = 1.0
        self.emit("done")
        return TaskResult.from_results(self.task_uuid, self.successes.values())
