"""Batch covers: ``cover_batch`` against a hand-written ``requests`` thread pool, same wire work.

- **Throughput**: N jobs (500; quick 120) at concurrency 16 through ``cover_batch`` (threads,
  journal on, every row checked first, files named after the songs, receipt written) against a
  raw-``requests`` thread pool doing the same wire work per job: ``mediaStorage`` upload of the
  song, one sync ``audioInference`` submit, GET of the result, file written. One shared
  session in both, pooled for 16 connections. Interleaved, median of the repetitions. Goal:
  ratio <= 1.03.
- **Client CPU and journal time per job** at concurrency 1, 4 and 16 (fewer jobs at 1 and 4):
  process CPU of the client (the sandbox runs elsewhere) per job, for both; the time the
  batch's threads spend inside journal calls per job, and its share of the wall time.
- **Dask**: the same jobs through ``--executor dask`` (a LocalCluster of 2 worker processes x 8
  threads, started per run and counted apart), when ``distributed`` is installed; the overhead
  per job against the thread executor is reported as measured.

The sandbox runs in its own process (``minimax-cover sandbox``, latency L = 0.2 s, WAV
results) and shares the machine's 2 cores with the client: both sides' CPU is in the figures.
"""

from __future__ import annotations

import base64
import shutil
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from _common import (
    PROMPT,
    ExternalSandbox,
    isolate_env,
    run_and_report,
    script_main,
    song,
    table,
)

LATENCY_S = 0.2
#: A second latency for the throughput row: at 0.2 s the two cores (client + sandbox) are the
#: limit; at 1 s the waits are, as with the real model (a cover takes a minute or more).
SLOW_LATENCY_S = 1.0
SONGS = 20
CONCURRENCY = 16


# --------------------------------------------------------------------------- the baseline


class RawPool:
    """The hand-written baseline: ``requests`` in a thread pool, the protocol by hand."""

    def __init__(self, url: str, api_key: str, concurrency: int) -> None:
        import requests
        from requests.adapters import HTTPAdapter

        self.url = url
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_maxsize=max(10, concurrency + 4))
        self.session.mount("http://", adapter)
        self.session.headers["Authorization"] = f"Bearer {api_key}"
        self.concurrency = concurrency

    def _post(self, task: dict[str, Any]) -> dict[str, Any]:
        r = self.session.post(self.url, json=[task], timeout=(5, 60))
        r.raise_for_status()
        body: dict[str, Any] = r.json()
        return body["data"][0]

    def job(self, song_path: Path, seed: int, out: Path) -> None:
        """Upload, submit (sync), download, write: one cover."""
        media = self._post({"taskType": "mediaStorage", "taskUUID": str(uuid.uuid4()),
                            "operation": "upload",
                            "media": base64.b64encode(song_path.read_bytes()).decode()})
        item = self._post({"taskType": "audioInference", "taskUUID": str(uuid.uuid4()),
                           "model": "minimax:music@cover", "positivePrompt": PROMPT,
                           "inputs": {"audio": media["mediaUUID"]}, "seed": seed,
                           "outputType": "URL", "outputFormat": "WAV", "includeCost": True})
        audio = self.session.get(item["audioURL"], timeout=(5, 60))
        audio.raise_for_status()
        (out / f"{song_path.stem}-{seed}.wav").write_bytes(audio.content)

    def run(self, rows: list[tuple[Path, int]], out: Path) -> None:
        """Every row, ``concurrency`` at a time."""
        with ThreadPoolExecutor(self.concurrency) as pool:
            list(pool.map(lambda r: self.job(r[0], r[1], out), rows))

    def close(self) -> None:
        self.session.close()


# --------------------------------------------------------------------------- journal timing


class JournalClock:
    """Time spent inside ``Journal`` calls (every thread), installed around its methods."""

    METHODS = ("claim_job", "record", "mark", "add_results", "add_files", "finish", "release",
               "get", "find_digests")

    def __init__(self) -> None:
        from minimax_cover.plugin.journal.store import Journal

        self.total = 0.0
        self.calls = 0
        self._lock = threading.Lock()
        self._saved = {name: getattr(Journal, name) for name in self.METHODS
                       if hasattr(Journal, name)}
        for name, fn in self._saved.items():
            setattr(Journal, name, self._wrap(fn))

    def _wrap(self, fn: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                dt = time.perf_counter() - t0
                with self._lock:
                    self.total += dt
                    self.calls += 1
        return timed

    def reset(self) -> None:
        with self._lock:
            self.total, self.calls = 0.0, 0


# --------------------------------------------------------------------------- the runs


def _rows(songs: list[Path], n: int, offset: int) -> list[tuple[Path, int]]:
    return [(songs[i % len(songs)], offset + i) for i in range(n)]


def _batch(rows: list[tuple[Path, int]], out: Path, sb: Any, concurrency: int,
           journal_path: Path, executor: str = "threads", **options: Any) -> Any:
    from minimax_cover import cover_batch
    from minimax_cover.plugin.journal.store import Journal

    with Journal(journal_path) as journal:
        report = cover_batch(
            [{"song": str(p), "prompt": PROMPT, "seed": seed, "format": "WAV"}
             for p, seed in rows],
            output_dir=out, concurrency=concurrency, backend="runware",
            backend_options={"api_key": sb.api_key, "base_url": sb.url}, journal=journal,
            executor=executor, **options)
    bad = [r for r in report.rows if r.status != "saved"]
    assert not bad, (bad[0].status, bad[0].error)
    return report


def _timed(fn: Any) -> tuple[float, float]:
    cpu0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, time.process_time() - cpu0


def run(quick: bool) -> dict[str, Any]:
    """Measure and return the result dict."""
    tmp = isolate_env()
    from minimax_cover import Audio, write_audio

    n = 120 if quick else 500
    reps = 2 if quick else 3
    small = {1: 20 if quick else 40, 4: 40 if quick else 100, 16: n}
    songs = []
    for i in range(SONGS):
        path = tmp / f"song{i:02d}.wav"
        samples = song(7.0, 16000, 1)
        write_audio(Audio(samples * (0.5 + i / (2 * SONGS)), 16000), path, "WAV")
        songs.append(path)
    clock = JournalClock()
    seeds = iter(range(0, 10**6, 10_000))
    result: dict[str, Any] = {"latency_s": LATENCY_S, "jobs": n, "concurrency": CONCURRENCY}
    with ExternalSandbox(latency_s=LATENCY_S) as sb:
        raw = RawPool(sb.url, sb.api_key, CONCURRENCY)

        def fresh(name: str) -> Path:
            path = tmp / name
            shutil.rmtree(path, ignore_errors=True)
            path.mkdir()
            return path

        # warm-up: both paths once
        _batch(_rows(songs, 8, next(seeds)), fresh("warm"), sb, 4, tmp / "warm.sqlite3")
        raw.run(_rows(songs, 8, next(seeds)), fresh("warm"))

        # throughput at c=16, interleaved
        walls: dict[str, list[float]] = {"raw": [], "batch": []}
        for rep in range(reps):
            rows = _rows(songs, n, next(seeds))
            walls["raw"].append(_timed(lambda rows=rows: raw.run(rows, fresh("raw")))[0])
            rows = _rows(songs, n, next(seeds))
            walls["batch"].append(_timed(lambda rows=rows, rep=rep: _batch(
                rows, fresh("batch"), sb, CONCURRENCY, tmp / f"j{rep}.sqlite3"))[0])
            print(f"  rep {rep + 1}: raw {walls['raw'][-1]:.2f} s, batch "
                  f"{walls['batch'][-1]:.2f} s", flush=True)
        raw_wall = statistics.median(walls["raw"])
        batch_wall = statistics.median(walls["batch"])
        result["throughput"] = {
            "raw_wall_s": round(raw_wall, 3), "batch_wall_s": round(batch_wall, 3),
            "ratio": round(batch_wall / raw_wall, 3), "walls": walls,
            "jobs_per_s": {"raw": round(n / raw_wall, 1), "batch": round(n / batch_wall, 1)},
        }

        # client CPU and journal time per job at c = 1, 4, 16
        levels = []
        for conc in (1, 4, 16):
            jobs = small[conc]
            raw_pool = RawPool(sb.url, sb.api_key, conc)
            rows = _rows(songs, jobs, next(seeds))
            raw_wall_c, raw_cpu = _timed(lambda rows=rows, p=raw_pool: p.run(rows, fresh("r")))
            raw_pool.close()
            rows = _rows(songs, jobs, next(seeds))
            clock.reset()
            b_wall, b_cpu = _timed(lambda rows=rows, conc=conc: _batch(
                rows, fresh("b"), sb, conc, tmp / f"c{conc}.sqlite3"))
            levels.append({
                "concurrency": conc, "jobs": jobs,
                "raw_wall_s": round(raw_wall_c, 3), "batch_wall_s": round(b_wall, 3),
                "raw_cpu_ms_per_job": round(raw_cpu / jobs * 1000, 2),
                "batch_cpu_ms_per_job": round(b_cpu / jobs * 1000, 2),
                "journal_ms_per_job": round(clock.total / jobs * 1000, 2),
                "journal_calls_per_job": round(clock.calls / jobs, 1),
                "journal_share_of_wall": round(clock.total / conc / b_wall, 4),
            })
            print(f"  c={conc}: cpu/job raw {levels[-1]['raw_cpu_ms_per_job']} ms, batch "
                  f"{levels[-1]['batch_cpu_ms_per_job']} ms; journal "
                  f"{levels[-1]['journal_ms_per_job']} ms/job", flush=True)
        result["levels"] = levels

        # the same jobs on Dask worker processes
        result["dask"] = _dask(songs, n, seeds, sb, fresh, tmp, batch_wall)
        raw.close()
    with ExternalSandbox(latency_s=SLOW_LATENCY_S) as sb:
        raw = RawPool(sb.url, sb.api_key, CONCURRENCY)
        slow: dict[str, list[float]] = {"raw": [], "batch": []}
        for rep in range(reps):
            rows = _rows(songs, n, next(seeds))
            slow["raw"].append(_timed(lambda rows=rows: raw.run(rows, fresh("raw")))[0])
            rows = _rows(songs, n, next(seeds))
            slow["batch"].append(_timed(lambda rows=rows, rep=rep: _batch(
                rows, fresh("batch"), sb, CONCURRENCY, tmp / f"s{rep}.sqlite3"))[0])
            print(f"  L={SLOW_LATENCY_S:g} rep {rep + 1}: raw {slow['raw'][-1]:.2f} s, batch "
                  f"{slow['batch'][-1]:.2f} s", flush=True)
        raw.close()
        r_w, b_w = statistics.median(slow["raw"]), statistics.median(slow["batch"])
        result["throughput_slow"] = {"latency_s": SLOW_LATENCY_S, "raw_wall_s": round(r_w, 3),
                                     "batch_wall_s": round(b_w, 3),
                                     "ratio": round(b_w / r_w, 3), "walls": slow}
    result["target"] = "batch / raw <= 1.03 at concurrency 16"
    result["target_met"] = {f"L={LATENCY_S:g}": result["throughput"]["ratio"] <= 1.03,
                            f"L={SLOW_LATENCY_S:g}":
                                result["throughput_slow"]["ratio"] <= 1.03}
    return result


def _dask(songs: list[Path], n: int, seeds: Any, sb: Any, fresh: Any, tmp: Path,
          threads_wall: float) -> dict[str, Any]:
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        return {"skipped": "distributed not installed (pip install 'minimax-cover[dask]')"}
    import os

    os.environ["RUNWARE_API_URL"], os.environ["RUNWARE_API_KEY"] = sb.url, sb.api_key
    t0 = time.perf_counter()
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = LocalCluster(n_workers=2, threads_per_worker=CONCURRENCY // 2,
                               processes=True, host="127.0.0.1", dashboard_address=None)
    client = Client(cluster)
    startup = time.perf_counter() - t0
    try:
        opts = {"executor_options": {"address": cluster.scheduler_address}}
        _batch(_rows(songs, 8, next(seeds)), fresh("dw"), sb, CONCURRENCY,
               tmp / "dw.sqlite3", executor="dask", **opts)  # workers import the package
        rows = _rows(songs, n, next(seeds))
        wall, cpu = _timed(lambda: _batch(rows, fresh("d"), sb, CONCURRENCY,
                                          tmp / "dask.sqlite3", executor="dask", **opts))
    finally:
        client.close()
        cluster.close()
    return {
        "workers": 2, "threads_per_worker": CONCURRENCY // 2,
        "cluster_start_s": round(startup, 2), "wall_s": round(wall, 3),
        "driver_cpu_ms_per_job": round(cpu / n * 1000, 2),
        "ratio_vs_threads": round(wall / threads_wall, 3),
        "overhead_ms_per_job": round((wall - threads_wall) / n * 1000, 2),
    }


def report(res: dict[str, Any]) -> str:
    """The markdown tables of a result."""
    t, s = res["throughput"], res["throughput_slow"]

    def mark(ratio: float) -> str:
        return "✓" if ratio <= 1.03 else "✗"

    out = [table([f"{res['jobs']} jobs, c = {res['concurrency']}", "latency", "raw pool",
                  "cover_batch", "ratio (≤ 1.03)"], [
        ["raw requests pool vs cover_batch (threads, journal)", f"{res['latency_s']:g} s",
         f"{t['raw_wall_s']:.2f} s", f"{t['batch_wall_s']:.2f} s",
         f"{t['ratio']:.3f} {mark(t['ratio'])}"],
        ["same", f"{s['latency_s']:g} s", f"{s['raw_wall_s']:.2f} s",
         f"{s['batch_wall_s']:.2f} s", f"{s['ratio']:.3f} {mark(s['ratio'])}"],
    ])]
    out.append("")
    out.append(table(["concurrency (jobs)", "CPU/job raw", "CPU/job batch", "journal/job",
                      "journal calls/job", "journal share of wall"], [
        [f"{lv['concurrency']} ({lv['jobs']})", f"{lv['raw_cpu_ms_per_job']:.1f} ms",
         f"{lv['batch_cpu_ms_per_job']:.1f} ms", f"{lv['journal_ms_per_job']:.2f} ms",
         lv["journal_calls_per_job"], f"{lv['journal_share_of_wall'] * 100:.1f} %"]
        for lv in res["levels"]]))
    d = res["dask"]
    out.append("")
    if "skipped" in d:
        out.append(f"Dask: skipped ({d['skipped']})")
    else:
        out.append(table(["same jobs on Dask", "wall", "vs threads", "overhead/job",
                          "driver CPU/job", "cluster start"], [[
            f"{d['workers']} workers x {d['threads_per_worker']} threads",
            f"{d['wall_s']:.2f} s", f"{d['ratio_vs_threads']:.2f}",
            f"{d['overhead_ms_per_job']:+.1f} ms", f"{d['driver_cpu_ms_per_job']:.1f} ms",
            f"{d['cluster_start_s']:.1f} s"]]))
    return "\n".join(out)


def main(quick: bool = False) -> dict[str, Any]:
    """Run, print, save."""
    return run_and_report("batch", "Batch covers", run, report, quick)


if __name__ == "__main__":
    script_main(__doc__, main)
