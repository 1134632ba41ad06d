"""Run the whole benchmark suite: ``python bench/run.py [--quick] [--only NAME ...]``.

Runs per-job overhead, audio staging/decoding, batch throughput, import time, the start-up
cost of one CLI process and memory, prints a markdown table per benchmark and writes
``bench/results/<name>.json`` (with machine info).
Not part of the pytest run. ``bench/audio_libs.py`` (library choice) is run separately.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import audio_codec  # noqa: E402
import batch  # noqa: E402
import import_time  # noqa: E402
import memory  # noqa: E402
import overhead  # noqa: E402
import serve_load  # noqa: E402
import startup  # noqa: E402
import throughput  # noqa: E402

SUITE = {
    "overhead": overhead.main,
    "audio_codec": audio_codec.main,
    "throughput": throughput.main,
    "batch": batch.main,
    "import_time": import_time.main,
    "startup": startup.main,
    "memory": memory.main,
    "serve_load": serve_load.main,
}


def main() -> None:
    """Parse arguments and run the selected benchmarks in order."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer jobs and repetitions")
    p.add_argument("--only", nargs="+", choices=list(SUITE), help="run only these")
    args = p.parse_args()
    for name in args.only or list(SUITE):
        t0 = time.perf_counter()
        SUITE[name](args.quick)
        print(f"({name}: {time.perf_counter() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
