"""The console script freezes its imports out of the garbage collector's way; in-process
callers of ``main`` (tests, hosts) keep their collector untouched."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from minimax_cover.plugin.cli import main

PROMPT = "warm acoustic folk, fingerpicked guitar"


def test_main_in_process_does_not_freeze(sandbox: Any, song_wav: bytes, tmp_path: Path,
                                         monkeypatch: Any) -> None:
    monkeypatch.setenv("RUNWARE_API_URL", sandbox.url)
    monkeypatch.setenv("RUNWARE_API_KEY", sandbox.api_key)
    song = tmp_path / "song.wav"
    song.write_bytes(song_wav)
    before = gc.get_freeze_count()
    assert main(["cover", str(song), "--prompt", PROMPT, "-o", str(tmp_path / "out"),
                 "--no-progress", "-q", "--delivery-method", "sync"]) == 0
    assert gc.get_freeze_count() == before


def test_the_console_script_freezes_after_parsing(tmp_path: Path) -> None:
    code = ("import atexit, gc, sys\n"
            "from minimax_cover.plugin import cli\n"
            "atexit.register(lambda: print('frozen:', gc.get_freeze_count() > 0,"
            " file=sys.stderr))\n"
            "sys.argv = ['minimax-cover', 'schema']\n"
            "cli.run()\n")
    env = {**os.environ, "MINIMAX_COVER_DATA_DIR": str(tmp_path),
           "MINIMAX_COVER_LOAD_PLUGINS": ""}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert "frozen: True" in done.stderr
