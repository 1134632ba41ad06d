"""Never pay for a result that cannot be saved: the destination is decided before any upload.

Unwritable folders, names that contradict the format and existing files are dealt with before
a request leaves the machine (checked on the sandbox's request log) and before the journal
records anything.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.cli import EXIT_INVALID, main
from minimax_cover.plugin.errors import OutputPathError
from minimax_cover.plugin.jobs.outputs import PROBE_PREFIX, plan_outputs
from minimax_cover.plugin.journal.store import Journal
from money_support import PROMPT

FORMATS = ("MP3", "WAV", "FLAC", "OGG")


# --------------------------------------------------------------------------- the plan


def test_file_name_and_numbering(tmp_path: Path) -> None:
    plan = plan_outputs(tmp_path / "a" / "take.wav", "WAV", 2, formats=FORMATS)
    assert plan.folder == tmp_path / "a" and plan.folder.is_dir()
    assert [plan.path_for(i, "0" * 36).name for i in range(2)] == ["take_1.wav", "take_2.wav"]
    assert not list(plan.folder.glob(PROBE_PREFIX + "*"))  # the probe is removed


def test_default_stem_follows_the_task(tmp_path: Path) -> None:
    plan = plan_outputs(tmp_path, "FLAC", 1, formats=FORMATS)
    assert plan.path_for(0, "abcdef12-0000").name == "cover_abcdef12.flac"


def test_extension_contradicting_the_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputPathError, match=r"extension says WAV but the format is MP3.*"
                                              r"named\.mp3"):
        plan_outputs(tmp_path / "named.wav", "MP3", 1, formats=FORMATS)
    with pytest.raises(OutputPathError, match="cannot write M4A"):
        plan_outputs(tmp_path / "named.m4a", "MP3", 1, formats=FORMATS)
    assert not (tmp_path / "named.wav").exists()


def test_existing_file_is_kept_and_the_new_name_said(tmp_path: Path) -> None:
    (tmp_path / "take.mp3").write_bytes(b"paid before")
    (tmp_path / "take-1.mp3").write_bytes(b"paid before too")
    plan = plan_outputs(tmp_path / "take.mp3", "MP3", 1, formats=FORMATS)
    assert plan.path_for(0, "x" * 36).name == "take-2.mp3"
    assert plan.notes == [f"{tmp_path / 'take.mp3'} exists: writing take-2.mp3 instead "
                          "(--overwrite replaces it)"]
    replace = plan_outputs(tmp_path / "take.mp3", "MP3", 1, overwrite=True, formats=FORMATS)
    assert replace.path_for(0, "x" * 36).name == "take.mp3" and not replace.notes


def test_a_numbered_set_moves_together(tmp_path: Path) -> None:
    (tmp_path / "take_2.mp3").write_bytes(b"old")
    plan = plan_outputs(tmp_path / "take.mp3", "MP3", 2, formats=FORMATS)
    assert [plan.path_for(i, "x" * 36).name for i in range(2)] == ["take-1_1.mp3",
                                                                   "take-1_2.mp3"]


def test_a_file_appearing_after_the_plan_is_not_overwritten(tmp_path: Path) -> None:
    plan = plan_outputs(tmp_path / "take.mp3", "MP3", 1, formats=FORMATS)
    (tmp_path / "take.mp3").write_bytes(b"someone else's")
    assert plan.path_for(0, "x" * 36).name == "take-1.mp3"
    assert plan.path_for(0, "x" * 36).name == "take-1.mp3"  # stable once decided


def test_a_path_under_a_file_fails_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(OutputPathError) as err:
        plan_outputs(tmp_path / "notes.txt" / "out", "MP3", formats=FORMATS)
    assert "notes.txt is a file, not a folder; nothing was sent" in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs a non-root POSIX user (root writes into read-only folders)")
def test_a_read_only_folder_fails(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(OutputPathError, match="cannot write there"):
            plan_outputs(ro, "MP3", formats=FORMATS)
    finally:
        ro.chmod(0o755)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_a_folder_nobody_can_write_fails(tmp_path: Path) -> None:
    """/proc refuses new entries even to root (nothing is written: the mkdir fails)."""
    with pytest.raises(OutputPathError) as err:
        plan_outputs(Path("/proc/minimax-cover-no-such-folder"), "MP3", formats=FORMATS)
    assert str(err.value).startswith("output folder /proc/minimax-cover-no-such-folder: "
                                     "cannot write there (")
    assert str(err.value).endswith("); nothing was sent")


def test_dry_run_plans_without_creating(tmp_path: Path) -> None:
    plan = plan_outputs(tmp_path / "new" / "deeper", "MP3", formats=FORMATS, create=False)
    assert plan.folder == tmp_path / "new" / "deeper" and not plan.folder.exists()


# --------------------------------------------------------------------------- through a job


def test_path_under_a_file_sends_nothing_and_journals_nothing(
    sandbox: Any, song: Path, tmp_path: Path, sandbox_env: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox_env(sandbox)
    (tmp_path / "file.txt").write_text("x")
    code = main(["cover", str(song), "--prompt", PROMPT, "-o",
                 str(tmp_path / "file.txt" / "out"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == EXIT_INVALID
    assert err.count("\n") == 1 and err.startswith("error: output folder ")
    assert sandbox.requests_log == []  # not even the balance was asked
    with Journal() as journal:
        assert journal.list_jobs(limit=None) == []  # no pending row for resume to misreport


def test_existing_output_file_is_kept(sandbox: Any, song: Path, tmp_path: Path,
                                      sandbox_env: Any, capsys: pytest.CaptureFixture[str],
                                      caplog: pytest.LogCaptureFixture) -> None:
    sandbox_env(sandbox)
    kept = tmp_path / "existing.mp3"
    kept.write_bytes(b"a paid result")
    code = main(["cover", str(song), "--prompt", PROMPT, "-o", str(kept), "--no-progress",
                 "--delivery-method", "sync"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert kept.read_bytes() == b"a paid result"
    assert (tmp_path / "existing-1.mp3").stat().st_size > 1000
    assert [r.getMessage() for r in caplog.records if "exists: writing" in r.getMessage()] \
        == [f"{kept} exists: writing existing-1.mp3 instead (--overwrite replaces it)"]
    assert str(tmp_path / "existing-1.mp3") in captured.out


def test_overwrite_replaces(sandbox: Any, song: Path, tmp_path: Path, run_job: Any) -> None:
    target = tmp_path / "take.mp3"
    target.write_bytes(b"old")
    result = run_job(sandbox, song, output=target, overwrite=True, journal=False)
    assert result.files == [target] and target.stat().st_size > 1000


def test_named_wav_writes_wav_and_a_contradiction_sends_nothing(
    sandbox: Any, song: Path, tmp_path: Path, sandbox_env: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox_env(sandbox)
    code = main(["cover", str(song), "--prompt", PROMPT, "-o", str(tmp_path / "named.wav"),
                 "--format", "MP3", "--no-progress"])
    assert code == EXIT_INVALID
    assert "extension says WAV but the format is MP3" in capsys.readouterr().err
    assert sandbox.requests_log == [] and not (tmp_path / "named.mp3").exists()
    code = main(["cover", str(song), "--prompt", PROMPT, "-o", str(tmp_path / "named.wav"),
                 "--no-progress", "--delivery-method", "sync", "--json"])
    assert code == 0
    assert (tmp_path / "named.wav").read_bytes()[:4] == b"RIFF"
    assert not (tmp_path / "named.mp3").exists()


def test_api_output_file_sets_the_format(sandbox: Any, song: Path, tmp_path: Path,
                                         run_job: Any) -> None:
    result = run_job(sandbox, song, output=tmp_path / "take.flac", journal=False)
    assert result.request["outputFormat"] == "FLAC"
    assert result.files == [tmp_path / "take.flac"]
