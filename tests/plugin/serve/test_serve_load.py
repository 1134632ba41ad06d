"""Many jobs posted at once to ``serve``: none lost, none paid twice (bench/serve_load.py
measures 200 and the service's memory)."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from serve_support import PROMPT

JOBS = 40


@pytest.mark.slow
def test_jobs_posted_at_once_all_finish_once(serve: Any, sandbox: Any, song: Path) -> None:
    sandbox.latency_s = 0.05
    served = serve("--concurrency", "8")
    data = song.read_bytes()

    def post(seed: int) -> str:
        answer = served.session.post(
            served.url + "/v1/covers", timeout=120,
            files={"song": ("song.wav", data, "audio/wav")},
            data={"request": json.dumps({"positivePrompt": PROMPT, "seed": seed})})
        assert answer.status_code == 202, answer.text
        return str(answer.json()["id"])

    with ThreadPoolExecutor(16) as pool:
        ids = list(pool.map(post, range(JOBS)))
    assert len(set(ids)) == JOBS
    deadline = time.monotonic() + 300
    docs: dict[str, dict[str, Any]] = {}
    while len(docs) < JOBS:
        assert time.monotonic() < deadline, f"{JOBS - len(docs)} job(s) never finished"
        for job_id in set(ids) - set(docs):
            doc = served.get(f"/v1/covers/{job_id}").json()
            if doc["status"] not in ("queued", "running"):
                docs[job_id] = doc
        time.sleep(0.1)
    assert {d["status"] for d in docs.values()} == {"succeeded"}
    tasks = {d["taskUUID"] for d in docs.values()}
    assert len(tasks) == JOBS
    assert sandbox.submissions() == JOBS
    assert all(sandbox.submissions(t) == 1 for t in tasks)
