"""What a batch did, row by row: the report (``--json``) and the receipt written into OUT_DIR.

Row statuses:

============== =============================================================================
``saved``      submitted by this run, every result saved
``resumed``    submitted by an earlier run, collected now by its ``taskUUID`` (not paid again)
``skipped``    saved by an earlier run (or a ``cover`` of the same job): nothing sent
``duplicate``  the same job as an earlier row of this batch (same song and parameters)
``failed``     the task failed (paid results saved, if any); a rerun submits it again
``unknown``    the submit's outcome is unknown; never resubmitted (``minimax-cover jobs``)
``interrupted`` stopped while in flight; a rerun resumes it by ``taskUUID``
``not-run``    not submitted: over ``--max-cost``, or stopped before its turn
``invalid``    failed a check (with ``--skip-invalid``); see ``error``
``would-run``  (``--dry-run``) would be submitted; ``would-resume``: would be collected
============== =============================================================================
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import register_known_secrets
from ..money.reported import counted_cost, json_cost, sane_cost
from ..redaction import redact

__all__ = ["DONE_STATUSES", "STATUSES", "BatchReport", "RowReport", "write_receipt"]

STATUSES = ("saved", "resumed", "skipped", "duplicate", "failed", "unknown", "interrupted",
            "not-run", "invalid", "would-run", "would-resume")
#: Rows whose files exist at the end: a batch of only these is finished.
DONE_STATUSES = frozenset({"saved", "resumed", "skipped", "duplicate"})


@dataclass
class RowReport:
    """One manifest row's outcome (see the module doc for ``status``); ``page`` is its
    ``--compare`` audition page, if written."""

    row: int
    song: str
    status: str
    task_uuid: str | None = None
    files: list[str] = field(default_factory=list)
    seeds: list[int | None] = field(default_factory=list)
    cost: float | None = None
    estimate: float | None = None
    error: str | None = None
    identity: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    line: int | None = None
    reason: str | None = None
    page: str | None = None
    #: The files a ``would-run``/``would-resume`` row would write (``--dry-run``).
    would_write: list[str] = field(default_factory=list)
    measures: dict[str, Any] | None = None
    picked: str | None = None
    #: The provider that ran (or was running) the row: ``runware``, ``minimax`` (failover).
    provider: str | None = None

    @property
    def counted(self) -> float:
        """What this row counts in this run's cost: a task this run sent (``saved``, or
        ``failed``/``unknown``/``interrupted`` with a ``taskUUID``) counts its reported cost
        when sane, never below its estimate (a failed one: its sane cost, else its estimate);
        rows resumed, skipped, refused or never sent count nothing."""
        if self.status == "saved" or (self.task_uuid and self.status in (
                "unknown", "interrupted")):
            return counted_cost(self.cost, self.estimate)
        if self.status == "failed" and self.task_uuid:
            return counted_cost(self.cost, None) if sane_cost(self.cost) is not None else (
                self.estimate or 0.0)
        return 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``song, status, taskUUID, files, seeds, cost, error`` and more
        (``cost`` as the API reported it; ``counted`` what this run's cost counts; ``measures``
        with ``batch --measure``, ``picked`` once a take is picked)."""
        extra: dict[str, Any] = {}
        if self.measures is not None:
            extra["measures"] = self.measures
        if self.picked is not None:
            extra["picked"] = self.picked
        return {
            "row": self.row,
            "line": self.line,
            "song": self.song,
            "status": self.status,
            "taskUUID": self.task_uuid,
            "files": list(self.files),
            "seeds": list(self.seeds),
            "cost": json_cost(self.cost),
            "counted": round(self.counted, 6),
            "estimate": self.estimate,
            "error": self.error,
            "reason": self.reason,
            "identity": self.identity,
            "parameters": self.parameters,
            "page": self.page,
            "wouldWrite": list(self.would_write),
            "provider": self.provider,
            **extra,
        }


@dataclass
class BatchReport:
    """The whole batch: one :class:`RowReport` per manifest row, in order, plus totals.

    ``spent_before`` is what the batch's rows cost in earlier runs (skipped and resumed rows);
    ``exit_code`` is the CLI's (see ``minimax-cover batch --help``); ``compare_index`` the
    ``--compare`` index page (each row's page is its ``page``).
    """

    rows: list[RowReport]
    output_dir: str
    dry_run: bool = False
    sandbox: bool = False
    backend: str | None = None
    executor: str = "threads"
    concurrency: int = 1
    max_cost: float | None = None
    spent_before: float = 0.0
    elapsed_s: float = 0.0
    interrupted: bool = False
    manifest: str | None = None
    exit_code: int = 0
    receipt: dict[str, str] = field(default_factory=dict)
    resume_hint: str | None = None
    compare_index: str | None = None

    def count(self, status: str) -> int:
        """How many rows ended with ``status``."""
        return sum(1 for r in self.rows if r.status == status)

    @property
    def cost(self) -> float:
        """What this run's own submits count (see :attr:`RowReport.counted`)."""
        return round(sum(r.counted for r in self.rows), 6)

    @property
    def estimate(self) -> float:
        """The price of every row this run would submit or did submit."""
        return round(sum((r.estimate or 0.0 for r in self.rows
                         if r.status in ("saved", "failed", "unknown", "interrupted",
                                         "would-run")), 0.0), 6)

    @property
    def finished(self) -> bool:
        """True when every valid row's files exist."""
        return all(r.status in DONE_STATUSES or r.status == "invalid" for r in self.rows)

    def totals(self) -> dict[str, Any]:
        """Counts per status, results, cost and time."""
        counts = {s: self.count(s) for s in STATUSES if self.count(s)}
        return {
            "rows": len(self.rows),
            **{_camel(s): n for s, n in counts.items()},
            "results": sum(len(r.files) for r in self.rows
                           if r.status in ("saved", "resumed", "failed")),
            "cost": self.cost,
            "estimate": self.estimate,
            "spentBefore": round(self.spent_before, 6),
            "elapsedSeconds": round(self.elapsed_s, 3),
        }

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document: ``rows`` in manifest order, then ``totals``."""
        return {
            "manifest": self.manifest,
            "outputDir": self.output_dir,
            "dryRun": self.dry_run,
            "sandbox": self.sandbox,
            "backend": self.backend,
            "executor": self.executor,
            "concurrency": self.concurrency,
            "maxCost": self.max_cost,
            "rows": [r.to_dict() for r in self.rows],
            "totals": self.totals(),
            "interrupted": self.interrupted,
            "resume": self.resume_hint,
            "exitCode": self.exit_code,
            "receipt": self.receipt,
            "compareIndex": self.compare_index,
        }


def _camel(status: str) -> str:
    head, *rest = status.split("-")
    return head + "".join(part.title() for part in rest)


_CSV_COLUMNS = ("row", "song", "status", "taskUUID", "seeds", "cost", "estimate", "files",
                "error", "parameters", "counted", "provider")


def _csv_text(report: BatchReport) -> str:
    from ..csvcells import csv_text

    return csv_text(_CSV_COLUMNS, ([
        r.row, r.song, r.status, r.task_uuid or "",
        ";".join("" if s is None else str(s) for s in r.seeds),
        _number_cell(r.cost), _number_cell(r.estimate),
        ";".join(r.files), r.error or "",
        json.dumps(r.parameters, sort_keys=True, separators=(",", ":")),
        _number_cell(round(r.counted, 6)), r.provider or "",
    ] for r in report.rows))


def _number_cell(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_receipt(report: BatchReport, out_dir: Path, name: str) -> dict[str, str]:
    """Write ``<name>.report.json`` and ``<name>.report.csv`` into ``out_dir`` (atomically),
    every key the tool knows redacted.

    :returns: ``{"json": path, "csv": path}`` (also stored in ``report.receipt``).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / f"{name}.report.json", "csv": out_dir / f"{name}.report.csv"}
    report.receipt = {k: str(p) for k, p in paths.items()}
    register_known_secrets()  # every key the tool can see, not only the one in use
    _write_atomic(paths["json"], redact(json.dumps(report.to_dict(), indent=2) + "\n"))
    _write_atomic(paths["csv"], redact(_csv_text(report)))
    return report.receipt
