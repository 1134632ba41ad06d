"""Spending caps per job, per batch and per day, from the config file and the environment.

``config.json`` in the user config dir (``MINIMAX_COVER_CONFIG_DIR`` moves it)::

    {"spending_caps": {"job_usd": 0.60, "batch_usd": 5, "day_usd": 10},
     "check_balance": true}

Environment variables win over the file: ``MINIMAX_COVER_CAP_JOB_USD``,
``MINIMAX_COVER_CAP_BATCH_USD``, ``MINIMAX_COVER_CAP_DAY_USD`` (a number of US dollars; ``off``
removes a cap the file sets; an empty value is refused, as a file that is not JSON, a
``spending_caps`` that is not an object or names an unknown cap, and a ``check_balance`` that
is not ``true``/``false`` are: one line naming the key, exit 2) and
``MINIMAX_COVER_CHECK_BALANCE`` (``0`` skips the balance check before each job). Both are
read on every call, never frozen at import. No cap is set by default.
"""

from __future__ import annotations

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
CHECK_BALANCE_KEY = "check_balance"
_OFF = ("off", "none", "no")


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
    from ..config import read_settings

    return read_settings(strict=True)  # a broken file is refused: it may hold caps


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


def _env_amount(env: str, raw: str) -> float | None:
    if not raw.strip():
        raise UsageError(f"{env}: is set but empty; set a number of US dollars, or 'off' to "
                         "remove the cap (or unset it)")
    return _amount(env, raw)


def _stored_caps(data: dict[str, Any]) -> dict[str, Any]:
    stored = data.get(CONFIG_CAPS_KEY)
    if stored is None:
        return {}
    where = f"{config_file()}: {CONFIG_CAPS_KEY}"
    if not isinstance(stored, dict):
        raise UsageError(f"{where}: must be an object like {{\"day_usd\": 10}} (got "
                         f"{stored!r})")
    known = {f"{name}_usd" for name in CAP_ENV}
    unknown = sorted(str(k) for k in stored if k not in known)
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(unknown)} (known: "
                         f"{', '.join(sorted(known))})")
    return stored


def load_caps() -> Caps:
    """The caps in force: each environment variable, else the config file, else none.

    :raises UsageError: a value that is not a non-negative number (naming where it was set).
    """
    stored = _stored_caps(_read_config())
    values: dict[str, float | None] = {}
    for name, env in CAP_ENV.items():
        if env in os.environ:
            values[name] = _env_amount(env, os.environ[env])
        else:
            values[name] = _amount(f"{config_file()}: {CONFIG_CAPS_KEY}.{name}_usd",
                                   stored.get(f"{name}_usd"))
    return Caps(job_usd=values["job"], batch_usd=values["batch"], day_usd=values["day"])


def balance_check_enabled() -> bool:
    """Whether the balance is asked before each job (``MINIMAX_COVER_CHECK_BALANCE``, then
    ``check_balance`` in the config file; default yes)."""
    raw = os.environ.get(CHECK_BALANCE_ENV)
    if raw is None:
        stored = _read_config().get(CHECK_BALANCE_KEY, True)
        if not isinstance(stored, bool):
            raise UsageError(f"{config_file()}: {CHECK_BALANCE_KEY}: must be true or false "
                             f"(got {stored!r})")
        return stored
    return raw.strip().lower() not in ("0", "false", "no", "off")
