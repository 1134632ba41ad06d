"""The tools, as coroutines over the Python API; each returns a ``CallToolResult``.

``cover`` runs :func:`~..jobs.aio.acover` (progress notifications while it runs; a cancelled
call leaves the job ``submitted`` in the journal, resumable), then writes the audition page.
``price`` is the same call with ``dry_run=True``: nothing is uploaded, run or charged. Errors
of the package become tool errors (``isError``), never protocol errors.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult

from ..errors import MinimaxCoverError
from ..spec.model import MINIMAX_MUSIC_COVER, ModelSpec
from .answers import cover_answer, error_answer, json_answer, price_answer, sandbox_note
from .arguments import read_arguments

if TYPE_CHECKING:
    from ..results import ProgressEvent

__all__ = ["CoverTools"]


class CoverTools:
    """The tools of one server: its spec and the folder takes go to by default.

    :param output_root: where ``cover`` saves takes when the call gives no ``output``.
    """

    def __init__(self, output_root: Path, spec: ModelSpec = MINIMAX_MUSIC_COVER) -> None:
        self.output_root = output_root
        self.spec = spec

    # ------------------------------------------------------------------ cover and price

    async def cover(self, arguments: dict[str, Any], ctx: Context) -> CallToolResult:
        """Cover a song: validate, upload, submit, wait (progress), save; answer the files."""
        from ..jobs.aio import acover

        try:
            song, params, folder = read_arguments(arguments, self.output_root)
            result = await acover(song, spec=self.spec, output_dir=folder,
                                  on_progress=_progress_reporter(ctx), **params)
        except (MinimaxCoverError, OSError) as exc:
            return error_answer(exc, self.spec)
        page = await asyncio.to_thread(_audition_page, result, song)
        return cover_answer(result, self.spec, page)

    async def price(self, arguments: dict[str, Any], ctx: Context) -> CallToolResult:
        """Price a cover without running it (a dry run): nothing uploaded, run or charged."""
        from ..jobs.aio import acover

        try:
            song, params, folder = read_arguments(arguments, self.output_root)
            result = await acover(song, spec=self.spec, output_dir=folder, dry_run=True,
                                  **params)
        except (MinimaxCoverError, OSError) as exc:
            return error_answer(exc, self.spec)
        return price_answer(result, self.spec)

    # ------------------------------------------------------------------ the rest

    async def batch(self, manifest: str, output: str | None = None, concurrency: int = 4,
                    max_cost: float | None = None, dry_run: bool = False) -> CallToolResult:
        """Cover every row of a manifest (CSV, JSONL or a folder of songs); rows already saved
        are skipped, submitted ones resumed, none paid twice. ``max_cost`` caps the batch's
        spend in USD; ``dry_run`` prices every row and sends nothing. Rows are sent with
        ``deliveryMethod: async`` unless a row says otherwise (collected together; a cancel
        stops the wait at once and leaves them resumable)."""
        from ..batch.api import cover_batch
        from ..jobs.aio import async_defaults

        folder = _folder(output, self.output_root)
        cancel = threading.Event()
        try:
            report = await _in_thread(cancel, cover_batch, manifest, output_dir=folder,
                                      concurrency=concurrency, max_cost=max_cost,
                                      dry_run=dry_run, should_cancel=cancel.is_set,
                                      spec=self.spec, request=async_defaults(self.spec))
        except (MinimaxCoverError, OSError) as exc:
            return error_answer(exc, self.spec)
        return json_answer(report.to_dict())

    async def job_status(self, task_uuid: str) -> CallToolResult:
        """Where a job stands in the journal: status, files, cost, error, resumable."""
        from ..journal.store import Journal

        def read() -> Any:
            with Journal() as journal:
                return journal.get(task_uuid)

        record = await asyncio.to_thread(read)
        if record is None:
            return error_answer(MinimaxCoverError(f"no job {task_uuid} in the journal"))
        doc = {"taskUUID": record.task_uuid, "status": record.status, "files": record.files,
               "cost": record.cost, "error": record.error, "resumable": record.resumable,
               "numberResults": record.number_results, "song": record.song,
               "prompt": record.request.get("positivePrompt"),
               "seed": record.request.get("seed"), "updatedAt": record.updated_at}
        return json_answer(doc)

    async def resume(self, task_uuid: str, ctx: Context) -> CallToolResult:
        """Collect a job that was paid for but not saved (getResponse; never submits again)."""
        from ..jobs.aio import aresume_job

        try:
            result = await aresume_job(task_uuid, on_progress=_progress_reporter(ctx))
        except (MinimaxCoverError, OSError) as exc:
            return error_answer(exc, self.spec)
        page = await asyncio.to_thread(_audition_page, result, None)
        return cover_answer(result, self.spec, page)

    async def account(self) -> CallToolResult:
        """The account's balance, what the journal says was spent today, and the caps."""
        from ..runware.summary import account_summary

        try:
            doc = await asyncio.to_thread(account_summary)
        except MinimaxCoverError as exc:
            return error_answer(exc)
        text = None
        if doc.get("sandbox"):
            text = f"{sandbox_note(True)}\n{_dumps(doc)}"
        return json_answer(doc, text)

    async def spend(self, since: str | None = None) -> CallToolResult:
        """Every job sent since a day (YYYY-MM-DD, today, yesterday or Nd), with costs, seeds,
        files, and totals by day, from the journal."""
        from ..money.receipts import spend_report

        try:
            report = await asyncio.to_thread(spend_report, since)
        except MinimaxCoverError as exc:
            return error_answer(exc)
        return json_answer(report.to_dict())


def _dumps(doc: dict[str, Any]) -> str:
    import json

    return json.dumps(doc, indent=2)


def _folder(output: str | None, root: Path) -> Path:
    folder = Path(output).expanduser() if output else root
    return (folder if folder.is_absolute() else root / folder).resolve()


async def _in_thread(cancel: threading.Event, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn`` in a worker thread; a cancelled call sets ``cancel`` (the job stops between
    polls, resumable) and waits a moment for it."""
    future = asyncio.ensure_future(asyncio.to_thread(fn, *args, **kwargs))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        cancel.set()
        await asyncio.wait([future], timeout=5.0)
        raise


def _progress_reporter(ctx: Context) -> Any:
    """An ``on_progress`` coroutine sending MCP progress notifications (0..total takes)."""
    reached = 0.0

    async def report(event: ProgressEvent) -> None:
        nonlocal reached
        total = float(max(event.total, 1))
        value = min(total, event.done + (event.progress or 0.0))
        reached = max(reached, value)
        message = f"{event.phase}: {event.done}/{event.total} take(s), {event.elapsed_s:.0f} s"
        try:
            await ctx.report_progress(reached, total, message)
        except Exception:  # noqa: BLE001 - a client gone or without a token: not the job's fault
            pass

    return report


def _audition_page(result: Any, song: str | None) -> Path | None:
    """Write the audition page beside the takes (``None`` when there is nothing to show)."""
    if not result.files:
        return None
    from ..audition import page_for_result

    try:
        return Path(page_for_result(result, song)).resolve()
    except (MinimaxCoverError, OSError) as exc:
        result.warnings.append(f"no audition page: {exc}")
        return None

