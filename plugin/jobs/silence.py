"""A silent or near-silent song, noticed before it is uploaded and paid for.

A cover of silence is silence (or noise), at full price. :func:`check_silence` measures a
local song's peak and RMS level: a song whose peak is below ``SILENT_PEAK_DBFS`` (-60 dBFS:
all-zero, or dither) is *silent*; one whose RMS level is below ``NEAR_SILENT_RMS_DBFS``
(-50 dBFS) is *near-silent*. A single job gets a warning; a batch calls it with ``allow=False``
(unless the user allows such songs) and the row is refused with
:class:`~..errors.SilentSongError`. URLs and media UUIDs are not measured (nothing local).

Most songs are proven loud enough first, cheaply: an RMS level of at least -50 dBFS (which
also puts the peak above -60 dBFS) follows from the top bytes of the first samples read
(:func:`~..audio.level.reaches_rms`, no numpy). Only a song that bound cannot clear is decoded
in full and measured exactly (:func:`loudness`), so the verdict and the message are the same.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import AudioError, SilentSongError
from ..spec.predicates import is_media_reference

__all__ = ["NEAR_SILENT_RMS_DBFS", "SILENT_PEAK_DBFS", "Loudness", "check_silence", "loudness"]

SILENT_PEAK_DBFS = -60.0
NEAR_SILENT_RMS_DBFS = -50.0
_FLOOR_DBFS = -200.0


def _dbfs(value: float) -> float:
    return 20.0 * math.log10(value) if value > 0 else _FLOOR_DBFS


@dataclass(frozen=True)
class Loudness:
    """A song's peak and RMS level in dBFS (``-200`` for digital silence)."""

    peak_dbfs: float
    rms_dbfs: float

    @property
    def silent(self) -> bool:
        """No sample reaches ``SILENT_PEAK_DBFS``."""
        return self.peak_dbfs < SILENT_PEAK_DBFS

    @property
    def near_silent(self) -> bool:
        """Silent, or an RMS level below ``NEAR_SILENT_RMS_DBFS``."""
        return self.silent or self.rms_dbfs < NEAR_SILENT_RMS_DBFS


def loudness(source: Any) -> Loudness | None:
    """Peak and RMS of a local song (a path, bytes or an :class:`~..audio.Audio`); ``None`` for
    a URL, a media UUID or anything that cannot be decoded here (other checks report it)."""
    from ..audio import read_audio

    if hasattr(source, "samples") and hasattr(source, "sample_rate"):
        samples = source.samples
    else:
        if isinstance(source, (str, os.PathLike)):
            text = os.fsdecode(os.fspath(source))
            if is_media_reference(text) or not Path(text).is_file():
                return None
        elif not isinstance(source, (bytes, bytearray, memoryview)):
            return None
        try:
            samples = read_audio(source if not isinstance(source, memoryview)
                                 else bytes(source)).samples
        except AudioError:
            return None
    import numpy as np

    data = np.asarray(samples, dtype=np.float64)
    if data.size == 0:
        return Loudness(_FLOOR_DBFS, _FLOOR_DBFS)
    peak = float(np.max(np.abs(data)))
    rms = float(np.sqrt(np.mean(np.square(data))))
    return Loudness(_dbfs(peak), _dbfs(rms))


def check_silence(source: Any, *, allow: bool = True, what: str = "inputs.audio") -> str | None:
    """A warning when the song is silent or near-silent, else ``None``.

    :param allow: ``False`` raises instead of warning (``batch`` without ``--allow-silent``).
    :param what: how the song is named in the message (a path, a manifest row).
    :raises SilentSongError: the song is (near-)silent and ``allow`` is False; nothing was sent.
    """
    if _proven_loud(source):
        return None
    level = loudness(source)
    if level is None or not level.near_silent:
        return None
    kind = "silent" if level.silent else "near-silent"
    message = (f"{what}: the song is {kind} (peak {level.peak_dbfs:.0f} dBFS, RMS "
               f"{level.rms_dbfs:.0f} dBFS); a cover of it costs the full price")
    if not allow:
        raise SilentSongError(message + "; refused (allow silent songs to send it anyway)")
    return message


def _proven_loud(source: Any) -> bool:
    """True when a cheap bound proves the song is not near-silent (see the module doc)."""
    if hasattr(source, "samples") or not isinstance(source, (str, os.PathLike, bytes,
                                                             bytearray, memoryview)):
        return False  # decoded audio: measured exactly (its samples are at hand)
    if isinstance(source, (str, os.PathLike)):
        text = os.fsdecode(os.fspath(source))
        if is_media_reference(text) or not Path(text).is_file():
            return False
    from ..audio.level import reaches_rms

    try:
        return reaches_rms(source if not isinstance(source, memoryview) else bytes(source),
                           NEAR_SILENT_RMS_DBFS) is True
    except (AudioError, OSError):
        return False
