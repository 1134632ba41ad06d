"""The ``minimax-cover`` command line: JSON in, JSON out; data on stdout, messages on stderr.

Each command group lives in its own module and adds itself with ``add_parser(subparsers)``;
plugins add commands through the ``register_commands`` hook. Errors of the package become one
clear line on stderr and a documented exit code; ``--debug`` adds the traceback on stderr and
changes nothing else. Global flags (``--json``, ``-q``, ``-v``, ``--debug``) go before or after
the command.

Exit codes: 0 success, 1 failure (API, network, task), 2 invalid input or usage, or refused
for money (a spending cap, the balance; nothing was sent), 3 outcome unknown (a task may have
run; resume it), 5 paid but not saved (a result failed its download or content check, or
could not be written: `minimax-cover resume TASK [-o DIR]`), 130 interrupted. (``batch`` has
its own: 4 is its spending cap.)
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from ..errors import (
    AudioError,
    DownloadError,
    InsufficientCreditsError,
    Interrupted,
    MinimaxCoverError,
    OutcomeUnknownError,
    ResultNotSavedError,
    SpecValidationError,
    SpendingRefusedError,
    UsageError,
    WorkflowError,
)

__all__ = [
    "EXIT_FAILURE",
    "EXIT_INVALID",
    "EXIT_NOT_SAVED",
    "EXIT_OK",
    "EXIT_UNKNOWN",
    "build_parser",
    "main",
]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_INVALID = 2
EXIT_UNKNOWN = 3
EXIT_NOT_SAVED = 5  # the task ran (paid) but a result is not saved: resume it
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a reader that went away

#: Options every command takes, before or after its name (``minimax-cover cover -q ...``).
_GLOBAL_FLAGS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("--debug",), "add tracebacks (on stderr) and debug logs; changes nothing else"),
    (("-v", "--verbose"), "progress logs (INFO)"),
    (("-q", "--quiet"), "only errors on stderr"),
)
#: ``--json`` before the command (``minimax-cover --json cover ...``) is the command's own
#: ``--json`` (for the commands that have one).
_JSON_HELP = "JSON on stdout (for commands that print JSON; same as the command's --json)"


class CommandParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line naming the option, exit 2."""

    def error(self, message: str) -> NoReturn:  # noqa: D102 - argparse API
        self.exit(EXIT_INVALID, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

#: Modules (relative to this package) that each define ``add_parser(subparsers)``.
COMMAND_MODULES = ("schema_cmds", "cover_cmd", "sandbox_cmd", "plugins_cmd", "jobs_cmd",
                   "preprocess_cmd", "compare_cmd", "batch_cmd", "money_cmds", "mcp_cmd",
                   "serve_cmd", "pick_cmd")


#: Built-in commands and the module that adds each: running one builds only its parser (no
#: other command module, no plugin commands), part of a fast start. Other names (plugin
#: commands, ``cover-<slug>``, ``--help``) build the full parser.
COMMAND_OF: dict[str, str] = {
    "cover": "cover_cmd", "schema": "schema_cmds", "validate": "schema_cmds",
    "sandbox": "sandbox_cmd", "plugins": "plugins_cmd", "jobs": "jobs_cmd",
    "resume": "jobs_cmd", "preprocess": "preprocess_cmd", "compare": "compare_cmd",
    "mcp": "mcp_cmd", "serve": "serve_cmd", "pick": "pick_cmd",
}


def _command_in(argv: Sequence[str]) -> str | None:
    """The built-in command ``argv`` runs, or None (global flags may come first)."""
    for arg in argv:
        if arg in ("-h", "--help", "--version"):
            return None
        if not arg.startswith("-"):
            return arg if arg in COMMAND_OF else None
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every built-in and plugin command (``command``: only that
    built-in command's module, see :data:`COMMAND_OF`)."""
    from ... import __version__

    parser = CommandParser(
        prog="minimax-cover",
        description="MiniMax Music Cover (Runware minimax:music@cover) from the command line.",
    )
    parser.add_argument("--version", action="version", version=f"minimax-cover {__version__}")
    for flags, help_text in _GLOBAL_FLAGS:
        parser.add_argument(*flags, action="store_true", help=help_text)
    parser.add_argument("--json", action="store_true", help=_JSON_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    if command in COMMAND_OF:
        importlib.import_module(f".{COMMAND_OF[command]}", __name__).add_parser(sub)
        _add_global_flags(sub)
        return parser
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:  # a command group not built yet in this checkout
            if exc.name and exc.name.endswith(name):
                continue
            raise
        module.add_parser(sub)
    _add_plugin_commands(sub)
    _add_global_flags(sub)
    return parser


def _add_global_flags(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``-q/-v/--debug`` on every command and sub-command (``jobs forget -q``)."""
    for command in set(sub.choices.values()):
        for flags, help_text in _GLOBAL_FLAGS:
            # SUPPRESS: given after the command it sets the flag; absent, it keeps the value
            # given before the command (argparse would otherwise reset it to False).
            command.add_argument(*flags, action="store_true", default=argparse.SUPPRESS,
                                 help=help_text)
        for action in command._actions:
            if action.dest == "json":  # absent after the command: keep the one before it
                action.default = argparse.SUPPRESS
            if isinstance(action, argparse._SubParsersAction):
                _add_global_flags(action)


def _add_plugin_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    try:
        from ..hooks.registry import get_registry
    except ModuleNotFoundError:
        return
    get_registry().hook.register_commands(subparsers=sub)


def _exit_code(exc: MinimaxCoverError) -> int:
    if isinstance(exc, (SpecValidationError, AudioError, WorkflowError, UsageError,
                        SpendingRefusedError)):
        return EXIT_INVALID
    if isinstance(exc, OutcomeUnknownError):
        return EXIT_UNKNOWN
    if isinstance(exc, (DownloadError, ResultNotSavedError)):
        return EXIT_NOT_SAVED
    if isinstance(exc, Interrupted):
        return EXIT_INTERRUPTED
    return EXIT_FAILURE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script exits with it).

    Library errors become one line on stderr (and, under ``--json``, a JSON error object on
    stdout) with a documented exit code; tracebacks only with ``--debug``. A reader that
    closes the pipe early (``| head``) ends the command quietly.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_in(argv))
    args = parser.parse_args(argv)
    settle_imports()
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO if args.verbose
        else logging.ERROR if args.quiet else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    from ..config import register_known_secrets
    from ..redaction import RedactingStream, install_log_redaction

    install_log_redaction()
    register_known_secrets()  # every key the tool can see, not only the one in use
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = RedactingStream(stdout), RedactingStream(stderr)
    try:
        return int(args.func(args) or 0)
    except MinimaxCoverError as exc:
        _traceback(args, exc)
        return _report(args, exc, _exit_code(exc))
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            return _broken_pipe()
        _traceback(args, exc)
        return _report(args, exc, EXIT_FAILURE)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        sys.stdout, sys.stderr = stdout, stderr


def _traceback(args: argparse.Namespace, exc: BaseException) -> None:
    """``--debug``: the traceback on stderr (redacted); the exit code and the JSON error
    object stay what they are without it."""
    if not args.debug:
        return
    import traceback

    from ..redaction import redact

    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    print(redact(text), end="", file=sys.stderr)


def _report(args: argparse.Namespace, exc: BaseException, code: int) -> int:
    """One line on stderr; under ``--json`` also a JSON error object on stdout."""
    from ..redaction import redact

    message = redact(str(exc) if isinstance(exc, MinimaxCoverError) else _os_message(exc))
    task = getattr(exc, "task_uuid", None)
    if code == EXIT_NOT_SAVED and task and "minimax-cover resume" not in message:
        message += (f"; the task is paid and kept in the journal: `minimax-cover resume {task} "
                    "-o DIR` downloads it again (without -o: into the job's own folder)")
    print(f"error: {message}", file=sys.stderr)
    if task and task not in message and not isinstance(exc, InsufficientCreditsError):
        # (a credit refusal was never accepted: nothing to look up; --json still names it)
        print(f"  taskUUID: {task} (see `minimax-cover jobs`)", file=sys.stderr)
    if getattr(args, "json", False):
        parameters = getattr(exc, "parameters", None)
        parameter = getattr(exc, "parameter", None) or (parameters[0] if parameters else None)
        error = {"error": message, "code": code, "type": type(exc).__name__,
                 "parameter": parameter, "taskUUID": task}
        try:
            print(json.dumps(error, indent=2))
        except BrokenPipeError:
            return _broken_pipe()
    return code


def _os_message(exc: BaseException) -> str:
    """``OSError`` as one line: what failed and where (no traceback)."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return f"{type(exc).__name__}: {exc}"


def _broken_pipe() -> int:
    """The reader went away: silence the interpreter's flush of stdout at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (tests capture it)
        pass
    return EXIT_BROKEN_PIPE


_one_shot = False  # set by run(): the process ends with the command


def settle_imports() -> None:
    """In the console script only: put what is allocated so far (modules, classes, functions,
    alive until exit anyway) out of the garbage collector's sight (``gc.freeze()``), so the
    collections during the command and at exit skip them: 10-20 ms of a ``cover`` run
    (``bench/startup.py``). In-process callers (tests, hosts calling :func:`main`) are left
    alone."""
    if _one_shot:
        import gc

        gc.freeze()


def run() -> None:
    """Console-script entry point."""
    global _one_shot
    _one_shot = True
    code = main()
    try:
        sys.stdout.flush()  # a reader gone before the last block was written
    except BrokenPipeError:
        code = _broken_pipe()
    sys.exit(code)
