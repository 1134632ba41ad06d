"""A full disk mid-write loses nothing and says how to go on (issue 17, item 8).

The output folder is a 1 MiB tmpfs the test mounts itself (we run as root in CI; the test is
skipped, saying why, where mounting is refused). Four ~300 KB WAV results go into it: three
fit, the fourth hits ENOSPC. The job must end in :class:`ResultNotSavedError` (exit 5 from the
CLI) naming the taskUUID and ``resume -o``, leave no ``.part`` file, keep the three verified
files, stay resumable, and ``resume -o OTHER`` must save the rest without a second submit. A
cleanup that fails too (a folder gone read-only) must not hide the first error.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile_server import Hostile
from minimax_cover.plugin.errors import ResultNotSavedError
from minimax_cover.plugin.jobs.pipeline import cover, resume_job
from minimax_cover.plugin.journal.store import Journal
from rel_support import PROMPT, fast_options, write_song

KEY = "rw-DISK-test-key"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs mounted at ``tmp_path/small``, unmounted afterwards."""
    mount = tmp_path / "small"
    mount.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a 1 MiB tmpfs needs Linux and root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mount refused: {done.stderr.strip() or done.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture(scope="module")
def wav_result() -> bytes:
    """A ~300 KB WAV: three fit in 1 MiB, four do not."""
    import numpy as np
    from minimax_cover.plugin.audio import Audio, encode_audio

    rate = 16000
    t = np.arange(int(9.5 * rate), dtype=np.float64) / rate
    data = encode_audio(Audio((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate),
                        "WAV")
    assert 250_000 < len(data) < 340_000
    return data


def _cover(song: Path, out: Path, h: Hostile) -> Any:
    return cover(song, prompt=PROMPT, results=4, format="WAV", output_dir=out,
                 backend="runware", backend_options=fast_options(h, api_key=KEY))


def _parts(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.endswith(".part")]


def test_full_disk_is_a_typed_error_and_resume_saves_elsewhere(
        small_disk: Path, wav_result: bytes, tmp_path: Path) -> None:
    song = write_song(tmp_path / "song.wav")
    with Hostile(audio=wav_result, api_key=KEY) as h:
        with pytest.raises(ResultNotSavedError) as info:
            _cover(song, small_disk, h)
        exc = info.value
        assert exc.errno == errno.ENOSPC and exc.task_uuid == h.paid[0]
        assert "disk is full" in str(exc) and f"resume {exc.task_uuid} -o" in str(exc)
        assert _parts(small_disk) == []
        saved = sorted(small_disk.glob("*.wav"))
        assert len(saved) == 3 and all(p.read_bytes() == wav_result for p in saved)
        with Journal() as journal:
            row = journal.get(exc.task_uuid)
            assert row is not None and row.status == "running"  # paid, resumable
            assert sorted(row.files) == [str(p) for p in saved]
            elsewhere = tmp_path / "elsewhere"
            result = resume_job(exc.task_uuid, output_dir=elsewhere, journal=journal,
                                backend_options=fast_options(h, api_key=KEY))
            assert journal.get(exc.task_uuid).status == "saved"  # type: ignore[union-attr]
        assert len(result.files) == 4
        assert all(Path(p).read_bytes() == wav_result for p in result.files)
        assert len(h.paid) == 1  # resume never submits


def test_a_failing_cleanup_does_not_hide_the_first_error(
        small_disk: Path, wav_result: bytes, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    real_unlink = Path.unlink

    def read_only_unlink(self: Path, missing_ok: bool = False) -> None:
        if self.name.endswith(".part"):  # the folder went read-only after the first error
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", read_only_unlink)
    song = write_song(tmp_path / "song.wav")
    with Hostile(audio=wav_result, api_key=KEY) as h:
        with pytest.raises(ResultNotSavedError) as info:
            _cover(song, small_disk, h)
    assert info.value.errno == errno.ENOSPC  # the first error, not the cleanup's EROFS
    assert "Read-only" not in str(info.value)


def test_cli_exit_code_and_message(small_disk: Path, wav_result: bytes, tmp_path: Path) -> None:
    song = write_song(tmp_path / "song.wav")
    with Hostile(audio=wav_result, api_key=KEY) as h:
        env = {**os.environ, "RUNWARE_API_URL": h.url, "RUNWARE_API_KEY": KEY}
        done = subprocess.run(
            [sys.executable, "-m", "minimax_cover.plugin.cli", "cover", str(song), "--prompt",
             PROMPT, "--results", "4", "--format", "WAV", "-o", str(small_disk),
             "--no-progress"], env=env, capture_output=True, text=True, timeout=120)
        task = h.paid[0]
        assert done.returncode == 5, done.stderr  # paid, not saved: resume it
        assert task in done.stderr and "disk is full" in done.stderr
        assert f"resume {task} -o" in done.stderr
        assert "Traceback" not in done.stderr and _parts(small_disk) == []
        again = subprocess.run(
            [sys.executable, "-m", "minimax_cover.plugin.cli", "resume", task, "-o",
             str(tmp_path / "elsewhere")], env=env, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
        assert len(list((tmp_path / "elsewhere").glob("*.wav"))) == 4
        assert len(h.paid) == 1
