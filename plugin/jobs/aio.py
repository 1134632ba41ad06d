"""The cover pipeline for asyncio hosts: ``await acover(...)`` and :class:`AsyncCoverClient`.

The same job as :func:`~.pipeline.cover` (same options, keywords, errors and journal) run in
a worker thread, so the event loop never blocks on HTTP, SQLite or audio work. Progress
callbacks are delivered on the loop's thread (a coroutine function is scheduled as a task).

Cancelling the awaiting task stops the wait: the worker's ``should_cancel`` turns true, the job
raises :class:`~..errors.Interrupted` within about half a second (between polls), its journal
row stays ``submitted`` (resumable: rerun the same call, or :func:`aresume_job`), and the task
ends with :class:`asyncio.CancelledError`. Nothing is cancelled on the server.

Unless the request says otherwise the delivery is ``async`` (submit, then ``getResponse``
polls), as in the CLI and the nodes: a ``sync`` submit is one HTTP request held open for the
whole generation, which no cancel can interrupt before the answer (the worker then finishes and
saves the job in the background).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ..spec.model import MINIMAX_MUSIC_COVER, ModelSpec

if TYPE_CHECKING:
    from ..hooks.types import CoverResult
    from ..results import ProgressEvent
    from .local_audio import AudioSource

__all__ = ["CANCEL_GRACE_S", "DEFAULT_DELIVERY", "AsyncCoverClient", "acover", "aresume_job",
           "async_defaults"]

#: How long a cancelled call waits for its worker to leave the job resumable before returning.
CANCEL_GRACE_S = 5.0
#: The delivery used when the request gives none (see the module doc).
DEFAULT_DELIVERY = "async"
#: Jobs one executor runs at once (each mostly waits on the network).
DEFAULT_CONCURRENCY = 32

_shared: ThreadPoolExecutor | None = None
_shared_lock = threading.Lock()


def _shared_executor() -> ThreadPoolExecutor:
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ThreadPoolExecutor(DEFAULT_CONCURRENCY, thread_name_prefix="minimax-cover")
        return _shared


def _on_loop(callback: Callable[[Any], Any] | None,
             loop: asyncio.AbstractEventLoop) -> Callable[[Any], None] | None:
    """``callback`` called on ``loop``'s thread (coroutine functions scheduled as tasks)."""
    if callback is None:
        return None

    def deliver(event: Any) -> None:
        result = callback(event)
        if inspect.isawaitable(result):
            asyncio.ensure_future(result)

    def from_worker(event: Any) -> None:
        try:
            loop.call_soon_threadsafe(deliver, event)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            pass

    return from_worker


async def _run_in_worker(fn: Callable[..., Any], executor: ThreadPoolExecutor | None,
                         cancel: threading.Event, **kwargs: Any) -> Any:
    """Run ``fn(**kwargs)`` in ``executor``; on cancellation set ``cancel`` and give the
    worker :data:`CANCEL_GRACE_S` to stop cleanly before re-raising."""
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, fn, **kwargs)
    future = loop.run_in_executor(executor or _shared_executor(), call)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        cancel.set()
        try:
            await asyncio.wait_for(asyncio.shield(future), CANCEL_GRACE_S)
        except BaseException:  # noqa: BLE001 - Interrupted (expected), a timeout, anything:
            pass  # the cancellation is what the caller asked for and gets
        raise


def _cancel_check(cancel: threading.Event,
                  should_cancel: Callable[[], bool] | None) -> Callable[[], bool]:
    if should_cancel is None:
        return cancel.is_set
    return lambda: cancel.is_set() or bool(should_cancel())


def async_defaults(spec: ModelSpec) -> dict[str, Any]:
    """What the project's own faces send when the caller chose no delivery (``deliveryMethod:
    async``, when the model takes it): a request default, so an explicit choice wins."""
    try:
        allowed = spec.field("deliveryMethod").enum or ()
    except KeyError:
        return {}
    return {"deliveryMethod": DEFAULT_DELIVERY} if DEFAULT_DELIVERY in allowed else {}


def _with_delivery(request: dict[str, Any], spec: ModelSpec) -> dict[str, Any]:
    for key, value in async_defaults(spec).items():
        if request.get(key) is None:
            request[key] = value
    return request


def _job_options() -> frozenset[str]:
    """The keyword-only options of :func:`~.pipeline.cover` (read from its signature, so the
    two never drift apart); every other keyword is a spec field."""
    from .pipeline import cover

    return frozenset(name for name, p in inspect.signature(cover).parameters.items()
                     if p.kind is inspect.Parameter.KEYWORD_ONLY)


async def acover(
    source: AudioSource,
    request: dict[str, Any] | None = None,
    *,
    on_progress: Callable[[ProgressEvent], Any] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    executor: ThreadPoolExecutor | None = None,
    **kwargs: Any,
) -> CoverResult:
    """:func:`~.pipeline.cover` for asyncio: the same arguments, keywords, errors and journal.

    Every option of :func:`~.pipeline.cover` (``output_dir``, ``output``, ``overwrite``,
    ``dry_run``, ``journal``, ``backend``, ...) and every spec field or alias is accepted. The
    job runs in a worker thread (``executor``, default a shared pool of
    :data:`DEFAULT_CONCURRENCY`); ``on_progress`` is called on the loop's thread and may be a
    coroutine function. Cancelling the awaiting task stops the wait and keeps the job
    resumable (see the module doc). ``deliveryMethod`` defaults to ``async``.

    :raises SpecValidationError: before anything is uploaded or paid for.
    :raises asyncio.CancelledError: the awaiting task was cancelled.
    """
    from .pipeline import build_request, cover

    names = _job_options()
    options = {k: kwargs.pop(k) for k in list(kwargs) if k in names}
    spec = options.get("spec") or MINIMAX_MUSIC_COVER
    task = _with_delivery(build_request(request, spec=spec, **kwargs), spec)
    cancel = threading.Event()
    loop = asyncio.get_running_loop()
    return await _run_in_worker(
        cover, executor, cancel, source=source, request=task, **options,
        on_progress=_on_loop(on_progress, loop),
        should_cancel=_cancel_check(cancel, should_cancel))


async def aresume_job(
    task_uuid: str,
    *,
    on_progress: Callable[[ProgressEvent], Any] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    executor: ThreadPoolExecutor | None = None,
    **options: Any,
) -> CoverResult:
    """:func:`~.pipeline.resume_job` for asyncio (files go where the job was meant to go).

    Every option of :func:`~.pipeline.resume_job` is accepted (``output_dir``, ``journal``,
    ``backend_options``, ...); progress and cancellation work as in :func:`acover`.
    """
    from .pipeline import resume_job

    cancel = threading.Event()
    loop = asyncio.get_running_loop()
    return await _run_in_worker(
        resume_job, executor, cancel, task_uuid=task_uuid, **options,
        on_progress=_on_loop(on_progress, loop),
        should_cancel=_cancel_check(cancel, should_cancel))


class AsyncCoverClient:
    """Covers from an asyncio host with shared settings: ``async with AsyncCoverClient() as c``.

    Every option of :func:`acover` but the song, request and keywords can be set once here
    (``backend``, ``backend_options``, ``spec``, ``registry``, ``journal``, ``output_dir``,
    ``decode``, ``resume``); a call's own arguments override them. The client runs at most
    ``max_concurrency`` jobs at once in its own threads; :meth:`aclose` waits for none of them
    (cancel their tasks first) and shuts the pool down.
    """

    def __init__(self, *, max_concurrency: int = DEFAULT_CONCURRENCY, **defaults: Any) -> None:
        unknown = set(defaults) - {"backend", "backend_options", "spec", "registry", "journal",
                                   "output_dir", "output_stem", "decode", "resume"}
        if unknown:
            raise TypeError(f"AsyncCoverClient: unknown option(s) {', '.join(sorted(unknown))}")
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency: must be >= 1 (got {max_concurrency!r})")
        self.defaults = defaults
        self._executor = ThreadPoolExecutor(max_concurrency, thread_name_prefix="minimax-cover")

    async def __aenter__(self) -> AsyncCoverClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def cover(self, source: AudioSource, request: dict[str, Any] | None = None,
                    **kwargs: Any) -> CoverResult:
        """:func:`acover` with this client's defaults."""
        return await acover(source, request, **{**self.defaults, **kwargs},
                            executor=self._executor)

    async def resume(self, task_uuid: str, **kwargs: Any) -> CoverResult:
        """:func:`aresume_job` with this client's defaults (those resume takes)."""
        keep = {"output_dir", "output_stem", "registry", "journal", "backend_options", "decode"}
        options = {k: v for k, v in self.defaults.items() if k in keep}
        if options.get("journal") in (None, True, False):
            options.pop("journal", None)
        return await aresume_job(task_uuid, **{**options, **kwargs}, executor=self._executor)

    async def aclose(self) -> None:
        """Shut the worker pool down (running jobs finish in the background)."""
        self._executor.shutdown(wait=False, cancel_futures=True)
