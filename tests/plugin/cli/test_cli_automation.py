"""The CLI driven from scripts, pipes and CI (issue 16): values in any case, stdin, the journal
commands, reusable seeds, the sandbox label, the progress line, one JSON key style."""

from __future__ import annotations

import io
import json
import re
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from minimax_cover.plugin.cli import EXIT_INVALID, main
from minimax_cover.plugin.journal.store import Journal

PROMPT = "warm acoustic folk, fingerpicked guitar"
SEED_LINE = re.compile(r"^seed: (\d+) ", re.MULTILINE)


@pytest.fixture
def song(tmp_path: Path, song_wav: bytes) -> Path:
    path = tmp_path / "song.wav"
    path.write_bytes(song_wav)
    return path


@pytest.fixture
def keyed(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The CLI pointed at a keyed sandbox (no in-process one)."""
    monkeypatch.setenv("RUNWARE_API_URL", sandbox.url)
    monkeypatch.setenv("RUNWARE_API_KEY", sandbox.api_key)
    return sandbox


def _cover(song: Any, out: Path, *extra: str) -> list[str]:
    return ["cover", str(song), "--prompt", PROMPT, "-o", str(out), "--delivery-method", "sync",
            "--no-progress", *extra]


def _submits(sb: Any) -> list[dict[str, Any]]:
    return [r for r in sb.requests_log if r["task_types"] == ["audioInference"]]


# --------------------------------------------------------------------------- values and stdin


def test_format_in_any_case_is_sent_in_the_api_case(keyed: Any, song: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*_cover(song, tmp_path / "out"), "--format", "flac", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["outputs"][0]["format"] == "FLAC"
    assert Path(doc["outputs"][0]["path"]).suffix == ".flac"
    with Journal() as journal:
        assert journal.get(doc["taskUUID"]).request["outputFormat"] == "FLAC"


def test_unknown_format_still_exits_two(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["cover", "x.mp3", "--prompt", PROMPT, "--format", "mp4"])
    assert info.value.code == EXIT_INVALID
    assert "'mp4'" in capsys.readouterr().err


def test_song_from_stdin(keyed: Any, song: Path, tmp_path: Path,
                         monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(song.read_bytes())))
    assert main([*_cover("-", tmp_path / "out"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert Path(doc["outputs"][0]["path"]).is_file()
    uploads = [r for r in keyed.requests_log if r["task_types"] == ["mediaStorage"]]
    assert len(uploads) == 1 and len(_submits(keyed)) == 1


def test_lyrics_from_stdin(keyed: Any, song: Path, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    lyrics = "[Verse]\nsung from a pipe tonight\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(lyrics))
    assert main([*_cover(song, tmp_path / "out"), "--lyrics-file", "-", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    with Journal() as journal:
        assert journal.get(doc["taskUUID"]).request["settings"]["lyrics"] == lyrics.strip()


def test_song_and_lyrics_cannot_both_be_stdin(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["cover", "-", "--prompt", PROMPT, "--lyrics-file", "-"])
    assert code == EXIT_INVALID
    assert "stdin" in capsys.readouterr().err


# --------------------------------------------------------------------------- seeds


def test_seed_is_chosen_printed_journaled_and_reusable(keyed: Any, song: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    assert main(_cover(song, tmp_path / "a", "--results", "2")) == 0
    out = capsys.readouterr().out
    seed = int(SEED_LINE.search(out).group(1))
    assert 0 <= seed <= 1_000_000 - 1  # room for the second result (seed + 1)
    assert f"seed {seed} " in out and f"seed {seed + 1} " in out
    first = _submits(keyed)[0]["task_uuids"][0]
    with Journal() as journal:
        assert journal.get(first).request["seed"] == seed

    # the printed seed round-trips: --seed gives the same takes
    assert main(_cover(song, tmp_path / "b", "--results", "2", "--seed", str(seed))) == 0
    assert f"seed: {seed} " in capsys.readouterr().out
    a = sorted((tmp_path / "a").iterdir())
    b = sorted((tmp_path / "b").iterdir())
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


def test_seed_help_shows_the_enforced_range(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["cover", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "0–1000000" in text
    assert "unsigned 32-bit" not in text


# --------------------------------------------------------------------------- sandbox label


class _Gateway(BaseHTTPRequestHandler):
    """A keyed gateway on 127.0.0.1 in front of an upstream: it forwards and drops
    ``X-Sandbox``, as a proxy in front of Runware would send none."""

    upstream = ""

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        resp = requests.post(self.upstream, data=body, timeout=30, headers={
            "Authorization": self.headers["Authorization"], "Content-Type": "application/json"})
        self.send_response(resp.status_code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(resp.content)))
        self.end_headers()
        self.wfile.write(resp.content)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gateway(sandbox: Any) -> Iterator[str]:
    handler = type("Gateway", (_Gateway,), {"upstream": sandbox.url})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_keyed_loopback_gateway_is_not_called_the_sandbox(
        sandbox: Any, gateway: str, song: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RUNWARE_API_URL", gateway)
    monkeypatch.setenv("RUNWARE_API_KEY", sandbox.api_key)
    assert main(_cover(song, tmp_path / "out")) == 0
    out = capsys.readouterr().out
    assert "SANDBOX" not in out and "nothing was charged" not in out
    assert f"via Runware ({gateway})" in out


def test_the_sandbox_is_still_labelled_by_its_header(keyed: Any, song: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_cover(song, tmp_path / "out", "--json")) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["sandbox"] is True and doc["outputs"][0]["sandbox"] is True


# --------------------------------------------------------------------------- progress


def test_progress_line_stays_alive_during_a_slow_sync_generation(
        make_sandbox: Any, song: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from minimax_cover.plugin.cli import progress

    sb = make_sandbox(latency_s=1.2)
    monkeypatch.setenv("RUNWARE_API_URL", sb.url)
    monkeypatch.setenv("RUNWARE_API_KEY", sb.api_key)
    monkeypatch.setattr(progress, "LOG_HEARTBEAT_S", 0.25)
    argv = [a for a in _cover(song, tmp_path / "out") if a != "--no-progress"]
    assert main(argv) == 0
    err = capsys.readouterr().err.splitlines()
    waiting = [line for line in err if "generating (sync" in line]
    assert len(waiting) >= 2, err  # the line moved while the one request was open
    times = [float(re.match(r"\[\s*([\d.]+)s\]", line).group(1)) for line in waiting]
    assert times == sorted(times) and times[-1] > times[0]


# --------------------------------------------------------------------------- jobs


def test_jobs_shows_song_and_prompt(keyed: Any, song: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_cover(song, tmp_path / "out")) == 0
    capsys.readouterr()
    assert main(["jobs"]) == 0
    out = capsys.readouterr().out
    assert f"song:   {song}" in out
    assert f"prompt: {PROMPT}" in out
    media = [r for r in keyed.requests_log if r["task_types"] == ["mediaStorage"]]
    assert media and all(u not in out for u in media[0]["task_uuids"])


def test_jobs_and_cover_json_share_camel_case_keys(keyed: Any, song: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_cover(song, tmp_path / "out", "--json")) == 0
    cover_doc = json.loads(capsys.readouterr().out)
    assert main(["jobs", "--json"]) == 0
    job = json.loads(capsys.readouterr().out)[0]
    assert job["taskUUID"] == cover_doc["taskUUID"]
    assert job["prompt"] == PROMPT and job["song"] == str(song)
    assert job["seed"] == cover_doc["seed"]
    for doc in (job, cover_doc):
        assert not [key for key in doc if "_" in key], doc.keys()


def test_jobs_forget_and_prune(keyed: Any, song: Path, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("a", "b"):
        assert main([*_cover(song, tmp_path / name), "--again", "--seed", "7"]) == 0
    with Journal() as journal:
        first, second = (j.task_uuid for j in journal.list_jobs(limit=None))
    capsys.readouterr()

    assert main(["jobs", "forget", first, "-q"]) == 0
    assert "forgot" in capsys.readouterr().out
    assert main(["jobs", "forget", first]) == EXIT_INVALID  # already gone: one line, exit 2
    assert "no job" in capsys.readouterr().err

    assert main(["jobs", "prune", "--saved", "--before", "2000-01-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"forgotten": []}
    assert main(["jobs", "prune", "--saved", "--before", "2999-01-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"forgotten": [second]}
    with Journal() as journal:
        assert journal.list_jobs(limit=None) == []
    assert (tmp_path / "a").is_dir() and any((tmp_path / "b").iterdir())  # files kept


def test_prune_needs_a_status_and_a_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["jobs", "prune", "--before", "2026-01-01"]) == EXIT_INVALID
    with pytest.raises(SystemExit) as info:
        main(["jobs", "prune", "--saved", "--before", "yesterday"])
    assert info.value.code == EXIT_INVALID


def test_forget_keeps_an_unfinished_job_unless_forced(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    with Journal() as journal:
        journal.record("t-1", {"positivePrompt": PROMPT}, backend="runware",
                       endpoint="http://127.0.0.1:1/v1", status="submitted")
    assert main(["jobs", "forget", "t-1"]) == EXIT_INVALID
    assert "resume it first" in capsys.readouterr().err
    assert main(["jobs", "forget", "t-1", "--force"]) == 0
    with Journal() as journal:
        assert journal.get("t-1") is None


# --------------------------------------------------------------------------- fast start


def test_a_builtin_command_builds_only_its_own_parser(tmp_path: Path) -> None:
    import os
    import subprocess

    code = ("import sys\n"
            "from minimax_cover.plugin.cli import main\n"
            "code = main(['jobs', '--json'])\n"
            "print(code, 'pluggy' in sys.modules, 'jsonschema' in sys.modules,\n"
            "      'minimax_cover.plugin.cli.sandbox_cmd' in sys.modules)\n")
    env = {**os.environ, "MINIMAX_COVER_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=env, check=True)
    assert done.stdout.split()[-4:] == ["0", "False", "False", "False"], done.stdout


def test_the_cover_parser_is_the_same_built_alone_or_in_full() -> None:
    from minimax_cover.plugin.cli import build_parser

    def cover_help(parser: Any) -> str:
        sub = next(a for a in parser._actions if a.dest == "command")
        return sub.choices["cover"].format_help()

    assert cover_help(build_parser("cover")) == cover_help(build_parser())
