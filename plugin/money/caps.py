"""Spending caps per job, per batch and per day, from the config file and the environment.

``config.json`` in the user config dir (``MINIMAX_COVER_CONFIG_DIR`` moves it)::

    {"spending_caps": {"job_usd": 0.60, "batch_usd": 5, "day_usd": 10},
     "check_balance": true}

Environment variables win over the file: ``MINIMAX_COVER_CAP_JOB_USD``,
``MINIMAX_COVER_CAP_BATCH_USD``, ``MINIMAX_COVER_CAP_DAY_USD`` (a number of US dollars; ``off``
removes a cap the file sets) and ``MINIMAX_COVER_CHECK_BALANCE`` (``0`` skips the balance check
before each job). Both are read on every call, never frozen at import. No cap is set by default.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from typing import Any

from ..config import config_file
from ..errors import UsageError

__all__ = ["CAP_ENV", "CHECK_BALANCE_ENV", "CONFIG_CAPS_KEY", "Caps", "balance_check_enabled",
           "load_caps"]

#: Environment variable of each cap.
CAP_ENV = {"job": "MINIMAX_COVER_CAP_JOB_USD", "batch": "MINIMAX_COVER_CAP_BATCH_USD",
           "day": "MINIMAX_COVER_CAP_DAY_USD"}
CHECK_BALANCE_ENV = "MINIMAX_COVER_CHECK_BALANCE"
#: The object of caps in ``config.json`` (keys ``job_usd``, ``batch_usd``, ``day_usd``).
CONFIG_CAPS_KEY = "spending_caps"
_OFF = ("", "off", "none", "no")


@dataclass(frozen=True)
class Caps:
    """The caps in USD (``None``: no cap): one job, one batch, one calendar day (local time)."""

    job_usd: float | None = None
    batch_usd: float | None = None
    day_usd: float | None = None

    @property
    def any(self) -> bool:
        """True when at least one cap is set."""
        return any(v is not None for v in (self.job_usd, self.batch_usd, self.day_usd))

    def describe(self) -> str:
        """``job $0.60, day $10.00`` (``no caps`` when none is set)."""
        from .pricing import format_usd

        parts = [f"{name} {format_usd(value)}" for name, value in
                 (("job", self.job_usd), ("batch", self.batch_usd), ("day", self.day_usd))
                 if value is not None]
        return ", ".join(parts) or "no caps"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"jobUsd": self.job_usd, "batchUsd": self.batch_usd, "dayUsd": self.day_usd}


def _read_config() -> dict[str, Any]:
    try:
        data = json.loads(config_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):  # absent or unreadable: the config module warns about it
        return {}
    return data if isinstance(data, dict) else {}


def _amount(where: str, raw: Any) -> float | None:
    if raw is None or (isinstance(raw, str) and raw.strip().lower() in _OFF):
        return None
    try:
        if isinstance(raw, bool):
            raise ValueError
        value = float(raw)
    except (TypeError, ValueError):
        raise UsageError(f"{where}: must be a number of US dollars or 'off' (got {raw!r})"
                         ) from None
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"{where}: must be 0 or more (got {raw!r})")
    return value


def load_caps() -> Caps:
    """The caps in force: each environment variable, else the config file, else none.

    :raises UsageError: a value that is not a non-negative number (naming where it was set).
    """
    stored = _read_config().get(CONFIG_CAPS_KEY)
    stored = stored if isinstance(stored, dict) else {}
    values: dict[str, float | None] = {}
    for name, env in CAP_ENV.items():
        if env in os.environ:
            values[name] = _amount(env, os.environ[env])
        else:
            values[name] = _amount(f"{config_file()}: {CONFIG_CAPS_KEY}.{name}_usd",
                                   stored.get(f"{name}_usd"))
    return Caps(job_usd=values["job"], batch_usd=values["batch"], day_usd=values["day"])


def balance_check_enabled() -> bool:
    """Whether the balance is asked before each job (``MINIMAX_COVER_CHECK_BALANCE``, then
    ``check_balance`` in the config file; default yes)."""
    raw = os.environ.get(CHECK_BALANCE_ENV)
    if raw is None:
        stored = _read_config().get("check_balance", True)
        return stored is not False
    return raw.strip().lower() not in ("0", "false", "no", "off")
