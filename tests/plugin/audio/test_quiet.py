"""C decoders' chatter stays off stderr: libmpg123 writes to file descriptor 2 on a bad MP3."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "audio" / "example_song.mp3"
NOISE = ("Illegal Audio-MPEG-Header", "Note: ", "Warning: ", "libmpg123", "resync")


@pytest.fixture
def bad_mp3(tmp_path: Path) -> Path:
    """An MP3 whose frames turn into garbage after 20 kB (libmpg123 complains loudly)."""
    import random

    junk = random.Random(5).randbytes(3000)
    path = tmp_path / "bad.mp3"
    path.write_bytes(EXAMPLE.read_bytes()[:20000] + junk)
    return path


def _run(code: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=120, env=env)


def test_decoding_a_bad_mp3_prints_nothing_on_stderr(bad_mp3: Path) -> None:
    code = ("import sys\n"
            "from minimax_cover.plugin.audio import probe_audio, read_audio\n"
            "from minimax_cover.plugin.errors import AudioError\n"
            "probe_audio(sys.argv[1])\n"
            "try:\n    read_audio(sys.argv[1])\nexcept AudioError as exc:\n    print(exc)\n"
            "print('still writable', file=sys.stderr)\n")
    done = _run(code, str(bad_mp3))
    assert done.returncode == 0, done.stderr
    assert not [n for n in NOISE if n in done.stderr], done.stderr
    assert done.stderr.strip() == "still writable"  # fd 2 is back after the decode


def test_other_stderr_output_during_a_decode_is_kept(bad_mp3: Path) -> None:
    code = ("import os, sys\n"
            "from minimax_cover.plugin.audio.quiet import quiet_native_stderr\n"
            "with quiet_native_stderr():\n"
            "    os.write(2, b'Note: Illegal Audio-MPEG-Header 0x0 at offset 1.\\n')\n"
            "    print('a log line of the host', file=sys.stderr)\n")
    done = _run(code)
    assert done.returncode == 0
    assert done.stderr == "a log line of the host\n"


def test_cover_of_a_bad_mp3_is_one_clean_error(bad_mp3: Path, tmp_path: Path) -> None:
    env = {**os.environ, "MINIMAX_COVER_DATA_DIR": str(tmp_path / "data")}
    env.pop("RUNWARE_API_KEY", None)
    env.pop("RUNWARE_API_URL", None)
    done = subprocess.run([sys.executable, "-m", "minimax_cover.plugin.cli", "cover",
                           str(bad_mp3), "--prompt", "warm acoustic folk, fingerpicked",
                           "--delivery-method", "sync", "--no-progress",
                           "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode != 0
    assert not [n for n in NOISE if n in done.stderr], done.stderr
    assert "Traceback" not in done.stderr and done.stderr.startswith("error: ")
