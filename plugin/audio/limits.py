"""The model's limits on reference audio, and the check that applies them before an upload.

Limits: 6 s to 6 min, at most 50 MiB, one of WAV, FLAC, MP3, OGG, M4A (Runware's music skill
and MiniMax's music-cover preprocess documentation).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import AudioLimitError
from .data import AudioInfo

__all__ = [
    "REFERENCE_FORMATS",
    "REFERENCE_MAX_BYTES",
    "REFERENCE_MAX_DURATION_S",
    "REFERENCE_MIN_DURATION_S",
    "check_reference_limits",
]

REFERENCE_MIN_DURATION_S = 6.0
REFERENCE_MAX_DURATION_S = 360.0
REFERENCE_MAX_BYTES = 50 * 1024 * 1024
REFERENCE_FORMATS: tuple[str, ...] = ("WAV", "FLAC", "MP3", "OGG", "M4A")

_MIB = 1024 * 1024


def _seconds(value: float, bound: float) -> str:
    """``value`` with one decimal, or three when one decimal would round onto ``bound``."""
    text = f"{value:.1f}"
    return f"{value:.3f}" if float(text) == bound else text


def _mib(value: float, bound: float) -> str:
    text = f"{value / _MIB:.1f}"
    return f"{value / _MIB:.3f}" if float(text) == bound / _MIB else text


def check_reference_limits(
    info: AudioInfo,
    *,
    min_s: float = REFERENCE_MIN_DURATION_S,
    max_s: float = REFERENCE_MAX_DURATION_S,
    max_bytes: int = REFERENCE_MAX_BYTES,
    formats: Iterable[str] = REFERENCE_FORMATS,
    param: str = "inputs.audio",
) -> None:
    """Raise :class:`AudioLimitError` naming every limit ``info`` breaks; return if none.

    A message reads ``inputs.audio: duration must be between 6 s and 360 s (got 3.2 s,
    song.wav)``; several problems are joined with ``"; "``. An unknown size is not checked.
    """
    allowed = tuple(f.upper() for f in formats)
    name = info.name or "audio"
    problems: list[str] = []
    fmt = (info.format or "").upper()
    if fmt not in allowed:
        problems.append(
            f"{param}: format must be one of {', '.join(allowed)} (got {fmt or 'unknown'}, {name})"
        )
    duration = info.duration_s
    if not min_s <= duration <= max_s:
        got = _seconds(duration, min_s if duration < min_s else max_s)
        problems.append(
            f"{param}: duration must be between {min_s:g} s and {max_s:g} s (got {got} s, {name})"
        )
    if info.size_bytes is not None and info.size_bytes > max_bytes:
        problems.append(
            f"{param}: file size must be at most {max_bytes / _MIB:g} MiB "
            f"(got {_mib(info.size_bytes, max_bytes)} MiB, {name})"
        )
    if problems:
        raise AudioLimitError("; ".join(problems), path=info.path or info.name)
