"""The ``cover`` and ``price`` tools' arguments: the input schema from the spec, and reading it.

The schema is :func:`~..spec.flat.flat_schema` (``song``, then every user field by its API
name with the spec's rules) plus ``output``. Reading the arguments checks nothing the pipeline
checks again: unknown names and the spec's rules are reported by
:class:`~..errors.SpecValidationError` before anything is uploaded or paid for.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import SpecValidationError, Violation
from ..spec.flat import flat_schema
from ..spec.model import MINIMAX_MUSIC_COVER, ModelSpec

__all__ = ["OUTPUT_DESCRIPTION", "cost_note", "cover_input_schema", "read_arguments"]

OUTPUT_DESCRIPTION = ("Folder the takes are saved in (absolute, or relative to the server's "
                      "output folder). Default: the server's output folder.")


def cost_note(spec: ModelSpec = MINIMAX_MUSIC_COVER) -> str:
    """What a job costs, in one sentence (the spec's list price)."""
    if spec.price_per_result_usd is None:
        return "The price is set by the backend (use the price tool first)."
    return (f"Each take (numberResults) costs ${spec.price_per_result_usd:.2f} at list price "
            "(no charge against the sandbox).")


def cover_input_schema(spec: ModelSpec = MINIMAX_MUSIC_COVER) -> dict[str, Any]:
    """The ``inputSchema`` of ``cover`` and ``price``: the flat arguments plus ``output``."""
    schema = flat_schema(spec, extra={"output": {"type": "string",
                                                 "description": OUTPUT_DESCRIPTION}})
    count = schema["properties"].get("numberResults")
    if count is not None:
        count["description"] = f"{count.get('description', '')} {cost_note(spec)}".strip()
    return schema


def read_arguments(arguments: dict[str, Any], output_root: Path
                   ) -> tuple[str, dict[str, Any], Path]:
    """``(song, spec keywords, output folder)`` from a tool call's arguments.

    :raises SpecValidationError: no ``song``, or an argument of the wrong kind.
    """
    params = dict(arguments)
    song = params.pop("song", None)
    output = params.pop("output", None)
    problems = []
    if not isinstance(song, str) or not song.strip():
        problems.append(Violation("song", "is required: a path, an http(s) URL or a media "
                                  "UUID", song, has_value=song is not None))
    if output is not None and not isinstance(output, str):
        problems.append(Violation("output", "must be a folder path (a string)", output))
    if problems:
        raise SpecValidationError(problems)
    folder = Path(os.path.expanduser(output)) if output else output_root
    if not folder.is_absolute():
        folder = output_root / folder
    song = song.strip()  # type: ignore[union-attr]
    if not _is_reference(song):
        song = os.path.abspath(os.path.expanduser(song))
    return song, params, folder.resolve()


def _is_reference(song: str) -> bool:
    from ..spec.predicates import staged_reference

    return staged_reference(song) is not None
