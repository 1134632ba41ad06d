"""Keys a manifest cannot leak, receipts safe to open, no tracebacks, slow headers, honest
messages (issue 21, items 6-9 and 11).

Every case points the tool at :class:`hostile_server.Hostile` on 127.0.0.1 and checks what
the server received (nothing, for input the tool must refuse) besides what the tool printed
and wrote.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from hostile_server import Hostile
from minimax_cover.plugin.batch.api import cover_batch
from minimax_cover.plugin.jobs.pipeline import cover
from minimax_cover.plugin.journal.store import Journal
from minimax_cover.plugin.transport.retry import RetryPolicy
from minimax_cover.plugin.transport.timeouts import Timeout
from rel_support import PROMPT, cli, write_song

KEY = "rw-TRUST-gateway-key-0001"
CONFIG_KEY = "rw-CONFIGFILE-key-7731"  # in config.json, not the key in use
MINIMAX_KEY = "mm-ENVIRONMENT-key-5529"  # MINIMAX_API_KEY, not used by a Runware job
SECRET = "TOP-SECRET-outside-the-manifest"


@pytest.fixture(scope="module")
def mp3() -> bytes:
    import numpy as np
    from minimax_cover.plugin.audio import Audio, encode_audio

    t = np.arange(4 * 22050, dtype=np.float64) / 22050
    return encode_audio(Audio((0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), 22050),
                        "MP3")


def _env(h: Hostile, **extra: str) -> dict[str, str]:
    return {**os.environ, "RUNWARE_API_URL": h.url, "RUNWARE_API_KEY": KEY, **extra}


def _run(args: list[str], env: dict[str, str], timeout: float = 120) -> Any:
    return subprocess.run(cli(*args), env=env, capture_output=True, text=True, timeout=timeout)


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


# --------------------------------------------------------------------------- item 6


@pytest.fixture
def reaching_manifest(tmp_path: Path) -> Path:
    """A manifest whose rows reach outside its folder in every way, plus one honest row."""
    folder = tmp_path / "project"
    folder.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    write_song(outside / "far.wav", freq=300.0)
    write_song(folder / "a.wav")
    (folder / "a.txt").write_text("la la la, an honest verse")
    (folder / "link.txt").symlink_to(outside / "secret.txt")
    config = Path(os.environ["MINIMAX_COVER_CONFIG_DIR"]) / "config.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps({"runware_api_key": CONFIG_KEY}))
    return _write_csv(folder / "m.csv", ["song", "prompt", "lyrics_file"], [
        ["a.wav", PROMPT, "a.txt"],
        ["a.wav", PROMPT + " 2", "../outside/secret.txt"],
        ["a.wav", PROMPT + " 3", str(outside / "secret.txt")],
        ["a.wav", PROMPT + " 4", str(config)],
        ["a.wav", PROMPT + " 5", "link.txt"],
        ["../outside/far.wav", PROMPT + " 6", ""],
    ])


def test_manifest_paths_stay_in_the_manifest_folder(reaching_manifest: Path, mp3: bytes,
                                                    tmp_path: Path) -> None:
    out = tmp_path / "out"
    with Hostile(audio=mp3, api_key=KEY) as h:
        refused = _run(["batch", str(reaching_manifest), "-o", str(out), "--no-progress"],
                       _env(h))
        assert refused.returncode == 2 and h.requests == []  # nothing sent
        for row in (2, 3, 4, 5):
            assert f"row {row} (line {row + 1}) [a.wav]: lyrics_file: must stay inside" in (
                refused.stderr)
        assert "row 6 (line 7) [../outside/far.wav]: song: must stay inside" in refused.stderr
        done = _run(["batch", str(reaching_manifest), "-o", str(out), "--skip-invalid",
                     "--json", "--no-progress", "--compare"], _env(h))
        assert done.returncode == 0, done.stderr
        doc = json.loads(done.stdout)
        assert [r["status"] for r in doc["rows"]] == ["saved"] + ["invalid"] * 5
        assert len(h.paid) == 1
        written = [p.read_text(errors="replace") for p in out.rglob("*") if p.is_file()
                   and p.suffix in (".json", ".csv", ".html")]
        assert written and (out / "m.report.csv").is_file()  # the receipt is still written
        for text in (done.stdout, done.stderr, *written):
            assert SECRET not in text and CONFIG_KEY not in text and KEY not in text
        allowed = _run(["batch", str(reaching_manifest), "-o", str(tmp_path / "all"),
                        "--allow-outside", "--json", "--no-progress"], _env(h))
        doc = json.loads(allowed.stdout)
        assert [r["status"] for r in doc["rows"]][1:] == ["saved"] * 5, allowed.stderr
        assert SECRET in json.dumps(doc["rows"][1]["parameters"])  # the user allowed it
        assert CONFIG_KEY not in allowed.stdout  # a key is a key, even when allowed


def test_every_visible_key_is_redacted_from_receipts_pages_and_stdout(mp3: bytes,
                                                                      tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    write_song(folder / "a.wav")
    (folder / "a.txt").write_text(f"verse {CONFIG_KEY} and {MINIMAX_KEY} and {KEY}")
    config = Path(os.environ["MINIMAX_COVER_CONFIG_DIR"]) / "config.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps({"runware_api_key": CONFIG_KEY}))
    manifest = _write_csv(folder / "m.csv", ["song", "prompt", "lyrics_file"],
                          [["a.wav", f"{PROMPT} {MINIMAX_KEY}", "a.txt"]])
    out = tmp_path / "out"
    with Hostile(audio=mp3, api_key=KEY) as h:
        done = _run(["batch", str(manifest), "-o", str(out), "--json", "--compare"],
                    _env(h, MINIMAX_API_KEY=MINIMAX_KEY))
        assert done.returncode == 0, done.stderr
        spent = _run(["spend", "--json"], _env(h, MINIMAX_API_KEY=MINIMAX_KEY))
        spent_csv = _run(["spend", "--csv"], _env(h, MINIMAX_API_KEY=MINIMAX_KEY))
        request = folder / "r.json"
        request.write_text(json.dumps({"positivePrompt": PROMPT, "apiKey": KEY,
                                       "inputs": {"audio": "https://example.invalid/a.mp3"}}))
        checked = _run(["validate", str(request)], _env(h))
        assert checked.returncode == 2 and "apiKey" in checked.stderr
        assert len(h.paid) == 1
    files = [p.read_text(errors="replace") for p in out.rglob("*") if p.is_file()
             and p.suffix in (".json", ".csv", ".html")]
    assert len(files) >= 3
    for text in (done.stdout, done.stderr, spent.stdout, spent_csv.stdout, checked.stdout,
                 checked.stderr, *files):
        for key in (KEY, CONFIG_KEY, MINIMAX_KEY):
            assert key not in text
    assert "[REDACTED]" in json.loads(done.stdout)["rows"][0]["parameters"]["positivePrompt"]


# --------------------------------------------------------------------------- item 7


def test_every_csv_cell_a_spreadsheet_would_run_is_disarmed(mp3: bytes, tmp_path: Path
                                                            ) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    song = write_song(folder / "=HYPERLINK(1).wav")
    evil = ["@SUM(1+1) " + PROMPT, "+cmd " + PROMPT, "-2+3 " + PROMPT, "\t=1+1 " + PROMPT]
    manifest = _write_csv(folder / "m.csv", ["song", "prompt"],
                          [[song.name, prompt] for prompt in evil])
    with Hostile(audio=mp3, api_key=KEY, cost=-5) as h:
        done = _run(["batch", str(manifest), "-o", str(tmp_path / "out"), "--no-progress"],
                    _env(h))
        assert done.returncode == 0, done.stderr
        spend = _run(["spend", "--csv"], _env(h))
        assert len(h.paid) == 4
    receipt = list(csv.DictReader(io.StringIO((tmp_path / "out" / "m.report.csv").read_text())))
    spent = list(csv.DictReader(io.StringIO(spend.stdout)))
    cells = [c for r in receipt + spent for c in r.values() if c]
    assert all(not c.startswith(("=", "+", "@", "\t", "\r")) for c in cells)
    assert all(not c.startswith("-") or c.lstrip("-").replace(".", "").isdigit() for c in cells)
    assert {r["song"] for r in receipt} == {"'=HYPERLINK(1).wav"}
    assert sorted(r["prompt"] for r in spent) == sorted("'" + p.strip() for p in evil)
    assert {r["cost"] for r in receipt} == {"-5"}  # a plain negative number stays
    assert {r["counted"] for r in receipt} == {"0.15"}  # what the caps counted
    assert {(r["cost_usd"], r["reported_usd"]) for r in spent} == {("0.1500", "-5.0")}


# --------------------------------------------------------------------------- item 8

_NESTED = "[" * 100_000 + "]" * 100_000

BAD_INPUTS: dict[str, tuple[dict[str, str], dict[str, str], list[str], str]] = {
    # name: (files to write (config dir "@cfg/"), extra env, argv, text in the error)
    "JSONL line nested 100,000 deep": (
        {"m.jsonl": '{"song": ' + _NESTED + "}\n"}, {}, ["batch", "{d}/m.jsonl", "-o", "{d}/o"],
        "nested too deep"),
    "config.json of random bytes": (
        {"@cfg/config.json": bytes(range(256)).decode("latin-1") * 8}, {},
        ["cover", "{d}/a.wav", "--prompt", PROMPT], "not valid JSON"),
    "config.json nested 100,000 deep": (
        {"@cfg/config.json": _NESTED}, {}, ["cover", "{d}/a.wav", "--prompt", PROMPT],
        "nested too deep"),
    "compare --result with a string costTotal": (
        {"s.json": '{"costTotal": "abc", "outputs": []}'}, {},
        ["compare", "{d}/a.wav", "{d}/a.wav", "--result", "{d}/s.json", "-o", "{d}/p.html"],
        "costTotal: must be a number"),
    "spending_caps: \"abc\"": (
        {"@cfg/config.json": '{"spending_caps": "abc"}'}, {},
        ["cover", "{d}/a.wav", "--prompt", PROMPT], "spending_caps: must be an object"),
    "check_balance: \"no\"": (
        {"@cfg/config.json": '{"check_balance": "no"}'}, {},
        ["cover", "{d}/a.wav", "--prompt", PROMPT], "check_balance: must be true or false"),
    "an empty MINIMAX_COVER_CAP_DAY_USD": (
        {}, {"MINIMAX_COVER_CAP_DAY_USD": ""}, ["cover", "{d}/a.wav", "--prompt", PROMPT],
        "MINIMAX_COVER_CAP_DAY_USD: is set but empty"),
    "validate: a request file of random bytes": (
        {"r.json": bytes(range(128, 256)).decode("latin-1")}, {}, ["validate", "{d}/r.json"],
        "not UTF-8"),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_is_one_line_exit_2_and_sends_nothing(name: str, mp3: bytes,
                                                        tmp_path: Path) -> None:
    files, extra, argv, expect = BAD_INPUTS[name]
    config_dir = Path(os.environ["MINIMAX_COVER_CONFIG_DIR"])
    write_song(tmp_path / "a.wav")
    for rel, text in files.items():
        path = config_dir / rel[5:] if rel.startswith("@cfg/") else tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("latin-1") if "random" in name else text.encode())
    with Hostile(audio=mp3, api_key=KEY) as h:
        done = _run([a.replace("{d}", str(tmp_path)) for a in argv], _env(h, **extra))
        assert h.requests == []
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and expect in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    if argv[0] in ("cover", "spend"):  # (the others list each problem on a line of its own)
        assert len(lines) == 1, lines


# --------------------------------------------------------------------------- item 9


def _slow_header_options(h: Hostile) -> dict[str, Any]:
    return {"api_key": KEY, "base_url": h.url,
            "timeout": Timeout(2.0, 5.0, total_s=600.0, min_rate_bps=1000.0,
                               rate_window_s=1.0),
            "retry_policy": RetryPolicy(max_retries=1, base_delay_s=0.01, max_delay_s=0.02),
            "poll_initial_s": 0.02, "poll_max_s": 0.05, "poll_deadline_s": 10.0}


@pytest.mark.parametrize("how", ["cover", "batch"])
def test_headers_a_byte_a_second_end_as_an_unknown_outcome_looked_up(
        how: str, mp3: bytes, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Headers trickled at 1 B/s (~40 s of them) with a 600 s deadline: cut 1 s after their
    first byte, looked up by taskUUID, saved; one submit."""
    song = write_song(tmp_path / "song.wav")
    with Hostile(audio=mp3, api_key=KEY, answer="slow_headers", drip_s=1.0) as h:
        started = time.monotonic()
        with caplog.at_level("INFO", logger="minimax_cover.transport"):
            if how == "cover":
                files = cover(song, prompt=PROMPT, output_dir=tmp_path / "out",
                              backend="runware",
                              backend_options=_slow_header_options(h)).files
            else:
                report = cover_batch([{"song": str(song), "prompt": PROMPT}],
                                     output_dir=tmp_path / "out", backend="runware",
                                     backend_options=_slow_header_options(h))
                assert [r.status for r in report.rows] == ["saved"]
                files = report.rows[0].files
        elapsed = time.monotonic() - started
        assert elapsed < 15.0, elapsed  # not the ~40 s of headers, nor the 600 s deadline
        assert "sent its headers too slowly" in caplog.text
        assert [Path(f).read_bytes() for f in files] == [mp3]
        assert len(h.paid) == 1
        assert [k for k, _ in h.requests].count("audioInference") == 1  # looked up, not resent
        assert {"getResponse", "getTaskDetails"} & {k for k, _ in h.requests}


@pytest.mark.slow
def test_cli_slow_headers_end_well_within_a_minute_with_the_defaults(mp3: bytes,
                                                                     tmp_path: Path) -> None:
    song = write_song(tmp_path / "song.wav")
    with Hostile(audio=mp3, api_key=KEY, answer="slow_headers", drip_s=1.0) as h:
        started = time.monotonic()
        done = _run(["cover", str(song), "--prompt", PROMPT, "-o", str(tmp_path / "out"),
                     "--no-progress"], _env(h))
        elapsed = time.monotonic() - started
        assert done.returncode == 0, done.stderr
        assert elapsed < 45.0 and len(h.paid) == 1


# --------------------------------------------------------------------------- item 11


@pytest.mark.parametrize("download", ["lie_short", pytest.param("slow", marks=pytest.mark.slow)])
def test_failed_downloads_say_how_to_resume(download: str, mp3: bytes, tmp_path: Path) -> None:
    song = write_song(tmp_path / "song.wav")
    out = tmp_path / "out"
    with Hostile(audio=mp3, api_key=KEY, download=download, drip_s=0.05) as h:
        done = _run(["cover", str(song), "--prompt", PROMPT, "-o", str(out), "--no-progress"],
                    _env(h))
        assert done.returncode == 5, done.stderr
        task = h.paid[0]
        assert f"`minimax-cover resume {task} -o DIR`" in done.stderr
        h.download = "ok"
        again = _run(["resume", task, "-o", str(out)], _env(h))
        assert again.returncode == 0, again.stderr
        assert [p.read_bytes() for p in out.glob("*.mp3")] == [mp3] and len(h.paid) == 1


def test_a_resumed_request_file_reuse_says_it_resumed(mp3: bytes, tmp_path: Path) -> None:
    """``cover --request req.json`` after a run that was paid but not saved: the rerun resumes
    that task and says so (it used to say "gets a new taskUUID")."""
    song = write_song(tmp_path / "song.wav")
    request = tmp_path / "req.json"
    with Hostile(audio=mp3, api_key=KEY, download="lie_short") as h:
        env = _env(h)
        request.write_text(json.dumps({"positivePrompt": PROMPT, "taskUUID":
                                       "6f1c9d7e-2b7a-4c55-9a0e-3f7d2c1b8a90", "seed": 7,
                                       "inputs": {"audio": "https://example.invalid/a.mp3"}}))
        args = ["cover", str(song), "--request", str(request), "-o", str(tmp_path / "out"),
                "--no-progress"]
        first = _run(args, env)
        assert first.returncode == 5, first.stderr
        h.download = "ok"
        second = _run(args, env)
        assert second.returncode == 0, second.stderr
        task = h.paid[0]
        assert f"resuming the identical unfinished job, task {task}" in second.stderr
        assert "gets a new taskUUID" not in second.stderr and len(h.paid) == 1
    with Journal() as journal:
        assert journal.get(task).status == "saved"  # type: ignore[union-attr]
