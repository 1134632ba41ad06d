"""``minimax-cover plugins``: listing, --all, --hook, --json, failed plugins."""

from __future__ import annotations

import json
from typing import Any

import pytest
from minimax_cover.plugin.cli import main
from minimax_cover.plugin.hooks.registry import get_registry
from minimax_cover.plugin.hooks.specs import hookimpl


class Sink:
    @hookimpl
    def on_result(self, output: Any, context: Any) -> None: ...


def _json(capsys: pytest.CaptureFixture[str], *args: str, code: int = 0
          ) -> list[dict[str, Any]]:
    assert main(["plugins", "--json", *args]) == code
    return json.loads(capsys.readouterr().out)


def test_builtins_hidden_without_all(capsys: pytest.CaptureFixture[str]) -> None:
    assert _json(capsys) == []
    rows = _json(capsys, "--all")
    names = {r["name"] for r in rows}
    assert {"cover_model", "runware_backend", "media_staging", "minimax_backend"} <= names
    assert all(r["builtin"] and r["version"] and r["error"] is None for r in rows)
    assert set(rows[0]) == {"name", "hooks", "version", "dist", "builtin", "error"}


def test_third_party_shown_and_hook_filter(capsys: pytest.CaptureFixture[str]) -> None:
    get_registry().register(Sink(), name="sink")
    assert [r["name"] for r in _json(capsys)] == ["sink"]
    assert [r["name"] for r in _json(capsys, "--hook", "on_result")] == ["sink"]
    backends = {r["name"] for r in _json(capsys, "--all", "--hook", "register_backends")}
    assert backends == {"runware_backend", "minimax_backend"}
    assert main(["plugins"]) == 0
    text = capsys.readouterr().out
    assert "sink" in text and "hooks: on_result" in text


def test_unknown_hook_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins", "--hook", "on_reslt"]) == 2
    assert "unknown hook on_reslt" in capsys.readouterr().err


def test_failed_plugin_is_listed_with_error(capsys: pytest.CaptureFixture[str]) -> None:
    from minimax_cover.plugin.errors import PluginLoadError

    get_registry().failures.append(PluginLoadError("shaky", "shaky-dist", ImportError("no x")))
    assert main(["plugins"]) == 1
    out = capsys.readouterr().out
    assert "shaky" in out and "FAILED: ImportError: no x" in out
    [row] = _json(capsys, code=1)
    assert row["name"] == "shaky" and row["dist"] == "shaky-dist" and "no x" in row["error"]


def test_empty_listing_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins"]) == 0
    assert "no plugins installed" in capsys.readouterr().err
