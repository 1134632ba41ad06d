"""``batch --measure``: each row's takes measured against its song, after the batch ran.

Rows are measured once the batch is done (saved, resumed and skipped rows whose files are
here), so measuring never delays a paid job; the report (``--json``), the receipt and the
``--compare`` index then carry the measures. Picks recorded in the journal
(``minimax-cover pick``) are attached to their rows whether or not ``--measure`` is given.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..audition import is_local_file
from .pages import PAGE_STATUSES, index_path, with_takes
from .report import BatchReport

__all__ = ["attach_picks", "measure_rows", "rewrite_index"]

log = logging.getLogger("minimax_cover.batch")


def _song_path(song: str, base: Path | None) -> Path | None:
    if is_local_file(song):
        return Path(song)
    if base is not None and is_local_file(base / song):
        return base / song
    return None


def measure_rows(report: BatchReport, base: Path | None = None) -> int:
    """Measure every row with its takes on disk; set ``row.measures``; return how many.

    :param base: the manifest's folder, for songs given by relative path.
    """
    from ..audio import read_audio
    from ..measure import compare_takes

    done = 0
    for row in report.rows:
        if row.status not in PAGE_STATUSES or row.status == "duplicate" or not row.files:
            continue
        files = [Path(f) for f in row.files]
        if not all(f.is_file() for f in files):
            continue
        song = _song_path(row.song, base)
        try:
            measured = compare_takes(read_audio(song) if song else None,
                                     [read_audio(f) for f in files],
                                     source_path=song, take_paths=files)
        except Exception as exc:  # a measure never fails a paid batch
            log.warning("batch: row %d: not measured: %s", row.row, exc)
            continue
        row.measures = measured.to_json()
        done += 1
    return done


def attach_picks(report: BatchReport) -> None:
    """Set ``row.picked`` from the journal's picks (nothing when there is no journal)."""
    from ..journal.picks import Picks
    from ..journal.store import Journal, default_journal_path

    tasks = [r.task_uuid for r in report.rows if r.task_uuid]
    if not tasks or not default_journal_path().is_file():
        return
    with Journal() as journal:
        picks = Picks(journal).for_tasks(tasks)
    for row in report.rows:
        pick = picks.get(row.task_uuid or "")
        if pick is not None:
            row.picked = pick.file


def rewrite_index(report: BatchReport, out_dir: Path, name: str | None) -> Path | None:
    """Write the ``--compare`` index again with measures and picks (if it was written)."""
    from ..audition import IndexEntry, write_index

    if not report.compare_index:
        return None
    entries = []
    for r in report.rows:
        entry = IndexEntry(
            label=r.song, page=r.page, status=r.status,
            prompt=r.parameters.get("positivePrompt"), takes=len(r.files) if r.page else None,
            cost=r.cost if r.page and r.status != "duplicate" else None,
            note=None if r.page and r.status != "duplicate" else (r.error or r.reason),
            number=r.row)
        entries.append(with_takes(entry, r))
    path = write_index(entries, index_path(out_dir, name),
                       title=f"Cover auditions: {name or 'batch'}",
                       subtitle=f"{len(report.rows)} row(s); sort by melody kept in its column",
                       sandbox=report.sandbox)
    report.compare_index = str(path)
    return path
