"""How minimax-cover calls hook implementations: a pluggy ``PluginManager`` with three rules.

Every hook is called through pluggy (``pm.hook.<name>(...)``), so wrappers, call order and
hook-call monitoring apply to all of them. When a plugin is registered, this manager adjusts
its implementations (pluggy's public ``HookImpl.function``), as pytest's manager does:

- registration hooks (:data:`~.specs.REGISTRATION_HOOKS`): the :class:`Registrar` passed as
  ``register`` is bound to the implementing plugin, so each registration is attributed;
- isolated hooks (:data:`~.specs.ISOLATED_HOOKS`): every implementation, wrappers included,
  runs in its own ``try``; a failure is logged as a warning naming the plugin and collected by
  :func:`collect_failures`, and the other implementations still run;
- old-style ``hookwrapper=True`` implementations are refused (new-style ``wrapper=True`` only).

:func:`install_tracing` prints every hook call to stderr, arguments shortened and redacted.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import json
import logging
import sys
from collections.abc import Callable, Generator, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TextIO

import pluggy

from ..errors import PluginError
from ..redaction import redact
from .specs import ISOLATED_HOOKS, REGISTRATION_HOOKS

__all__ = ["PluginManager", "Registrar", "collect_failures", "install_tracing"]

log = logging.getLogger("minimax_cover.registry")

#: The failure messages of the isolated hook call in progress (``None``: only logged).
_failures: ContextVar[list[str] | None] = ContextVar("minimax_cover_hook_failures", default=None)
_TRACE_WIDTH = 200


@contextlib.contextmanager
def collect_failures() -> Iterator[list[str]]:
    """Collect the failure messages of isolated implementations called inside the block.

    :returns: (as the ``with`` target) the list the messages are appended to.
    """
    failures: list[str] = []
    token = _failures.set(failures)
    try:
        yield failures
    finally:
        _failures.reset(token)


def _report(plugin: str, hook: str, exc: BaseException) -> None:
    message = f"plugin {plugin!r} failed in {hook}: {type(exc).__name__}: {redact(exc)}"
    log.warning("%s", message)
    sink = _failures.get()
    if sink is not None:
        sink.append(message)


def _isolated(function: Callable[..., Any], plugin: str, hook: str) -> Callable[..., Any]:
    """``function`` in its own ``try``: a failure is reported and the call returns ``None``."""

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except Exception as exc:
            _report(plugin, hook, exc)
            return None

    return call


def _isolated_wrapper(
    function: Callable[..., Generator[Any, Any, Any]], plugin: str, hook: str
) -> Callable[..., Generator[Any, Any, Any]]:
    """A new-style wrapper whose own code (before and after its ``yield``) is isolated.

    The inner implementations are isolated too, so nothing but a ``BaseException`` (or a
    pluggy call error) arrives at the ``yield``; that is passed to the plugin's wrapper as is.
    """

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        gen = function(*args, **kwargs)
        try:
            next(gen)
        except StopIteration:
            _report(plugin, hook, RuntimeError("wrapper returned without yielding"))
            return (yield)
        except Exception as exc:
            _report(plugin, hook, exc)
            return (yield)  # the inner implementations still run
        try:
            result = yield
        except BaseException as exc:
            try:
                gen.throw(exc)
            except StopIteration as stop:
                return stop.value
            gen.close()
            raise
        try:
            gen.send(result)
        except StopIteration as stop:
            return stop.value
        except Exception as exc:
            _report(plugin, hook, exc)
            return result
        gen.close()
        _report(plugin, hook, RuntimeError("wrapper yielded more than once"))
        return result

    return call


class Registrar:
    """The ``register`` callback of one registration hook call.

    pluggy passes the same instance to every implementation; the manager hands each one
    :meth:`bind` ``(plugin)`` instead, so ``accept(plugin, *args)`` knows who registered what.
    ``accept`` checks the arguments (raising :class:`PluginError` naming the plugin) and returns
    the entry to keep; :attr:`entries` holds ``(plugin, entry)`` in call order.
    """

    def __init__(self, hook: str, accept: Callable[..., Any]) -> None:
        self.hook = hook
        self.entries: list[tuple[str, Any]] = []
        self._accept = accept
        self._open = True

    def bind(self, plugin: str) -> Callable[..., None]:
        """The callback for ``plugin``'s implementation."""

        def register(*args: Any, **kwargs: Any) -> None:
            self._add(plugin, *args, **kwargs)

        return register

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self._add("<unknown>", *args, **kwargs)  # an implementation this manager did not bind

    def close(self) -> None:
        """Refuse later calls (a plugin keeping the callback past its hook call)."""
        self._open = False

    def _add(self, plugin: str, *args: Any, **kwargs: Any) -> None:
        if not self._open:
            raise PluginError(f"plugin {plugin!r}: register() called after {self.hook} returned")
        self.entries.append((plugin, self._accept(plugin, *args, **kwargs)))

    def __repr__(self) -> str:
        return f"<{self.hook} callback>"


def _bound(function: Callable[..., Any], plugin: str) -> Callable[..., Any]:
    """``function`` receiving, instead of a :class:`Registrar`, its ``bind(plugin)``."""

    def swap(value: Any) -> Any:
        return value.bind(plugin) if isinstance(value, Registrar) else value

    if inspect.isgeneratorfunction(function):  # a wrapper: keep it a generator function

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            return (yield from function(*map(swap, args),
                                        **{k: swap(v) for k, v in kwargs.items()}))

        return wrapper

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        return function(*map(swap, args), **{k: swap(v) for k, v in kwargs.items()})

    return call


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, adjusting each plugin's implementations as it is registered."""

    def register(self, plugin: object, name: str | None = None) -> str | None:
        """Register ``plugin``; :class:`PluginError` if it has an old-style hookwrapper."""
        registered = super().register(plugin, name)
        if registered is None:
            return None
        impls = [(caller.name, impl) for caller in self.get_hookcallers(plugin) or []
                 for impl in caller.get_hookimpls() if impl.plugin is plugin]
        old_style = sorted(hook for hook, impl in impls if impl.hookwrapper)
        if old_style:
            self.unregister(plugin)
            raise PluginError(
                f"plugin {registered!r}: @hookimpl(hookwrapper=True) on {', '.join(old_style)} "
                "is not supported; use a new-style @hookimpl(wrapper=True) "
                "(`result = yield`, then `return result`)"
            )
        for hook, impl in impls:
            if hook in REGISTRATION_HOOKS:
                impl.function = _bound(impl.function, registered)  # type: ignore[misc]
            elif hook in ISOLATED_HOOKS:
                isolate = _isolated_wrapper if impl.wrapper else _isolated
                impl.function = isolate(impl.function, registered, hook)  # type: ignore[misc]
        return registered


def _trace_value(value: Any) -> str:
    """A short, redacted form of a hook argument (dataclasses: their scalar fields only)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        scalars = (str, int, float, bool, Path, type(None))
        shown = [f"{f.name}={getattr(value, f.name)!r}" for f in dataclasses.fields(value)
                 if isinstance(getattr(value, f.name, None), scalars)]
        text = f"{type(value).__name__}({', '.join(shown)})"
    elif isinstance(value, (dict, list)):  # JSON, so key-shaped fields are found and redacted
        text = json.dumps(value, default=str)
    else:
        text = repr(value)
    text = redact(text)
    return text if len(text) <= _TRACE_WIDTH else text[:_TRACE_WIDTH - 3] + "..."


def install_tracing(pm: pluggy.PluginManager, stream: TextIO | None = None) -> Callable[[], None]:
    """Print every hook call of ``pm`` (implementations, arguments, outcome) to ``stream``.

    :param stream: where to write; ``None`` means ``sys.stderr`` at the time of each call.
    :returns: a function removing the tracing again.
    """

    def out(line: str) -> None:
        print(f"[minimax-cover] hook {line}", file=stream or sys.stderr)

    def before(hook_name: str, impls: Any, kwargs: Any) -> None:
        shown = ", ".join(f"{k}={_trace_value(v)}" for k, v in kwargs.items())
        out(f"{hook_name} -> {[i.plugin_name for i in reversed(impls)]} ({shown})")

    def after(outcome: Any, hook_name: str, impls: Any, kwargs: Any) -> None:
        exc = outcome.exception
        out(f"{hook_name} done" if exc is None
            else f"{hook_name} raised {type(exc).__name__}: {redact(exc)[:_TRACE_WIDTH]}")

    return pm.add_hookcall_monitoring(before, after)
