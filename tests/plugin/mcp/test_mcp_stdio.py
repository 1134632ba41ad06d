"""``minimax-cover mcp`` driven by the official SDK client over stdio, against a sandbox that
counts what was paid for (issue 23's "done when" for the MCP face)."""

from __future__ import annotations

import asyncio
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


async def _session_run(params: StdioServerParameters, body: Any) -> Any:
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
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
        return {"tools": tools, "price": price, "bad": bad, "cover": cover, "take": take,
                "status": status}

    got = asyncio.run(asyncio.wait_for(_session_run(_params(sandbox, out), body), 120))

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

    assert sandbox.submissions() == 1  # one paid submit in all: price and the bad call sent none
    for text in map(_text, (price, bad, cover)):
        assert sandbox.api_key not in text
