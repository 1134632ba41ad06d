"""Start-up cost: one ``minimax-cover cover`` process vs a hand-written ``requests`` script.

Both are fresh processes doing the same wire work against the same sandbox, which runs in its
own process (:class:`~_common.ExternalSandbox`, generation latency ``LATENCY_S``) on 127.0.0.1:
read the song, ``mediaStorage`` upload (base64), ``audioInference`` submit, wait, GET the result
URL, write the file. Two deliveries, each measured side by side:

- ``async`` (the CLI's default): submit, then ``getResponse`` polls on the client's schedule
  (first poll after ``POLL_INITIAL_INTERVAL_S``, growing by ``POLL_BACKOFF_FACTOR``); the script
  polls on the same schedule;
- ``sync`` (``--delivery-method sync``): the submit waits for the result.

The subject is the installed console script (``minimax-cover cover SONG --prompt ... -o OUT``,
journal on, progress off); the baseline is :data:`BASELINE`, run with the same interpreter.
Variants are interleaved round by round after a warm-up run of each (bytecode cached for both
sides alike, see :func:`~_common.bytecode_env`); the medians of wall time and of CPU time
(user + sys of the child, from ``wait4``) are reported as ratios.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _common import (
    PROMPT,
    ExternalSandbox,
    bytecode_env,
    isolate_env,
    median,
    run_and_report,
    script_main,
    song,
    table,
)

LATENCY_S = 1.0
SONG_S = 8.0

#: The hand-written client: what a user would write with ``requests`` and the protocol docs.
BASELINE = r'''
import base64, json, sys, time, uuid
import requests

url, key, song, out, delivery = sys.argv[1:6]
first, factor, cap = (float(x) for x in sys.argv[6:9])
headers = {"Authorization": "Bearer " + key}
with requests.Session() as s:
    data = open(song, "rb").read()
    r = s.post(url, headers=headers, timeout=60, json=[{
        "taskType": "mediaStorage", "taskUUID": str(uuid.uuid4()), "operation": "upload",
        "media": base64.b64encode(data).decode("ascii")}])
    r.raise_for_status()
    media = r.json()["data"][0]["mediaUUID"]
    task = str(uuid.uuid4())
    r = s.post(url, headers=headers, timeout=900, json=[{
        "taskType": "audioInference", "taskUUID": task, "model": "minimax:music@cover",
        "positivePrompt": sys.argv[9], "inputs": {"audio": media}, "outputType": "URL",
        "outputFormat": "MP3", "deliveryMethod": delivery, "numberResults": 1,
        "includeCost": True}])
    r.raise_for_status()
    items = [i for i in r.json().get("data", []) if i.get("audioURL")]
    interval = first
    while not items:
        time.sleep(interval)
        interval = min(interval * factor, cap)
        r = s.post(url, headers=headers, timeout=60,
                   json=[{"taskType": "getResponse", "taskUUID": task}])
        r.raise_for_status()
        items = [i for i in r.json().get("data", []) if i.get("status") == "success"]
    r = s.get(items[0]["audioURL"], timeout=60)
    r.raise_for_status()
    open(out, "wb").write(r.content)
    print(json.dumps({"taskUUID": task, "seed": items[0].get("seed")}))
'''


def _cli() -> list[str]:
    """The installed console script, or the module when it is not on PATH."""
    exe = Path(sys.executable).parent / "minimax-cover"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("minimax-cover")
    return [found] if found else [sys.executable, "-m", "minimax_cover.plugin.cli"]


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run ``cmd``; return (wall seconds, CPU seconds of the child)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            cwd="/")
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {err[-800:]}")
    return wall, usage.ru_utime + usage.ru_stime


def run(quick: bool) -> dict[str, Any]:
    """Measure and return the result dict."""
    from minimax_cover import Audio, write_audio
    from minimax_cover.plugin.constants import (
        POLL_BACKOFF_FACTOR,
        POLL_INITIAL_INTERVAL_S,
        POLL_MAX_INTERVAL_S,
    )

    tmp = isolate_env()
    reps = 5 if quick else 11
    path = tmp / "song.mp3"
    write_audio(Audio(song(SONG_S), 44100), path, "MP3")
    script = tmp / "baseline.py"
    script.write_text(BASELINE)
    (tmp / "out").mkdir()
    poll = [str(POLL_INITIAL_INTERVAL_S), str(POLL_BACKOFF_FACTOR), str(POLL_MAX_INTERVAL_S)]
    rows: dict[str, dict[str, list[float]]] = {}
    with ExternalSandbox(latency_s=LATENCY_S) as sb:
        env = {**bytecode_env(tmp), "RUNWARE_API_URL": sb.url, "RUNWARE_API_KEY": sb.api_key}

        def subject(delivery: str, i: int) -> tuple[float, float]:
            return timed([*_cli(), "cover", str(path), "--prompt", PROMPT, "--delivery-method",
                          delivery, "-o", str(tmp / "out" / f"c{delivery}{i}.mp3"),
                          "--no-progress", "-q"], env)

        def baseline(delivery: str, i: int) -> tuple[float, float]:
            return timed([sys.executable, str(script), sb.url, sb.api_key, str(path),
                          str(tmp / "out" / f"b{delivery}{i}.mp3"), delivery, *poll, PROMPT],
                         env)

        for delivery in ("async", "sync"):
            subject(delivery, -1)  # warm-up: page cache, .pyc files, first connection
            baseline(delivery, -1)
        for i in range(reps):
            for delivery in ("async", "sync"):
                pair = [("cover", subject), ("script", baseline)]
                for name, fn in pair if i % 2 == 0 else pair[::-1]:
                    wall, cpu = fn(delivery, i)
                    row = rows.setdefault(f"{delivery}/{name}", {"wall": [], "cpu": []})
                    row["wall"].append(wall)
                    row["cpu"].append(cpu)
    out: dict[str, Any] = {"latency_s": LATENCY_S, "repetitions": reps,
                           "song": f"{SONG_S:g} s stereo 44.1 kHz MP3 "
                                   f"({path.stat().st_size / 1e3:.0f} kB)",
                           "deliveries": {}}
    for delivery in ("async", "sync"):
        c, b = rows[f"{delivery}/cover"], rows[f"{delivery}/script"]
        cw, bw, cc, bc = median(c["wall"]), median(b["wall"]), median(c["cpu"]), median(b["cpu"])
        out["deliveries"][delivery] = {
            "cover_wall_s": c["wall"], "script_wall_s": b["wall"],
            "cover_cpu_s": c["cpu"], "script_cpu_s": b["cpu"],
            "cover_wall_median_s": round(cw, 4), "script_wall_median_s": round(bw, 4),
            "cover_cpu_median_s": round(cc, 4), "script_cpu_median_s": round(bc, 4),
            "wall_ratio": round(cw / bw, 3), "cpu_ratio": round(cc / bc, 2),
            "wall_over_ms": round((cw - bw) * 1000, 1),
        }
    ratios = [d["wall_ratio"] for d in out["deliveries"].values()]
    out["target"] = "wall time ≤ 1.05× the hand-written script at 1 s latency"
    out["target_met"] = max(ratios) <= 1.05
    return out


def report(res: dict[str, Any]) -> str:
    """The markdown table of a result."""
    rows = []
    for delivery, d in res["deliveries"].items():
        mark = " ✓" if d["wall_ratio"] <= 1.05 else " ✗ (target ≤ 1.05)"
        rows.append([f"{delivery}: requests script (baseline)",
                     f"{d['script_wall_median_s'] * 1000:.0f} ms", "1.00",
                     f"{d['script_cpu_median_s'] * 1000:.0f} ms", "1.00"])
        rows.append([f"{delivery}: `minimax-cover cover`",
                     f"{d['cover_wall_median_s'] * 1000:.0f} ms",
                     f"{d['wall_ratio']:.3f}{mark}",
                     f"{d['cover_cpu_median_s'] * 1000:.0f} ms", f"{d['cpu_ratio']:.2f}"])
    return table([f"one process (median of {res['repetitions']}, latency {res['latency_s']:g} s)",
                  "wall", "wall ratio", "CPU", "CPU ratio"], rows)


def main(quick: bool = False) -> dict[str, Any]:
    """Run, print, save."""
    return run_and_report("startup", "Start-up cost of one CLI process", run, report, quick)


if __name__ == "__main__":
    script_main(__doc__, main)
