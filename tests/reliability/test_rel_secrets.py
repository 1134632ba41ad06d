"""Secrets: the API key appears in no output, log, error, journal byte or written file.

A recognisable fake key is the sandbox's key and ``RUNWARE_API_KEY``. Every CLI command path
(success, 402, invalid parameters, validate, jobs, resume, plugins, schema, --debug tracebacks),
a headless ComfyUI workflow and direct API errors are run; everything they print or log, every
exception's ``str``/``repr``/traceback, the journal (``.sqlite3`` and ``-wal``) and every file
under ``tmp_path`` are searched for the key and for its distinctive tail.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import logging
import os
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.cli import main
from minimax_cover.plugin.errors import MinimaxCoverError
from minimax_cover.plugin.sandbox import Fault
from rel_support import FAKE_KEY, PROMPT, fast_options

NEEDLES = (
    FAKE_KEY.encode(),
    FAKE_KEY.split("-")[-1].encode(),  # the distinctive tail alone
    base64.b64encode(FAKE_KEY.encode()),
    base64.b64encode(f":{FAKE_KEY}".encode()),  # a Basic-auth header
)


class Evidence:
    """Everything a run produced that a user, a log shipper or a bug report could see."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.chunks: dict[str, bytes] = {}

    def add(self, label: str, value: Any) -> None:
        data = value if isinstance(value, bytes) else str(value).encode("utf-8", "replace")
        self.chunks[f"{label}#{len(self.chunks)}"] = data

    def add_error(self, label: str, exc: BaseException) -> None:
        self.add(label + ".str", str(exc))
        self.add(label + ".repr", repr(exc))
        self.add(label + ".traceback", "".join(traceback.format_exception(exc)))
        self.add(label + ".vars", repr(vars(exc)))

    def snapshot_files(self, label: str) -> None:
        """Every file under the test's folder (journal, -wal, outputs, config...)."""
        for path in sorted(self.root.rglob("*")):
            if path.is_file():
                self.add(f"{label}:{path.relative_to(self.root)}", path.read_bytes())

    def leaks(self) -> list[str]:
        return [label for label, data in self.chunks.items()
                if any(needle in data for needle in NEEDLES)]


@pytest.fixture
def evidence(tmp_path: Path) -> Evidence:
    return Evidence(tmp_path)


def _cli(args: list[str], ev: Evidence, capsys: pytest.CaptureFixture[str]) -> int:
    label = "cli " + " ".join(args[:2])
    try:
        code = main(args)
    except MinimaxCoverError as exc:  # a command that lets one through
        ev.add_error(label, exc)
        code = -1
    captured = capsys.readouterr()
    ev.add(label + ".stdout", captured.out)
    ev.add(label + ".stderr", captured.err)
    ev.snapshot_files(label)
    return code


def test_key_never_leaks(song: Path, tmp_path: Path, make_sandbox: Any, evidence: Evidence,
                         capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)
    sb = make_sandbox()
    monkeypatch.setenv("RUNWARE_API_KEY", FAKE_KEY)
    monkeypatch.setenv("RUNWARE_API_URL", sb.url)
    out = str(tmp_path / "out")
    cover = ["cover", str(song), "--prompt", PROMPT, "-o", out, "--no-progress"]

    assert _cli([*cover, "--json"], evidence, capsys) == 0
    assert _cli(["-v", *cover, "--seed", "3"], evidence, capsys) == 0

    sb.inject(Fault("status", task_type="audioInference", status=402))
    assert _cli([*cover, "--seed", "4"], evidence, capsys) == 1
    sb.inject(Fault("status", task_type="audioInference", status=402))
    # --debug: the same exit code, the traceback on stderr (in the evidence)
    assert _cli(["--debug", *cover, "--seed", "5"], evidence, capsys) == 1
    sb.inject(Fault("status", task_type="mediaStorage", status=401))
    assert _cli(["--debug", *cover, "--seed", "6"], evidence, capsys) == 1
    assert any(label.startswith("cli --debug") and b"Traceback" in data
               for label, data in evidence.chunks.items())

    assert _cli(["cover", str(song), "--prompt", "short", "-o", out], evidence, capsys) == 2
    assert _cli(["cover", str(song), "--prompt", PROMPT, "--number-results", "9", "-o", out],
                evidence, capsys) == 2

    # an unfinished (paid, unsaved) job for `jobs` and `resume`
    sb.inject(Fault("expire_url"))
    assert _cli([*cover, "--seed", "8"], evidence, capsys) == 1
    assert _cli(["jobs"], evidence, capsys) == 0
    assert _cli(["jobs", "--json"], evidence, capsys) == 0
    assert _cli(["jobs", "--unfinished"], evidence, capsys) == 0
    assert _cli(["resume", "-o", out], evidence, capsys) == 0
    assert _cli(["resume", "--json", "-o", out], evidence, capsys) == 0

    request = tmp_path / "request.json"
    request.write_text(json.dumps({"taskType": "audioInference", "taskUUID":
                                   "3f1c1e2a-5b6d-4e7f-8a9b-0c1d2e3f4a5b",
                                   "model": "minimax:music@cover", "positivePrompt": PROMPT,
                                   "inputs": {"audio": "https://example.com/a.mp3"}}))
    assert _cli(["validate", str(request)], evidence, capsys) == 0
    assert _cli(["plugins", "--json"], evidence, capsys) == 0
    assert _cli(["schema"], evidence, capsys) == 0

    for record in caplog.records:
        evidence.add(f"log {record.name}", record.getMessage())
        evidence.add(f"log-args {record.name}", repr(record.args))
    evidence.add("caplog", caplog.text)
    evidence.add("sandbox.requests_log", repr(sb.requests_log))

    assert len(evidence.chunks) > 50
    assert evidence.leaks() == []
    assert sb.submissions() >= 3  # the runs really reached the API


def test_key_never_leaks_from_api_errors(song: Path, tmp_path: Path, make_sandbox: Any,
                                         evidence: Evidence,
                                         caplog: pytest.LogCaptureFixture) -> None:
    """Direct Python use: client, backend and errors, including a wrong key (401)."""
    from minimax_cover.plugin.jobs.pipeline import cover
    from minimax_cover.plugin.journal.store import Journal
    from minimax_cover.plugin.runware.backend import RunwareBackend
    from minimax_cover.plugin.runware.client import RunwareClient

    caplog.set_level(logging.DEBUG)
    sb = make_sandbox(api_key="the-sandbox-wants-another-key",
                      faults=[Fault("drop_before", task_type="audioInference")])
    client = RunwareClient(api_key=FAKE_KEY, base_url=sb.url)
    evidence.add("client", repr(client))
    backend = RunwareBackend(api_key=FAKE_KEY, base_url=sb.url)
    evidence.add("backend", f"{backend.label} {backend.endpoint} {backend.client!r}")
    backend.close()
    client.close()
    with Journal(tmp_path / "j.sqlite3") as journal:
        with pytest.raises(MinimaxCoverError) as info:  # 401 on the upload
            cover(song, prompt=PROMPT, output_dir=tmp_path, backend="runware",
                  backend_options={**fast_options(sb), "api_key": FAKE_KEY}, journal=journal)
        evidence.add_error("401", info.value)
        sb.api_key = FAKE_KEY
        with pytest.raises(MinimaxCoverError) as info:  # outcome unknown, journaled
            cover(song, prompt=PROMPT, output_dir=tmp_path, backend="runware",
                  backend_options=fast_options(sb), journal=journal)
        evidence.add_error("unknown", info.value)
        evidence.add("jobs", repr([job.to_dict() for job in journal.list_jobs(limit=None)]))
        evidence.snapshot_files("open journal")  # the -wal file exists while it is open
    assert any(label.startswith("open journal:j.sqlite3-wal") for label in evidence.chunks)
    evidence.add("caplog", caplog.text)
    evidence.snapshot_files("end")
    assert evidence.leaks() == []


def test_key_never_leaks_from_a_real_process(song: Path, tmp_path: Path, make_sandbox: Any,
                                             evidence: Evidence) -> None:
    """A separate ``--debug`` process logs everything (urllib3 included) to real stderr."""
    sb = make_sandbox(faults=[Fault("status", task_type="audioInference", status=402)])
    env = {**os.environ, "RUNWARE_API_KEY": FAKE_KEY, "RUNWARE_API_URL": sb.url}
    base = [sys.executable, "-m", "minimax_cover.plugin.cli", "--debug", "cover", str(song),
            "--prompt", PROMPT, "-o", str(tmp_path / "out")]
    for extra in ([], ["--seed", "2"]):  # 402 with a traceback, then a success
        done = subprocess.run([*base, *extra], env=env, capture_output=True, timeout=60)
        evidence.add("stdout", done.stdout)
        evidence.add("stderr", done.stderr)
        assert done.stderr  # debug logs were produced
    assert b"Traceback" in evidence.chunks["stderr#1"]
    evidence.snapshot_files("end")
    assert evidence.leaks() == []


def test_key_never_leaks_from_a_workflow(song: Path, tmp_path: Path, make_sandbox: Any,
                                         evidence: Evidence, monkeypatch: pytest.MonkeyPatch,
                                         caplog: pytest.LogCaptureFixture,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """The node path: the example API workflow, run headless."""
    if importlib.util.find_spec("minimax_cover.nodes.runner") is None:
        pytest.skip("minimax_cover.nodes.runner is not available in this checkout")
    from minimax_cover.nodes.runner import load_workflow, run_workflow

    caplog.set_level(logging.DEBUG)
    sb = make_sandbox()
    monkeypatch.setenv("RUNWARE_API_KEY", FAKE_KEY)
    monkeypatch.setenv("RUNWARE_API_URL", sb.url)
    repo = Path(__file__).resolve().parents[2]
    workflow = load_workflow(repo / "examples" / "workflows" / "minimax_music_cover_api.json")
    loader = next(n for n in workflow.values() if n["class_type"] in ("LoadAudio",
                                                                     "MiniMaxCoverLoadAudio"))
    loader["inputs"]["audio"] = song.name
    result = run_workflow(workflow, output_dir=tmp_path / "comfy_out", input_dirs=[song.parent])
    evidence.add("workflow", repr(result.to_dict()))
    assert sb.submissions() == 1
    captured = capsys.readouterr()
    evidence.add("stdout", captured.out)
    evidence.add("stderr", captured.err)
    evidence.add("caplog", caplog.text)
    evidence.snapshot_files("end")
    assert any("comfy_out" in label for label in evidence.chunks)
    assert evidence.leaks() == []
