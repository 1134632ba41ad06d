"""Audition pictures: the numpy + zlib renderer vs matplotlib, the PNG writer vs Pillow.

A 3-minute stereo 44.1 kHz song drawn 960 x 202 px (waveform above a log-frequency spectrogram,
the picture of ``minimax-cover compare`` and the audition node). Subjects and baselines run
side by side, interleaved, median of several repetitions:

- render + encode: ``picture_png`` vs matplotlib (Agg) drawing the same two panels
  (``fill_between`` of the peak envelope, ``specgram`` with log-frequency axis) to PNG;
- PNG encoding of the same RGB array: ``encode_png`` vs Pillow ``Image.save(format="PNG")``;
- cost of having the library: import time in a fresh interpreter (best of N, vs
  ``import numpy``) and installed size of the distribution and the dependencies it pulls in.

Needs matplotlib and Pillow in the environment (``pip install matplotlib pillow``); rows
whose library is missing are skipped. Not a dependency of the package.
"""

from __future__ import annotations

import importlib.metadata as md
import io
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import median, run_and_report, script_main, song, table

SECONDS = 180.0
SR = 44100
WIDTH, HEIGHT = 960, 202
#: matplotlib and what ``pip install matplotlib`` adds next to numpy
MPL_DISTS = ("matplotlib", "contourpy", "cycler", "fonttools", "kiwisolver", "pillow",
             "pyparsing", "python-dateutil", "six", "packaging")


def _have(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def mpl_picture(samples: Any) -> Callable[[], bytes]:
    """matplotlib drawing the same two panels at the same pixel size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    mono = samples.mean(axis=0)

    def run() -> bytes:
        dpi = 100
        fig = plt.figure(figsize=(WIDTH / dpi, HEIGHT / dpi), dpi=dpi)
        wave = fig.add_axes((0, 0.64, 1, 0.36))
        spec = fig.add_axes((0, 0, 1, 0.63))
        cols = WIDTH
        edges = np.linspace(0, mono.size, cols + 1).astype(int)[:-1]
        top = np.maximum.reduceat(mono, edges)
        bottom = np.minimum.reduceat(mono, edges)
        wave.fill_between(np.arange(cols), bottom, top, color="#4076b3", linewidth=0)
        wave.set_xlim(0, cols)
        wave.set_ylim(-1, 1)
        wave.axis("off")
        spec.specgram(mono, NFFT=2048, Fs=SR, noverlap=1024, cmap="magma", scale="dB")
        spec.set_yscale("symlog", linthresh=100)
        spec.set_ylim(40, 16000)
        spec.axis("off")
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        plt.close(fig)
        return buf.getvalue()

    return run


def pil_encode(rgb: Any) -> Callable[[], bytes]:
    from PIL import Image

    image = Image.fromarray(rgb)

    def run() -> bytes:
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        return buf.getvalue()

    return run


def _timed(fn: Callable[[], bytes]) -> tuple[float, int]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, len(out)


def _import_s(code: str, reps: int) -> float:
    harness = ("import time, sys\nt = time.perf_counter()\nexec(sys.argv[1])\n"
               "print(time.perf_counter() - t)\n")
    best = float("inf")
    for _ in range(reps):
        out = subprocess.run([sys.executable, "-c", harness, code], capture_output=True,
                             text=True, check=True, cwd="/")
        best = min(best, float(out.stdout.split()[0]))
    return best


def _installed_mb(names: tuple[str, ...]) -> float:
    total = 0
    for name in names:
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        for f in dist.files or ():
            path = Path(str(dist.locate_file(f)))
            if path.is_file():
                total += path.stat().st_size
    return total / 1e6


def run(quick: bool) -> dict[str, Any]:
    """Measure and return the result dict."""
    from minimax_cover.plugin.audio import Audio
    from minimax_cover.plugin.audition.pictures import PictureStyle, picture_png, render_picture
    from minimax_cover.plugin.audition.png import encode_png

    reps = 3 if quick else 7
    audio = Audio(song(SECONDS, SR), SR)
    style = PictureStyle(width=WIDTH)
    rgb = render_picture(audio, style=style)
    cases: dict[str, dict[str, Callable[[], bytes]]] = {
        "render + encode": {"package": lambda: picture_png(audio, style=style)},
        "PNG encode only": {"package": lambda: encode_png(rgb)},
    }
    if _have("matplotlib"):
        cases["render + encode"]["baseline"] = mpl_picture(audio.samples)
    if _have("PIL"):
        cases["PNG encode only"]["baseline"] = pil_encode(rgb)
    rows = []
    for case, fns in cases.items():
        times: dict[str, list[float]] = {k: [] for k in fns}
        sizes: dict[str, int] = {}
        for i in range(reps):
            for who in (list(fns) if i % 2 == 0 else list(fns)[::-1]):
                t, n = _timed(fns[who])
                times[who].append(t)
                sizes[who] = n
        pkg = median(times["package"])
        base = median(times["baseline"]) if "baseline" in times else None
        rows.append({"case": case, "package_s": round(pkg, 4),
                     "baseline_s": round(base, 4) if base else None,
                     "ratio": round(pkg / base, 3) if base else None,
                     "package_bytes": sizes["package"], "baseline_bytes": sizes.get("baseline"),
                     "baseline": "matplotlib" if case.startswith("render") else "Pillow"})
    imports = {"numpy (baseline)": _import_s("import numpy", reps),
               "package pictures": _import_s(
                   "import numpy, zlib\nimport minimax_cover.plugin.audition.pictures", reps)}
    if _have("matplotlib"):
        imports["matplotlib.pyplot"] = _import_s(
            "import numpy\nimport matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot",
            reps)
    return {"seconds": SECONDS, "size_px": [WIDTH, HEIGHT], "repetitions": reps, "rows": rows,
            "import_s": {k: round(v, 4) for k, v in imports.items()},
            "installed_mb": {"package pictures (png.py + pictures.py)": round(sum(
                (Path(__file__).resolve().parent.parent / "plugin" / "audition" / f).stat().st_size
                for f in ("png.py", "pictures.py")) / 1e6, 3),
                "matplotlib + its dependencies": round(_installed_mb(MPL_DISTS), 1),
                "Pillow": round(_installed_mb(("pillow",)), 1)}}


def report(res: dict[str, Any]) -> str:
    """The markdown tables of a result."""
    rows = [[r["case"], f"{r['package_s'] * 1000:.0f} ms, {r['package_bytes'] // 1024} KiB",
             (f"{r['baseline_s'] * 1000:.0f} ms, {r['baseline_bytes'] // 1024} KiB"
              if r["baseline_s"] else "skipped"), r["baseline"],
             f"{r['ratio']:.2f}" if r["ratio"] else "-"] for r in res["rows"]]
    out = table([f"{res['seconds']:.0f} s stereo, {res['size_px'][0]}x{res['size_px'][1]} px",
                 "package", "baseline", "baseline is", "ratio"], rows)
    base = res["import_s"]["numpy (baseline)"]
    imp = [[k, f"{v * 1000:.0f} ms", f"{(v - base) * 1000:+.0f} ms"]
           for k, v in res["import_s"].items()]
    out += "\n\n" + table(["import (fresh interpreter, best)", "time", "vs numpy"], imp)
    size = [[k, f"{v} MB"] for k, v in res["installed_mb"].items()]
    return out + "\n\n" + table(["installed size", "MB"], size)


def main(quick: bool = False) -> dict[str, Any]:
    """Run, print, save."""
    return run_and_report("pictures", "Audition pictures", run, report, quick)


if __name__ == "__main__":
    script_main(__doc__, main)
