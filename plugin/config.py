"""Where the Runware API key and endpoint come from.

Lookup order for the key: the explicit argument, then the ``RUNWARE_API_KEY`` environment
variable, then ``runware_api_key`` in ``<user config dir>/config.json`` (see :mod:`.paths`;
``MINIMAX_COVER_CONFIG_DIR`` overrides the folder). Every key found is registered with
:func:`.redaction.register_secret`, so it is redacted from messages and logs. Environment
variables are read on every call, never frozen at import.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
import uuid
from pathlib import Path
from typing import Any

from .constants import API_KEY_ENV, API_URL_ENV, RUNWARE_API_URL
from .paths import user_config_dir
from .redaction import register_secret

__all__ = [
    "CONFIG_KEY",
    "config_file",
    "read_setting",
    "resolve_api_key",
    "resolve_base_url",
    "save_api_key",
]

log = logging.getLogger("minimax_cover.config")

#: The key of the API key in ``config.json``.
CONFIG_KEY = "runware_api_key"


def config_file() -> Path:
    """The path of ``config.json`` in the user config dir (it may not exist)."""
    return user_config_dir() / "config.json"


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def _read_config(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        log.warning("cannot read %s: %s", path, exc.strerror or exc)
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        log.warning("%s is not valid JSON; ignoring it", path)
        return {}
    return data if isinstance(data, dict) else {}


def _warn_if_readable_by_others(path: Path) -> None:
    if sys.platform == "win32":
        return
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning(
            "%s holds an API key and is readable by other users (mode %o); run: chmod 600 %s",
            path,
            stat.S_IMODE(mode),
            path,
        )


def resolve_api_key(explicit: str | None = None, *, env: str = API_KEY_ENV) -> str | None:
    """Find the Runware API key, or return ``None`` when there is none.

    :param explicit: a key given by the caller; wins when not empty.
    :param env: the environment variable to read next (default ``RUNWARE_API_KEY``).
    :returns: the key (stripped), registered as a secret, or ``None``.
    """
    key = _clean(explicit) or _clean(os.environ.get(env))
    if key is None:
        path = config_file()
        data = _read_config(path)
        key = _clean(data.get(CONFIG_KEY))
        if key is not None:
            _warn_if_readable_by_others(path)
    register_secret(key)
    return key


def resolve_base_url(explicit: str | None = None) -> str:
    """The Runware endpoint: ``explicit``, else ``RUNWARE_API_URL``, else Runware's ``/v1``."""
    url = _clean(explicit) or _clean(os.environ.get(API_URL_ENV)) or RUNWARE_API_URL
    return url.rstrip("/")


def save_api_key(key: str) -> Path:
    """Store ``key`` as ``runware_api_key`` in ``config.json``, readable by the owner only.

    Other settings in the file are kept. The file is written atomically with mode ``0o600``
    (its folder is created with ``0o700``).

    :returns: the path of the file written.
    :raises ValueError: if ``key`` is empty.
    """
    clean = _clean(key)
    if clean is None:
        raise ValueError("the API key is empty")
    register_secret(clean)
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = _read_config(path)
    data[CONFIG_KEY] = clean
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
            fh.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def read_setting(name: str, env: str | None = None) -> Any:
    """A setting: the environment variable ``env`` when set and not empty, else ``name`` in
    ``config.json`` (any JSON value), else ``None``. Read on every call, never cached.

    :param name: the key in ``config.json`` (e.g. ``"minimax_plan"``).
    :param env: the variable that overrides it (e.g. ``"MINIMAX_PLAN"``).
    """
    if env is not None:
        value = _clean(os.environ.get(env))
        if value is not None:
            return value
    return _read_config(config_file()).get(name)
