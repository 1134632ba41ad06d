"""Helpers shared by CLI commands."""

from __future__ import annotations

import argparse

from ..spec.model import MINIMAX_MUSIC_COVER, ModelSpec


def model_spec_arg(parser: argparse.ArgumentParser) -> None:
    """Add ``--model`` (a registered model id; default the cover model)."""
    parser.add_argument(
        "--model",
        default=MINIMAX_MUSIC_COVER.model_id,
        help=f"model id whose spec to use (default {MINIMAX_MUSIC_COVER.model_id})",
    )


def resolve_spec(model_id: str) -> ModelSpec:
    """The registered :class:`ModelSpec` for ``model_id``."""
    try:
        from ..hooks.registry import get_registry
    except ModuleNotFoundError:
        if model_id == MINIMAX_MUSIC_COVER.model_id:
            return MINIMAX_MUSIC_COVER
        raise SystemExit(f"error: unknown model {model_id!r}") from None
    return get_registry().model(model_id)
