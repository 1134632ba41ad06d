"""Helpers shared by CLI commands."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

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


def split_output(output: Path, formats: Iterable[str] | None = None) -> tuple[Path, str | None]:
    """``(folder, stem)`` for ``-o``: a name ending in an output format's suffix is a file.

    :param formats: the output formats the model has (default: every known audio format).
    """
    from ..audio.formats import format_for_suffix

    fmt = format_for_suffix(output.suffix) if output.suffix else None
    if fmt is not None and (formats is None or fmt.name in formats):
        return output.parent, output.stem
    return output, None


def output_formats(spec: ModelSpec) -> tuple[str, ...]:
    """The ``outputFormat`` values of ``spec`` (empty when it has none)."""
    try:
        return tuple(spec.field("outputFormat").enum or ())
    except KeyError:
        return ()
