"""Memory: peak RSS of a 4-result job on a 6-minute song vs the size of the decoded audio.

A 6-minute mono 44.1 kHz WAV (31.8 MB, under the 50 MB reference limit) goes through
``cover(numberResults=4, outputFormat="FLAC", decode=True)`` in a fresh subprocess against a
sandbox running in this (parent) process, so the server's memory is not counted. Reported:
the peak RSS (``VmHWM``) of the job process, its growth over the RSS after imports, the
tracemalloc peak (separate run, tracing slows and inflates), and a baseline process that
only imports numpy + soundfile and decodes the same input and the same 4 result files.
Subject and baseline runs are interleaved; medians of the repetitions.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from _common import PROMPT, isolate_env, median, run_and_report, script_main, song, table

SECONDS = 360.0
SR = 44100
RESULTS = 4

CHILD = r'''
import json, resource, sys, time
mode, wav, url, key, out = sys.argv[1:6]
def rss_mb():
    # current RSS from /proc (Linux); ru_maxrss is the peak, in kB on Linux
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")
if mode == "baseline":
    import numpy as np, soundfile as sf
    from pathlib import Path
    base = rss_mb()
    files = [wav] + sorted(str(p) for p in Path(out).glob("*.flac"))[:4]
    arrays = [sf.read(f, dtype="float32", always_2d=True)[0] for f in files]
    decoded = sum(a.nbytes for a in arrays)
    traced = None
else:
    import tracemalloc
    from minimax_cover import cover, make_registry
    import numpy, soundfile, requests  # what the job imports anyway, before the base line
    from minimax_cover.plugin.jobs import pipeline  # noqa
    from minimax_cover.plugin.journal import store as journal  # noqa
    from minimax_cover.plugin.runware import client  # noqa
    from minimax_cover.plugin.transport import download  # noqa
    from minimax_cover.plugin.jobs import staging  # noqa
    from minimax_cover.plugin.audio import io  # noqa
    reg = make_registry()
    base = rss_mb()
    if mode == "trace":
        tracemalloc.start()
    res = cover(wav, prompt=sys.argv[6], number_results=4, output_format="FLAC", decode=True,
                registry=reg, backend="runware", backend_options={"api_key": key, "base_url": url},
                output_dir=out, output_stem="mem")
    decoded = sum(o.audio.samples.nbytes for o in res.outputs)
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if mode == "trace" else None
def hwm_mb():
    # VmHWM: the peak RSS of this process image. Not ru_maxrss: Linux keeps the maximum of
    # the forked parent's image across exec, so a child of a big parent reports its size.
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
peak = hwm_mb()
print(json.dumps({"base_mb": base, "peak_mb": peak, "decoded_mb": decoded / 2**20,
                  "tracemalloc_peak_mb": traced}))
'''


def child(mode: str, wav: Path, url: str, key: str, out: Path) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-c", CHILD, mode, str(wav), url, key, str(out),
                           PROMPT], capture_output=True, text=True, cwd="/")
    if proc.returncode:
        raise RuntimeError(proc.stderr[-2000:])
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def run(quick: bool) -> dict[str, Any]:
    """Measure and return the result dict."""
    tmp = isolate_env()
    from minimax_cover import Audio, Sandbox, write_audio

    reps = 2 if quick else 5
    wav = tmp / "song6min.wav"
    write_audio(Audio(song(SECONDS, SR, 1), SR), wav, "WAV")
    wav_mb = wav.stat().st_size / 2**20
    jobs: list[dict[str, Any]] = []
    bases: list[dict[str, Any]] = []
    with Sandbox(log=False) as sb:
        out = tmp / "out"
        jobs.append(child("job", wav, sb.url, sb.api_key, out))  # also makes the result files
        for i in range(reps):
            pair = [("baseline", bases), ("job", jobs)]
            for mode, sink in (pair if i % 2 == 0 else pair[::-1]):
                sink.append(child(mode, wav, sb.url, sb.api_key, out))
        traced = child("trace", wav, sb.url, sb.api_key, out)
    decoded_results = median(j["decoded_mb"] for j in jobs)
    reference = decoded_results + wav_mb
    peak = median(j["peak_mb"] for j in jobs)
    growth = median(j["peak_mb"] - j["base_mb"] for j in jobs)
    b_peak = median(b["peak_mb"] for b in bases)
    b_growth = median(b["peak_mb"] - b["base_mb"] for b in bases)
    return {
        "song": f"{SECONDS:g} s mono {SR} Hz WAV ({wav_mb:.1f} MiB)",
        "results": RESULTS,
        "repetitions": reps,
        "decoded_results_mib": round(decoded_results, 1),
        "reference_mib": round(reference, 1),
        "job": {"peak_rss_mib": round(peak, 1), "growth_mib": round(growth, 1),
                "tracemalloc_peak_mib": round(traced["tracemalloc_peak_mb"], 1), "runs": jobs},
        "baseline": {"peak_rss_mib": round(b_peak, 1), "growth_mib": round(b_growth, 1),
                     "decoded_mib": round(median(b["decoded_mb"] for b in bases), 1),
                     "runs": bases},
        "growth_over_reference": round(growth / reference, 2),
        "growth_over_baseline_growth": round(growth / b_growth, 2),
        "target": "job memory growth < 2x the decoded audio (4 results + input)",
        "target_met": growth < 2 * reference,
    }


def report(res: dict[str, Any]) -> str:
    """The markdown table of a result."""
    j, b = res["job"], res["baseline"]
    ref = res["reference_mib"]
    return table(
        [f"{res['song']}, {res['results']} results", "peak RSS", "growth during the work",
         "growth / decoded audio", "tracemalloc peak"],
        [["numpy + soundfile decode only (baseline)", f"{b['peak_rss_mib']:.0f} MiB",
          f"{b['growth_mib']:.0f} MiB", f"{b['growth_mib'] / ref:.2f}", "-"],
         ["cover() job, decode=True", f"{j['peak_rss_mib']:.0f} MiB",
          f"{j['growth_mib']:.0f} MiB",
          f"{res['growth_over_reference']:.2f}" + (" ✓" if res["target_met"] else " ✗"),
          f"{j['tracemalloc_peak_mib']:.0f} MiB"]]
    ) + (f"\n\nDecoded audio: {res['decoded_results_mib']:.0f} MiB of results + input file = "
         f"{ref:.0f} MiB; job/baseline growth ratio {res['growth_over_baseline_growth']:.2f}.")


def main(quick: bool = False) -> dict[str, Any]:
    """Run, print, save."""
    return run_and_report("memory", "Memory", run, report, quick)


if __name__ == "__main__":
    script_main(__doc__, main)
