"""The cost of proving a song decodes before upload: ``verify_audio`` on a 6-minute song.

A 6-minute stereo 44.1 kHz song as WAV, FLAC, MP3 and OGG. Per format, interleaved, median of
several repetitions:

- ``verify_audio`` (the check ``cover()`` now runs before any upload: WAV structure, every MP3
  and FLAC frame header, every Ogg page and its CRC), and with ``decode=True`` (a streamed
  full decode of FLAC/OGG);
- baseline 1, ``probe_audio``: the header-only probe that ran before (the ratio the issue
  asks for);
- baseline 2, the upload's own preparation: reading the file and base64-encoding it (what
  ``mediaStorage`` sends, done anyway);
- ``read_audio``: a full decode into memory, for scale.

Peak memory (``tracemalloc``) of ``verify_audio`` against ``read_audio`` shows the check keeps
no samples. Also: the time to refuse each broken song of issue 17.
"""

from __future__ import annotations

import base64
import struct
import time
import tracemalloc
from pathlib import Path
from typing import Any

from _common import isolate_env, median, ms, run_and_report, script_main, song, table

SECONDS = 360.0
SR = 44100


def _peak(fn: Any) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _broken(folder: Path, files: dict[str, Path]) -> dict[str, Path]:
    flac, mp3, wav = (files[k].read_bytes() for k in ("FLAC", "MP3", "WAV"))
    out = {}

    def put(name: str, data: bytes) -> None:
        path = folder / name
        path.write_bytes(data)
        out[name] = path

    put("truncated.flac", flac[: len(flac) // 10])
    put("cut10.mp3", mp3[: len(mp3) // 10])
    zero = bytearray(wav)
    struct.pack_into("<H", zero, zero.find(b"fmt ") + 10, 0)
    put("zero-channels.wav", bytes(zero))
    huge = bytearray(wav)
    struct.pack_into("<I", huge, huge.find(b"data") + 4, 0xFFFFFFF0)
    put("declares-4GB.wav", bytes(huge))
    return out


def run(quick: bool) -> dict[str, Any]:
    """Measure and return the result dict."""
    tmp = isolate_env()
    from minimax_cover.plugin.audio import Audio, probe_audio, read_audio, write_audio
    from minimax_cover.plugin.audio.verify import verify_audio
    from minimax_cover.plugin.errors import AudioError

    reps = 3 if quick else 7
    audio = Audio(song(SECONDS), SR)
    files = {}
    for fmt in ("WAV", "FLAC", "MP3", "OGG"):
        files[fmt] = tmp / f"song.{fmt.lower()}"
        write_audio(audio, files[fmt], fmt)

    def upload_prep(path: Path) -> Any:
        return lambda: base64.b64encode(path.read_bytes())

    rows = []
    for fmt, path in files.items():
        subjects = {"verify": lambda p=path: verify_audio(p),
                    "verify_decode": lambda p=path: verify_audio(p, decode=True),
                    "probe": lambda p=path: probe_audio(p),
                    "upload_prep": upload_prep(path),
                    "read_audio": lambda p=path: read_audio(p)}
        times: dict[str, list[float]] = {k: [] for k in subjects}
        order = list(subjects)
        for i in range(reps):
            for who in (order if i % 2 == 0 else order[::-1]):
                t0 = time.perf_counter()
                subjects[who]()
                times[who].append(time.perf_counter() - t0)
        m = {k: median(v) for k, v in times.items()}
        rows.append({
            "format": fmt, "bytes": path.stat().st_size, "repetitions": reps,
            **{f"{k}_s": round(v, 5) for k, v in m.items()},
            "ratio_vs_probe": round(m["verify"] / m["probe"], 1),
            "ratio_vs_upload_prep": round(m["verify"] / m["upload_prep"], 2),
            "ratio_vs_read_audio": round(m["verify"] / m["read_audio"], 2),
            "peak_verify_bytes": _peak(lambda p=path: verify_audio(p)),
            "peak_read_audio_bytes": _peak(lambda p=path: read_audio(p)),
        })
    refused = []
    for name, path in _broken(tmp, files).items():
        t0 = time.perf_counter()
        try:
            verify_audio(path)
            why = "accepted"
        except AudioError as exc:
            why = str(exc).split(": ", 1)[-1]
        refused.append({"file": name, "refused_in_s": round(time.perf_counter() - t0, 5),
                        "why": why[:100]})
    return {"song": f"{SECONDS:g} s stereo {SR} Hz", "formats": rows, "broken": refused,
            "target": "the check costs less than reading and base64-encoding the upload, "
                      "keeps no samples (peak memory << read_audio)"}


def report(res: dict[str, Any]) -> str:
    """The markdown tables of a result."""
    rows = [[r["format"], f"{r['bytes'] / 1e6:.1f} MB", ms(r["verify_s"]), ms(r["probe_s"]),
             f"{r['ratio_vs_probe']:g}×", ms(r["upload_prep_s"]),
             f"{r['ratio_vs_upload_prep']:.2f}×", ms(r["verify_decode_s"]),
             ms(r["read_audio_s"]),
             f"{r['peak_verify_bytes'] / 1e6:.1f} / {r['peak_read_audio_bytes'] / 1e6:.0f} MB"]
            for r in res["formats"]]
    main = table(["6 min stereo 44.1 kHz", "file", "verify_audio", "header probe",
                  "vs probe", "read + base64 (upload)", "vs upload", "decode=True",
                  "read_audio",
                  "peak: verify / read_audio"], rows)
    broken = table(["broken song", "refused in", "why"],
                   [[b["file"], ms(b["refused_in_s"]), b["why"]] for b in res["broken"]])
    return main + "\n\n" + broken


def main(quick: bool = False) -> dict[str, Any]:
    """Run, print, save."""
    return run_and_report("decode_check", "Decode check before upload", run, report, quick)


if __name__ == "__main__":
    script_main(__doc__, main)
