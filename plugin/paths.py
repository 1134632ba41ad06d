"""Where minimax-cover keeps user files (config, journal), following the XDG conventions.

``MINIMAX_COVER_CONFIG_DIR`` and ``MINIMAX_COVER_DATA_DIR`` override the locations (tests use
them). On Windows the APPDATA/LOCALAPPDATA folders are used, on macOS ``~/Library``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .constants import CONFIG_DIR_ENV, DATA_DIR_ENV

__all__ = ["user_config_dir", "user_data_dir"]

_APP = "minimax-cover"


def _base(kind: str) -> Path:
    home = Path.home()
    if sys.platform == "win32":
        env = "APPDATA" if kind == "config" else "LOCALAPPDATA"
        return Path(os.environ.get(env) or home / "AppData" / "Roaming")
    if sys.platform == "darwin":
        return home / "Library" / ("Preferences" if kind == "config" else "Application Support")
    if kind == "config":
        return Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    return Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")


def user_config_dir() -> Path:
    """The folder holding ``config.json`` (not created here)."""
    override = os.environ.get(CONFIG_DIR_ENV)
    return Path(override) if override else _base("config") / _APP


def user_data_dir() -> Path:
    """The folder holding the task journal and other state (not created here)."""
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override) if override else _base("data") / _APP
