"""What each checked row will do, decided from the journal before anything is sent.

For every valid row: its identity (:func:`~.identity.job_identity`: for a row without a seed,
its identity without the seed the client will choose, which the journal keeps as the row's
``seedless_digest``), then

- ``skip``: the journal has the job saved (by an earlier batch or a ``cover`` run);
- ``resume``: the journal has it submitted but not saved: it is collected by its ``taskUUID``;
- ``duplicate``: an earlier row of this batch is the same job;
- ``run``: anything else (never submitted, failed before, or only recorded and never sent).

Each ``run``/``resume`` row gets its output stem (:func:`~.identity.unique_stem`) and its
estimated price (the spec's price table: ``price_per_result_usd`` x ``numberResults``).
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..journal.records import UNFINISHED_STATUSES
from ..spec.task import CoverTask
from .checks import CheckedRow
from .identity import job_identity, output_files, service_of, song_stem, unique_stem

if TYPE_CHECKING:
    from ..hooks.types import Backend
    from ..journal.store import JobRecord, Journal
    from ..spec.model import ModelSpec

__all__ = ["PlannedRow", "plan_rows", "planned_files"]


@dataclass
class PlannedRow:
    """A checked row and what it will do (see the module doc for ``action``)."""

    checked: CheckedRow
    action: str
    identity: str | None = None
    stem: str | None = None
    estimate: float | None = None
    previous: JobRecord | None = None
    duplicate_of: int | None = None

    @property
    def number(self) -> int:
        """The manifest row number."""
        return self.checked.row.number


def _journal_index(journal: Journal | None, digests: list[str]) -> dict[str, list[JobRecord]]:
    """The journaled jobs of each digest, most recently updated first."""
    if journal is None:
        return defaultdict(list)
    return defaultdict(list, journal.find_digests(digests))


def _clean(endpoint: str) -> str:
    from ..journal.rows import clean_endpoint

    return clean_endpoint(endpoint)


def _files_exist(record: JobRecord) -> bool:
    return bool(record.files) and all(os.path.isfile(f) for f in record.files)


def _estimate(spec: ModelSpec, request: dict[str, Any],
              providers: list[str] | None) -> float | None:
    if not providers:
        return spec.estimated_cost_usd(request)
    from ..money.providers import provider_estimate

    prices = [provider_estimate(name, request, spec) for name in providers]
    known = [price for price in prices if price is not None]
    return max(known) if known else None


def plan_rows(checked: list[CheckedRow], *, spec: ModelSpec, backend: Backend,
              journal: Journal | None, output_dir: Path,
              providers: list[str] | None = None) -> list[PlannedRow]:
    """Decide every row's action, stem and price, in manifest order.

    A submitted job is resumed only on the endpoint it was sent to; on another (a new local
    sandbox) it is submitted anew. With ``providers`` (rows fail over), a row an earlier run
    moved to another of them is resumed there, and a row is priced at the highest price among
    them (the budget reserves what it may cost wherever it runs; its report shows the price of
    the provider that ran it).
    """
    service = service_of(backend)
    identities = {c.row.number: job_identity(c.request, c.fingerprint, service)
                  for c in checked if c.valid}
    index = _journal_index(journal, list(identities.values()))
    endpoint = _clean(backend.endpoint)
    seen: dict[str, int] = {}
    taken: set[str] = set()
    planned: list[PlannedRow] = []
    for c in checked:
        if not c.valid:
            planned.append(PlannedRow(c, "invalid"))
            continue
        identity = identities[c.row.number]
        row = PlannedRow(c, "run", identity=identity,
                         estimate=_estimate(spec, c.request, providers))
        planned.append(row)
        if identity in seen:
            row.action, row.duplicate_of = "duplicate", seen[identity]
            continue
        seen[identity] = c.row.number
        records = index.get(identity, [])
        saved = [r for r in records if r.status == "saved"]
        unfinished = [r for r in records if r.status in UNFINISHED_STATUSES
                      and (r.endpoint == endpoint or (providers and r.backend in providers
                                                      and r.backend != backend.name))]
        if saved and (_files_exist(saved[0]) or not unfinished):
            row.action, row.previous = "skip", saved[0]
            continue
        if unfinished:
            row.action, row.previous = "resume", unfinished[0]
        own = [f for r in records for f in r.files]
        task = CoverTask(spec, c.request)
        row.stem = unique_stem(song_stem(c.row.song), identity, output_dir,
                               task.number_results, task.output_format, taken, own)
    return planned


def planned_files(p: PlannedRow, spec: ModelSpec, output_dir: Path) -> list[str]:
    """The files a ``run``/``resume`` row will write (``--dry-run`` shows them), else []."""
    if p.stem is None or p.action not in ("run", "resume"):
        return []
    request = p.checked.request
    fmt = str(spec.value(request, "outputFormat")).upper()
    total = int(spec.value(request, "numberResults"))
    return [str(path) for path in output_files(output_dir, p.stem, total, fmt)]
