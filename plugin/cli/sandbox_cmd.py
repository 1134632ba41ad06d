"""``minimax-cover sandbox``: run the local Runware-compatible test server until Ctrl-C."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import Any

from . import EXIT_INVALID, EXIT_OK

__all__ = ["add_parser", "cmd_sandbox", "parse_fault"]

_DELAY_KINDS = ("latency", "stall")


def parse_fault(text: str) -> Any:
    """A :class:`~..sandbox.Fault` from ``KIND[:ARG][:TIMES][@TASKTYPE]``.

    ``ARG`` is the HTTP status for ``status`` and ``malformed_json``, the delay in seconds for
    ``latency``/``stall`` and the error code for ``task_error``; ``TIMES`` is a count or
    ``-1``/``forever``. Examples: ``status:429:3``, ``status:503:forever@getResponse``,
    ``drop_after``, ``stall:30``, ``task_error:processingFailed:2``, ``malformed_json:502``.
    """
    from ..sandbox import FAULT_KINDS, Fault

    spec, _, task_type = text.partition("@")
    kind, *rest = spec.split(":")
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r} (one of {', '.join(FAULT_KINDS)})")
    takes_arg = kind in ("status", "malformed_json", "task_error", *_DELAY_KINDS)
    if len(rest) > (2 if takes_arg else 1):
        raise ValueError(f"too many ':' fields in {text!r} (KIND[:ARG][:TIMES][@TASKTYPE])")
    arg = rest.pop(0) if takes_arg and rest else None
    times_text = rest[0] if rest else "1"
    times = -1 if times_text in ("-1", "forever", "inf") else int(times_text)
    options: dict[str, Any] = {"times": times, "task_type": task_type or None}
    if arg:
        if kind in ("status", "malformed_json"):
            options["status"] = int(arg)
        elif kind == "task_error":
            options["code"] = arg
        else:
            options["delay_s"] = float(arg)
    return Fault(kind, **options)  # type: ignore[arg-type]


def _fault_arg(text: str) -> Any:
    try:
        return parse_fault(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``sandbox`` command."""
    p = sub.add_parser(
        "sandbox",
        help="run the local Runware-compatible SANDBOX server (synthetic audio) until Ctrl-C",
        description="Run a local, clearly labelled Runware-compatible test server on "
        "127.0.0.1. It speaks the Runware protocol for minimax:music@cover but its outputs "
        "are synthetic transformations of the input, NOT MiniMax Music Cover. It never "
        "contacts anything but loopback addresses.",
    )
    p.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    p.add_argument("--key", default="sandbox-key",
                   help="API key clients must send (default: sandbox-key)")
    p.add_argument("--latency", type=float, default=0.0, metavar="S",
                   help="processing seconds per generation (default 0)")
    p.add_argument("--ttl", type=int, default=3600, metavar="S",
                   help="lifetime of result URLs without a request ttl (default 3600)")
    p.add_argument("--balance", type=float, default=None, metavar="USD",
                   help="the account's balance in USD (default: unlimited); tasks it cannot "
                        "pay are refused with HTTP 402 insufficientCredits")
    p.add_argument("--fault", action="append", type=_fault_arg, default=[],
                   metavar="KIND[:ARG][:TIMES][@TASKTYPE]",
                   help="inject a fault (repeatable), e.g. status:429:2, status:503@getResponse, "
                        "drop_after, stall:30, task_error:processingFailed, expire_url:forever")
    p.add_argument("--json", action="store_true",
                   help="print one JSON line {url, api_key, sandbox} instead of the text hints")
    p.set_defaults(func=cmd_sandbox)


def cmd_sandbox(args: argparse.Namespace) -> int:
    """Start the sandbox, print how to point clients at it, serve until Ctrl-C/SIGTERM."""
    from ..sandbox import Sandbox

    try:
        sandbox = Sandbox(api_key=args.key, port=args.port, latency_s=args.latency,
                          faults=args.fault, default_ttl_s=args.ttl,
                          balance_usd=args.balance).start()
    except (OSError, ValueError) as exc:
        print(f"error: cannot start the sandbox: {exc}", file=sys.stderr)
        return EXIT_INVALID
    done = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda *_: done.set())
    out = getattr(sys.stdout, "inner", sys.stdout)  # the sandbox's own key is to be shown
    try:
        if args.json:
            print(json.dumps({"sandbox": True, "url": sandbox.url, "api_key": args.key}),
                  file=out)
        else:
            print(f"SANDBOX (synthetic audio, NOT MiniMax Music Cover) at {sandbox.url}",
                  file=out)
            if args.balance is not None:
                print(f"account balance: ${args.balance:.2f} (sandbox credit)", file=out)
            print(f"export RUNWARE_API_URL={sandbox.url} RUNWARE_API_KEY={args.key}", file=out)
            print("Press Ctrl-C to stop.", file=out)
        out.flush()
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        print("sandbox stopped", file=sys.stderr)
    return EXIT_OK
