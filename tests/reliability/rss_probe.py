"""Run one client job in a fresh process and report its outcome, time and peak memory.

``python rss_probe.py '<json>'`` with ``url``, ``key``, ``out``, ``task`` (the audioInference
task), ``format``, ``max_result_bytes`` and ``timeout`` (``[connect, read, total, min_rate,
window]``). After the imports and a warm-up, the peak resident set is reset
(``/proc/self/clear_refs``: 5) so ``VmHWM`` afterwards is the job's own peak; ``growth`` is
that peak minus the resident set before the job. Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def main() -> None:
    args = json.loads(sys.argv[1])
    import numpy  # noqa: F401 - the verify step imports it; load it before measuring
    import soundfile  # noqa: F401
    from minimax_cover.plugin.errors import MinimaxCoverError
    from minimax_cover.plugin.runware.client import RunwareClient
    from minimax_cover.plugin.transport.retry import RetryPolicy
    from minimax_cover.plugin.transport.timeouts import Timeout

    connect, read, total, rate, window = args["timeout"]
    client = RunwareClient(
        api_key=args["key"], base_url=args["url"],
        timeout=Timeout(connect, read, total_s=total, min_rate_bps=rate, rate_window_s=window),
        sync_read_timeout_s=read, max_result_bytes=args["max_result_bytes"],
        retry_policy=RetryPolicy(max_retries=1, base_delay_s=0.01, max_delay_s=0.02),
        poll_initial_s=0.02, poll_max_s=0.05, poll_deadline_s=10.0)
    try:  # warm-up: the HTTP stack's first-use allocations are not the job's
        client.get_response("00000000-0000-4000-8000-000000000000")
    except MinimaxCoverError:
        pass
    try:
        Path("/proc/self/clear_refs").write_text("5")
        reset = True
    except OSError:
        reset = False
    before = _status("VmRSS")
    started = time.monotonic()
    outcome: dict[str, object] = {"error": None, "files": []}
    try:
        result = client.run(args["task"])
        for i, item in enumerate(result.results):
            path = client.fetch(item, Path(args["out"]) / f"r{i}.{args['format'].lower()}",
                                expected_format=args["format"])
            outcome["files"].append(str(path))  # type: ignore[union-attr]
    except MinimaxCoverError as exc:
        outcome["error"] = type(exc).__name__
        outcome["message"] = str(exc)[:300]
    except RecursionError as exc:  # must never happen: reported as a failure
        outcome["error"] = "RecursionError"
        outcome["message"] = str(exc)[:300]
    outcome["elapsed_s"] = round(time.monotonic() - started, 3)
    outcome["growth"] = _status("VmHWM") - before if reset else None
    outcome["peak_reset"] = reset
    client.close()
    print(json.dumps(outcome))


if __name__ == "__main__":
    main()
