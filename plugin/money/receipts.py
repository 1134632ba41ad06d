"""Receipts: what was spent, from the journal, and what a cap counts as already committed.

What a job *counts*, from its ledger row (:class:`~..journal.ledger.LedgerRow`):

- the cost the API reported, when there is one (``includeCost``, on by default);
- else, for a job that was sent (``submitted``, ``running``, ``succeeded``, ``saved``,
  ``unknown``) or is in flight (held by the spending guard, not yet sent), its estimate: the
  price it was held at, else the spec's price table;
- else nothing: a ``failed`` job without a reported cost, or a ``pending`` one never held.

Sandbox jobs are listed, capped and totalled apart: they cost nothing. :func:`spend_report` is
what ``minimax-cover spend`` prints and the Python API returns, so both give the same totals.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..errors import MinimaxCoverError, UsageError
from ..spec.model import MINIMAX_MUSIC_COVER, ModelSpec

if TYPE_CHECKING:
    from ..journal.ledger import LedgerRow
    from ..journal.store import Journal

__all__ = [
    "DayTotal",
    "SpendEntry",
    "SpendReport",
    "charge_of",
    "committed_usd",
    "day_window",
    "is_sandbox_row",
    "local_day",
    "local_time",
    "parse_since",
    "spend_report",
]

#: Statuses of a job that was sent (so it may have been charged).
SENT_STATUSES = frozenset({"submitted", "running", "succeeded", "saved", "unknown"})
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def day_window(day: date) -> tuple[str, str]:
    """``[local midnight of day, next local midnight)`` as the journal's UTC ISO strings."""
    start = datetime.combine(day, time.min).astimezone()
    end = datetime.combine(day + timedelta(days=1), time.min).astimezone()
    return _iso(start), _iso(end)


def local_day(created_at: str) -> str:
    """The local calendar day (``YYYY-MM-DD``) of a journal timestamp."""
    try:
        return datetime.fromisoformat(created_at).astimezone().date().isoformat()
    except ValueError:
        return created_at[:10]


def local_time(created_at: str) -> str:
    """The local time of day (``HH:MM``) of a journal timestamp."""
    try:
        return datetime.fromisoformat(created_at).astimezone().strftime("%H:%M")
    except ValueError:
        return created_at[11:16]


def parse_since(text: str | None) -> date | None:
    """``--since``: ``YYYY-MM-DD``, ``today``, ``yesterday`` or ``Nd`` (N days back).

    :raises UsageError: anything else.
    """
    if text is None:
        return None
    value = text.strip().lower()
    today = date.today()
    if value == "today":
        return today
    if value == "yesterday":
        return today - timedelta(days=1)
    if value.endswith("d") and value[:-1].isdigit():
        return today - timedelta(days=int(value[:-1]))
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--since: must be YYYY-MM-DD, today, yesterday or Nd (got {text!r})"
                         ) from None


def is_sandbox_row(row: LedgerRow) -> bool:
    """True for a job that ran on a sandbox (its hold says so, else a loopback endpoint)."""
    if row.sandbox is not None:
        return row.sandbox
    try:
        return (urlsplit(row.endpoint or "").hostname or "") in _LOOPBACK
    except ValueError:
        return False


def _spec_for(request: dict[str, Any]) -> ModelSpec:
    model = request.get("model")
    if model and model != MINIMAX_MUSIC_COVER.model_id:
        try:
            from ..hooks.registry import get_registry

            return get_registry().model(str(model))
        except MinimaxCoverError:  # a model no plugin registers now: priced like the cover
            pass
    return MINIMAX_MUSIC_COVER


def table_estimate(row: LedgerRow) -> float | None:
    """The spec's price table for a row's request (``numberResults`` x price)."""
    request = dict(row.request or {})
    request.setdefault("numberResults", row.number_results)
    from .providers import provider_estimate

    return provider_estimate(row.backend, request, _spec_for(request))


@dataclass(frozen=True)
class Charge:
    """What a row counts: ``amount`` USD, ``kind`` ``reported``, ``estimated`` or ``none``."""

    amount: float
    kind: str


def charge_of(row: LedgerRow, price_of: Callable[[LedgerRow], float | None] = table_estimate
              ) -> Charge:
    """What ``row`` counts towards spending (see the module doc)."""
    if row.cost is not None:
        return Charge(float(row.cost), "reported")
    if row.status == "failed" or (row.status == "pending" and not row.held):
        return Charge(0.0, "none")
    if row.status is None or row.status == "pending" or row.status in SENT_STATUSES:
        estimate = row.estimate_usd if row.held else price_of(row)
        return Charge(float(estimate or 0.0), "estimated")
    return Charge(0.0, "none")


def committed_usd(rows: Iterable[LedgerRow], *, sandbox: bool) -> float:
    """Spent plus in flight, over the rows of one kind (sandbox or real)."""
    return round(sum(charge_of(r).amount for r in rows if is_sandbox_row(r) == sandbox), 6)


# --------------------------------------------------------------------------- receipts


@dataclass(frozen=True)
class SpendEntry:
    """One job on a receipt."""

    day: str
    created_at: str
    task_uuid: str
    status: str
    song: str | None
    prompt: str | None
    seeds: list[int | None]
    cost_usd: float
    cost_kind: str
    files: list[str]
    sandbox: bool
    picked: str | None = None
    #: The backend that ran it (``runware``, ``minimax``...): whose price it counts.
    provider: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"date": self.day, "createdAt": self.created_at, "taskUUID": self.task_uuid,
                "status": self.status, "song": self.song, "prompt": self.prompt,
                "seeds": self.seeds, "costUsd": self.cost_usd, "costKind": self.cost_kind,
                "files": self.files, "sandbox": self.sandbox, "provider": self.provider,
                "picked": self.picked}


@dataclass
class DayTotal:
    """One day's totals: jobs, USD (reported plus estimated), of which estimated, sandbox."""

    day: str
    jobs: int = 0
    usd: float = 0.0
    estimated_usd: float = 0.0
    sandbox_usd: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"date": self.day, "jobs": self.jobs, "usd": round(self.usd, 6),
                "estimatedUsd": round(self.estimated_usd, 6),
                "sandboxUsd": round(self.sandbox_usd, 6)}


@dataclass
class SpendReport:
    """Every job sent since a day, and the totals by day (sandbox jobs apart)."""

    since: date | None
    entries: list[SpendEntry] = field(default_factory=list)
    days: list[DayTotal] = field(default_factory=list)

    @property
    def total_usd(self) -> float:
        """Everything charged (reported and estimated), sandbox jobs excluded."""
        return round(sum(d.usd for d in self.days), 6)

    @property
    def estimated_usd(self) -> float:
        """The part of :attr:`total_usd` that is an estimate (no cost was reported)."""
        return round(sum(d.estimated_usd for d in self.days), 6)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``minimax-cover spend --json``)."""
        return {"since": self.since.isoformat() if self.since else None,
                "totalUsd": self.total_usd, "estimatedUsd": self.estimated_usd,
                "days": [d.to_dict() for d in self.days],
                "jobs": [e.to_dict() for e in self.entries]}

    def to_csv(self) -> str:
        """One line per job: date, song, prompt, taskUUID, seeds, cost, files, status."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["date", "created_at", "song", "prompt", "taskUUID", "seeds",
                         "cost_usd", "cost_kind", "files", "status", "sandbox", "provider"])
        for e in self.entries:
            writer.writerow([e.day, e.created_at, e.song or "", e.prompt or "", e.task_uuid,
                             " ".join("" if s is None else str(s) for s in e.seeds),
                             f"{e.cost_usd:.4f}", e.cost_kind, " ".join(e.files), e.status,
                             "yes" if e.sandbox else "no", e.provider or ""])
        return out.getvalue()


def _entry(row: LedgerRow, picked: str | None = None) -> SpendEntry:
    charge = charge_of(row)
    seeds = [item.get("seed") for item in row.results if isinstance(item, dict)]
    prompt = row.request.get("positivePrompt") if row.request else None
    return SpendEntry(day=local_day(row.created_at), created_at=row.created_at,
                      task_uuid=row.task_uuid, status=row.status or "not journaled",
                      song=row.song, prompt=prompt if isinstance(prompt, str) else None,
                      seeds=seeds, cost_usd=round(charge.amount, 6), cost_kind=charge.kind,
                      files=list(row.files), sandbox=is_sandbox_row(row),
                      provider=row.backend, picked=picked)


def spend_report(since: date | str | None = None, *, journal: Journal | None = None
                 ) -> SpendReport:
    """What was spent since ``since`` (a local day; ``None``: everything), from the journal.

    Every job that was sent is listed (``pending`` jobs never were), failed ones included with
    what they cost (usually nothing), with totals by day. The CLI's ``spend`` prints this.

    :param since: a :class:`~datetime.date` or ``YYYY-MM-DD`` (also ``today``, ``7d``).
    :param journal: the journal to read (default: the user's journal file).
    """
    from ..journal.ledger import Ledger
    from ..journal.picks import Picks
    from ..journal.store import Journal

    day = parse_since(since) if isinstance(since, str) else since
    owned = journal is None
    journal = journal or Journal()
    try:
        rows = Ledger(journal).rows(since=day_window(day)[0] if day else None)
        picks = Picks(journal).for_tasks([r.task_uuid for r in rows])
    finally:
        if owned:
            journal.close()
    report = SpendReport(since=day)
    totals: dict[str, DayTotal] = {}
    for row in rows:
        if row.status == "pending":
            continue  # never sent (a claim, or a job stopped before its submit)
        pick = picks.get(row.task_uuid)
        entry = _entry(row, pick.file if pick else None)
        report.entries.append(entry)
        total = totals.setdefault(entry.day, DayTotal(entry.day))
        total.jobs += 1
        if entry.sandbox:
            total.sandbox_usd += entry.cost_usd
        else:
            total.usd += entry.cost_usd
            if entry.cost_kind == "estimated":
                total.estimated_usd += entry.cost_usd
    report.days = [totals[d] for d in sorted(totals)]
    return report
