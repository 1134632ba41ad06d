"""minimax-cover: MiniMax Music Cover for ComfyUI, scripts and pipelines.

This folder is both a ComfyUI custom-node pack (ComfyUI imports it by path and reads
``NODE_CLASS_MAPPINGS`` or ``comfy_entrypoint``) and the installed package ``minimax_cover``
(the Python API below). Everything is resolved lazily on first attribute access, so
``import minimax_cover`` loads no numpy, jsonschema, audio library or torch, and scans no
plugins. Relative imports only: ComfyUI has top-level ``nodes`` and ``plugin``-like modules.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"
#: ComfyUI serves the pack's frontend extension (the audition panel) from this folder.
WEB_DIRECTORY = "./web"

# public name -> (relative module, attribute)
_API: dict[str, tuple[str, str]] = {
    # ComfyUI entry points (V1 mappings, or V3 comfy_entrypoint where comfy_api is available)
    "NODE_CLASS_MAPPINGS": (".nodes", "NODE_CLASS_MAPPINGS"),
    "NODE_DISPLAY_NAME_MAPPINGS": (".nodes", "NODE_DISPLAY_NAME_MAPPINGS"),
    "comfy_entrypoint": (".nodes", "comfy_entrypoint"),
    # Spec, schema, validation
    "MINIMAX_MUSIC_COVER": (".plugin.spec.model", "MINIMAX_MUSIC_COVER"),
    "ModelSpec": (".plugin.spec.model", "ModelSpec"),
    "build_request_schema": (".plugin.spec.schema", "build_request_schema"),
    "build_result_schema": (".plugin.spec.schema", "build_result_schema"),
    "validate_request": (".plugin.spec.validation", "validate_request"),
    "lint_request": (".plugin.spec.validation", "lint_request"),
    "lint_lyrics": (".plugin.spec.lyrics", "lint_lyrics"),
    # Plugins
    "hookimpl": (".plugin.hooks.specs", "hookimpl"),
    "get_registry": (".plugin.hooks.registry", "get_registry"),
    "make_registry": (".plugin.hooks.registry", "make_registry"),
    # Jobs
    "cover": (".plugin.jobs.pipeline", "cover"),
    "build_request": (".plugin.jobs.pipeline", "build_request"),
    "CoverJob": (".plugin.jobs.job", "CoverJob"),
    "CoverResult": (".plugin.hooks.types", "CoverResult"),
    "RunwareClient": (".plugin.runware.client", "RunwareClient"),
    "Timeout": (".plugin.transport.timeouts", "Timeout"),
    "resume_job": (".plugin.jobs.pipeline", "resume_job"),
    "acover": (".plugin.jobs.aio", "acover"),
    "aresume_job": (".plugin.jobs.aio", "aresume_job"),
    "AsyncCoverClient": (".plugin.jobs.aio", "AsyncCoverClient"),
    "cover_batch": (".plugin.batch.api", "cover_batch"),
    "Sandbox": (".plugin.sandbox", "Sandbox"),
    "Journal": (".plugin.journal.store", "Journal"),
    # Money: prices, receipts
    "spend_report": (".plugin.money.receipts", "spend_report"),
    "load_caps": (".plugin.money.caps", "load_caps"),
    # Two-step workflow (MiniMax platform API)
    "CoverHandle": (".plugin.minimax.handle", "CoverHandle"),
    "MiniMaxClient": (".plugin.minimax.client", "MiniMaxClient"),
    "MiniMaxSandbox": (".plugin.sandbox.minimax_server", "MiniMaxSandbox"),
    # Audio
    "Audio": (".plugin.audio", "Audio"),
    "read_audio": (".plugin.audio", "read_audio"),
    "write_audio": (".plugin.audio", "write_audio"),
    # Errors
    "errors": (".plugin.errors", ""),
    "MinimaxCoverError": (".plugin.errors", "MinimaxCoverError"),
    "SpecValidationError": (".plugin.errors", "SpecValidationError"),
}

__all__ = ["WEB_DIRECTORY", "__version__", *_API]


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _API[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    module = importlib.import_module(module_name, __name__)
    value = getattr(module, attr) if attr else module
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
