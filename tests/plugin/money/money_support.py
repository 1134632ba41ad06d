"""Helpers of the money tests (imported by basename, like ``sandbox_support``)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

PROMPT = "warm acoustic folk, fingerpicked guitar"


def backend_options(sb: Any) -> dict[str, Any]:
    """Test-sized timings for a backend bound to ``sb``."""
    from minimax_cover.plugin.transport.retry import RetryPolicy

    return {"api_key": sb.api_key, "base_url": sb.url, "timeout": (2.0, 5.0),
            "sync_read_timeout_s": 10.0, "poll_initial_s": 0.02, "poll_max_s": 0.05,
            "retry_policy": RetryPolicy(base_delay_s=0.01, max_delay_s=0.05)}


def task_types(sb: Any) -> list[str]:
    """Every task type the sandbox received, in order."""
    return [t for entry in sb.requests_log for t in entry["task_types"]]


def run_cli(*args: str, env: dict[str, str], timeout: float = 60
            ) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a fresh process."""
    return subprocess.run([sys.executable, "-m", "minimax_cover.plugin.cli", *args],
                          capture_output=True, text=True, timeout=timeout, env=env)
