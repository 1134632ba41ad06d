"""``batch --compare``: an audition page next to each row's takes, and one index in OUT_DIR.

A row gets its page when it is saved (or resumed) by this run, or skipped because an earlier
run saved it, as long as all its files are here (a remote worker's OUT_DIR may not be). The
song has a player when it is a local file. Pages are drawn on a small thread pool
(:meth:`RowPages.queue_row`), so the batch keeps collecting and submitting meanwhile (a page of
a 3-min song and four takes takes about 1.5 s). Pages never stop a paid batch: a page that
cannot be written is logged and noted in the index. The index (``<name>.compare.html``) lists every
row (status, song, prompt, takes, cost) and links the rows' pages by relative path.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..audition import (
    Clip,
    IndexEntry,
    PageInfo,
    build_page,
    is_local_file,
    page_path_for_files,
    write_index,
)
from .report import BatchReport, RowReport

__all__ = ["PAGE_STATUSES", "RowPages", "index_path"]

log = logging.getLogger("minimax_cover.batch")

#: Row statuses whose takes get a page (a ``duplicate`` row shares its first row's page).
PAGE_STATUSES = frozenset({"saved", "resumed", "skipped"})
_NOTE_CHARS = 160


def index_path(out_dir: Path, name: str | None) -> Path:
    """Where the index is written: ``OUT_DIR/<name>.compare.html`` (``batch`` by default)."""
    return Path(out_dir) / f"{name or 'batch'}.compare.html"


class RowPages:
    """Writes the batch's audition pages (:meth:`write_row`) and their index (:meth:`finish`).

    :param out_dir: the batch's output folder (the index goes there).
    :param name: the receipt name (the index is ``<name>.compare.html``).
    :param embed: put the audio inside each page (``--compare-embed``).
    :param workers: threads drawing pages for :meth:`queue_row`.
    """

    def __init__(self, out_dir: Path, *, name: str | None = "batch", embed: bool = False,
                 workers: int = 2) -> None:
        self.out_dir = Path(out_dir)
        self.name = name or "batch"
        self.embed = embed
        self.notes: dict[int, str] = {}
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="compare-page")
        self._pending: list[Future[Path | None]] = []

    def queue_row(self, row: RowReport, source: Any, *, sandbox: bool = False,
                  backend: str | None = None) -> None:
        """:meth:`write_row` on the pool; :meth:`finish` waits for it."""
        if row.status in PAGE_STATUSES and row.files:
            self._pending.append(self._pool.submit(self.write_row, row, source,
                                                   sandbox=sandbox, backend=backend))

    def wait(self) -> None:
        """Wait for the queued pages (each one's errors are already logged and noted)."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def close(self) -> None:
        """Drop pages not started yet and stop the pool (after :meth:`finish`, or on error)."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def write_row(self, row: RowReport, source: Any, *, sandbox: bool = False,
                  backend: str | None = None) -> Path | None:
        """Write ``row``'s page next to its takes and set ``row.page``; ``None`` if it has none.

        :param row: the row's report (its ``files``, ``seeds``, ``cost`` and ``parameters``).
        :param source: the row's song as the pipeline took it (a player only if a local file).
        :param sandbox: the takes are the sandbox's synthetic audio.
        :param backend: where the job ran (shown on the page).
        """
        if row.status not in PAGE_STATUSES or not row.files:
            return None
        missing = [f for f in row.files if not Path(f).is_file()]
        if missing:
            self.notes[row.row] = f"no page: takes not found ({', '.join(missing)})"
            return None
        params = row.parameters
        seeds = row.seeds if len(row.seeds) == len(row.files) else [None] * len(row.files)
        takes = [Clip(Path(f), seed=s) for f, s in zip(row.files, seeds, strict=True)]
        info = PageInfo(
            title=f"Cover audition: {row.song}", prompt=params.get("positivePrompt"),
            lyrics=(params.get("settings") or {}).get("lyrics"), model=params.get("model"),
            backend=backend, task_uuid=row.task_uuid, sandbox=sandbox, cost_total=row.cost,
            created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
        src = Clip(Path(source), label="Source") if is_local_file(source) else None
        try:
            page = build_page(src, takes, page_path_for_files(row.files), info=info,
                              embed=self.embed)
        except Exception as exc:  # a page never stops a paid batch
            log.warning("batch: row %d: no compare page: %s", row.row, exc)
            self.notes[row.row] = f"no page: {exc}"
            return None
        self.notes.pop(row.row, None)
        row.page = str(page)
        return page

    def finish(self, report: BatchReport) -> Path:
        """Wait for the queued pages, then write the index of every row of ``report``;
        set ``report.compare_index``."""
        self.wait()
        entries = [self._entry(r) for r in report.rows]
        pages = sum(1 for r in report.rows if r.page and r.status != "duplicate")
        takes = sum(len(r.files) for r in report.rows if r.page and r.status != "duplicate")
        cost = sum(r.cost or 0.0 for r in report.rows if r.page and r.status != "duplicate")
        subtitle = (f"{len(report.rows)} row(s), {pages} page(s), {takes} take(s), "
                    f"cost of the takes ${cost:.4f}"
                    + (" (sandbox: nothing was charged)" if report.sandbox else "")
                    + (f"; manifest {report.manifest}" if report.manifest else ""))
        path = write_index(entries, index_path(self.out_dir, self.name),
                           title=f"Cover auditions: {self.name}", subtitle=subtitle,
                           sandbox=report.sandbox)
        report.compare_index = str(path)
        return path

    def _entry(self, r: RowReport) -> IndexEntry:
        note = self.notes.get(r.row)
        if note is None and (not r.page or r.status == "duplicate"):
            note = r.error or r.reason
        if note:
            note = note.splitlines()[0][:_NOTE_CHARS]
        entry = IndexEntry(
            label=r.song, page=r.page, status=r.status,
            prompt=r.parameters.get("positivePrompt"),
            takes=len(r.files) if r.page else None,
            cost=r.cost if r.page and r.status != "duplicate" else None,
            note=note, number=r.row)
        return with_takes(entry, r)


def with_takes(entry: IndexEntry, r: RowReport) -> IndexEntry:
    """Fill ``entry``'s take columns from ``r``: seeds, and a player of the picked take, else
    the best (``--measure``), else the first; melody kept and loudness when measured."""
    files = [f for f in r.files if Path(f).is_file()] if r.status in PAGE_STATUSES else []
    if not files:
        return entry
    entry.seeds = list(r.seeds)
    measures = getattr(r, "measures", None) or {}
    takes = measures.get("takes") or []
    best = next((t for t in takes if t.get("best")), None)
    picked = getattr(r, "picked", None)
    if picked and Path(picked).is_file():
        entry.player, entry.player_label, entry.picked = picked, "picked", picked
    elif best is not None and best.get("path"):
        entry.player, entry.player_label = best["path"], "best"
    else:
        entry.player, entry.player_label = files[0], "take 1"
    kept = [t["melodyKept"] for t in takes if t.get("melodyKept") is not None]
    entry.melody_kept = max(kept) if kept else None
    played = next((t for t in takes if t.get("path") == str(entry.player)), None)
    entry.loudness_lufs = played.get("loudnessLUFS") if played else None
    return entry
