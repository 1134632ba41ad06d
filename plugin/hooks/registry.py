"""The plugin registry: a pluggy manager plus the models, backends and nodes plugins register.

Importing this module scans nothing. :func:`get_registry` builds the shared registry on first
use; :func:`make_registry` builds a fresh one (tests, embedded hosts). Loading order: built-ins
first (``BUILTIN_PLUGINS``), then third-party plugins from the ``minimax_cover`` entry point
group. pluggy calls the last registered first, so third-party plugins get the first say; the
built-in answers are ``trylast`` as well.

Environment (read at load time, not import time):

- ``MINIMAX_COVER_LOAD_PLUGINS``: unset loads every entry point; empty loads none; ``a,b`` loads
  only those names.
- ``MINIMAX_COVER_BLOCK_PLUGINS``: ``a,b`` blocks those names (entry points or built-ins that
  are not required); ``*`` blocks every third-party plugin.
- ``MINIMAX_COVER_TRACE_PLUGINS=1``: trace every hook call to stderr (arguments shortened and
  redacted, never a key).

Every hook, ``register_*`` included, is called through pluggy (``pm.hook``); how failures are
isolated and registrations attributed is :mod:`.manager`'s job (see :mod:`.specs`).
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from ..errors import PluginError, PluginLoadError
from ..spec.model import ModelSpec
from . import specs as hookspecs
from .manager import PluginManager, Registrar, collect_failures, install_tracing

__all__ = [
    "BUILTIN_PLUGINS",
    "ENTRY_POINT_GROUP",
    "PluginInfo",
    "Registry",
    "get_registry",
    "make_registry",
    "reset_registry",
]

log = logging.getLogger("minimax_cover.registry")

ENTRY_POINT_GROUP = "minimax_cover"
LOAD_ENV = "MINIMAX_COVER_LOAD_PLUGINS"
BLOCK_ENV = "MINIMAX_COVER_BLOCK_PLUGINS"
TRACE_ENV = "MINIMAX_COVER_TRACE_PLUGINS"

#: Built-in plugins, ``(plugin name, dotted module relative to the package root, required)``,
#: registered like third-party ones (llm's ``DEFAULT_PLUGINS``). Names, not imports: the ground
#: floor never imports the ComfyUI face. Required ones cannot be blocked.
BUILTIN_PLUGINS: tuple[tuple[str, str, bool], ...] = (
    ("cover_model", "plugin.runware.cover_model", True),
    ("runware_backend", "plugin.runware.backend", True),
    ("media_staging", "plugin.jobs.media_staging", True),
    ("nodes", "nodes.plugin", True),
    ("minimax_backend", "plugin.minimax.backend", False),
    ("spending_guard", "plugin.money.guard", False),
    ("thread_executor", "plugin.batch.executors", True),
    ("dask_executor", "plugin.batch.dask_executor", False),
)
#: The package root (``minimax_cover``, or the folder name ComfyUI imported the pack under).
_ROOT_PACKAGE = __name__.rsplit(".", 3)[0]


@dataclass
class PluginInfo:
    """What ``minimax-cover plugins`` shows for one plugin (loaded or failed)."""

    name: str
    hooks: list[str] = field(default_factory=list)
    version: str | None = None
    dist: str | None = None
    builtin: bool = False
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "hooks": self.hooks,
            "version": self.version,
            "dist": self.dist,
            "builtin": self.builtin,
            "error": self.error,
        }


def _split_env(name: str) -> set[str] | None:
    raw = os.environ.get(name)
    if raw is None:
        return None
    return {part.strip() for part in raw.split(",") if part.strip()}


class Registry:
    """A plugin manager and what its plugins registered: models, backends, node classes."""

    def __init__(self) -> None:
        self.pm = PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.failures: list[PluginLoadError] = []
        self._dists: dict[str, tuple[str | None, str | None]] = {}
        self._builtin_names: set[str] = set()
        self._models: dict[str, ModelSpec] | None = None
        self._backends: dict[str, Callable[..., Any]] | None = None
        self._lock = threading.RLock()

    # --- loading ------------------------------------------------------------------------------

    @property
    def hook(self) -> Any:
        """The pluggy hook relay (``registry.hook.stage_audio(...)``)."""
        return self.pm.hook

    def load(self, *, entry_points: bool = True, builtins: bool = True) -> Registry:
        """Register built-ins, then entry-point plugins; failures are collected, not raised."""
        blocked = _split_env(BLOCK_ENV) or set()
        if builtins:
            for name, dotted, required in BUILTIN_PLUGINS:
                if name in blocked and not required:
                    self.pm.set_blocked(name)
                    continue
                if name in blocked:
                    log.warning("plugin %r is required and cannot be blocked", name)
                module = importlib.import_module(f"{_ROOT_PACKAGE}.{dotted}")
                self.register(module, name=name, builtin=True)
        if entry_points:
            self._load_entry_points(blocked)
        if os.environ.get(TRACE_ENV, "").strip().lower() not in ("", "0", "false", "no"):
            install_tracing(self.pm)
        self.pm.check_pending()
        return self

    def _load_entry_points(self, blocked: set[str]) -> None:
        allowed = _split_env(LOAD_ENV)
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if allowed is not None and ep.name not in allowed:
                continue
            if ep.name in blocked or "*" in blocked:
                self.pm.set_blocked(ep.name)
                log.info("plugin %r blocked by %s", ep.name, BLOCK_ENV)
                continue
            if self.pm.has_plugin(ep.name) or self.pm.is_blocked(ep.name):
                continue
            dist = ep.dist.name if ep.dist else None
            version = ep.dist.version if ep.dist else None
            try:
                plugin = ep.load()
                self.register(plugin, name=ep.name, dist=dist, version=version)
                self.pm.check_pending()  # earlier plugins passed: a failure is this one's
            except Exception as exc:  # a broken plugin must not break the host
                if self.pm.get_plugin(ep.name) is not None:
                    self.unregister(ep.name)  # e.g. a misspelled @hookimpl
                self._dists.pop(ep.name, None)
                failure = PluginLoadError(ep.name, dist, exc)
                failure.__cause__ = exc
                self.failures.append(failure)
                log.warning("%s", failure)

    def register(
        self,
        plugin: object,
        *,
        name: str | None = None,
        dist: str | None = None,
        version: str | None = None,
        builtin: bool = False,
    ) -> str:
        """Register ``plugin`` (a module or object with ``@hookimpl`` functions).

        :returns: the name it is registered under.
        :raises PluginError: it is blocked, already registered, or has an old-style
            ``hookwrapper=True`` implementation (the message names the plugin and the hook).
        """
        with self._lock:
            registered = self.pm.register(plugin, name=name)
            if registered is None:
                raise PluginError(f"plugin {name!r} is blocked or already registered")
            self._dists[registered] = (dist, version)
            if builtin:
                self._builtin_names.add(registered)
            self._models = self._backends = None  # re-collected on next access
            return registered

    def unregister(self, name: str) -> None:
        """Remove a plugin by name (tests, hosts reloading a plugin)."""
        with self._lock:
            self.pm.unregister(name=name)
            self._models = self._backends = None

    # --- what plugins registered --------------------------------------------------------------

    def _collect(self, hook_name: str, accept: Callable[..., Any]) -> list[tuple[str, Any]]:
        """Call a registration hook through pluggy; ``(plugin, entry)`` in registration order.

        pluggy calls the last registered plugin first; sorting (stable) by registration order
        makes the built-ins come first and a duplicate name the later plugin's fault.
        """
        registrar = Registrar(hook_name, accept)
        try:
            getattr(self.pm.hook, hook_name)(register=registrar)
        finally:
            registrar.close()
        order = {name: i for i, (name, _) in enumerate(self.pm.list_name_plugin())}
        return sorted(registrar.entries, key=lambda entry: order.get(entry[0], len(order)))

    def _collect_models(self) -> dict[str, ModelSpec]:
        models: dict[str, ModelSpec] = {}
        owner: dict[str, str] = {}
        for plugin, spec in self._collect("register_models", _accept_model):
            if spec.model_id in models:
                raise PluginError(
                    f"plugin {plugin!r}: model {spec.model_id!r} is already registered "
                    f"by {owner[spec.model_id]!r}"
                )
            models[spec.model_id] = spec
            owner[spec.model_id] = plugin
        return models

    def _collect_backends(self) -> dict[str, Callable[..., Any]]:
        backends: dict[str, Callable[..., Any]] = {}
        owner: dict[str, str] = {}
        for plugin, (name, factory) in self._collect("register_backends", _accept_backend):
            if name in backends:
                raise PluginError(f"plugin {plugin!r}: backend {name!r} is already registered "
                                  f"by {owner[name]!r}")
            backends[name] = factory
            owner[name] = plugin
        return backends

    @property
    def models(self) -> dict[str, ModelSpec]:
        """``{model_id: ModelSpec}`` of every registered model, in registration order."""
        with self._lock:
            if self._models is None:
                self._models = self._collect_models()
            return self._models

    def model(self, model_id: str) -> ModelSpec:
        """The spec registered for ``model_id``; :class:`PluginError` names the known ones."""
        try:
            return self.models[model_id]
        except KeyError:
            known = ", ".join(self.models) or "none"
            raise PluginError(f"unknown model {model_id!r} (registered: {known})") from None

    @property
    def backends(self) -> dict[str, Callable[..., Any]]:
        """``{name: factory}`` of every registered backend."""
        with self._lock:
            if self._backends is None:
                self._backends = self._collect_backends()
            return self._backends

    def backend(self, name: str, **options: Any) -> Any:
        """A new backend instance by name (``options`` go to its factory).

        The opener of a backend starts its offline stand-in, not the backend: a factory whose
        ``needs_sandbox(**options)`` says so gets ``sandbox=factory.start_sandbox(...)`` (its
        ``sandbox_options``); the backend, only a client, stops it when closed.
        """
        try:
            factory = self.backends[name]
        except KeyError:
            known = ", ".join(self.backends) or "none"
            raise PluginError(f"unknown backend {name!r} (registered: {known})") from None
        needs = getattr(factory, "needs_sandbox", None)
        if options.get("sandbox") is None and callable(needs) and needs(**options):
            sandbox = factory.start_sandbox(options.get("sandbox_options"))
            try:
                return factory(**{**options, "sandbox": sandbox})
            except BaseException:
                sandbox.stop()
                raise
        return factory(**options)

    def node_classes(self) -> list[tuple[str, type, str]]:
        """``[(node_id, class, display_name)]`` from the ``register_nodes`` hook."""
        out: list[tuple[str, type, str]] = []
        owner: dict[str, str] = {}
        for plugin, row in self._collect("register_nodes", _accept_node):
            if row[0] in owner:
                raise PluginError(f"plugin {plugin!r}: node {row[0]!r} is already registered "
                                  f"by {owner[row[0]]!r}")
            owner[row[0]] = plugin
            out.append(row)
        return out

    def list_plugins(self) -> list[PluginInfo]:
        """Every loaded plugin with its hooks and version, then every failed one."""
        from ... import __version__

        infos = []
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None:
                continue
            hooks = sorted(c.name for c in self.pm.get_hookcallers(plugin) or [])
            dist, version = self._dists.get(name, (None, None))
            builtin = name in self._builtin_names
            infos.append(
                PluginInfo(
                    name=name,
                    hooks=hooks,
                    version=__version__ if builtin else version,
                    dist="minimax-cover" if builtin else dist,
                    builtin=builtin,
                )
            )
        for failure in self.failures:
            infos.append(
                PluginInfo(name=failure.name, dist=failure.dist,
                           error=f"{type(failure.error).__name__}: {failure.error}")
            )
        return infos

    def call_isolated(self, hook_name: str, **kwargs: Any) -> list[str]:
        """Call an isolated hook (``on_result``, ``on_job_done``) through pluggy.

        Wrappers run around the other implementations; each implementation runs in its own
        ``try``: a failure is logged as a warning naming its plugin, and the others still run.

        :param hook_name: one of :data:`~.specs.ISOLATED_HOOKS`.
        :returns: the failure messages (``plugin 'x' failed in on_job_done: ...``), in call order.
        """
        if hook_name not in hookspecs.ISOLATED_HOOKS:
            raise PluginError(f"call_isolated: {hook_name!r} is not an isolated hook "
                              f"(isolated: {', '.join(sorted(hookspecs.ISOLATED_HOOKS))})")
        with collect_failures() as failures:
            getattr(self.pm.hook, hook_name)(**kwargs)
        return failures


def _accept_model(plugin: str, spec: ModelSpec) -> ModelSpec:
    if not isinstance(spec, ModelSpec):
        raise PluginError(
            f"plugin {plugin!r}: register_models expects a ModelSpec (got {type(spec).__name__})"
        )
    return spec


def _accept_backend(
    plugin: str, name: str, factory: Callable[..., Any]
) -> tuple[str, Callable[..., Any]]:
    if not callable(factory):
        raise PluginError(f"plugin {plugin!r}: backend {name!r} factory is not callable")
    return name, factory


def _accept_node(
    plugin: str, node_id: str, cls: type, display_name: str | None = None
) -> tuple[str, type, str]:
    return node_id, cls, display_name or node_id


_shared: Registry | None = None
_shared_lock = threading.Lock()


def make_registry(
    *, entry_points: bool = True, builtins: bool = True, plugins: Iterable[object] = ()
) -> Registry:
    """A new, loaded registry (tests and embedded hosts get their own instance)."""
    registry = Registry()
    registry.load(entry_points=entry_points, builtins=builtins)
    for plugin in plugins:
        registry.register(plugin)
    registry.pm.check_pending()  # the caller's own plugins: a misspelled hook is an error
    return registry


def get_registry() -> Registry:
    """The process-wide registry, loaded on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = make_registry()
        return _shared


def reset_registry() -> None:
    """Forget the process-wide registry (the next :func:`get_registry` loads again)."""
    global _shared
    with _shared_lock:
        _shared = None
