"""The MCP faces send ``deliveryMethod: async`` unless the caller chose (issue 20)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.journal.store import Journal
from minimax_cover.plugin.mcp.tools import CoverTools


def test_the_batch_tool_sends_async_unless_a_row_chose(make_sandbox: Any, tmp_path: Path,
                                                       song_wav: bytes,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    sb = make_sandbox()
    monkeypatch.setenv("RUNWARE_API_URL", sb.url)
    monkeypatch.setenv("RUNWARE_API_KEY", sb.api_key)
    (tmp_path / "song.wav").write_bytes(song_wav)
    manifest = tmp_path / "rows.csv"
    manifest.write_text("song,positivePrompt,deliveryMethod\n"
                        "song.wav,warm acoustic folk,\n"
                        "song.wav,bright synth pop,sync\n")
    answer = asyncio.run(CoverTools(tmp_path / "out").batch(str(manifest)))
    assert not answer.is_error, answer.content
    with Journal() as journal:
        rows = {r.request["positivePrompt"]: r for r in journal.list_jobs(limit=10)}
    assert rows["warm acoustic folk"].request["deliveryMethod"] == "async"
    assert rows["bright synth pop"].request["deliveryMethod"] == "sync"  # the row's choice wins
    assert all(r.status == "saved" for r in rows.values())
