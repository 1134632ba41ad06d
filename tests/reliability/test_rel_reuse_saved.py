"""Reuse instead of repaying (issue 20, item 5): an identical saved job costs nothing again.

A real ``minimax-cover cover`` process against a keyed sandbox on 127.0.0.1: the same song,
prompt and ``--seed`` covered again with another ``-o`` sends nothing, copies the saved take
(a real file) into the new folder and says "reused" on stderr and in ``--json``; ``--again``
pays for exactly one fresh run. A deleted take is downloaded again while its result URL
answers; once it does not, the command says so and pays nothing.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from rel_support import PROMPT, cli, cli_env


def _cover(song: Path, out: Path, *extra: str) -> list[str]:
    return cli("cover", str(song), "--prompt", PROMPT, "--seed", "5", "-o", str(out),
               "--no-progress", *extra)


def _run(cmd: list[str], sb: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=cli_env(sb.url, sb.api_key), capture_output=True,
                          text=True, timeout=60)


def test_the_same_job_with_another_output_is_reused_and_again_pays_once(
        song: Path, tmp_path: Path, make_sandbox: Any) -> None:
    sb = make_sandbox()
    first = _run(_cover(song, tmp_path / "a", "--json"), sb)
    assert first.returncode == 0, first.stderr
    paid = json.loads(first.stdout)
    assert sb.submissions() == 1 and paid["reused"] is None

    again = _run(_cover(song, tmp_path / "b", "--json"), sb)
    assert again.returncode == 0, again.stderr
    assert sb.submissions() == 1  # no new submit
    assert "reused" in again.stderr and paid["taskUUID"] in again.stderr
    doc = json.loads(again.stdout)
    assert doc["reused"]["taskUUID"] == paid["taskUUID"] and doc["costTotal"] == 0.0
    take = Path(doc["outputs"][0]["path"])
    assert take.parent == tmp_path / "b" and take.is_file() and not take.is_symlink()
    assert take.read_bytes() == Path(paid["outputs"][0]["path"]).read_bytes()

    fresh = _run(_cover(song, tmp_path / "c", "--again", "--json"), sb)
    assert fresh.returncode == 0, fresh.stderr
    assert sb.submissions() == 2  # exactly one new submit
    assert json.loads(fresh.stdout)["reused"] is None and "reused" not in fresh.stderr


def test_a_deleted_take_is_downloaded_again_then_said_to_be_gone(
        song: Path, tmp_path: Path, make_sandbox: Any) -> None:
    sb = make_sandbox()
    first = _run(_cover(song, tmp_path / "a", "--json"), sb)
    assert first.returncode == 0, first.stderr
    saved = Path(json.loads(first.stdout)["outputs"][0]["path"])
    kept = saved.read_bytes()
    saved.unlink()

    back = _run(_cover(song, tmp_path / "b", "--json"), sb)
    assert back.returncode == 0, back.stderr
    assert "reused" in back.stderr and sb.submissions() == 1
    assert Path(json.loads(back.stdout)["outputs"][0]["path"]).read_bytes() == kept

    for path in (tmp_path / "b").iterdir():
        path.unlink()
    sb.stop()  # the result URL no longer answers
    gone = _run(_cover(song, tmp_path / "c"), sb)
    assert gone.returncode != 0
    assert "moved or deleted" in gone.stderr and "--again" in gone.stderr
    assert "Traceback" not in gone.stderr
    assert sb.submissions() == 1
