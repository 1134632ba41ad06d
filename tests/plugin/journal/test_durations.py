"""The journal's duration hint for the collector: median wall time of saved jobs alike."""

from __future__ import annotations

import time
from pathlib import Path

from minimax_cover.plugin.journal.durations import typical_duration_s
from minimax_cover.plugin.journal.store import Journal

ENDPOINT = "http://127.0.0.1:9/v1"


def _saved(journal: Journal, uuid_: str, *, endpoint: str = ENDPOINT, results: int = 1,
           wait_s: float = 0.02) -> None:
    journal.record(uuid_, {"taskUUID": uuid_}, backend="runware", endpoint=endpoint,
                   digest="d-" + uuid_, number_results=results, status="submitted")
    time.sleep(wait_s)
    journal.finish(uuid_, cost=0.15)


def test_median_of_saved_jobs_alike(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as journal:
        assert typical_duration_s(journal, endpoint=ENDPOINT, number_results=1) is None
        for i, wait in enumerate((0.02, 0.05, 0.3)):
            _saved(journal, f"t{i}", wait_s=wait)
        _saved(journal, "other-endpoint", endpoint="http://127.0.0.1:8/v1", wait_s=0.5)
        _saved(journal, "two-results", results=2, wait_s=0.5)
        hint = typical_duration_s(journal, endpoint=ENDPOINT, number_results=1)
        assert hint is not None and 0.05 <= hint < 0.3  # the median, not the slow one
        assert typical_duration_s(journal, endpoint=ENDPOINT, number_results=2) is None
    assert typical_duration_s(None, endpoint=ENDPOINT, number_results=1) is None
