"""Where the nodes read and write files: ComfyUI's folders inside ComfyUI, per-run folders outside.

Inside ComfyUI, ``folder_paths`` (input, output and temp folders) always wins. Outside it (the
headless runner, scripts, tests) a host sets the folders for a block of code with
:func:`use_dirs`; otherwise relative load paths are looked up in the current directory, saves
go to ``./output`` and temporary files (previews, downloaded takes) to
``<system temp>/minimax-cover``.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "comfy_folder_paths",
    "default_temp_dir",
    "input_dirs",
    "output_directory",
    "temp_directory",
    "use_dirs",
]

_input_dirs: contextvars.ContextVar[tuple[Path, ...]] = contextvars.ContextVar(
    "minimax_cover_input_dirs", default=())
_output_dir: contextvars.ContextVar[Path | None] = contextvars.ContextVar(
    "minimax_cover_output_dir", default=None)
_temp_dir: contextvars.ContextVar[Path | None] = contextvars.ContextVar(
    "minimax_cover_temp_dir", default=None)


@contextlib.contextmanager
def use_dirs(
    *,
    input_dirs: Sequence[str | os.PathLike[str]] | None = None,
    output_dir: str | os.PathLike[str] | None = None,
    temp_dir: str | os.PathLike[str] | None = None,
) -> Iterator[None]:
    """Within the block, look up relative load paths in ``input_dirs``, save to
    ``output_dir`` and write temporary files to ``temp_dir``. ``None`` keeps the folder the
    enclosing block set. ComfyUI's own folders win inside ComfyUI."""
    tokens: list[tuple[contextvars.ContextVar[Any], contextvars.Token[Any]]] = []
    if input_dirs is not None:
        tokens.append((_input_dirs, _input_dirs.set(tuple(Path(d) for d in input_dirs))))
    if output_dir is not None:
        tokens.append((_output_dir, _output_dir.set(Path(output_dir))))
    if temp_dir is not None:
        tokens.append((_temp_dir, _temp_dir.set(Path(temp_dir))))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def comfy_folder_paths() -> Any | None:
    """ComfyUI's ``folder_paths`` module, or ``None`` outside ComfyUI."""
    try:
        import folder_paths
    except Exception:  # not inside ComfyUI
        return None
    return folder_paths


def input_dirs() -> tuple[Path, ...]:
    """The folders relative load paths are looked up in (set by :func:`use_dirs`)."""
    return _input_dirs.get()


def output_directory() -> Path:
    """ComfyUI's output folder, the run's (:func:`use_dirs`), else ``./output``."""
    fp = comfy_folder_paths()
    if fp is not None:
        return Path(fp.get_output_directory())
    return _output_dir.get() or Path.cwd() / "output"


def default_temp_dir() -> Path:
    """The temp folder used outside ComfyUI when no run sets one."""
    return Path(tempfile.gettempdir()) / "minimax-cover"  # a name Python cannot import


def temp_directory() -> Path:
    """ComfyUI's temp folder, the run's (:func:`use_dirs`), else :func:`default_temp_dir`."""
    fp = comfy_folder_paths()
    if fp is not None:
        return Path(fp.get_temp_directory())
    return _temp_dir.get() or default_temp_dir()
