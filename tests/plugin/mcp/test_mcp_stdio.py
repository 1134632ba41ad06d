"""``minimax-cover mcp`` driven by the official SDK client over stdio, against a sandbox that
counts what was paid for (issue 23's "done when" for the MCP face)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

PROMPT = "warm acoustic folk, fingerpicked guitar"


def _params(sandbox: Any, out: Path) -> StdioServerParameters:
    env = {k: v for k, v in os.environ.items()}
    env.update({"RUNWARE_API_URL": sandbox.url, "RUNWARE_API_KEY": sandbox.api_key,
                "PYTHONUNBUFFERED": "1"})
    return StdioServerParameters(command=sys.executable,
                                 args=["-m", "minimax_cover.plugin.cli", "mcp", "-o", str(out)],
                                 env=env)


async def _session_run(params: StdioServerParameters, body: Any, errlog: Path | None = None
                       ) -> Any:
    with open(errlog or os.devnull, "w") as log:
        async with stdio_client(params, errlog=log) as (read, write), \
                ClientSession(read, write) as session:
            await session.initialize()
            return await body(session)


def _text(result: Any) -> str:
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


def test_mcp_session_lists_prices_rejects_and_covers(sandbox: Any, tmp_path: Path,
                                                     song_wav: bytes) -> None:
    song = tmp_path / "song.wav"
    song.write_bytes(song_wav)
    out = tmp_path / "takes"
    progress: list[float] = []

    async def body(session: ClientSession) -> dict[str, Any]:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        price = await session.call_tool("price", {"song": str(song), "positivePrompt": PROMPT,
                                                  "numberResults": 3})
        bad = await session.call_tool("cover", {"song": str(song), "positivePrompt": "short"})

        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            progress.append(value)

        cover = await session.call_tool("cover", {"song": str(song), "positivePrompt": PROMPT,
                                                  "numberResults": 2, "seed": 42},
                                        progress_callback=on_progress)
        take = await session.read_resource(cover.structured_content["takes"][0]["uri"])
        status = await session.call_tool("job_status",
                                         {"task_uuid": cover.structured_content["taskUUID"]})
        page = await session.read_resource(cover.structured_content["pageUri"])
        manifest = tmp_path / "rows.jsonl"
        manifest.write_text(json.dumps({"song": str(song), "prompt": PROMPT}) + "\n")
        batch = await session.call_tool("batch", {"manifest": str(manifest), "dry_run": True})
        account = await session.call_tool("account", {})
        spend = await session.call_tool("spend", {"since": "today"})
        return {"tools": tools, "price": price, "bad": bad, "cover": cover, "take": take,
                "status": status, "page": page, "batch": batch, "account": account,
                "spend": spend}

    log = tmp_path / "server.log"
    got = asyncio.run(asyncio.wait_for(_session_run(_params(sandbox, out), body, log), 120))

    tools = got["tools"]
    assert {"cover", "price", "batch", "job_status", "resume", "account", "spend"} <= set(tools)
    props = tools["cover"].input_schema["properties"]
    assert props["numberResults"]["minimum"] == 1 and props["numberResults"]["maximum"] == 4
    assert props["positivePrompt"]["minLength"] == 10
    assert props["positivePrompt"]["maxLength"] == 300
    assert "lyrics" in props and "song" in props and "output" in props
    assert "$0.15" in tools["cover"].description

    price = got["price"]
    assert not price.is_error
    assert "0.45" in _text(price)
    assert price.structured_content["priceUsd"] == pytest.approx(0.45)

    bad = got["bad"]
    assert bad.is_error
    assert "positivePrompt" in _text(bad)
    assert [v["field"] for v in bad.structured_content["violations"]] == ["positivePrompt"]

    cover = got["cover"]
    assert not cover.is_error, _text(cover)
    files = cover.structured_content["files"]
    assert len(files) == 2
    for path in files:
        assert Path(path).is_absolute() and Path(path).is_file()
        assert path in _text(cover)
        assert Path(path).parent == out.resolve()
    assert cover.structured_content["seed"] == 42
    assert cover.structured_content["costTotal"] == pytest.approx(0.30)
    assert cover.structured_content["sandbox"] is True and "SANDBOX" in _text(cover)
    assert Path(cover.structured_content["page"]).is_file()
    assert progress, "no progress notification arrived"
    assert got["take"].contents[0].blob  # the take, as a resource
    assert got["status"].structured_content["status"] == "saved"
    assert "<html" in got["page"].contents[0].text.lower()
    assert not got["batch"].is_error, _text(got["batch"])
    assert not got["account"].is_error and got["account"].structured_content["sandbox"] is True
    spent = got["spend"].structured_content
    assert [e["taskUUID"] for e in spent["jobs"]] == [cover.structured_content["taskUUID"]]

    assert sandbox.submissions() == 1  # one paid submit in all: price and the bad call sent none
    for text in [*map(_text, (price, bad, cover)), log.read_text()]:
        assert sandbox.api_key not in text  # not in any answer, nor in the server's log


def test_cancelled_cover_stays_resumable_and_resume_collects_it(sandbox: Any, tmp_path: Path,
                                                                song_wav: bytes) -> None:
    song = tmp_path / "song.wav"
    song.write_bytes(song_wav)
    # Generous: the cancel must reach the server's waiting job before the cover is ready, on
    # a loaded machine too (it failed once at 1.5 s with the load average at 9 on 2 cores).
    sandbox.latency_s = 6.0

    async def body(session: ClientSession) -> dict[str, Any]:
        call = asyncio.ensure_future(session.call_tool(
            "cover", {"song": str(song), "positivePrompt": PROMPT}))
        def logged() -> bool:  # the sandbox logs a request once it has answered it
            return any(r["task_types"] == ["audioInference"] for r in sandbox.requests_log)

        for _ in range(2000):
            if sandbox.submissions() >= 1 and logged():
                break
            await asyncio.sleep(0.01)
        assert sandbox.submissions() == 1, "the job was never submitted"
        call.cancel()
        try:
            await call
        except asyncio.CancelledError:
            pass
        task = next(r["task_uuids"][0] for r in sandbox.requests_log
                    if r["task_types"] == ["audioInference"])
        await asyncio.sleep(7.0)  # past the sandbox's latency: a job still waiting would save
        status = await session.call_tool("job_status", {"task_uuid": task})
        resumed = await session.call_tool("resume", {"task_uuid": task})
        return {"status": status, "resumed": resumed}

    got = asyncio.run(asyncio.wait_for(_session_run(_params(sandbox, tmp_path / "out"), body),
                                       120))
    status = got["status"].structured_content
    assert (status["status"], status["files"], status["resumable"]) == ("submitted", [], True)
    resumed = got["resumed"]
    assert not resumed.is_error, _text(resumed)
    assert len(resumed.structured_content["files"]) == 1
    assert resumed.structured_content["resumed"] is True
    assert sandbox.submissions() == 1  # collected, never paid twice


def test_without_a_key_it_runs_on_a_sandbox_and_says_so(tmp_path: Path, song_wav: bytes) -> None:
    song = tmp_path / "song.wav"
    song.write_bytes(song_wav)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNWARE_")}
    params = StdioServerParameters(command=sys.executable, env=env, args=[
        "-m", "minimax_cover.plugin.cli", "mcp", "-o", str(tmp_path / "out")])

    async def body(session: ClientSession) -> Any:
        return await session.call_tool("cover", {"song": str(song), "positivePrompt": PROMPT})

    answer = asyncio.run(asyncio.wait_for(_session_run(params, body), 120))
    assert not answer.is_error, _text(answer)
    assert answer.structured_content["sandbox"] is True
    assert "SANDBOX" in _text(answer) and "nothing was charged" in _text(answer)


def test_streamable_http_on_loopback(sandbox: Any, tmp_path: Path) -> None:
    import socket
    import subprocess
    import time

    from mcp.client.streamable_http import streamable_http_client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    params = _params(sandbox, tmp_path / "out")
    proc = subprocess.Popen([params.command, *params.args, "--http", "--port", str(port)],
                            env=params.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)

        async def run() -> Any:
            async with streamable_http_client(f"http://127.0.0.1:{port}/mcp") as streams, \
                    ClientSession(streams[0], streams[1]) as session:
                await session.initialize()
                tools = (await session.list_tools()).tools
                price = await session.call_tool("price", {
                    "song": "https://example.com/song.mp3", "positivePrompt": PROMPT,
                    "numberResults": 3})
                return tools, price

        tools, price = asyncio.run(asyncio.wait_for(run(), 60))
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert "cover" in {t.name for t in tools}
    assert "0.45" in _text(price) and sandbox.submissions() == 0
