"""Tests for plugin/journal.py: lifecycle, digest, resume lookup, concurrency, migrations,
redaction and leases."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.journal.store import (
    MIGRATIONS,
    JobRecord,
    Journal,
    JournalError,
    default_journal_path,
    request_digest,
)
from minimax_cover.plugin.redaction import register_secret

FAKE_KEY = "rw-SECRET-KEY-1234567890"


def make_request(
    task_uuid: str = "11111111-1111-4111-8111-111111111111", **extra: Any
) -> dict[str, Any]:
    request = {
        "taskType": "audioInference",
        "taskUUID": task_uuid,
        "model": "minimax:music@cover",
        "positivePrompt": "lofi jazz cover, warm piano",
        "inputs": {"audio": "9f1c0d6e-media-uuid"},
        "numberResults": 2,
        "outputFormat": "MP3",
        "deliveryMethod": "async",
    }
    request.update(extra)
    return request


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    with Journal(tmp_path / "j.sqlite3") as j:
        yield j


def test_default_path_follows_data_dir_env(isolated_env: Path) -> None:
    with Journal() as j:
        assert j.path == isolated_env / "data" / "journal.sqlite3" == default_journal_path()
        assert j.path.exists()
        mode = j._conn().execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"


def test_lifecycle_record_to_saved(journal: Journal) -> None:
    uuid = "aaaaaaaa-0000-4000-8000-000000000001"
    request = make_request(uuid)
    rec = journal.record(
        uuid, request, backend="sandbox", endpoint="http://user:pw@127.0.0.1:8123/v1?token=x#frag"
    )
    assert isinstance(rec, JobRecord)
    assert rec.status == "pending" and rec.attempts == 0
    assert rec.request == request and rec.request_digest == request_digest(request)
    assert rec.endpoint == "http://127.0.0.1:8123/v1"
    assert rec.number_results == 2 and rec.results == [] and rec.files == []
    assert rec.created_at.endswith("+00:00")

    journal.mark(uuid, "submitted")
    journal.mark(uuid, "running")
    journal.add_results(
        uuid, [{"audioUUID": "r1", "audioURL": "http://127.0.0.1/r1.mp3", "seed": 7, "cost": 0.05}]
    )
    partial = journal.get(uuid)
    assert partial is not None and partial.status == "running"
    assert partial.results[0]["audioUUID"] == "r1" and partial.cost == pytest.approx(0.05)
    journal.add_results(
        uuid, [{"audioUUID": "r2", "audioBase64Data": "UklGR" * 50, "seed": 8, "cost": 0.05}]
    )
    journal.mark(uuid, "succeeded")
    journal.add_files(uuid, ["/out/cover_1.mp3", Path("/out/cover_2.mp3")])
    journal.add_results(uuid, [], cost=0.12)
    journal.mark(uuid, "saved")

    done = journal.get(uuid)
    assert done is not None
    assert done.status == "saved" and done.final and not done.resumable
    assert done.attempts == 1
    assert [r["audioUUID"] for r in done.results] == ["r1", "r2"]
    assert done.results[1] == {"audioUUID": "r2", "seed": 8, "cost": 0.05, "inline": True}
    assert done.files == ["/out/cover_1.mp3", "/out/cover_2.mp3"]
    assert done.cost == pytest.approx(0.12)
    assert done.updated_at >= done.created_at
    assert json.loads(json.dumps(done.to_dict()))["task_uuid"] == uuid
    assert journal.unfinished() == []
    assert journal.find_resumable(done.request_digest) is None


def test_saved_is_final_and_failed_keeps_error(
    journal: Journal, caplog: pytest.LogCaptureFixture
) -> None:
    journal.record("t-saved", make_request("t-saved"), backend="sandbox", endpoint="x")
    journal.mark("t-saved", "saved")
    with caplog.at_level(logging.WARNING, logger="minimax_cover.journal"):
        journal.mark("t-saved", "running")
    assert journal.get("t-saved").status == "saved"  # type: ignore[union-attr]
    assert "saved" in caplog.text

    journal.record("t-fail", make_request("t-fail"), backend="sandbox", endpoint="x")
    journal.mark("t-fail", "failed", error="generation failed: boom")
    rec = journal.get("t-fail")
    assert rec is not None and rec.status == "failed" and rec.error == "generation failed: boom"

    with pytest.raises(JournalError, match="status: must be one of"):
        journal.mark("t-fail", "done")
    with pytest.raises(JournalError, match="not in the journal"):
        journal.mark("no-such-task", "running")
    with pytest.raises(JournalError, match="different request"):
        journal.record("t-fail", make_request("t-fail", seed=3), backend="sandbox", endpoint="x")
    again = journal.record("t-fail", make_request("t-fail"), backend="sandbox", endpoint="x")
    assert again.status == "failed"  # recording twice is idempotent


def test_digest_ignores_task_uuid_and_key_order() -> None:
    a = make_request("uuid-a")
    b = dict(reversed(list(make_request("uuid-b").items())))
    b["inputs"] = {"audio": "9f1c0d6e-media-uuid"}
    assert request_digest(a) == request_digest(b)
    assert len(request_digest(a)) == 64
    assert request_digest(a) != request_digest(make_request("uuid-a", seed=1))


def test_find_resumable_picks_latest_unsaved(journal: Journal) -> None:
    digest = request_digest(make_request())
    assert journal.find_resumable(digest) is None
    journal.record("old", make_request("old"), backend="runware", endpoint="x")
    journal.mark("old", "saved")
    assert journal.find_resumable(digest) is None
    journal.record("mid", make_request("mid"), backend="runware", endpoint="x")
    journal.mark("mid", "unknown", error="outcome unknown")
    time.sleep(0.002)
    journal.record("new", make_request("new"), backend="runware", endpoint="x")
    journal.mark("new", "submitted")
    found = journal.find_resumable(digest)
    assert found is not None and found.task_uuid == "new"
    journal.mark("new", "failed")
    found = journal.find_resumable(digest)
    assert found is not None and found.task_uuid == "mid" and found.error == "outcome unknown"
    # an explicit digest (e.g. one covering the audio fingerprint) is used as given
    journal.record(
        "custom", make_request("custom"), backend="runware", endpoint="x", digest="d" * 64
    )
    assert journal.find_resumable("d" * 64).task_uuid == "custom"  # type: ignore[union-attr]

    assert {r.task_uuid for r in journal.unfinished()} == {"mid"}
    assert [r.task_uuid for r in journal.list_jobs(status="failed")] == ["new"]
    assert len(journal.list_jobs(limit=2)) == 2
    assert len(journal.list_jobs(limit=None)) == 4


def test_add_results_is_idempotent(journal: Journal) -> None:
    journal.record("t", make_request("t"), backend="sandbox", endpoint="x")
    item = {"audioUUID": "r1", "audioURL": "http://127.0.0.1/a.mp3", "seed": 1, "cost": 0.1}
    for _ in range(3):
        journal.add_results("t", [item])
    journal.add_results("t", [{"audioUUID": "r1", "seed": None, "extra": 1}])
    journal.add_results("t", [{"note": "no uuid"}, {"note": "no uuid"}])
    journal.add_files("t", ["/a.mp3"])
    journal.add_files("t", ["/a.mp3"])
    rec = journal.get("t")
    assert rec is not None
    assert rec.results == [{**item, "extra": 1}, {"note": "no uuid"}]
    assert rec.cost == pytest.approx(0.1)
    assert rec.files == ["/a.mp3"]


def test_threads_share_one_journal(journal: Journal) -> None:
    threads_n, updates = 8, 50
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            uuid = f"thread-{n}"
            journal.record(uuid, make_request(uuid), backend="sandbox", endpoint="x")
            for i in range(updates):
                journal.add_results(uuid, [{"audioUUID": f"{n}-{i}", "cost": 0.01}])
                journal.add_results("shared", [{"audioUUID": f"{n}-{i}"}])
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    journal.record("shared", make_request("shared"), backend="sandbox", endpoint="x")
    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads_n)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert errors == []
    shared = journal.get("shared")
    assert shared is not None and len(shared.results) == threads_n * updates  # no lost update
    for n in range(threads_n):
        rec = journal.get(f"thread-{n}")
        assert rec is not None and len(rec.results) == updates
        assert rec.cost == pytest.approx(0.01 * updates)


_CHILD = """
import sys
from minimax_cover.plugin.journal.store import Journal
path, n, updates = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with Journal(path) as j:
    j.record("shared", {"taskUUID": "shared"}, backend="sandbox", endpoint="x")  # idempotent
    for i in range(updates):
        uuid = f"proc-{n}-{i}"
        j.record(uuid, {"taskUUID": uuid, "n": n, "i": i}, backend="sandbox", endpoint="x")
        j.mark(uuid, "submitted")
        j.add_results("shared", [{"audioUUID": uuid}])
print("ok")
"""


def test_processes_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"  # created concurrently by the children themselves
    procs_n, updates = 4, 25
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(path), str(n), str(updates)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(procs_n)
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    for p, (_out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
        assert "locked" not in err
    with Journal(path) as j:
        jobs = j.list_jobs(limit=None, status="submitted")
        assert len(jobs) == procs_n * updates
        shared = j.get("shared")
        assert shared is not None and len(shared.results) == procs_n * updates
        names = [r[0] for r in j._conn().execute("SELECT name FROM _migrations")]
    assert names == [fn.__name__ for fn in MIGRATIONS]


def test_secret_never_reaches_the_file(tmp_path: Path) -> None:
    register_secret(FAKE_KEY)
    path = tmp_path / "secret.sqlite3"
    uuid = "bbbbbbbb-0000-4000-8000-000000000002"
    request = make_request(
        uuid, webhookURL=f"https://127.0.0.1/hook?token={FAKE_KEY}", apiKey=FAKE_KEY
    )
    with Journal(path) as j:
        j.record(
            uuid,
            request,
            backend="runware",
            endpoint=f"https://{FAKE_KEY}@127.0.0.1/v1?key={FAKE_KEY}",
        )
        j.mark(uuid, "submitted", error=f"401 for Authorization: Bearer {FAKE_KEY}")
        j.add_results(uuid, [{"audioUUID": "r1", "audioURL": f"http://127.0.0.1/a?k={FAKE_KEY}"}])
        j.add_files(uuid, [f"/tmp/{FAKE_KEY}.mp3"])
        j.mark(uuid, "unknown", error=f"lost {FAKE_KEY}")
        j.claim(uuid, f"owner-{FAKE_KEY}", 5)
        rec = j.get(uuid)
        assert rec is not None
        assert FAKE_KEY not in json.dumps(rec.to_dict())
        assert "[REDACTED]" in rec.request["webhookURL"]
        raw_live = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    for blob in (raw_live, raw):
        assert FAKE_KEY.encode() not in blob
    assert b"[REDACTED]" in raw


def test_leases_are_exclusive(journal: Journal) -> None:
    journal.record("lease", make_request("lease"), backend="sandbox", endpoint="x")
    assert journal.claim("lease", "a", 60)
    assert not journal.claim("lease", "b", 60)
    assert journal.claim("lease", "a", 60)  # renew
    assert not journal.release("lease", "b")
    assert journal.release("lease", "a")
    assert journal.claim("lease", "b", 0.05)
    assert not journal.claim("lease", "a", 60)
    time.sleep(0.08)
    assert journal.claim("lease", "a", 60)  # the expired lease is taken over
    assert not journal.claim("missing", "a", 60)
    with pytest.raises(JournalError, match="ttl_s"):
        journal.claim("lease", "a", 0)

    journal.record("race", make_request("race"), backend="sandbox", endpoint="x")
    winners: list[str] = []
    barrier = threading.Barrier(8)

    def grab(n: int) -> None:
        barrier.wait()
        if journal.claim("race", f"owner-{n}", 60):
            winners.append(f"owner-{n}")

    threads = [threading.Thread(target=grab, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    rec = journal.get("race")
    assert rec is not None and rec.lease_owner == winners[0]


def test_closed_journal_and_bad_file(tmp_path: Path) -> None:
    j = Journal(tmp_path / "c.sqlite3")
    j.close()
    with pytest.raises(JournalError, match="closed"):
        j.get("x")
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"this is not a database, just some bytes" * 100)
    with pytest.raises(JournalError, match="bad.sqlite3"):
        Journal(bad)
