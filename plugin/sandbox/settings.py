"""What a sandbox is set to (key, latency, cost...) and where it listens, shared by its parts.

One :class:`Settings` and one :class:`Endpoint` belong to each :class:`~.server.Sandbox`; the
parts that need a setting or a URL hold these objects, never the sandbox. ``Settings`` is
mutable on purpose: a test that changes ``sandbox.api_key`` changes it for every part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..spec.model import MINIMAX_MUSIC_COVER

__all__ = ["COST_PER_RESULT_USD", "Endpoint", "ErrorShape", "Settings"]

ErrorShape = Literal["nested", "flat", "errors"]
#: The ``cost`` reported per generation: the model's list price, from the spec's price table.
COST_PER_RESULT_USD = float(MINIMAX_MUSIC_COVER.price_per_result_usd or 0.0)


@dataclass
class Settings:
    """The behaviour chosen when the sandbox was made (see :class:`~.server.Sandbox`)."""

    api_key: str
    latency_s: float = 0.0
    cost_per_result: float = COST_PER_RESULT_USD
    default_ttl_s: int = 3600
    log: bool = True
    error_shape: ErrorShape = "nested"
    enforce_reference_limits: bool = False
    #: What the account holds in USD; ``None``: unlimited (see :mod:`.account`).
    balance_usd: float | None = None
    #: Most tasks one ``POST /v1`` may carry (``None``: any number, as Runware); more is
    #: refused with HTTP 400, like a server that takes one task per request.
    max_tasks_per_request: int | None = None


class Endpoint:
    """The sandbox's address: the host from the start, the port once it is bound.

    :param host: a loopback address (checked by the sandbox).
    """

    def __init__(self, host: str) -> None:
        self.host = host
        self._port: int | None = None

    def bind(self, port: int) -> None:
        """Record the port the server is listening on."""
        self._port = int(port)

    @property
    def bound(self) -> bool:
        """True once :meth:`bind` was called."""
        return self._port is not None

    @property
    def port(self) -> int:
        """The port listened on.

        :raises RuntimeError: the sandbox is not started.
        """
        if self._port is None:
            raise RuntimeError("the Sandbox is not started; call start() or use `with`")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (result and media files are served below it)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The REST endpoint clients POST to: ``http://127.0.0.1:PORT/v1``."""
        return f"{self.base_url}/v1"
