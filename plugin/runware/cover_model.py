"""Built-in plugin: registers the model Runware serves, MiniMax Music Cover."""

from __future__ import annotations

from collections.abc import Callable

from ..hooks.specs import hookimpl
from ..spec.model import MINIMAX_MUSIC_COVER, ModelSpec


@hookimpl
def register_models(register: Callable[[ModelSpec], None]) -> None:
    """Register ``minimax:music@cover``."""
    register(MINIMAX_MUSIC_COVER)
