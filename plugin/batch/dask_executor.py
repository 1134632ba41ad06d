"""Built-in plugin: run a batch's jobs on Dask distributed (``--executor dask``, extra ``.[dask]``).

Why Dask rather than Ray: ``distributed`` is pure Python and small (Ray is a several-hundred-MB
binary wheel with its own object store and a slow start), ``LocalCluster(processes=True)``
gives real worker processes on one machine in a second or two, and production is just a
scheduler address (``--executor-option address=tcp://host:8786``).

- Without ``address`` the plugin starts a ``LocalCluster`` on 127.0.0.1 (worker processes,
  ``workers`` of them, default ``min(concurrency, CPUs)``) and closes it at the end. Its workers
  run on this machine as this user, so backend options (the API key included) are sent to them.
- With ``address`` it connects to that scheduler. Workers then read their own
  ``RUNWARE_API_KEY`` (it is never shipped) and must see the output folder (a shared volume).

The driver journals every job with its ``taskUUID`` before dispatching it. A worker marks a task
as sent (a Dask ``Event`` named after the ``taskUUID``) right before submitting it; an attempt
that finds the mark, after a worker died mid-job and the job was sent again, resumes the task
by ``taskUUID`` instead of submitting it: never a second submit.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from typing import Any

from ..errors import UsageError
from ..hooks.specs import hookimpl

__all__ = ["DaskExecutor", "SentMarker"]

log = logging.getLogger("minimax_cover.batch")

INSTALL_HINT = "pip install 'minimax-cover[dask]'"


class SentMarker:
    """The submit guard: a Dask ``Event`` per ``taskUUID`` on the scheduler (picklable)."""

    prefix = "minimax-cover-sent-"

    def sent(self, task_uuid: str) -> bool:
        """True when an earlier attempt already submitted (or was about to submit) the task."""
        from distributed import Event

        return bool(Event(self.prefix + task_uuid).is_set())

    def mark(self, task_uuid: str) -> None:
        """Record that the task is being submitted now."""
        from distributed import Event

        Event(self.prefix + task_uuid).set()


class DaskExecutor:
    """Jobs as Dask tasks; results come back as :class:`concurrent.futures.Future` objects.

    :param concurrency: the batch's jobs in flight (sizes a local cluster's threads).
    :param address: a scheduler address; ``None`` starts a local cluster.
    :param workers: worker processes of a local cluster.
    """

    name = "dask"
    remote = True

    def __init__(self, concurrency: int, *, address: str | None = None,
                 workers: int | None = None) -> None:
        import dask
        from distributed import Client, LocalCluster

        _quiet_distributed()
        self.submit_guard = SentMarker()
        self._cluster: Any = None
        self.local_workers = address is None
        if address is None:
            n = max(1, int(workers or min(concurrency, os.cpu_count() or 1)))
            # A job whose worker died is sent again by the driver (guarded), not the scheduler.
            with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
                self._cluster = LocalCluster(
                    n_workers=n, threads_per_worker=max(1, math.ceil(concurrency / n)),
                    processes=True, host="127.0.0.1", dashboard_address=None,
                    silence_logs=logging.ERROR)
            self.client = Client(self._cluster)
        else:
            self.client = Client(address)
        self._pending: set[Any] = set()

    def __repr__(self) -> str:
        return f"DaskExecutor(scheduler={self.client.scheduler.address!r})"

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any]:
        """Run ``fn(*args)`` as a Dask task (never retried by the scheduler on its own)."""
        future: Future[Any] = Future()
        task = self.client.submit(fn, *args, pure=False, retries=0)
        self._pending.add(task)

        def done(task: Any) -> None:
            self._pending.discard(task)
            try:
                if task.cancelled():
                    future.set_exception(CancelledError())
                elif task.status == "finished":
                    future.set_result(task.result())
                else:
                    future.set_exception(task.exception())
            except BaseException as exc:  # the worker died, the connection closed...
                if not future.done():
                    future.set_exception(exc)

        task.add_done_callback(done)
        return future

    def shutdown(self, *, cancel: bool = False) -> None:
        """Cancel what is left if asked, close the client and the local cluster."""
        try:
            if cancel and self._pending:
                self.client.cancel(list(self._pending))
            self.client.close()
        finally:
            if self._cluster is not None:
                self._cluster.close()
                self._cluster = None


def _quiet_distributed() -> None:
    """``distributed`` logs its cluster's life at INFO (some 45 lines a run): keep them for
    ``-v``/``--debug`` (a root level of INFO or below) and show only what the run shows
    otherwise (warnings, or errors with ``-q``)."""
    level = logging.getLogger().getEffectiveLevel()
    if level > logging.INFO:
        logging.getLogger("distributed").setLevel(level)


@hookimpl
def make_executor(name: str, concurrency: int, options: dict[str, Any]) -> Any:
    """``dask``: a local cluster, or the scheduler at ``options["address"]``."""
    if name != "dask":
        return None
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise UsageError(f"--executor dask: Dask is not installed ({INSTALL_HINT})") from None
    known = {"address", "workers"}
    unknown = set(options) - known
    if unknown:
        raise UsageError(f"--executor-option: unknown for dask: {', '.join(sorted(unknown))} "
                         f"(known: {', '.join(sorted(known))})")
    workers = options.get("workers")
    return DaskExecutor(concurrency, address=options.get("address") or None,
                        workers=int(workers) if workers else None)
