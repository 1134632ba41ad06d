"""A run without a key uses the in-process sandbox: labelled once, in the summary, not in
WARNING log lines on every run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "audio" / "example_song.mp3"


def test_sandbox_run_is_labelled_without_warning_lines(tmp_path: Path) -> None:
    env = {**os.environ, "MINIMAX_COVER_DATA_DIR": str(tmp_path / "data"),
           "MINIMAX_COVER_CONFIG_DIR": str(tmp_path / "config")}
    for name in ("RUNWARE_API_KEY", "RUNWARE_API_URL"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "minimax_cover.plugin.cli", "cover", str(EXAMPLE), "--prompt",
         "warm acoustic folk, fingerpicked guitar", "-o", str(tmp_path / "x"),
         "--delivery-method", "sync", "--no-progress"],
        capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    assert done.stderr == ""
    assert "via SANDBOX (synthetic audio, not MiniMax)" in done.stdout
    assert "(sandbox: nothing was charged)" in done.stdout
