"""Executors run a batch's jobs; the built-in one is a thread pool in this process.

An executor is chosen by the ``make_executor`` hook (``--executor NAME``). The batch driver
decides what runs when (concurrency, the spending cap, Ctrl-C); an executor only runs the
function it is given and hands back a :class:`concurrent.futures.Future`.

- A *local* executor (``remote = False``) runs ``fn`` in this process: jobs share the driver's
  backend (one HTTP session) and journal.
- A *remote* executor (``remote = True``) pickles ``fn`` and its arguments to other processes:
  the driver journals each job with its ``taskUUID`` before dispatching it, workers submit and
  download with their own backend, and report back. ``submit_guard``, if set, is a picklable
  function ``guard(task_uuid) -> bool`` a worker calls before submitting: False means the task
  was already sent by an earlier attempt (a worker that died), so it is resumed instead.
  ``local_workers`` is True when the workers run on this machine as this user (a cluster the
  executor started itself): only then may backend options carry the API key.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol, runtime_checkable

from ..hooks.specs import hookimpl

__all__ = ["Executor", "ThreadExecutor"]


@runtime_checkable
class Executor(Protocol):
    """What the batch driver needs of an executor (see the module doc)."""

    name: str
    remote: bool

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any]:
        """Run ``fn(*args)``; the future holds its return value or exception."""
        ...

    def shutdown(self, *, cancel: bool = False) -> None:
        """Release the workers; ``cancel`` drops jobs not started yet."""
        ...


class ThreadExecutor:
    """The built-in executor: ``concurrency`` threads in this process."""

    name = "threads"
    remote = False
    local_workers = True
    submit_guard = None

    def __init__(self, concurrency: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(1, int(concurrency)),
                                        thread_name_prefix="minimax-cover-batch")

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any]:
        """Run ``fn(*args)`` on a pool thread."""
        return self._pool.submit(fn, *args)

    def shutdown(self, *, cancel: bool = False) -> None:
        """Wait for running jobs; ``cancel`` drops the queued ones."""
        self._pool.shutdown(wait=True, cancel_futures=cancel)


@hookimpl(trylast=True)
def make_executor(name: str, concurrency: int, options: dict[str, Any]) -> Any:
    """Default: a thread pool for ``threads`` (and no name)."""
    if name in ("", "threads", "thread", "local"):
        return ThreadExecutor(concurrency)
    return None
