"""Audio staging and decoding: the package's code paths vs the ``ffmpeg`` CLI, same conversions.

A 3-minute stereo 44.1 kHz song. Staging: a WAV file is read into an in-memory ``Audio``
(``read_audio``) and turned into the upload payload by ``plugin.staging.prepare_upload`` (FLAC;
MP3 320 kbps only when the FLAC is over the size limit) vs ``ffmpeg -i song.wav song.flac``
(and ``-b:a 320k song.mp3`` for the fallback). Results: an MP3 (192 kbps) and a FLAC
file decoded to a float32 array by ``read_audio`` vs ``ffmpeg -i ... -f f32le pipe:1``.
Interleaved, median of several repetitions; throughput is in MB/s of 16-bit PCM and x real time.
Skipped gracefully when ``ffmpeg`` is missing.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import isolate_env, median, run_and_report, script_main, song, table

SECONDS = 180.0
SR = 44100
PCM_MB = SECONDS * SR * 2 * 2 / 1e6  # 16-bit stereo


def ffmpeg_encode(exe: str, src: Path, suffix: str, *codec: str) -> Callable[[], bytes]:
    def run() -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / f"out.{suffix}"
            subprocess.run([exe, "-v", "error", "-i", str(src), *codec, "-y", str(out)],
                           check=True)
            return out.read_bytes()
    return run


def ffmpeg_decode(exe: str, src: Path) -> Callable[[], Any]:
    def run() -> Any:
        import numpy as np

        out = subprocess.run([exe, "-v", "error", "-i", str(src), "-f", "f32le", "-ac", "2",
                              "pipe:1"], capture_output=True, check=True).stdout
        return np.frombuffer(out, dtype=np.float32).reshape(-1, 2)
    return run


def run(quick: bool) -> dict[str, Any]:
    """Measure and return the result dict."""
    tmp = isolate_env()
    from minimax_cover.plugin.audio import Audio, encode_audio, read_audio, write_audio
    from minimax_cover.plugin.jobs.staging import prepare_upload

    exe = shutil.which("ffmpeg")
    reps = 3 if quick else 7
    audio = Audio(song(SECONDS), SR)
    wav, mp3, flac = tmp / "song.wav", tmp / "result.mp3", tmp / "result.flac"
    write_audio(audio, wav, "WAV")
    write_audio(audio, mp3, "MP3")  # default bitrate, as a result file
    write_audio(audio, flac, "FLAC")

    def stage() -> bytes:
        payload = prepare_upload(read_audio(wav))
        assert payload is not None and payload[1] == "audio/flac"
        return payload[0]

    def stage_mp3() -> bytes:  # the fallback when the FLAC would be over the size limit
        return encode_audio(read_audio(wav), "MP3", bitrate_kbps=320)

    cases: dict[str, dict[str, Callable[[], Any]]] = {
        "stage WAV -> FLAC upload (default)": {"package": stage},
        "stage WAV -> MP3 320k (over-size fallback)": {"package": stage_mp3},
        "decode MP3 result -> array": {"package": lambda: read_audio(mp3)},
        "decode FLAC result -> array": {"package": lambda: read_audio(flac)},
    }
    if exe:
        cases["stage WAV -> FLAC upload (default)"]["ffmpeg"] = ffmpeg_encode(
            exe, wav, "flac", "-c:a", "flac")
        cases["stage WAV -> MP3 320k (over-size fallback)"]["ffmpeg"] = ffmpeg_encode(
            exe, wav, "mp3", "-c:a", "libmp3lame", "-b:a", "320k")
        cases["decode MP3 result -> array"]["ffmpeg"] = ffmpeg_decode(exe, mp3)
        cases["decode FLAC result -> array"]["ffmpeg"] = ffmpeg_decode(exe, flac)
    rows = []
    for name, subjects in cases.items():
        times: dict[str, list[float]] = {k: [] for k in subjects}
        order = list(subjects)
        for i in range(reps):
            for who in (order if i % 2 == 0 else order[::-1]):
                t0 = time.perf_counter()
                subjects[who]()
                times[who].append(time.perf_counter() - t0)
        row: dict[str, Any] = {"case": name, "repetitions": reps}
        for who, ts in times.items():
            m = median(ts)
            row[who] = {"median_s": round(m, 4), "times_s": [round(t, 4) for t in ts],
                        "mb_per_s": round(PCM_MB / m, 1), "x_realtime": round(SECONDS / m, 1)}
        if "ffmpeg" in row:
            row["ratio_package_vs_ffmpeg"] = round(row["package"]["median_s"]
                                                   / row["ffmpeg"]["median_s"], 3)
            row["target_met"] = row["ratio_package_vs_ffmpeg"] <= 1.0
        rows.append(row)
    return {
        "song": f"{SECONDS:g} s stereo {SR} Hz ({PCM_MB:.1f} MB as 16-bit PCM)",
        "files_bytes": {"wav": wav.stat().st_size, "mp3": mp3.stat().st_size,
                        "flac": flac.stat().st_size},
        "ffmpeg": exe and subprocess.run([exe, "-version"], capture_output=True,
                                         text=True).stdout.split()[2],
        "cases": rows,
        "target": "at least as fast as the ffmpeg CLI (ratio <= 1)",
    }


def report(res: dict[str, Any]) -> str:
    """The markdown table of a result."""
    def cell(d: dict[str, Any] | None) -> str:
        if not d:
            return "skipped (no ffmpeg)"
        return f"{d['median_s'] * 1000:.0f} ms ({d['mb_per_s']:.0f} MB/s, {d['x_realtime']:.0f}x)"

    rows = []
    for r in res["cases"]:
        ratio = r.get("ratio_package_vs_ffmpeg")
        mark = "-" if ratio is None else f"{ratio:.2f}" + (" ✓" if r["target_met"] else " ✗")
        rows.append([r["case"], cell(r["package"]), cell(r.get("ffmpeg")), mark])
    return table(["3 min stereo 44.1 kHz", "package", "ffmpeg CLI", "ratio (≤ 1 target)"],
                 rows)


def main(quick: bool = False) -> dict[str, Any]:
    """Run, print, save."""
    return run_and_report("audio_codec", "Audio staging and decoding", run, report, quick)


if __name__ == "__main__":
    script_main(__doc__, main)
