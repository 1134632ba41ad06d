"""Import time: what the pack adds to a process that already has ``requests``.

Each variant runs in a fresh interpreter (``python -c``) that times only the import with
``perf_counter``; variants are interleaved round by round and the best of N is kept. The
ComfyUI variant loads the repo root ``__init__.py`` with ``spec_from_file_location`` under
the folder name (as ComfyUI's ``load_custom_node`` does) and reads ``NODE_CLASS_MAPPINGS``.

The baseline is ``import requests``, and every subject imports ``requests`` first: the pack
uses ``requests`` (the Runware client) as soon as it runs a job, so comparing the pack alone
with ``requests`` alone would count ``requests`` on one side only. The add-on of a subject is
its time minus the baseline's. The CLI row builds the ``cover`` command's parser, as
``minimax-cover cover`` does before it runs.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from _common import BENCH_DIR, bytecode_env, isolate_env, save, script_main, table

ROOT = BENCH_DIR.parent
COMFY = (
    "import importlib.util, sys\n"
    "spec = importlib.util.spec_from_file_location('minimax-cover', {init!r})\n"
    "mod = importlib.util.module_from_spec(spec); sys.modules['minimax-cover'] = mod\n"
    "spec.loader.exec_module(mod)\n"
    "n = len(mod.NODE_CLASS_MAPPINGS)\n"
)
BASELINE = "import requests (baseline)"
COMFY_ROW = "requests + ComfyUI load of the pack folder + NODE_CLASS_MAPPINGS"
VARIANTS: dict[str, str] = {
    BASELINE: "import requests\n",
    "requests + import minimax_cover": "import requests\nimport minimax_cover\n",
    "requests + import minimax_cover.nodes + NODE_CLASS_MAPPINGS":
        "import requests\nimport minimax_cover.nodes as m\nn = len(m.NODE_CLASS_MAPPINGS)\n",
    COMFY_ROW: "import requests\n" + COMFY.format(init=str(ROOT / "__init__.py")),
    "requests + the CLI with the cover parser (minimax-cover cover)":
        "import requests\nfrom minimax_cover.plugin.cli import build_parser\n"
        "build_parser('cover')\n",
}
HARNESS = (
    "import sys, time\n"
    "code = sys.argv[1]\n"
    "t = time.perf_counter()\n"
    "exec(compile(code, '<bench>', 'exec'), {{}})\n"
    "print(time.perf_counter() - t)\n"
    "print(int('numpy' in sys.modules), int('torch' in sys.modules))\n"
)


def once(code: str, env: dict[str, str] | None = None) -> tuple[float, bool, bool]:
    # cwd outside the repo so a stray folder cannot shadow the installed package
    out = subprocess.run([sys.executable, "-c", HARNESS.format(), code], capture_output=True,
                         text=True, check=True, cwd="/", env=env)
    lines = out.stdout.split()
    return float(lines[0]), lines[1] == "1", lines[2] == "1"


def run(quick: bool) -> dict[str, Any]:
    """Measure and return the result dict."""
    env = bytecode_env(isolate_env())  # every side with warm bytecode, as when installed
    for code in VARIANTS.values():
        once(code, env)  # warm-up: writes the bytecode cache
    reps = 7 if quick else 15
    times: dict[str, list[float]] = {k: [] for k in VARIANTS}
    loads: dict[str, dict[str, bool]] = {}
    for i in range(reps):
        order = list(VARIANTS) if i % 2 == 0 else list(VARIANTS)[::-1]
        for name in order:
            t, numpy, torch = once(VARIANTS[name], env)
            times[name].append(t)
            loads[name] = {"numpy": numpy, "torch": torch}
    best = {k: min(v) for k, v in times.items()}
    base = best[BASELINE]
    rows = [{"variant": k, "best_s": round(v, 4), "times_s": [round(t, 4) for t in times[k]],
             "over_requests_ms": round((v - base) * 1000, 1), "ratio": round(v / base, 2),
             "loads_numpy": loads[k]["numpy"], "loads_torch": loads[k]["torch"]}
            for k, v in best.items()]
    comfy = best[COMFY_ROW]
    return {"repetitions": reps, "rows": rows,
            "pack_over_requests_ms": round((comfy - base) * 1000, 1),
            "target": "the pack adds < 100 ms to a process with requests",
            "target_met": (comfy - base) < 0.100}


def report(res: dict[str, Any]) -> str:
    """The markdown table of a result."""
    rows = [[r["variant"], f"{r['best_s'] * 1000:.1f} ms", f"{r['over_requests_ms']:+.1f} ms",
             f"{r['ratio']:.2f}", "yes" if r["loads_numpy"] else "no"] for r in res["rows"]]
    return table([f"fresh interpreter, best of {res['repetitions']}", "import time",
                  "added to requests", "ratio", "numpy loaded"], rows)


def main(quick: bool = False) -> dict[str, Any]:
    """Run, print, save."""
    res = run(quick)
    mark = "✓" if res["target_met"] else "✗"
    print("\n## Import time\n\n" + report(res)
          + f"\n\nComfyUI load adds {res['pack_over_requests_ms']:+.1f} ms over requests "
          f"(target < 100 ms) {mark}")
    print(f"\nwrote {save('import_time', res)}")
    return res


if __name__ == "__main__":
    script_main(__doc__, main)
