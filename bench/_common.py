"""Shared helpers of the benchmark suite: machine info, medians, tables, results, test songs.

Every benchmark measures a subject and a baseline side by side in the same run (interleaved,
median of several repetitions) and reports ratios; absolute figures are for orientation only.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import statistics
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
PROMPT = "a warm acoustic folk cover with brushed drums"


def machine_info() -> dict[str, Any]:
    """Platform, CPU count and versions, stored with every result file."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    try:
        info["loadavg"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    return info


def median(values: Iterable[float]) -> float:
    """The median of ``values``."""
    return float(statistics.median(list(values)))


def isolate_env() -> Path:
    """Point config/data dirs to a temp dir and turn off plugin autoload; return the dir."""
    tmp = Path(tempfile.mkdtemp(prefix="mmc-bench-"))
    os.environ["MINIMAX_COVER_DATA_DIR"] = str(tmp / "data")
    os.environ["MINIMAX_COVER_CONFIG_DIR"] = str(tmp / "config")
    os.environ["MINIMAX_COVER_LOAD_PLUGINS"] = ""
    os.environ.pop("RUNWARE_API_KEY", None)
    os.environ.pop("RUNWARE_API_URL", None)
    logging.getLogger("minimax_cover").setLevel(logging.ERROR)
    return tmp


def bytecode_env(tmp: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` for child interpreters that cache bytecode under ``tmp`` (warm after one run).

    An installed package has its ``.pyc`` files; an editable checkout under
    ``PYTHONDONTWRITEBYTECODE=1`` (CI, this repo's tooling) would compile every module of the
    pack on each start, which no user pays. ``PYTHONPYCACHEPREFIX`` gives every side of a
    comparison the same warm cache, outside the repository.
    """
    out = dict(os.environ if env is None else env)
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    out["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    return out


def song(seconds: float, sample_rate: int = 44100, channels: int = 2) -> Any:
    """A deterministic music-like float32 ``[channels, samples]`` array."""
    import numpy as np

    n = int(seconds * sample_rate)
    t = np.arange(n, dtype=np.float64) / sample_rate
    rng = np.random.default_rng(7)
    rows = []
    for c in range(channels):
        freqs = (220.0, 277.2, 329.6, 440.0) if c % 2 == 0 else (196.0, 246.9, 293.7, 392.0)
        tone = sum(0.12 * np.sin(2 * np.pi * f * t + 0.3 * c) for f in freqs)
        beat = (np.sin(2 * np.pi * 2 * t) > 0.95).astype(np.float64)
        rows.append(tone + rng.standard_normal(n) * 0.05 * (0.3 + beat))
    return np.stack(rows).astype(np.float32)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A markdown table (first column left-aligned, the others right-aligned)."""
    lines = ["| " + " | ".join(headers) + " |",
             "| " + " | ".join(["---"] + ["---:"] * (len(headers) - 1)) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def save(name: str, payload: dict[str, Any]) -> Path:
    """Write ``bench/results/<name>.json`` with the machine info; return the path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps({"machine": machine_info(), **payload}, indent=2) + "\n")
    return path


def ms(seconds: float) -> str:
    """Seconds as a rounded millisecond string."""
    return f"{seconds * 1000:.1f} ms"


PY = sys.executable


class ExternalSandbox:
    """The sandbox CLI in its own process (its own GIL), for load figures of the client alone.

    ``with ExternalSandbox(latency_s=0.2) as sb:`` gives ``sb.url`` and ``sb.api_key``.
    """

    def __init__(self, *, latency_s: float = 0.0, api_key: str = "bench-key") -> None:
        self.latency_s = latency_s
        self.api_key = api_key
        self.url = ""
        self._proc: Any = None

    def __enter__(self) -> ExternalSandbox:
        import subprocess

        self._proc = subprocess.Popen(
            [sys.executable, "-m", "minimax_cover.plugin.cli", "-q", "sandbox", "--json",
             "--key", self.api_key, "--latency", str(self.latency_s)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        line = self._proc.stdout.readline()
        self.url = json.loads(line)["url"]
        return self

    def __exit__(self, *exc: object) -> None:
        self._proc.terminate()
        self._proc.wait(timeout=10)


def run_and_report(name: str, title: str, run: Any, report: Any, quick: bool) -> dict[str, Any]:
    """Run one benchmark, print its table under ``title``, save its JSON; return the result."""
    res: dict[str, Any] = run(quick)
    print(f"\n## {title}\n\n" + report(res))
    print(f"\nwrote {save(name, res)}")
    return res


def script_main(doc: str | None, main: Any) -> None:
    """``python bench/<name>.py [--quick]``."""
    import argparse

    p = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    p.add_argument("--quick", action="store_true")
    main(p.parse_args().quick)
