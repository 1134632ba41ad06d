"""Compare audio libraries for minimax-cover's audio layer, side by side in one process.

For a 3-minute stereo 44.1 kHz signal it times decode and encode with soundfile (libsndfile),
PyAV (FFmpeg), miniaudio and lameenc when installed, and the ``ffmpeg`` CLI when on PATH
(through pipes and temporary files, process start included). It also measures each library's
import time (fresh interpreter, best of 5) and installed size, prints tables and writes
``bench/results/audio_libs.json``. Missing libraries are skipped.

    python bench/audio_libs.py [--seconds 180] [--repeat 3] [--extra-path DIR]

``--extra-path`` appends a directory (e.g. a ``pip install --target`` dir holding the
candidates that are not project dependencies) to ``sys.path`` here and in the subprocesses.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata as md
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

SR = 44100
MP3_KBPS = 192
RESULTS = Path(__file__).resolve().parent / "results" / "audio_libs.json"
# distribution name -> import name
CANDIDATES = {"soundfile": "soundfile", "av": "av", "miniaudio": "miniaudio", "lameenc": "lameenc"}
FFMPEG_DEBS = [
    "ffmpeg",
    "libavcodec59",
    "libavdevice59",
    "libavfilter8",
    "libavformat59",
    "libavutil57",
    "libpostproc56",
    "libswresample4",
    "libswscale6",
]


def make_signal(seconds: float) -> np.ndarray:
    """Deterministic music-like test signal, float32 [samples, 2] (chords, noise, beats)."""
    n = int(seconds * SR)
    t = np.arange(n) / SR
    rng = np.random.default_rng(7)
    left = sum(0.12 * np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6, 440.0))
    right = sum(0.12 * np.sin(2 * np.pi * f * t + 0.3) for f in (196.0, 246.9, 293.7, 392.0))
    beat = (np.sin(2 * np.pi * 2 * t) > 0.95).astype(np.float64)
    noise = rng.standard_normal((2, n)) * 0.05 * (0.3 + beat)
    return np.stack([left + noise[0], right + noise[1]], axis=1).astype(np.float32)


def best_of(func: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def optional(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


# --- codec cases ---------------------------------------------------------------------------


def soundfile_cases(x: np.ndarray) -> dict[tuple[str, str], Callable[[], Any]]:
    import soundfile as sf

    level = (320 - MP3_KBPS - 0.5) / 288  # CBR mapping, see plugin/audio/io.py

    def enc(fmt: str, **kw: Any) -> Callable[[], bytes]:
        def run() -> bytes:
            # In 8192-frame blocks like plugin/audio/io.py: one big OGG write crashes libvorbis.
            buf = io.BytesIO()
            with sf.SoundFile(buf, "w", SR, 2, format=fmt, **kw) as out:
                for start in range(0, len(x), 8192):
                    out.write(x[start : start + 8192])
            return buf.getvalue()

        return run

    return {
        ("encode", "WAV"): enc("WAV", subtype="PCM_16"),
        ("encode", "FLAC"): enc("FLAC", subtype="PCM_16"),
        ("encode", "MP3"): enc("MP3", compression_level=level, bitrate_mode="CONSTANT"),
        ("encode", "OGG"): enc("OGG", subtype="VORBIS"),
    }


def soundfile_decode(data: bytes) -> np.ndarray:
    import soundfile as sf

    return sf.read(io.BytesIO(data), dtype="float32", always_2d=True)[0]


def pyav_cases(x: np.ndarray) -> dict[tuple[str, str], Callable[[], Any]]:
    import av

    planar = np.ascontiguousarray(x.T)

    def enc(container_fmt: str, codec: str, **opts: Any) -> Callable[[], bytes]:
        def run() -> bytes:
            buf = io.BytesIO()
            with av.open(buf, "w", format=container_fmt) as out:
                stream = out.add_stream(codec, rate=SR, layout="stereo")
                if "bit_rate" in opts:
                    stream.codec_context.bit_rate = opts["bit_rate"]
                if opts.get("experimental"):
                    stream.codec_context.options = {"strict": "experimental"}
                # PyAV converts to the codec's sample format itself (its encode() resamples).
                frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout="stereo")
                frame.sample_rate = SR
                for packet in stream.encode(frame):
                    out.mux(packet)
                for packet in stream.encode(None):
                    out.mux(packet)
            return buf.getvalue()

        return run

    cases = {
        ("encode", "WAV"): enc("wav", "pcm_s16le"),
        ("encode", "FLAC"): enc("flac", "flac"),
        ("encode", "MP3"): enc("mp3", "libmp3lame", bit_rate=MP3_KBPS * 1000),
        ("encode", "OGG"): enc("ogg", "vorbis", experimental=True),
        ("encode", "M4A"): enc("ipod", "aac", bit_rate=MP3_KBPS * 1000),
    }
    return cases


def pyav_decode(data: bytes) -> np.ndarray:
    from minimax_cover.plugin.audio import _pyav

    return _pyav.decode(data, "bench").to_frames()


def miniaudio_decode(data: bytes) -> np.ndarray:
    import miniaudio

    out = miniaudio.decode(data, output_format=miniaudio.SampleFormat.FLOAT32, nchannels=2)
    return np.frombuffer(out.samples, dtype=np.float32).reshape(-1, 2)


def miniaudio_cases(x: np.ndarray) -> dict[tuple[str, str], Callable[[], Any]]:
    import array

    import miniaudio

    def wav() -> bytes:
        pcm = (x * 32767).clip(-32768, 32767).astype(np.int16)
        sound = miniaudio.DecodedSoundFile(
            "bench", 2, SR, miniaudio.SampleFormat.SIGNED16, array.array("h", pcm.tobytes())
        )
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "x.wav")
            miniaudio.wav_write_file(path, sound)
            return Path(path).read_bytes()

    return {("encode", "WAV"): wav}


def lameenc_cases(x: np.ndarray) -> dict[tuple[str, str], Callable[[], Any]]:
    import lameenc

    def mp3() -> bytes:
        enc = lameenc.Encoder()
        enc.set_bit_rate(MP3_KBPS)
        enc.set_in_sample_rate(SR)
        enc.set_channels(2)
        enc.set_quality(3)  # LAME's default algorithm quality, as libsndfile uses
        pcm = (x * 32767).clip(-32768, 32767).astype(np.int16).tobytes()
        return bytes(enc.encode(pcm) + enc.flush())

    return {("encode", "MP3"): mp3}


FFMPEG_ENCODE = {
    "WAV": ["-c:a", "pcm_s16le", "-f", "wav"],
    "FLAC": ["-c:a", "flac", "-sample_fmt", "s16", "-f", "flac"],
    "MP3": ["-c:a", "libmp3lame", "-b:a", f"{MP3_KBPS}k", "-f", "mp3"],
    "OGG": ["-c:a", "libvorbis", "-f", "ogg"],
    "M4A": ["-c:a", "aac", "-b:a", f"{MP3_KBPS}k", "-f", "ipod"],
}


def ffmpeg_cases(x: np.ndarray, exe: str) -> dict[tuple[str, str], Callable[[], Any]]:
    raw = np.ascontiguousarray(x).tobytes()

    def enc(args: list[str]) -> Callable[[], bytes]:
        def run() -> bytes:
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "out")
                cmd = [exe, "-v", "error", "-f", "f32le", "-ar", str(SR), "-ac", "2"]
                subprocess.run([*cmd, "-i", "pipe:0", *args, "-y", path], input=raw, check=True)
                return Path(path).read_bytes()

        return run

    return {("encode", fmt): enc(args) for fmt, args in FFMPEG_ENCODE.items()}


def ffmpeg_decode(exe: str) -> Callable[[bytes], np.ndarray]:
    def run(data: bytes) -> np.ndarray:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "in")
            Path(path).write_bytes(data)
            cmd = [exe, "-v", "error", "-i", path, "-f", "f32le", "-ac", "2", "pipe:1"]
            out = subprocess.run(cmd, capture_output=True, check=True).stdout
        return np.frombuffer(out, dtype=np.float32).reshape(-1, 2)

    return run


# --- import time and size ------------------------------------------------------------------


def import_time(module: str, extra: list[str], repeat: int = 5) -> float:
    code = (
        "import sys, time; sys.path.extend(sys.argv[1:]); t = time.perf_counter(); "
        f"import {module}; print(time.perf_counter() - t)"
    )
    times = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", code, *extra], capture_output=True, text=True)
        if out.returncode:
            return float("nan")
        times.append(float(out.stdout))
    return min(times)


def ffmpeg_start_time(exe: str, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([exe, "-version"], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return min(times)


def dist_size_mb(dist_name: str) -> float | None:
    try:
        dist = md.distribution(dist_name)
    except md.PackageNotFoundError:
        return None
    total = 0
    for f in dist.files or []:
        path = Path(str(f.locate()))
        if path.is_file():
            total += path.stat().st_size
    return total / 1e6


def deb_size_mb(packages: list[str]) -> float | None:
    dpkg = shutil.which("dpkg-query")
    if not dpkg:
        return None
    out = subprocess.run(
        [dpkg, "-W", "-f=${Installed-Size}\n", *packages], capture_output=True, text=True
    )
    sizes = [int(s) for s in out.stdout.split() if s.isdigit()]
    return sum(sizes) / 1000 if sizes else None  # dpkg reports KiB; close enough to kB


def version(dist_name: str) -> str | None:
    try:
        return md.version(dist_name)
    except md.PackageNotFoundError:
        return None


# --- main ----------------------------------------------------------------------------------


def run(seconds: float, repeat: int, extra: list[str]) -> dict[str, Any]:
    x = make_signal(seconds)
    rows: list[dict[str, Any]] = []
    encoded: dict[str, bytes] = {}

    def measure(lib: str, op: str, fmt: str, func: Callable[[], Any]) -> Any:
        try:
            elapsed, result = best_of(func, repeat)
        except Exception as exc:  # a missing codec in one build must not stop the bench
            rows.append({"library": lib, "op": op, "format": fmt, "error": repr(exc)[:200]})
            print(f"  {lib:10} {op:6} {fmt:5} failed: {exc!r}"[:160])
            return None
        row: dict[str, Any] = {
            "library": lib,
            "op": op,
            "format": fmt,
            "seconds": round(elapsed, 4),
            "x_realtime": round(seconds / elapsed, 1),
        }
        if op == "encode":
            row["size_kb"] = round(len(result) / 1000, 1)
        else:
            row["decoded_s"] = round(len(result) / SR, 3)
            if abs(row["decoded_s"] - seconds) > 0.5:  # "succeeded" but decoded something else
                rows.append({"library": lib, "op": op, "format": fmt, "error": "WrongLength()"})
                print(f"  {lib:10} {op:6} {fmt:5} wrong length: {row['decoded_s']} s")
                return None
        rows.append(row)
        print(f"  {lib:10} {op:6} {fmt:5} {elapsed * 1000:9.1f} ms")
        return result

    exe = shutil.which("ffmpeg")
    encoders: dict[str, Callable[[], dict[tuple[str, str], Callable[[], Any]]]] = {
        "soundfile": lambda: soundfile_cases(x),
        "av": lambda: pyav_cases(x),
        "miniaudio": lambda: miniaudio_cases(x),
        "lameenc": lambda: lameenc_cases(x),
    }
    decoders: dict[str, Callable[[bytes], np.ndarray]] = {
        "soundfile": soundfile_decode,
        "av": pyav_decode,
        "miniaudio": miniaudio_decode,
    }
    available = [name for name in CANDIDATES if optional(CANDIDATES[name]) is not None]
    print(f"libraries: {', '.join(available)}; ffmpeg CLI: {exe or 'absent'}")
    for lib in available:
        for (op, fmt), func in encoders[lib]().items():
            data = measure(lib, op, fmt, func)
            if data is not None and lib == "soundfile":
                encoded[fmt] = data
            if data is not None and lib == "av" and fmt == "M4A":
                encoded[fmt] = data
    if exe:
        for (op, fmt), func in ffmpeg_cases(x, exe).items():
            measure("ffmpeg-cli", op, fmt, func)
    # Everyone decodes the same files (soundfile's WAV/FLAC/MP3/OGG, PyAV's M4A).
    for lib in available:
        if lib not in decoders:
            continue
        for fmt, data in encoded.items():
            measure(lib, "decode", fmt, lambda d=data, f=decoders[lib]: f(d))
    if exe:
        for fmt, data in encoded.items():
            measure("ffmpeg-cli", "decode", fmt, lambda d=data: ffmpeg_decode(exe)(d))

    def formats(lib: str, op: str) -> list[str]:
        return [
            r["format"] for r in rows if r["library"] == lib and r["op"] == op and "error" not in r
        ]

    libraries = []
    for dist, module in CANDIDATES.items():
        if module not in available:
            continue
        libraries.append(
            {
                "library": dist,
                "version": version(dist),
                "import_ms": round(import_time(module, extra) * 1000, 1),
                "install_mb": round(dist_size_mb(dist) or 0.0, 1),
                "decodes": formats(dist, "decode"),
                "encodes": formats(dist, "encode"),
            }
        )
    libraries.append(
        {
            "library": "numpy (baseline, needed by all)",
            "version": version("numpy"),
            "import_ms": round(import_time("numpy", extra) * 1000, 1),
            "install_mb": round(dist_size_mb("numpy") or 0.0, 1),
        }
    )
    if exe:
        libraries.append(
            {
                "library": "ffmpeg-cli",
                "version": subprocess.run(
                    [exe, "-version"], capture_output=True, text=True
                ).stdout.split()[2],
                "import_ms": round(ffmpeg_start_time(exe) * 1000, 1),
                "install_mb": round(deb_size_mb(FFMPEG_DEBS) or 0.0, 1),
                "decodes": formats("ffmpeg-cli", "decode"),
                "encodes": formats("ffmpeg-cli", "encode"),
            }
        )
    return {
        "meta": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "signal": f"{seconds:g} s stereo {SR} Hz float32, music-like (tones, noise, beats)",
            "repeat": repeat,
            "mp3_kbps": MP3_KBPS,
            "libsndfile": optional("soundfile") and optional("soundfile").__libsndfile_version__,
        },
        "codec": rows,
        "libraries": libraries,
    }


def print_tables(result: dict[str, Any]) -> None:
    print("\n| library | op | format | best time | x realtime | output |")
    print("| --- | --- | --- | ---: | ---: | ---: |")
    for r in sorted(result["codec"], key=lambda r: (r["op"] != "decode", r["format"])):
        if "error" in r:
            why = r["error"].split("(")[0]
            print(f"| {r['library']} | {r['op']} | {r['format']} | n/a ({why}) | | |")
            continue
        size = f"{r['size_kb']:.0f} kB" if "size_kb" in r else f"{r['decoded_s']:.2f} s"
        print(
            f"| {r['library']} | {r['op']} | {r['format']} | {r['seconds'] * 1000:.1f} ms "
            f"| {r['x_realtime']:.0f}x | {size} |"
        )
    print("\n| library | version | import (best of 5) | installed size | decodes | encodes |")
    print("| --- | --- | ---: | ---: | --- | --- |")
    for lib in result["libraries"]:
        dec = ", ".join(lib.get("decodes", [])) or "-"
        enc = ", ".join(lib.get("encodes", [])) or "-"
        print(
            f"| {lib['library']} | {lib['version']} | {lib['import_ms']:.1f} ms "
            f"| {lib['install_mb']:.1f} MB | {dec} | {enc} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--extra-path", action="append", default=[])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    sys.path.extend(args.extra_path)
    result = run(args.seconds, args.repeat, args.extra_path)
    print_tables(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
