"""``minimax-cover mcp``: the MCP server for agent hosts (stdio; ``--http`` on loopback).

The server lives in :mod:`..mcp` and needs the ``[mcp]`` extra, imported only when the command
runs; without it the command says how to install it, in one line, and exits 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import UsageError

__all__ = ["add_parser", "cmd_mcp", "require_extra"]

DEFAULT_HTTP_PORT = 8765


def require_extra(module: str, extra: str) -> None:
    """Import ``module`` or raise a one-line :class:`UsageError` naming the extra to install."""
    import importlib

    try:
        importlib.import_module(module)
    except ImportError:
        raise UsageError(f"this command needs the {extra} extra: "
                         f"pip install 'minimax-cover[{extra}]'") from None


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``mcp``."""
    p = sub.add_parser(
        "mcp", help="run the MCP server for AI agent hosts (stdio; --http on loopback)",
        description="Serve the cover model as Model Context Protocol tools (cover, price, "
        "batch, job_status, resume, account, spend) over stdio, or streamable HTTP on "
        "127.0.0.1 with --http. Without RUNWARE_API_KEY it runs against a local sandbox and "
        "says so in its answers. Needs: pip install 'minimax-cover[mcp]'.")
    p.add_argument("--http", action="store_true",
                   help="streamable HTTP on 127.0.0.1 (path /mcp) instead of stdio")
    p.add_argument("--port", type=int, default=DEFAULT_HTTP_PORT,
                   help=f"port for --http (default {DEFAULT_HTTP_PORT})")
    p.add_argument("-o", "--output-dir", type=Path, default=None,
                   help="where takes are saved when a call gives no output folder "
                        "(default: <data dir>/covers)")
    p.set_defaults(func=cmd_mcp)


def cmd_mcp(args: argparse.Namespace) -> int:
    require_extra("mcp.server.mcpserver", "mcp")
    from ..mcp.server import build_server
    from ..paths import user_data_dir
    from ..sandbox.process import process_sandbox

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port: must be 0-65535 (got {args.port})")
    output = args.output_dir or user_data_dir() / "covers"
    sandbox = process_sandbox()
    if sandbox is not None:
        print("minimax-cover mcp: no RUNWARE_API_KEY, running against the local SANDBOX "
              "(synthetic audio, nothing charged)", file=sys.stderr)
    try:
        server = build_server(output)
        if args.http:
            print(f"minimax-cover mcp: http://127.0.0.1:{args.port}/mcp", file=sys.stderr,
                  flush=True)
            server.run("streamable-http", host="127.0.0.1", port=args.port)
        else:
            server.run("stdio")
    finally:
        if sandbox is not None:
            sandbox.stop()
    return 0
