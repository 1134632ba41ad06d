"""ComfyUI host adapters: progress bar, status text under the node, and interrupts.

Inside ComfyUI this uses ``comfy.utils.ProgressBar``, ``server.PromptServer.instance
.send_progress_text`` and ``comfy.model_management``'s interrupt flag. Outside ComfyUI (the
headless runner, scripts, tests) each import fails and the matching call does nothing, so the
same node code runs everywhere. Every ComfyUI import happens inside a function, on use.

The pipeline polls ``should_cancel()`` between sleeps of a second or less; it reads the flag
without clearing it. When the pipeline then raises :class:`~..plugin.errors.Interrupted` the
node calls :meth:`NodeReporter.raise_interrupt`, which lets ComfyUI's own
``throw_exception_if_processing_interrupted()`` raise its ``InterruptProcessingException`` (the
run shows "interrupted", not "failed"). The task UUID stays in the journal, so a paid result can
still be collected later (``minimax-cover jobs resume``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from ..plugin.hooks.types import CoverResult
    from ..plugin.results import ProgressEvent

__all__ = ["NodeReporter", "make_callbacks", "make_reporter", "status_text"]

log = logging.getLogger("minimax_cover.nodes")


def _model_management() -> Any | None:
    try:
        import comfy.model_management as mm
    except Exception:  # not inside ComfyUI (or a broken install): no interrupts to honour
        return None
    return mm


def _prompt_server() -> Any | None:
    try:
        from server import PromptServer
    except Exception:
        return None
    return getattr(PromptServer, "instance", None)


def _progress_bar(total: int, node_id: str | None) -> Any | None:
    try:
        from comfy.utils import ProgressBar
    except Exception:
        return None
    try:
        return ProgressBar(total, node_id=node_id)
    except TypeError:  # older ComfyUI: no node_id parameter
        return ProgressBar(total)


def _interrupt_type() -> type[BaseException] | None:
    mm = _model_management()
    return getattr(mm, "InterruptProcessingException", None) if mm else None


def status_text(
    phase: str,
    *,
    done: int = 0,
    total: int = 0,
    elapsed_s: float = 0.0,
    cost: float | None = None,
    sandbox: bool = False,
) -> str:
    """The lines shown under the node, e.g. ``Status: processing 1/2`` / ``Price: $0.15`` /
    ``Time elapsed: 12s``; on the local sandbox the price line says SANDBOX and no cost
    (a sandbox reports a list price it never charges)."""
    status = f"Status: {phase}"
    if total:
        status += f" {done}/{total}"
    lines = [status]
    if sandbox:
        lines.append("Price: none (SANDBOX: synthetic audio, no cost)")
    elif cost is not None:
        lines.append(f"Price: ${cost:.4f}")
    lines.append(f"Time elapsed: {int(elapsed_s)}s")
    return "\n".join(lines)


class NodeReporter:
    """Progress and interrupt plumbing for one node run.

    Pass :attr:`on_progress` and :attr:`should_cancel` to the pipeline; call :meth:`finish`
    with the result and :meth:`raise_interrupt` when the pipeline reports an interrupt.
    """

    def __init__(self, node_id: str | None, *, sandbox: bool = False) -> None:
        self.node_id = node_id
        self.sandbox = sandbox
        self.started = time.monotonic()
        self.interrupted = False
        self.events: list[ProgressEvent] = []
        self._bar: Any | None = None
        self._bar_total = 0

    def send_text(self, text: str) -> None:
        """Replace the text under the node (no-op outside ComfyUI or without a node id)."""
        if self.node_id is None:
            return
        server = _prompt_server()
        sender = getattr(server, "send_progress_text", None)
        if sender is None:
            return
        try:
            sender(text, self.node_id)
        except Exception as exc:  # status text is best effort
            log.debug("send_progress_text failed: %s", exc)

    def _update_bar(self, done: int, total: int) -> None:
        if total <= 0:
            return
        if self._bar is None or self._bar_total != total:
            self._bar = _progress_bar(total, self.node_id)
            self._bar_total = total
        if self._bar is None:
            return
        interrupt = _interrupt_type()
        try:
            self._bar.update_absolute(done, total)
        except BaseException as exc:
            # ComfyUI's progress hook checks for interrupts and raises; keep it for
            # raise_interrupt() and let the pipeline stop at its next should_cancel().
            if interrupt is not None and isinstance(exc, interrupt):
                self.interrupted = True
                return
            raise

    def on_progress(self, event: ProgressEvent) -> None:
        """Pipeline callback: progress bar plus ``Status/Price/Time elapsed`` text."""
        self.events.append(event)
        total = max(int(event.total or 0), 1)
        done = int(event.done or 0)
        if event.progress is not None and done < total:
            fraction = min(max(float(event.progress), 0.0), 1.0)
            position = int(round((done + fraction) * 100))
            self._update_bar(position, total * 100)
        else:
            self._update_bar(done * 100, total * 100)
        self.send_text(status_text(event.phase, done=done, total=int(event.total or 0),
                                   elapsed_s=event.elapsed_s, cost=event.cost,
                                   sandbox=self.sandbox))

    def should_cancel(self) -> bool:
        """Pipeline callback: True once the user pressed Cancel in ComfyUI (flag not cleared)."""
        if self.interrupted:
            return True
        mm = _model_management()
        check = getattr(mm, "processing_interrupted", None) if mm else None
        if check is not None and check():
            self.interrupted = True
        return self.interrupted

    def finish(self, result: CoverResult) -> None:
        """Final status text: takes, price, elapsed time and the sandbox label."""
        self.sandbox = self.sandbox or bool(result.sandbox)
        count = len(result.outputs)
        done = "reused (no cost)" if getattr(result, "reused", None) else "done"
        text = status_text(f"{done}, {count} take{'s' if count != 1 else ''}",
                           elapsed_s=time.monotonic() - self.started,
                           cost=result.cost_total, sandbox=self.sandbox)
        text += f"\nProvider: {result.backend}"  # which provider ran it, at what price
        if result.cost_total is None and result.estimated_cost is not None:
            text += f" (~${result.estimated_cost:.2f}, {result.price_source})"
        self.send_text(text)
        if self._bar is not None and self._bar_total:
            try:
                self._bar.update_absolute(self._bar_total, self._bar_total)
            except Exception as exc:
                log.debug("final progress update failed: %s", exc)

    def raise_interrupt(self, exc: BaseException) -> NoReturn:
        """Re-raise an interrupt as ComfyUI's own exception when running inside ComfyUI.

        ``throw_exception_if_processing_interrupted()`` clears the flag and raises; if the flag
        was already consumed (by the progress hook), the interrupt exception is raised here. With
        no ComfyUI, ``exc`` itself is re-raised.
        """
        task = getattr(exc, "task_uuid", None)
        self.send_text("Status: interrupted" + (f"\ntaskUUID: {task} (resumable)" if task else ""))
        mm = _model_management()
        if mm is not None:
            thrower = getattr(mm, "throw_exception_if_processing_interrupted", None)
            if thrower is not None:
                thrower()
            interrupt = getattr(mm, "InterruptProcessingException", None)
            if interrupt is not None and self.interrupted:
                raise interrupt() from exc
        raise exc


def make_reporter(node_id: str | None, *, sandbox: bool = False) -> NodeReporter:
    """A :class:`NodeReporter` for the node ``node_id`` (ComfyUI's ``UNIQUE_ID``)."""
    return NodeReporter(node_id, sandbox=sandbox)


def make_callbacks(
    node_id: str | None,
) -> tuple[Callable[[ProgressEvent], None], Callable[[], bool]]:
    """``(on_progress, should_cancel)`` for the pipeline, bound to one node's reporter."""
    reporter = make_reporter(node_id)
    return reporter.on_progress, reporter.should_cancel
