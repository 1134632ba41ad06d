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

# public name -> (relative module, attribute)
_API: dict[str, tuple[str, str]] = {
    # ComfyUI entry points (V1 mappings, or V3 comfy_entrypoint where comfy_api is available)
    "NODE_CLASS_MAPPINGS": (".nodes", "NODE_CLASS_MAPPINGS"),
    "NODE_DISPLAY_NAME_MAPPINGS": (".nodes", "NODE_DISPLAY_NAME_MAPPINGS"),
    "comfy_entrypoint": (".nodes", "comfy_entrypoint"),
    # Spec, schema, validation
    "MINIMAX_MUSIC_COVER": (".plugin.spec", "MINIMAX_MUSIC_COVER"),
    "ModelSpec": (".plugin.spec", "ModelSpec"),
    "build_request_schema": (".plugin.schema", "build_request_schema"),
    "build_result_schema": (".plugin.schema", "build_result_schema"),
    "validate_request": (".plugin.validation", "validate_request"),
    "lint_request": (".plugin.validation", "lint_request"),
    "lint_lyrics": (".plugin.lyrics", "lint_lyrics"),
    # Plugins
    "hookimpl": (".plugin.hookspecs", "hookimpl"),
    "get_registry": (".plugin.registry", "get_registry"),
    "make_registry": (".plugin.registry", "make_registry"),
    # Jobs
    "cover": (".plugin.pipeline", "cover"),
    "CoverJob": (".plugin.pipeline", "CoverJob"),
    "CoverResult": (".plugin.pipeline", "CoverResult"),
    "RunwareClient": (".plugin.client", "RunwareClient"),
    "resume_job": (".plugin.pipeline", "resume_job"),
    "Sandbox": (".plugin.sandbox", "Sandbox"),
    "Journal": (".plugin.journal", "Journal"),
    # Two-step workflow (MiniMax platform API)
    "CoverHandle": (".plugin.twostep", "CoverHandle"),
    "MiniMaxClient": (".plugin.minimax_client", "MiniMaxClient"),
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

__all__ = ["__version__", *_API]


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
