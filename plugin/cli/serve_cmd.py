"""``minimax-cover serve``: the HTTP JSON service (OpenAPI 3.1) on loopback by default.

The service lives in :mod:`..serve` and needs the ``[serve]`` extra, imported only when the
command runs. The first line on stdout, flushed at once, is the base URL
(``http://127.0.0.1:PORT``; ``--port 0`` picks a free port). Binding beyond loopback needs a
``--token``; without one the command refuses at once (exit 2).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

from ..errors import UsageError
from .mcp_cmd import require_extra

__all__ = ["TOKEN_ENV", "add_parser", "cmd_serve", "is_loopback"]

TOKEN_ENV = "MINIMAX_COVER_SERVE_TOKEN"
SECRET_ENV = "MINIMAX_COVER_CALLBACK_SECRET"
DEFAULT_PORT = 8000


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``serve``."""
    p = sub.add_parser(
        "serve", help="run the HTTP JSON service (OpenAPI 3.1 at /openapi.json, docs at /docs)",
        description="Serve covers over HTTP: POST /v1/covers (202 + a job), GET/DELETE "
        "/v1/covers/{id}, POST /v1/covers:price, GET /v1/account, GET /v1/spend, "
        "/openapi.json and /docs. Loopback by default; the first stdout line is the base URL. "
        "Without RUNWARE_API_KEY it runs against a local sandbox. Needs: pip install "
        "'minimax-cover[serve]'.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; anything else needs --token)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"port (default {DEFAULT_PORT}; 0 picks a free one)")
    p.add_argument("--token", default=None,
                   help=f"bearer token every /v1 request must carry (or ${TOKEN_ENV})")
    p.add_argument("--concurrency", type=int, default=4,
                   help="jobs running at once (default 4; the rest wait queued)")
    p.add_argument("--callback-secret", default=None,
                   help=f"HMAC-SHA256 key that signs completion callbacks (or ${SECRET_ENV}); "
                        "without it a job's callbackURL is refused")
    p.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                   help="allow this origin by CORS (repeatable; default: CORS off)")
    p.add_argument("--max-upload-mb", type=float, default=60.0,
                   help="largest request body, an uploaded song (default 60 MB)")
    p.add_argument("--state-dir", type=Path, default=None,
                   help="the service's folder: jobs, uploads, takes (default <data dir>/serve)")
    p.set_defaults(func=cmd_serve)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"--host/--port: cannot listen on {host}:{port} "
                         f"({exc.strerror})") from None
    sock.listen(2048)
    return sock


def cmd_serve(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get(TOKEN_ENV) or None
    if not is_loopback(args.host) and not token:
        raise UsageError(f"--host {args.host}: listening beyond loopback needs --token (or "
                         f"${TOKEN_ENV}); refusing to start")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port: must be 0-65535 (got {args.port})")
    if args.concurrency < 1:
        raise UsageError(f"--concurrency: must be >= 1 (got {args.concurrency})")
    require_extra("uvicorn", "serve")
    require_extra("starlette", "serve")
    import uvicorn

    from ..paths import user_data_dir
    from ..redaction import register_secret
    from ..sandbox.process import process_sandbox
    from ..serve.app import MB, ServeConfig, create_app

    secret = args.callback_secret or os.environ.get(SECRET_ENV) or None
    register_secret(token)
    register_secret(secret)
    config = ServeConfig(state_dir=args.state_dir or user_data_dir() / "serve", token=token,
                         max_upload_bytes=int(args.max_upload_mb * MB),
                         concurrency=args.concurrency, callback_secret=secret,
                         cors_origins=list(args.cors_origin))
    sock = _bind(args.host, args.port)
    sandbox = process_sandbox()
    try:
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        print(f"http://{shown}:{port}", flush=True)
        if sandbox is not None:
            print("minimax-cover serve: no RUNWARE_API_KEY, running against the local SANDBOX "
                  "(synthetic audio, nothing charged)", file=sys.stderr, flush=True)
        server = uvicorn.Server(uvicorn.Config(create_app(config), log_level="warning",
                                               access_log=False, lifespan="on"))
        server.run(sockets=[sock])
    finally:
        sock.close()
        if sandbox is not None:
            sandbox.stop()
    return 0
