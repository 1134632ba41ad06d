"""``cover_batch`` end to end against the sandbox: checks, skips, resumes, names, money.

Every test runs real jobs over 127.0.0.1; the journal lives in ``tmp_path`` (autouse fixture).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from batch_support import PROMPT, fast_options, write_song
from minimax_cover.plugin.batch.api import cover_batch
from minimax_cover.plugin.batch.checks import BatchValidationError
from minimax_cover.plugin.hooks.registry import make_registry
from minimax_cover.plugin.hooks.specs import hookimpl
from minimax_cover.plugin.jobs.pipeline import cover
from minimax_cover.plugin.journal.store import Journal, default_journal_path
from minimax_cover.plugin.sandbox import Fault


def _rows(songs: list[Path], n: int | None = None, **extra: Any) -> list[dict[str, Any]]:
    return [{"song": s.name, "prompt": PROMPT, "seed": i, **extra}
            for i, s in enumerate(songs[:n])]


def _batch(sb: Any, rows: Any, out: Path, **kwargs: Any) -> Any:
    kwargs.setdefault("backend", "runware")
    kwargs.setdefault("backend_options", fast_options(sb))
    if not isinstance(rows, (str, Path)):
        kwargs.setdefault("base_dir", out.parent / "songs")
    return cover_batch(rows, output_dir=out, **kwargs)


# --------------------------------------------------------------------------- the done-when list


def test_four_rows_at_concurrency_4_take_about_one_job(make_sandbox: Any, songs: list[Path],
                                                        write_csv: Callable[..., Path],
                                                        tmp_path: Path) -> None:
    sb = make_sandbox(latency_s=1.0)
    manifest = write_csv(_rows(songs, 4))
    t0 = time.monotonic()
    report = _batch(sb, manifest, tmp_path / "out", concurrency=4)
    wall = time.monotonic() - t0
    assert [r.status for r in report.rows] == ["saved"] * 4 and report.exit_code == 0
    assert wall < 2.5, f"4 jobs of 1 s at concurrency 4 took {wall:.2f} s"
    assert sb.submissions() == 4
    assert sorted(p.name for p in (tmp_path / "out").glob("*.mp3")) == [
        "alpha.mp3", "bravo.mp3", "charlie.mp3", "delta.mp3"]
    # the same command again: nothing uploaded, nothing submitted, exit 0
    requests_before = len(sb.requests_log)
    again = _batch(sb, manifest, tmp_path / "out", concurrency=4)
    assert [r.status for r in again.rows] == ["skipped"] * 4 and again.exit_code == 0
    assert len(sb.requests_log) == requests_before
    assert [r.files for r in again.rows] == [r.files for r in report.rows]
    assert again.spent_before == pytest.approx(0.60)


def test_the_same_rows_from_jsonl_are_the_same_jobs(sandbox: Any, songs: list[Path],
                                                    write_csv: Callable[..., Path],
                                                    write_jsonl: Callable[..., Path],
                                                    tmp_path: Path) -> None:
    rows = [{"song": s.name, "positivePrompt": PROMPT, "seed": str(i), "numberResults": "1"}
            for i, s in enumerate(songs[:3])]
    _batch(sandbox, write_csv(rows), tmp_path / "out")
    as_jsonl = [{"song": f"./{s.name}", "prompt": PROMPT, "seed": i}  # other spellings
                for i, s in enumerate(songs[:3])]
    report = _batch(sandbox, write_jsonl(as_jsonl), tmp_path / "out")
    assert [r.status for r in report.rows] == ["skipped"] * 3
    assert sandbox.submissions() == 3


def test_a_song_covered_with_cover_is_skipped(sandbox: Any, songs: list[Path],
                                              tmp_path: Path) -> None:
    done = cover(songs[0], prompt=PROMPT, seed=0, includeCost=True, backend="runware",
                 backend_options=fast_options(sandbox), output_dir=tmp_path / "single")
    report = _batch(sandbox, _rows(songs, 1), tmp_path / "out")
    assert report.rows[0].status == "skipped" and report.rows[0].task_uuid == done.task_uuid
    assert sandbox.submissions() == 1


def test_saved_rows_are_reused_into_another_output_folder(sandbox: Any, songs: list[Path],
                                                          tmp_path: Path) -> None:
    """Item 5 of issue 20: whatever -o says, a saved job's takes are copied (real files) into
    the new folder, the row says "reused", and nothing is sent."""
    first = _batch(sandbox, _rows(songs, 2), tmp_path / "one")
    again = _batch(sandbox, _rows(songs, 2), tmp_path / "two")
    assert [r.status for r in again.rows] == ["skipped"] * 2 and again.exit_code == 0
    assert sandbox.submissions() == 2
    for before, now in zip(first.rows, again.rows, strict=True):
        assert now.task_uuid == before.task_uuid and "reused" in (now.reason or "")
        (take,) = [Path(f) for f in now.files]
        assert take.parent == tmp_path / "two" and take.is_file() and not take.is_symlink()
        assert take.read_bytes() == Path(before.files[0]).read_bytes()
    kept = Path(first.rows[0].files[0]).read_bytes()
    Path(first.rows[0].files[0]).unlink()  # moved or deleted: downloaded again while the URL
    third = _batch(sandbox, _rows(songs, 1), tmp_path / "three")  # answers
    (take,) = [Path(f) for f in third.rows[0].files]
    assert take.parent == tmp_path / "three" and take.read_bytes() == kept
    assert "moved or deleted" not in (third.rows[0].reason or "")
    assert sandbox.submissions() == 2


def test_dry_run_prices_and_sends_nothing(sandbox: Any, songs: list[Path],
                                          tmp_path: Path) -> None:
    report = _batch(sandbox, _rows(songs), tmp_path / "out", dry_run=True)
    assert [r.status for r in report.rows] == ["would-run"] * 5
    assert [r.estimate for r in report.rows] == [0.15] * 5
    assert {r.reason for r in report.rows} == {"X-Runware-Dry-Run"}  # the API priced it
    assert report.totals()["estimate"] == pytest.approx(0.75)
    assert sandbox.submissions() == 0 and not (tmp_path / "out").exists()
    # one dry run per distinct price (model x numberResults), nothing else (no upload)
    assert [e["dry_run"] for e in sandbox.requests_log] == [True]
    with_results = _batch(sandbox, _rows(songs, 2, results=3), tmp_path / "out", dry_run=True)
    assert with_results.totals()["estimate"] == pytest.approx(0.90)  # 2 rows x 3 x $0.15


def test_max_cost_runs_at_most_what_fits(sandbox: Any, songs: list[Path],
                                         tmp_path: Path) -> None:
    report = _batch(sandbox, _rows(songs), tmp_path / "out", max_cost=0.30, concurrency=4)
    statuses = [r.status for r in report.rows]
    assert statuses.count("saved") == 2 and statuses.count("not-run") == 3
    assert sandbox.submissions() == 2 and report.cost <= 0.30 + 1e-9
    assert report.exit_code == 4
    assert all("--max-cost" in (r.reason or "") for r in report.rows if r.status == "not-run")
    # the cap covers the whole batch: the same cap again runs nothing more
    again = _batch(sandbox, _rows(songs), tmp_path / "out", max_cost=0.30)
    assert sandbox.submissions() == 2 and again.exit_code == 4
    # a higher cap finishes it, paying only for the rest
    done = _batch(sandbox, _rows(songs), tmp_path / "out", max_cost=0.75)
    assert done.exit_code == 0 and sandbox.submissions() == 5


def test_dry_run_shows_what_the_cap_leaves_out(sandbox: Any, songs: list[Path],
                                               tmp_path: Path) -> None:
    report = _batch(sandbox, _rows(songs), tmp_path / "out", max_cost=0.30, dry_run=True)
    assert [r.status for r in report.rows] == ["would-run"] * 2 + ["not-run"] * 3


# --------------------------------------------------------------------------- checks first


def test_invalid_rows_are_listed_and_nothing_is_sent(sandbox: Any, songs: list[Path],
                                                     tmp_path: Path) -> None:
    short = write_song(tmp_path / "songs" / "short.wav", seconds=2.0)
    rows = [{"song": songs[0].name, "prompt": PROMPT},
            {"song": songs[1].name, "prompt": "short"},
            {"song": short.name, "prompt": PROMPT},
            {"song": "missing.wav", "prompt": PROMPT},
            {"song": songs[2].name, "prompt": PROMPT, "seed": "x", "promt": "typo"}]
    with pytest.raises(BatchValidationError) as info:
        _batch(sandbox, rows, tmp_path / "out")
    problems = {(p.row, p.field) for p in info.value.problems}
    assert problems == {(2, "positivePrompt"), (3, "song"), (4, "song"), (5, "promt"),
                        (5, "seed")}
    text = str(info.value)
    assert "4 of 5 row(s)" in text and "row 2 [bravo.wav]: positivePrompt" in text
    assert "'short'" in text and "did you mean 'prompt'" in text
    assert sandbox.requests_log == []  # not even an upload
    report = _batch(sandbox, rows, tmp_path / "out", skip_invalid=True)
    assert [r.status for r in report.rows] == ["saved"] + ["invalid"] * 4
    assert "positivePrompt" in (report.rows[1].error or "")


def test_lyrics_file_is_read_relative_to_the_manifest(sandbox: Any, songs: list[Path],
                                                      write_jsonl: Callable[..., Path],
                                                      tmp_path: Path) -> None:
    (tmp_path / "songs" / "words.txt").write_text("[Verse]\nhello there\n", encoding="utf-8")
    manifest = write_jsonl([{"song": songs[0].name, "prompt": PROMPT,
                             "lyrics_file": "words.txt"},
                            {"song": songs[1].name, "prompt": PROMPT,
                             "lyrics_file": "nope.txt"}])
    with pytest.raises(BatchValidationError, match="row 2 .*lyrics_file: cannot read"):
        _batch(sandbox, manifest, tmp_path / "out")
    report = _batch(sandbox, manifest, tmp_path / "out", skip_invalid=True)
    assert report.rows[0].parameters["settings"]["lyrics"] == "[Verse]\nhello there"


# --------------------------------------------------------------------------- names and duplicates


def test_outputs_never_overwrite_another_rows_files(sandbox: Any, tmp_path: Path) -> None:
    (tmp_path / "songs" / "a").mkdir(parents=True)
    (tmp_path / "songs" / "b").mkdir()
    write_song(tmp_path / "songs" / "a" / "take.wav", 300.0)
    write_song(tmp_path / "songs" / "b" / "take.wav", 400.0)
    out = tmp_path / "out"
    out.mkdir()
    (out / "take.mp3").write_bytes(b"someone else's file")
    rows = [{"song": "a/take.wav", "prompt": PROMPT}, {"song": "b/take.wav", "prompt": PROMPT},
            {"song": "a/take.wav", "prompt": PROMPT}]  # the same job twice
    report = _batch(sandbox, rows, out)
    assert (out / "take.mp3").read_bytes() == b"someone else's file"
    first, second, dup = report.rows
    assert first.status == second.status == "saved" and dup.status == "duplicate"
    assert len({first.files[0], second.files[0]}) == 2
    assert all(Path(f).name.startswith("take-") for f in first.files + second.files)
    assert dup.files == first.files and "row 1" in (dup.reason or "")
    assert sandbox.submissions() == 2


def test_numbered_results_and_receipt(sandbox: Any, songs: list[Path], tmp_path: Path) -> None:
    report = _batch(sandbox, _rows(songs, 2, results=2, format="WAV"), tmp_path / "out",
                    receipt_name="catalogue")
    assert [Path(f).name for f in report.rows[0].files] == ["alpha_1.wav", "alpha_2.wav"]
    receipt = json.loads((tmp_path / "out" / "catalogue.report.json").read_text())
    assert [r["status"] for r in receipt["rows"]] == ["saved", "saved"]
    row = receipt["rows"][0]
    assert {"song", "status", "taskUUID", "files", "seeds", "cost", "error"} <= set(row)
    assert row["parameters"]["outputFormat"] == "WAV" and len(row["seeds"]) == 2
    assert receipt["totals"]["results"] == 4 and receipt["totals"]["cost"] == pytest.approx(0.6)
    csv_text = (tmp_path / "out" / "catalogue.report.csv").read_text()
    assert csv_text.splitlines()[0].startswith("row,song,status,taskUUID,seeds,cost")


# --------------------------------------------------------------------------- never paid twice


def test_a_submitted_unsaved_row_is_resumed_not_resubmitted(make_sandbox: Any,
                                                            songs: list[Path],
                                                            tmp_path: Path) -> None:
    sb = make_sandbox(faults=[Fault("expire_url")])  # the first result cannot be downloaded
    first = _batch(sb, _rows(songs, 2), tmp_path / "out")
    statuses = sorted(r.status for r in first.rows)
    assert statuses == ["failed", "saved"] and first.exit_code == 1
    failed = next(r for r in first.rows if r.status == "failed")
    assert failed.task_uuid
    with Journal(default_journal_path()) as journal:
        assert journal.get(failed.task_uuid).status != "saved"
    again = _batch(sb, _rows(songs, 2), tmp_path / "out")
    resumed = next(r for r in again.rows if r.row == failed.row)
    assert resumed.status == "resumed" and resumed.task_uuid == failed.task_uuid
    assert again.exit_code == 0 and sb.submissions() == 2
    assert again.cost == 0.0  # resumed rows were paid before


def test_should_cancel_leaves_jobs_resumable(make_sandbox: Any, songs: list[Path],
                                             tmp_path: Path) -> None:
    sb = make_sandbox(latency_s=3.0)
    rows = _rows(songs, 4, deliveryMethod="async")
    report = _batch(sb, rows, tmp_path / "out", concurrency=2,
                    should_cancel=lambda: sb.submissions() >= 2)
    statuses = sorted(r.status for r in report.rows)
    assert statuses == ["interrupted", "interrupted", "not-run", "not-run"]
    assert report.exit_code == 130 and report.resume_hint
    sent = [r.task_uuid for r in report.rows if r.status == "interrupted"]
    assert all(sent)
    # stopped, not waiting for the jobs: they are still generating on the sandbox
    assert all(sb.task(t)["status"] == "processing" for t in sent)
    sb.latency_s = 0.0
    again = _batch(sb, rows, tmp_path / "out", concurrency=2)
    assert sorted(r.status for r in again.rows) == ["resumed", "resumed", "saved", "saved"]
    assert sb.submissions() == 4


def test_progress_after_a_stop_counts_only_finished_rows(make_sandbox: Any, songs: list[Path],
                                                         tmp_path: Path) -> None:
    """Issue 24.6: rows a stop left unstarted are not "done"; the stop is said once."""
    sb = make_sandbox(latency_s=3.0)
    events: list[Any] = []
    rows = _rows(songs, 4, deliveryMethod="async")
    _batch(sb, rows, tmp_path / "out", concurrency=2, on_progress=events.append,
           should_cancel=lambda: sb.submissions() >= 2)
    stopping = [e for e in events if e.phase == "stopping"]
    assert len(stopping) == 1 and stopping[0].stopped == 2 and stopping[0].in_flight == 2
    assert stopping[0].done == 0  # nothing finished yet: not "[2/4]"
    end = events[-1]
    assert end.phase == "end" and end.done == 2 and end.stopped == 2 and end.total == 4


def test_one_backend_for_the_whole_batch(sandbox: Any, songs: list[Path],
                                         tmp_path: Path) -> None:
    made: list[Any] = []

    class Counting:
        @hookimpl
        def register_backends(self, register: Any) -> None:
            from minimax_cover.plugin.runware.backend import RunwareBackend

            def factory(**options: Any) -> Any:
                made.append(options)
                backend = RunwareBackend(**options)
                backend.name = "counting"
                return backend

            register("counting", factory)

    registry = make_registry(entry_points=False, plugins=[Counting()])
    report = _batch(sandbox, _rows(songs), tmp_path / "out", backend="counting",
                    registry=registry, concurrency=3)
    assert report.exit_code == 0 and len(made) == 1


def test_progress_events(sandbox: Any, songs: list[Path], tmp_path: Path) -> None:
    events: list[Any] = []
    _batch(sandbox, _rows(songs, 3), tmp_path / "out", on_progress=events.append)
    assert [e.phase for e in events] == ["start", "row", "row", "row", "end"]
    assert events[-1].done == events[-1].total == 3 and events[-1].results == 3
    assert events[-1].cost == pytest.approx(0.45)


def test_unknown_executor_is_a_usage_error(sandbox: Any, songs: list[Path],
                                           tmp_path: Path) -> None:
    from minimax_cover.plugin.errors import UsageError

    with pytest.raises(UsageError, match="--executor.*'ray'"):
        _batch(sandbox, _rows(songs, 1), tmp_path / "out", executor="ray")
    assert sandbox.submissions() == 0
