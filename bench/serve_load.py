"""``minimax-cover serve`` under load: N jobs posted at once, none lost or paid twice, flat memory.

A real service process (``serve --port 0 --concurrency 16``) against a sandbox in this process
(latency L = 0.2 s, which counts every paid submit by ``taskUUID``). After a warm-up of 20 jobs
the service's resident set is read from ``/proc/<pid>/status`` (``VmRSS``); then N jobs (200;
quick 60) are posted at once from 32 threads (multipart uploads of one 7 s song, a different
seed each, so N distinct jobs), and polled until every one is final; then the same again.

Reported: jobs accepted (202), succeeded, lost (not final or not succeeded), paid twice (a
``taskUUID`` submitted more than once), submits against jobs, wall time, and the RSS ratios
``after round 1 / after warm-up`` and ``after round 2 / after round 1`` (flat: ~1.0; a leak
of the jobs' state would grow with every round).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from _common import PROMPT, isolate_env, run_and_report, script_main, table

TERMINAL = {"succeeded", "failed", "canceled", "unknown", "paid-not-saved"}


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise KeyError("VmRSS")


def _song_bytes() -> bytes:
    import numpy as np
    from minimax_cover.plugin.audio import Audio, encode_audio

    t = np.arange(7 * 16000, dtype=np.float32) / 16000
    return encode_audio(Audio(0.3 * np.sin(2 * np.pi * 220 * t).astype(np.float32), 16000),
                        "WAV")


class Service:
    """``minimax-cover serve`` in its own process."""

    def __init__(self, env: dict[str, str], state: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "minimax_cover.plugin.cli", "serve", "--port", "0",
             "--concurrency", "16", "--state-dir", str(state)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: lines.put(self.proc.stdout.readline()),
                         daemon=True).start()
        self.url = lines.get(timeout=60).strip()
        import requests

        self.session = requests.Session()
        self.session.trust_env = False
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=64)
        self.session.mount("http://", adapter)
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.session.get(self.url + "/openapi.json", timeout=5).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the service did not start")
            time.sleep(0.05)

    def post(self, data: bytes, seed: int) -> str:
        answer = self.session.post(
            self.url + "/v1/covers", timeout=120,
            files={"song": ("song.wav", data, "audio/wav")},
            data={"request": json.dumps({"positivePrompt": PROMPT, "seed": seed})})
        if answer.status_code != 202:
            raise RuntimeError(f"POST: {answer.status_code} {answer.text[:200]}")
        job_id: str = answer.json()["id"]
        return job_id

    def status(self, job_id: str) -> dict[str, Any]:
        doc: dict[str, Any] = self.session.get(f"{self.url}/v1/covers/{job_id}",
                                               timeout=60).json()
        return doc

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


def _round(service: Service, data: bytes, seeds: range, timeout_s: float) -> dict[str, Any]:
    started = time.perf_counter()
    with ThreadPoolExecutor(32) as pool:
        ids = list(pool.map(lambda s: service.post(data, s), seeds))
    posted = time.perf_counter() - started
    pending = set(ids)
    final: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout_s
    while pending and time.monotonic() < deadline:
        for job_id in list(pending):
            doc = service.status(job_id)
            if doc["status"] in TERMINAL:
                final[job_id] = doc
                pending.discard(job_id)
        time.sleep(0.2)
    return {"jobs": len(ids), "distinct_ids": len(set(ids)), "final": final,
            "not_final": len(pending), "post_s": posted,
            "wall_s": time.perf_counter() - started}


def run(quick: bool) -> dict[str, Any]:
    isolate_env()
    from minimax_cover.plugin.sandbox import Sandbox

    n = 60 if quick else 200
    data = _song_bytes()
    tmp = Path(os.environ["MINIMAX_COVER_DATA_DIR"]).parent
    with Sandbox(latency_s=0.2, log=False, banner=False) as sb:
        env = {**os.environ, "RUNWARE_API_URL": sb.url, "RUNWARE_API_KEY": sb.api_key}
        service = Service(env, tmp / "state")
        try:
            warm = _round(service, data, range(10_000, 10_020), 300)
            rss0 = _rss(service.proc.pid)
            rounds = []
            for r in range(2):
                first = 20_000 + r * n
                res = _round(service, data, range(first, first + n), 900)
                res["rss"] = _rss(service.proc.pid)
                rounds.append(res)
        finally:
            service.stop()
        tasks = [doc["taskUUID"] for res in (warm, *rounds) for doc in res["final"].values()]
        twice = sum(1 for t in set(tasks) if sb.submissions(t) > 1)
        submits = sb.submissions()
    out: dict[str, Any] = {"n": n, "rss_warm": rss0, "paid_twice": twice, "submits": submits,
                           "jobs_total": warm["jobs"] + sum(r["jobs"] for r in rounds),
                           "rounds": []}
    for res in rounds:
        statuses = [d["status"] for d in res["final"].values()]
        out["rounds"].append({
            "jobs": res["jobs"], "distinct": res["distinct_ids"],
            "succeeded": statuses.count("succeeded"),
            "lost": res["jobs"] - statuses.count("succeeded"),
            "post_s": round(res["post_s"], 2), "wall_s": round(res["wall_s"], 2),
            "rss": res["rss"]})
    r1, r2 = out["rounds"]
    out["rss_ratio_round1"] = round(r1["rss"] / rss0, 3)
    out["rss_ratio_round2"] = round(r2["rss"] / r1["rss"], 3)
    return out


def report(res: dict[str, Any]) -> str:
    rows = [[f"round {i + 1}", r["jobs"], r["distinct"], r["succeeded"], r["lost"],
             f"{r['post_s']:.1f} s", f"{r['wall_s']:.1f} s", f"{r['rss'] / 2**20:.0f} MiB"]
            for i, r in enumerate(res["rounds"])]
    text = table(["", "posted at once", "distinct jobs", "succeeded", "lost", "all posted",
                  "all final", "service RSS"], rows)
    text += (f"\n\nsubmits {res['submits']} for {res['jobs_total']} jobs (warm-up included); "
             f"paid twice: {res['paid_twice']}\n"
             f"RSS after warm-up {res['rss_warm'] / 2**20:.0f} MiB; ratio round 1 / warm-up "
             f"{res['rss_ratio_round1']}, round 2 / round 1 {res['rss_ratio_round2']}")
    return text


def main(quick: bool) -> dict[str, Any]:
    return run_and_report("serve_load", "serve: N jobs posted at once", run, report, quick)


if __name__ == "__main__":
    script_main(__doc__, main)
