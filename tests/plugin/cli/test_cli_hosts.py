"""``mcp`` and ``serve`` from the command line: a missing extra is one line naming it (exit 2),
and ``serve`` refuses to listen beyond loopback without a token before importing anything."""

from __future__ import annotations

import sys

import pytest
from minimax_cover.plugin.cli import EXIT_INVALID, main


@pytest.mark.parametrize(("command", "module", "extra"), [
    ("mcp", "mcp.server.mcpserver", "mcp"),
    ("serve", "uvicorn", "serve"),
])
def test_missing_extra_is_one_line_naming_it(command: str, module: str, extra: str,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # import raises ImportError
    assert main([command, "--port", "0"]) == EXIT_INVALID
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert f"pip install 'minimax-cover[{extra}]'" in err


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::"])
def test_serve_beyond_loopback_needs_a_token(host: str, capsys: pytest.CaptureFixture[str]
                                             ) -> None:
    assert main(["serve", "--host", host, "--port", "0"]) == EXIT_INVALID
    captured = capsys.readouterr()
    assert "--token" in captured.err and captured.out == ""


def test_loopback_names() -> None:
    from minimax_cover.plugin.cli.serve_cmd import is_loopback

    assert all(map(is_loopback, ["127.0.0.1", "127.8.0.1", "::1", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "10.0.0.1", "example.com"]))
