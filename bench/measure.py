"""Measuring a 3-minute source and 4 takes (``compare``'s measures), cold and warm.

Wall time and CPU time (all threads: measuring runs on up to 2). Cold: a fresh interpreter
imports the package, decodes and measures (best of 3). Warm: the same in-process, after one
run (best of 5). The baseline run side by side is decoding the five files alone, so the
figure is also given as a ratio to it. Run: ``.venv/bin/python bench/measure.py`` (JSON).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from minimax_cover.plugin.audio import Audio, read_audio, write_audio
from minimax_cover.plugin.measure import compare_files

ROOT = Path(__file__).resolve().parent.parent


def make_files(folder: Path) -> list[Path]:
    """A 3-minute song (the example song, looped) and 4 takes (shifted, scaled), as FLAC."""
    song = read_audio(ROOT / "examples" / "audio" / "example_song.mp3")
    reps = int(np.ceil(180 * song.sample_rate / song.num_samples))
    long = np.tile(song.samples, (1, reps))[:, : 180 * song.sample_rate]
    paths = []
    for k in range(5):
        x = np.roll(long, 3000 * k, axis=1) * (1.0 - 0.1 * k)
        path = folder / f"clip{k}.flac"
        write_audio(Audio(x.astype(np.float32), song.sample_rate), path, "FLAC")
        paths.append(path)
    return paths


def best(fn, n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        files = make_files(Path(tmp))
        source, takes = files[0], files[1:]
        compare_files(source, takes)  # warm up
        decode = best(lambda: [read_audio(f) for f in files], 5)
        warm = best(lambda: compare_files(source, takes), 5)
        cpu = []
        for _ in range(3):
            c = time.process_time()
            compare_files(source, takes)
            cpu.append(time.process_time() - c)
        cold_code = ("from minimax_cover.plugin.measure import compare_files\n"
                     f"compare_files({str(source)!r}, {[str(t) for t in takes]!r})\n")
        cold = best(lambda: subprocess.run([sys.executable, "-c", cold_code], check=True), 3)
        empty = best(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), 3)
    print(json.dumps({
        "case": "3-minute 44.1 kHz stereo source + 4 takes (FLAC): decode + measure",
        "warm_s": round(warm, 3), "warm_cpu_s": round(min(cpu), 3),
        "decode_only_s": round(decode, 3),
        "warm_over_decode": round(warm / decode, 1),
        "cold_s": round(cold, 3), "interpreter_start_s": round(empty, 3),
    }, indent=2))


if __name__ == "__main__":
    main()
