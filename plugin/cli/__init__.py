"""The ``minimax-cover`` command line: JSON in, JSON out; data on stdout, messages on stderr.

Each command group lives in its own module and adds itself with ``add_parser(subparsers)``;
plugins add commands through the ``register_commands`` hook. Errors of the package become one
clear line on stderr and a documented exit code; ``--debug`` shows the traceback.

Exit codes: 0 success, 1 failure (API, network, task), 2 invalid input or usage (nothing was
sent), 3 outcome unknown (a task may have run; resume it), 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from ..errors import (
    AudioError,
    Interrupted,
    MinimaxCoverError,
    OutcomeUnknownError,
    SpecValidationError,
    WorkflowError,
)

__all__ = ["EXIT_FAILURE", "EXIT_INVALID", "EXIT_OK", "EXIT_UNKNOWN", "build_parser", "main"]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_INVALID = 2
EXIT_UNKNOWN = 3
EXIT_INTERRUPTED = 130

#: Modules (relative to this package) that each define ``add_parser(subparsers)``.
COMMAND_MODULES = ("schema_cmds", "cover_cmd", "sandbox_cmd", "plugins_cmd", "jobs_cmd",
                   "preprocess_cmd")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every built-in and plugin command."""
    from ... import __version__

    parser = argparse.ArgumentParser(
        prog="minimax-cover",
        description="MiniMax Music Cover (Runware minimax:music@cover) from the command line.",
    )
    parser.add_argument("--version", action="version", version=f"minimax-cover {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument("-v", "--verbose", action="store_true", help="progress logs (INFO)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:  # a command group not built yet in this checkout
            if exc.name and exc.name.endswith(name):
                continue
            raise
        module.add_parser(sub)
    _add_plugin_commands(sub)
    return parser


def _add_plugin_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    try:
        from ..hooks.registry import get_registry
    except ModuleNotFoundError:
        return
    get_registry().hook.register_commands(subparsers=sub)


def _exit_code(exc: MinimaxCoverError) -> int:
    if isinstance(exc, (SpecValidationError, AudioError, WorkflowError)):
        return EXIT_INVALID
    if isinstance(exc, OutcomeUnknownError):
        return EXIT_UNKNOWN
    if isinstance(exc, Interrupted):
        return EXIT_INTERRUPTED
    return EXIT_FAILURE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script exits with it)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO if args.verbose
        else logging.ERROR if args.quiet else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    from ..redaction import install_log_redaction

    install_log_redaction()
    try:
        return int(args.func(args) or 0)
    except MinimaxCoverError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        task = getattr(exc, "task_uuid", None)
        if task and task not in str(exc):
            print(f"  taskUUID: {task} (see `minimax-cover jobs`)", file=sys.stderr)
        return _exit_code(exc)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
