"""Built-in plugin: registers the MiniMax Music Cover model spec."""

from __future__ import annotations

from collections.abc import Callable

from ..hookspecs import hookimpl
from ..spec import MINIMAX_MUSIC_COVER, ModelSpec


@hookimpl
def register_models(register: Callable[[ModelSpec], None]) -> None:
    """Register ``minimax:music@cover``."""
    register(MINIMAX_MUSIC_COVER)
