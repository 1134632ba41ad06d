"""Caps a lying server cannot lift, receipts that do not overstate (issue 21, items 1-5).

Every case runs the real stack against :class:`hostile_server.Hostile` on 127.0.0.1: a
Runware-compatible gateway with a key and no ``X-Sandbox`` header (so every job is money),
answering each result's ``cost`` (and each dry run's price) with a value of the test's choice.
*Paid for nothing* counts tasks the server accepted whose results are not saved: it must be 0.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hostile_server import Hostile
from minimax_cover.plugin.batch.api import cover_batch
from minimax_cover.plugin.errors import SpendingCapError
from minimax_cover.plugin.jobs.pipeline import cover
from minimax_cover.plugin.journal.store import Journal
from minimax_cover.plugin.money.receipts import spend_report
from minimax_cover.plugin.transport.retry import RetryPolicy
from rel_support import PROMPT, cli, write_song

KEY = "rw-LYING-gateway-key"
PRICE = 0.15  # the price table's figure per result
#: What a lying server reports as each result's cost (``NaN``/``Infinity``: JSON literals).
LIES: dict[str, Any] = {"negative": -5, "NaN": math.nan, "Infinity": math.inf,
                        "a string": "abc", "a numeric string": "-5", "absurd": 1e12,
                        "too low": 0.0001}


@pytest.fixture(scope="module")
def mp3() -> bytes:
    import numpy as np
    from minimax_cover.plugin.audio import Audio, encode_audio

    t = np.arange(4 * 22050, dtype=np.float64) / 22050
    return encode_audio(Audio((0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), 22050),
                        "MP3")


def _options(h: Hostile) -> dict[str, Any]:
    return {"api_key": KEY, "base_url": h.url, "timeout": (2.0, 5.0),
            "retry_policy": RetryPolicy(max_retries=1, base_delay_s=0.01, max_delay_s=0.02),
            "poll_initial_s": 0.02, "poll_max_s": 0.05, "poll_deadline_s": 10.0}


def _songs(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [write_song(folder / f"s{i}.wav", freq=200.0 + 20 * i) for i in range(n)]


def _rows(songs: list[Path]) -> list[dict[str, Any]]:
    return [{"song": str(s), "prompt": f"{PROMPT}, take {i}"} for i, s in enumerate(songs)]


def _saved(h: Hostile) -> list[str]:
    with Journal() as journal:
        return [t for t in h.paid if (r := journal.get(t)) is not None and r.status == "saved"]


# --------------------------------------------------------------------------- item 1


@pytest.mark.parametrize("lie", list(LIES))
def test_a_lying_cost_never_lifts_the_batch_cap(lie: str, mp3: bytes, tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    """``--max-cost 0.30`` over 3 rows of $0.15: 2 run, whatever the server reports."""
    songs = _songs(tmp_path / "songs", 3)
    with Hostile(audio=mp3, api_key=KEY, cost=LIES[lie]) as h:
        report = cover_batch(_rows(songs), output_dir=tmp_path / "out", max_cost=0.30,
                             concurrency=1, backend="runware", backend_options=_options(h))
        assert [r.status for r in report.rows] == ["saved", "saved", "not-run"]
        assert len(h.paid) == 2 and _saved(h) == h.paid  # paid-for-nothing 0
        assert report.cost == pytest.approx(0.30)  # counted: the table's figure at least
        assert report.exit_code == 4
        doc = json.loads((tmp_path / "out" / "batch.report.json").read_text())  # valid JSON
        assert doc["totals"]["cost"] == pytest.approx(0.30)
    if lie != "too low" and lie != "a string":  # "abc" is no cost at all: nothing to say
        assert "not a price" in caplog.text


@pytest.mark.parametrize("lie", ["negative", "NaN", "absurd"])
def test_a_lying_cost_never_lifts_the_batch_cap_from_the_environment(
        lie: str, mp3: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIMAX_COVER_CAP_BATCH_USD", "0.45")
    songs = _songs(tmp_path / "songs", 6)
    with Hostile(audio=mp3, api_key=KEY, cost=LIES[lie]) as h:
        report = cover_batch(_rows(songs), output_dir=tmp_path / "out", concurrency=2,
                             backend="runware", backend_options=_options(h))
        assert report.count("saved") == 3 and report.count("not-run") == 3
        assert len(h.paid) == 3 and _saved(h) == h.paid


@pytest.mark.parametrize("lie", ["negative", "NaN", "Infinity", "absurd"])
def test_a_lying_cost_never_lifts_the_daily_cap(lie: str, mp3: bytes, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A daily cap of $0.45: three covers of $0.15, then every further one is refused."""
    monkeypatch.setenv("MINIMAX_COVER_CAP_DAY_USD", "0.45")
    song = write_song(tmp_path / "song.wav")
    refused = 0
    with Hostile(audio=mp3, api_key=KEY, cost=LIES[lie]) as h:
        for i in range(5):
            try:
                cover(song, prompt=f"{PROMPT}, take {i}", output_dir=tmp_path / "out",
                      backend="runware", backend_options=_options(h))
            except SpendingCapError as exc:
                assert exc.cap == "day"
                refused += 1
        assert len(h.paid) == 3 and refused == 2 and _saved(h) == h.paid
        uploads = [r for r in h.requests if r[0] == "mediaStorage"]
        assert len(uploads) == 3  # a refused cover uploads nothing
    report = spend_report("today")
    assert report.total_usd == pytest.approx(0.45)
    reported = [e.to_dict()["reportedUsd"] for e in report.entries]
    if lie != "NaN":  # SQLite stores NaN as NULL: the receipt then says nothing was reported
        assert all(r is not None for r in reported)  # the receipt keeps what the API said
    json.dumps(report.to_dict(), allow_nan=False)  # and stays valid JSON


# --------------------------------------------------------------------------- item 2


def test_a_keyed_loopback_gateway_is_money_not_sandbox(mp3: bytes, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    song = write_song(tmp_path / "song.wav")
    with Hostile(audio=mp3, api_key=KEY, cost=PRICE) as h:
        for i in range(2):  # no cap yet: nothing but the journal records them
            cover(song, prompt=f"{PROMPT}, take {i}", output_dir=tmp_path / "out",
                  backend="runware", backend_options=_options(h))
        report = spend_report("today")
        assert report.total_usd == pytest.approx(0.30)  # real money, not "[sandbox $0.30]"
        assert not any(e.sandbox for e in report.entries)
        monkeypatch.setenv("MINIMAX_COVER_CAP_DAY_USD", "0.40")
        with pytest.raises(SpendingCapError, match=r"already \$0\.30"):
            cover(song, prompt=f"{PROMPT}, take 9", output_dir=tmp_path / "out",
                  backend="runware", backend_options=_options(h))
        assert len(h.paid) == 2 and _saved(h) == h.paid


def test_the_built_in_sandbox_stays_free(tmp_path: Path) -> None:
    song = write_song(tmp_path / "song.wav")
    cover(song, prompt=PROMPT, output_dir=tmp_path / "out")  # no key: the built-in sandbox
    report = spend_report("today")
    assert report.total_usd == 0 and [e.sandbox for e in report.entries] == [True]


# --------------------------------------------------------------------------- item 3


def test_a_job_cap_refuses_batch_rows_before_any_upload(mp3: bytes, tmp_path: Path) -> None:
    songs = _songs(tmp_path / "songs", 3)
    manifest = tmp_path / "songs" / "m.csv"
    manifest.write_text("song,prompt\n" + "".join(f'{s.name},"{PROMPT} {i}"\n'
                                                  for i, s in enumerate(songs)))
    with Hostile(audio=mp3, api_key=KEY) as h:
        env = {**os.environ, "RUNWARE_API_URL": h.url, "RUNWARE_API_KEY": KEY,
               "MINIMAX_COVER_CAP_JOB_USD": "0.1"}
        done = subprocess.run(cli("batch", str(manifest), "-o", str(tmp_path / "out"),
                                  "--json", "--no-progress"), env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 4, done.stderr  # as for --max-cost
        doc = json.loads(done.stdout)
        assert [r["status"] for r in doc["rows"]] == ["not-run"] * 3
        assert all("per-job cap" in r["reason"] for r in doc["rows"])
        assert doc["totals"]["cost"] == 0  # nothing sent, nothing booked
        assert h.requests == [] or all(r[0] == "accountManagement" for r in h.requests)
        single = subprocess.run(cli("cover", str(songs[0]), "--prompt", PROMPT, "-o",
                                    str(tmp_path / "one"), "--no-progress"), env=env,
                                capture_output=True, text=True, timeout=120)
        assert single.returncode == 2 and "per-job cap" in single.stderr  # cover keeps 2
        assert h.paid == [] and not any(r[0] == "mediaStorage" for r in h.requests)


def test_two_batches_at_once_report_only_their_own_cost(mp3: bytes, tmp_path: Path) -> None:
    songs = _songs(tmp_path / "songs", 4)
    manifest = tmp_path / "songs" / "m.jsonl"
    rows = [{**r, "seed": i} for i, r in enumerate(_rows(songs))]  # the same 4 jobs twice
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with Hostile(audio=mp3, api_key=KEY, cost=PRICE, answer="slow_body", drip_s=0.002) as h:
        env = {**os.environ, "RUNWARE_API_URL": h.url, "RUNWARE_API_KEY": KEY}
        procs = [subprocess.Popen(cli("batch", str(manifest), "-o", str(tmp_path / "out"),
                                      "--json", "--no-progress"), env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        docs = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
        assert len(h.paid) == len(set(h.paid)) <= 4 and _saved(h) == h.paid
        total = sum(d["totals"]["cost"] for d in docs)
        assert total == pytest.approx(PRICE * len(h.paid))  # each run: only its own submits


# --------------------------------------------------------------------------- items 4, 5


@pytest.mark.parametrize("lie", ["negative", "NaN", "absurd", "a string"])
def test_dry_run_answers_that_are_not_a_price_fall_back_to_the_table(
        lie: str, mp3: bytes, tmp_path: Path) -> None:
    song = write_song(tmp_path / "song.wav")
    with Hostile(audio=mp3, api_key=KEY, dry_cost=LIES[lie]) as h:
        env = {**os.environ, "RUNWARE_API_URL": h.url, "RUNWARE_API_KEY": KEY}
        done = subprocess.run(cli("cover", str(song), "--prompt", PROMPT, "--dry-run",
                                  "--json"), env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        doc = json.loads(done.stdout, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
        assert doc["estimatedCost"] == pytest.approx(PRICE)
        text = subprocess.run(cli("cover", str(song), "--prompt", PROMPT, "--dry-run"),
                              env=env, capture_output=True, text=True, timeout=120)
        assert "price: $0.15" in text.stdout and "$-" not in text.stdout
        assert h.paid == []


def test_a_big_dry_run_batch_prices_each_distinct_price_once(mp3: bytes, tmp_path: Path
                                                             ) -> None:
    """2,000 rows, every prompt different, 1-4 results: 4 priced requests, not 2,000."""
    folder = tmp_path / "songs"
    _songs(folder, 1)
    rows = [{"song": "s0.wav", "prompt": f"{PROMPT} {i}", "numberResults": 1 + i % 4}
            for i in range(2000)]
    (folder / "m.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    with Hostile(audio=mp3, api_key=KEY, dry_cost=-5) as h:
        report = cover_batch(folder / "m.jsonl", output_dir=tmp_path / "out", dry_run=True,
                             backend="runware", backend_options=_options(h))
        assert h.dry_runs == 4 and h.paid == []
    assert report.count("would-run") == 2000
    assert report.estimate == pytest.approx(sum(PRICE * r["numberResults"] for r in rows))
