"""Hook specifications of minimax-cover: what a plugin can implement.

Plugin authors import :data:`hookimpl` (re-exported as ``minimax_cover.hookimpl``) and never
pluggy. Built-in behaviour is implemented with the same hooks (the modules listed in
``registry.BUILTIN_PLUGINS``, registered first); built-in answers are ``trylast``, so any
third-party implementation gets the first say.

Hooks by phase of a job::

    load time    register_models, register_backends, register_nodes, register_commands
    per job      stage_audio  ->  prepare_request  ->  choose_backend  ->  (backend runs)
                 ->  on_result (once per finished generation)  ->  on_job_done
    per batch    make_executor (once, before the first job is dispatched)

Every hook is called through pluggy (``pm.hook.<name>(...)``), so wrappers, call order and
``MINIMAX_COVER_TRACE_PLUGINS=1`` tracing apply to all of them.

Registration hooks (:data:`REGISTRATION_HOOKS`) receive a ``register`` callback bound to the
implementing plugin; the registry checks types inside it (a bad plugin fails at once, named in
the message) and duplicate names once every implementation ran, in registration order, so the
message names the later plugin and the one that registered the name first.

Wrappers: any hook may have new-style wrappers, ``@hookimpl(wrapper=True)`` with exactly one
``result = yield`` (``return result``); pluggy runs them around every non-wrapper
implementation. Old-style ``@hookimpl(hookwrapper=True)`` is refused when the plugin is
registered (:class:`~minimax_cover.plugin.errors.PluginError` naming the plugin and the hook;
an entry-point plugin is then listed as failed to load).

Failures: in the isolated hooks (:data:`ISOLATED_HOOKS`: ``on_result``, ``on_job_done``) every
implementation, wrappers included, runs in its own ``try``: a failure is logged as a warning
naming the plugin and the hook, the other implementations still run, and the job reports it in
``CoverResult.warnings``. A wrapper that fails before its ``yield`` still lets the inner
implementations run. In every other hook an exception propagates to the caller (that is how
``prepare_request`` refuses a job, and how a broken ``register_*`` stops loading).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import argparse

    from ..spec.model import ModelSpec
    from .types import Backend, CoverOutput, CoverResult, JobContext

PROJECT = "minimax_cover"

hookspec = pluggy.HookspecMarker(PROJECT)
#: Decorator for hook implementations: ``@minimax_cover.hookimpl``.
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = ["ISOLATED_HOOKS", "PROJECT", "REGISTRATION_HOOKS", "hookimpl", "hookspec"]

#: Hooks whose ``register`` callback is bound to the implementing plugin (errors name it).
REGISTRATION_HOOKS = frozenset({"register_models", "register_backends", "register_nodes"})
#: Hooks whose implementations each run in their own ``try`` (failures become warnings).
ISOLATED_HOOKS = frozenset({"on_result", "on_job_done"})


# --- load time -------------------------------------------------------------------------------


@hookspec
def register_models(register: Callable[[ModelSpec], None]) -> None:
    """Register model specs; each becomes a JSON Schema, a validator, a node and CLI options.

    Called once when the registry loads plugins. Every implementation runs.

    :param register: call ``register(spec)`` with a :class:`ModelSpec`
        per model; a duplicate ``model_id`` raises :class:`PluginError` naming both plugins.
    """


@hookspec
def register_backends(register: Callable[[str, Callable[..., Backend]], None]) -> None:
    """Register backends that execute requests (Runware REST, MiniMax platform, ...).

    Called once when the registry loads plugins. Every implementation runs.

    :param register: call ``register(name, factory)``; ``factory(**options)`` returns an object
        following :class:`~minimax_cover.plugin.hooks.types.Backend`. Names must be unique.
    """


@hookspec
def register_nodes(register: Callable[..., None]) -> None:
    """Register extra node classes for workflow hosts (ComfyUI, the headless runner).

    Called once when the node table is built. Every implementation runs. Nodes for registered
    models are generated automatically; use this for nodes of another kind.

    :param register: call ``register(node_id, node_class, display_name)``; ids must be unique
        and should be prefixed with the plugin's name.
    """


@hookspec
def register_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add commands to the ``minimax-cover`` CLI.

    Called once when the CLI builds its parser. Every implementation runs.

    :param subparsers: the argparse sub-parser action; call ``subparsers.add_parser(...)`` and
        ``set_defaults(func=...)`` with a function taking the parsed args, returning an exit code.
    """


# --- per job ---------------------------------------------------------------------------------


@hookspec(firstresult=True)
def stage_audio(source: Any, backend: Backend, context: JobContext) -> str | None:
    """Turn ``source`` into something ``inputs.audio`` accepts (a UUID or an http(s) URL).

    Called once per job, after validation and the local audio checks, before the request is
    prepared. Stops at the first non-``None`` result. The built-in answer (``trylast``) passes
    URLs and UUIDs through and uploads anything else with the backend's own media upload.

    :param source: a path, ``bytes``, an :class:`~minimax_cover.plugin.audio.Audio`, a URL or a
        UUID string.
    :param backend: the backend that will run the job.
    :param context: the job's context (model spec, request so far, journal, logger).
    :returns: the value for ``inputs.audio``, or ``None`` to let the next plugin decide.
    """


@hookspec(firstresult=True)
def choose_backend(request: dict[str, Any], context: JobContext) -> str | None:
    """Pick the backend (by registered name) that runs ``request``.

    Called once per job, before staging. Stops at the first non-``None`` result. The built-in
    answer (``trylast``) is ``"runware"``; the MiniMax plugin answers ``"minimax"`` when
    ``context.extra["backend_hint"]`` says so. An explicit ``backend=`` argument, or a two-step
    handle (which names its own backend), skips this hook.

    :param request: the validated request (``inputs.audio`` not yet staged).
    :param context: the job's context.
    :returns: a registered backend name, or ``None``.
    """


@hookspec
def prepare_request(request: dict[str, Any], context: JobContext) -> None:
    """Inspect or change the final request just before it is journaled and sent.

    Called once per job, after staging. Every implementation runs; change ``request`` in place,
    or raise (e.g. a spending guard) to refuse the job before anything is paid for. Implement it
    as a new-style wrapper (``@hookimpl(wrapper=True)``, ``yield`` once) to run code around the
    other implementations. The request is validated again afterwards, so middleware cannot send
    an invalid request. Return values are ignored.

    :param request: the staged, validated request (a mutable dict).
    :param context: the job's context.
    """


@hookspec
def on_result(output: CoverOutput, context: JobContext) -> None:
    """Receive each finished generation, after it was downloaded and saved.

    Called once per generation, as each finishes (partial results arrive before the job ends).
    Every implementation runs, each in its own ``try``: a failing sink is reported as a warning
    naming the plugin, and never loses the result.

    :param output: the saved generation (file path, seed, cost, audio UUID).
    :param context: the job's context.
    """


@hookspec
def on_job_done(result: CoverResult, context: JobContext) -> None:
    """Receive the whole job's result once every generation is saved.

    Called once per successful job. Every implementation runs, each isolated like ``on_result``;
    a wrapper (``@hookimpl(wrapper=True)``) runs around all of them, e.g. to record the outcome
    after every other sink ran.

    :param result: the job result (outputs, cost total, task UUID).
    :param context: the job's context.
    """


# --- per batch -------------------------------------------------------------------------------


@hookspec(firstresult=True)
def make_executor(name: str, concurrency: int, options: dict[str, Any]) -> Any:
    """Provide the executor that runs a batch's jobs (threads here, or a cluster).

    Called once per batch (``minimax-cover batch``, ``cover_batch``), after every row was
    checked and before the first job is dispatched. Stops at the first non-``None`` result.
    The built-in answer (``trylast``) is a thread pool in this process for ``"threads"``; the
    built-in ``dask_executor`` plugin answers ``"dask"`` (needs the ``.[dask]`` extra).

    :param name: the executor asked for (``--executor``; ``"threads"`` by default).
    :param concurrency: the most jobs the batch keeps in flight at once.
    :param options: executor options (``--executor-option KEY=VALUE``), e.g. the Dask
        scheduler ``address``.
    :returns: an object following
        :class:`~minimax_cover.plugin.batch.executors.Executor` (``name``, ``remote``,
        ``submit(fn, *args)`` returning a :class:`concurrent.futures.Future`,
        ``shutdown(cancel=False)``), or ``None`` to let the next plugin decide.
    """
