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
    """The registered :class:`ModelSpec` for ``model_id``.

    An unknown id is a usage error (exit 2) naming the registered ones.
    """
    from ..errors import UsageError
    from ..hooks.registry import get_registry

    models = get_registry().models
    if model_id not in models:
        known = ", ".join(models) or "none"
        raise UsageError(f"--model: unknown model {model_id!r} (registered: {known})")
    return models[model_id]
