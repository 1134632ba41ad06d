"""Per-job overhead: ``cover()`` through the full stack vs a hand-written ``requests`` script.

Both run against the same in-process :class:`Sandbox` (fixed ``latency_s``) on 127.0.0.1 with
the same 8-s stereo 44.1 kHz MP3 song, interleaved, median of several repetitions. The subject
is ``minimax_cover.cover`` with the journal on (a temp data dir) and ``decode=True``; the
baseline does the same HTTP calls by hand: mediaStorage upload (base64), a sync audioInference
submit, GET of the result URL, write the file.
"""

from __future__ import annotations

import base64
import time
import uuid
from pathlib import Path
from typing import Any

from _common import PROMPT, isolate_env, median, run_and_report, script_main, song, table

LATENCY_S = 0.5
SONG_S = 8.0


def baseline_job(url: str, key: str, data: bytes, out: Path) -> None:
    """The minimal script: upload, submit (sync), download, write."""
    import requests

    with requests.Session() as s:
        headers = {"Authorization": f"Bearer {key}"}
        up_uuid = str(uuid.uuid4())
        r = s.post(url, headers=headers, json=[{
            "taskType": "mediaStorage", "taskUUID": up_uuid, "operation": "upload",
            "media": base64.b64encode(data).decode("ascii")}], timeout=60)
        r.raise_for_status()
        media_uuid = r.json()["data"][0]["mediaUUID"]
        task_uuid = str(uuid.uuid4())
        r = s.post(url, headers=headers, json=[{
            "taskType": "audioInference", "taskUUID": task_uuid, "model": "minimax:music@cover",
            "positivePrompt": PROMPT, "inputs": {"audio": media_uuid}, "outputType": "URL",
            "outputFormat": "MP3", "deliveryMethod": "sync", "numberResults": 1}], timeout=60)
        r.raise_for_status()
        audio_url = r.json()["data"][0]["audioURL"]
        r = s.get(audio_url, timeout=60)
        r.raise_for_status()
        out.write_bytes(r.content)


def run(quick: bool) -> dict[str, Any]:
    """Measure and return the result dict."""
    tmp = isolate_env()
    from minimax_cover import Audio, Sandbox, cover, make_registry, write_audio

    reps = 5 if quick else 15
    path = tmp / "song.mp3"
    write_audio(Audio(song(SONG_S), 44100), path, "MP3")
    data = path.read_bytes()
    registry = make_registry()
    subject: list[float] = []
    base: list[float] = []
    with Sandbox(latency_s=LATENCY_S, log=False) as sb:
        options = {"api_key": sb.api_key, "base_url": sb.url}

        def one_cover(i: int) -> float:
            t0 = time.perf_counter()
            result = cover(path, prompt=PROMPT, registry=registry, backend="runware",
                           backend_options=options, output_dir=tmp / "out", decode=True,
                           output_stem=f"c{i}")
            elapsed = time.perf_counter() - t0
            assert result.outputs[0].audio is not None
            return elapsed

        def one_base(i: int) -> float:
            t0 = time.perf_counter()
            baseline_job(sb.url, sb.api_key, data, tmp / "out" / f"b{i}.mp3")
            return time.perf_counter() - t0

        (tmp / "out").mkdir(exist_ok=True)
        one_cover(-1)  # warm-up: imports, registry, first connection
        one_base(-1)
        for i in range(reps):
            if i % 2:
                subject.append(one_cover(i))
                base.append(one_base(i))
            else:
                base.append(one_base(i))
                subject.append(one_cover(i))
    s, b = median(subject), median(base)
    return {
        "song": f"{SONG_S:g} s stereo 44.1 kHz MP3 ({len(data) / 1e3:.0f} kB)",
        "latency_s": LATENCY_S,
        "repetitions": reps,
        "cover_s": subject,
        "baseline_s": base,
        "cover_median_s": round(s, 4),
        "baseline_median_s": round(b, 4),
        "ratio": round(s / b, 4),
        "overhead_ms": round((s - b) * 1000, 1),
        "overhead_pct": round((s / b - 1) * 100, 2),
        "target": "overhead < 5 % of the baseline's wall time",
        "target_met": (s / b - 1) < 0.05,
    }


def report(res: dict[str, Any]) -> str:
    """The markdown table of a result."""
    return table(
        [f"job (median of {res['repetitions']}, latency {res['latency_s']:g} s)",
         "wall time", "ratio", "overhead"],
        [["requests script (baseline)", f"{res['baseline_median_s'] * 1000:.0f} ms",
          "1.00", "-"],
         ["cover() full stack, journal + decode", f"{res['cover_median_s'] * 1000:.0f} ms",
          f"{res['ratio']:.3f}",
          f"{res['overhead_ms']:+.0f} ms ({res['overhead_pct']:+.1f} %)"
          + (" ✓" if res["target_met"] else " ✗ (target < 5 %)")]])


def main(quick: bool = False) -> dict[str, Any]:
    """Run, print, save."""
    return run_and_report("overhead", "Per-job overhead", run, report, quick)


if __name__ == "__main__":
    script_main(__doc__, main)
