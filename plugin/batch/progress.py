"""One progress display for a batch: a tqdm bar on a terminal, a plain line per row elsewhere.

Pass a :class:`ProgressDisplay` as ``on_progress`` (the CLI does). On a terminal the bar shows
rows done out of the total, failures, skips, results, the running cost and tqdm's ETA; when
stderr is a file or a pipe (CI logs, ``2> log``) each finished row is one line.

tqdm is a base dependency: ComfyUI already requires it, it is pure Python with no dependencies,
and it is imported only when a bar is drawn.
"""

from __future__ import annotations

import sys
from typing import IO, Any

from .runner import BatchProgress

__all__ = ["ProgressDisplay"]


class ProgressDisplay:
    """A callable ``on_progress`` that draws the batch's progress on ``stream`` (stderr).

    :param stream: where to draw (default ``sys.stderr``).
    :param bar: force the bar on or off (default: on when ``stream`` is a terminal).
    :param rows: False shows neither bar nor row lines, only what Ctrl-C does
        (``--no-progress``).
    """

    def __init__(self, stream: IO[str] | None = None, *, bar: bool | None = None,
                 rows: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.rows = rows
        self.bar_enabled = rows and (self._isatty() if bar is None else bar)
        self._bar: Any = None

    def _isatty(self) -> bool:
        try:
            return bool(self.stream.isatty())
        except (AttributeError, ValueError):
            return False

    def __call__(self, event: BatchProgress) -> None:
        if event.phase == "stopping":
            left = f"; {event.stopped} row(s) not started" if event.stopped else ""
            self._say(f"stopping: no new rows{left}; waiting for {event.in_flight} in flight "
                      "(Ctrl-C again to stop waiting; they stay resumable)")
        elif event.phase == "cancelling":
            self._say(f"stopped waiting for {event.in_flight} row(s) in flight; each stays "
                      "resumable by its taskUUID: run the same command again")
        if self.bar_enabled:
            self._draw(event)
        elif self.rows and event.phase == "row" and event.row is not None:
            self._line(event)

    def _say(self, text: str) -> None:
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def _draw(self, event: BatchProgress) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=event.total, unit="row", file=self.stream,
                             dynamic_ncols=True, desc="batch", leave=True)
        self._bar.n = event.done
        self._bar.set_postfix_str(
            f"failed {event.failed}, skipped {event.skipped}, results {event.results}, "
            f"${event.cost:.2f}, in flight {event.in_flight}", refresh=False)
        self._bar.refresh()
        if event.phase == "end":
            self._bar.close()
            self._bar = None

    def _line(self, event: BatchProgress) -> None:
        row = event.row
        assert row is not None
        cost = f" ${row.cost:.2f}" if row.cost is not None and row.status == "saved" else ""
        what = (f"{len(row.files)} file(s){cost}" if row.files and row.status != "failed"
                else (row.error or row.reason or "").splitlines()[0] if (row.error or row.reason)
                else "")
        print(f"[{event.done}/{event.total} {event.elapsed_s:6.1f}s] row {row.row} "
              f"{row.song}: {row.status}" + (f" ({what})" if what else ""),
              file=self.stream, flush=True)
