"""Fixtures for the batch tests: songs on disk, manifests, fast backend options.

Every batch runs the real stack against a :class:`Sandbox` on 127.0.0.1, with its journal in
``tmp_path`` (the autouse fixture points the data dir there).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from batch_support import write_song


@pytest.fixture
def songs(tmp_path: Path) -> list[Path]:
    """Five different songs in ``tmp_path/songs``."""
    folder = tmp_path / "songs"
    folder.mkdir()
    return [write_song(folder / f"{name}.wav", 200.0 + 40 * i)
            for i, name in enumerate(("alpha", "bravo", "charlie", "delta", "echo"))]


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """``write_csv(rows, name="m.csv")``: a CSV manifest next to the songs (header from keys)."""
    def write(rows: list[dict[str, Any]], name: str = "m.csv") -> Path:
        import csv

        path = tmp_path / "songs" / name
        keys = list(dict.fromkeys(k for row in rows for k in row))
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=keys)
            writer.writeheader()
            writer.writerows(rows)
        return path
    return write


@pytest.fixture
def write_jsonl(tmp_path: Path) -> Callable[..., Path]:
    """``write_jsonl(rows, name="m.jsonl")``: a JSONL manifest next to the songs."""
    def write(rows: list[dict[str, Any]], name: str = "m.jsonl") -> Path:
        path = tmp_path / "songs" / name
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        return path
    return write
