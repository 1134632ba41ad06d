"""Collecting async results: latency from ready to received and POSTs per job, vs held-open sync.

Against the sandbox in this process (its ``latency_s`` makes each generation take that long,
at the cost of a sleeping thread); the async side goes through the process's collector
(:mod:`minimax_cover.plugin.runware.collector`), the baseline is ``deliveryMethod: sync``, the
request held open until the result is ready: the floor for waiting. Both run side by side, at
the same time, in one process.

Two parts:

- **the issue's figures, in real time**: one 30-s (and 10-s) ``cover()`` with the CLI's default
  (async) next to the same ``cover()`` sync; 8 rows at concurrency 8 through ``cover_batch``
  (async, as ``minimax-cover batch`` sends) next to eight sync ``cover()`` calls side by side;
  wall-time ratios and the POSTs carrying ``getResponse``. The song is small (8 s mono 16 kHz)
  so the client's CPU, measured elsewhere, stays out of the wait;
- **the grid**: jobs of 5-120 s at concurrency 1-64 through ``RunwareClient.run`` (c threads,
  one job each), with time **scaled** by ``TIME_FACTOR`` (0.25: a 120-s job takes 30 s; the
  collector's pace is scaled by the same factor, so the schedule is the real one in miniature).
  The c async and c sync jobs run at the same time. Latency = when the client received the
  result - when the sandbox had it ready,
  divided by the factor (back to real seconds; fixed costs such as a round trip are inflated by
  that division, so the figures err high); median and p95 over the jobs; POSTs per job.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from _common import PROMPT, isolate_env, median, run_and_report, script_main, song, table

TIME_FACTOR = 0.25
LENGTHS_S = (5, 15, 30, 60, 120)
CONCURRENCY = (1, 8, 64)
SONG_S = 8.0


def _polls(sb: Any, since: int = 0) -> int:
    return sum(1 for r in sb.requests_log[since:] if "getResponse" in r["task_types"])


def _side_by_side(subject: Any, baseline: Any) -> tuple[float, float]:
    """Run both at the same time; their wall times."""
    times: dict[str, float] = {}

    def timed(name: str, fn: Any) -> None:
        t0 = time.perf_counter()
        fn()
        times[name] = time.perf_counter() - t0

    threads = [threading.Thread(target=timed, args=("s", subject)),
               threading.Thread(target=timed, args=("b", baseline))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times["s"], times["b"]


def figures(tmp: Path, latency_s: float, reps: int) -> dict[str, Any]:
    """One cover and 8 rows at concurrency 8, async (collector) vs sync, side by side."""
    from minimax_cover import Audio, Sandbox, cover, make_registry, write_audio
    from minimax_cover.plugin.batch.api import cover_batch

    path = tmp / "song.wav"  # small and mono: the client's CPU is not what is measured here
    write_audio(Audio(song(SONG_S, 16000, 1), 16000), path, "WAV")
    registry = make_registry()
    out: dict[str, Any] = {"latency_s": latency_s, "single": [], "batch": []}
    with Sandbox(latency_s=latency_s, log=False, banner=False) as sb:
        options = {"api_key": sb.api_key, "base_url": sb.url}

        def one(delivery: str, stem: str) -> Any:
            return cover(path, prompt=PROMPT, registry=registry, backend="runware",
                         backend_options=options, output_dir=tmp / "out", output_stem=stem,
                         deliveryMethod=delivery, seed=int(uuid.uuid4().int % 1000))

        for i in range(reps):
            before = len(sb.requests_log)
            a, s = _side_by_side(lambda i=i: one("async", f"a{i}"),
                                 lambda i=i: one("sync", f"s{i}"))
            out["single"].append({"async_s": a, "sync_s": s, "polls": _polls(sb, before)})

            rows = [{"song": str(path), "prompt": PROMPT, "seed": 1000 + 10 * i + k,
                     "deliveryMethod": "async"}  # what `minimax-cover batch` sends
                    for k in range(8)]

            def batch(i: int = i, rows: list[dict[str, Any]] = rows) -> None:
                report = cover_batch(rows, output_dir=tmp / f"batch{i}", concurrency=8,
                                     backend="runware", backend_options=options,
                                     registry=registry)
                assert report.exit_code == 0, report.rows

            def eight_sync(i: int = i) -> None:
                threads = [threading.Thread(target=one, args=("sync", f"e{i}-{k}"))
                           for k in range(8)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()

            before = len(sb.requests_log)
            a, s = _side_by_side(batch, eight_sync)
            out["batch"].append({"async_s": a, "sync_s": s, "polls": _polls(sb, before)})
    for part in ("single", "batch"):
        runs = out[part]
        out[f"{part}_ratio"] = round(median(r["async_s"] / r["sync_s"] for r in runs), 4)
        out[f"{part}_polls"] = max(r["polls"] for r in runs)
    return out


def grid(lengths: tuple[int, ...], concurrency: tuple[int, ...], factor: float
         ) -> list[dict[str, Any]]:
    """Collect latency and POSTs per job for each length and concurrency, async and sync."""
    from minimax_cover import Audio, Sandbox
    from minimax_cover.plugin.audio import encode_audio
    from minimax_cover.plugin.runware.client import RunwareClient
    from minimax_cover.plugin.runware.pacing import PaceSettings

    rows: list[dict[str, Any]] = []
    data = encode_audio(Audio(song(SONG_S, 16000, 1), 16000), "WAV")
    with Sandbox(log=False, banner=False) as sb:
        client = RunwareClient(api_key=sb.api_key, base_url=sb.url,
                               pace=PaceSettings().scaled(factor), timeout=(5.0, 120.0),
                               sync_read_timeout_s=600.0)
        audio = client.upload_media(data).media_uuid
        for length in lengths:
            sb.latency_s = length * factor
            for c in concurrency:
                row: dict[str, Any] = {"length_s": length, "concurrency": c}
                before = len(sb.requests_log)
                lat: dict[str, list[float]] = {}

                def side(delivery: str, c: int = c, lat: dict[str, list[float]] = lat) -> None:
                    lat[delivery] = _jobs(sb, client, audio, c, delivery)

                _side_by_side(lambda: side("async"), lambda: side("sync"))  # at the same time
                for delivery in ("async", "sync"):
                    row[delivery] = {
                        "median_s": round(median(lat[delivery]) / factor, 3),
                        "p95_s": round(_p95(lat[delivery]) / factor, 3),
                        "posts_per_job": round(_polls(sb, before) / c, 2) if (
                            delivery == "async") else 0.0,
                    }
                rows.append(row)
        client.close()
    return rows


def _jobs(sb: Any, client: Any, audio: str, c: int, delivery: str) -> list[float]:
    """``c`` jobs at once; per job: received - ready (seconds, unscaled)."""
    received: dict[str, float] = {}

    def one() -> None:
        task = {"taskType": "audioInference", "taskUUID": str(uuid.uuid4()),
                "model": "minimax:music@cover", "positivePrompt": PROMPT,
                "inputs": {"audio": audio}, "deliveryMethod": delivery, "numberResults": 1,
                "outputFormat": "MP3"}

        def got(result: Any) -> None:
            received[task["taskUUID"]] = time.monotonic()

        client.run(task, on_result=got)

    threads = [threading.Thread(target=one) for _ in range(c)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store = sb._store  # the sandbox's own record of when each generation was ready
    ready = {u: store.task(u).generations[0].finished_at for u in received}
    return [max(0.0, at - (ready[u] or at)) for u, at in received.items()]


def _p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def run(quick: bool) -> dict[str, Any]:
    """Measure and return the result dict."""
    tmp = isolate_env()
    reps = 1 if quick else 3
    out: dict[str, Any] = {"time_factor": TIME_FACTOR, "repetitions": reps,
                           "figures": [figures(tmp, 30.0, reps), figures(tmp, 10.0, reps)]}
    lengths = (5, 30, 120) if quick else LENGTHS_S
    out["grid"] = grid(lengths, CONCURRENCY, TIME_FACTOR)
    f30, f10 = out["figures"]
    out["target"] = ("30 s: ≤ 1.03× sync, ≤ 45 getResponse POSTs; 8 rows at c = 8: ≤ 1.05×, "
                     "≤ 70 POSTs; 10 s: ≤ 1.05×")
    out["target_met"] = (f30["single_ratio"] <= 1.03 and f30["single_polls"] <= 45
                         and f30["batch_ratio"] <= 1.05 and f30["batch_polls"] <= 70
                         and f10["single_ratio"] <= 1.05 and f10["batch_ratio"] <= 1.05)
    return out


def report(res: dict[str, Any]) -> str:
    """The markdown tables of a result."""
    rows = []
    for f in res["figures"]:
        lat = f"{f['latency_s']:g} s"
        single_target, batch_target = (1.03, 1.05) if f["latency_s"] >= 30 else (1.05, 1.05)
        for part, what, target, posts in (
                ("single", f"one {lat} cover", single_target, 45),
                ("batch", f"8 rows of {lat} at c = 8", batch_target, 70)):
            runs = f[part]
            a = median(r["async_s"] for r in runs)
            s = median(r["sync_s"] for r in runs)
            ok = f[f"{part}_ratio"] <= target and (f["latency_s"] < 30 or
                                                   f[f"{part}_polls"] <= posts)
            rows.append([what, f"{s:.2f} s", f"{a:.2f} s",
                         f"{f[f'{part}_ratio']:.3f}" + (" ✓" if ok else f" ✗ (≤ {target})"),
                         str(f[f"{part}_polls"])])
    first = table([f"side by side (median of {res['repetitions']})", "sync (held open)",
                   "async (collector)", "ratio", "getResponse POSTs"], rows)
    grid_rows = []
    for g in res["grid"]:
        a, s = g["async"], g["sync"]
        grid_rows.append([f"{g['length_s']} s", str(g["concurrency"]),
                          f"{a['median_s']:.2f} s", f"{a['p95_s']:.2f} s",
                          f"{a['posts_per_job']:.2f}", f"{s['median_s']:.2f} s",
                          f"{s['p95_s']:.2f} s"])
    second = table(["job length", "concurrency", "async: ready→received median", "p95",
                    "getResponse POSTs / job", "sync floor: median", "p95"], grid_rows)
    return (first + f"\n\nTime scaled by {res['time_factor']:g} in the grid (latencies shown "
            "in real seconds):\n\n" + second)


def main(quick: bool = False) -> dict[str, Any]:
    """Run, print, save."""
    return run_and_report("collect", "Collecting async results", run, report, quick)


if __name__ == "__main__":
    script_main(__doc__, main)
