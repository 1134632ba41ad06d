"""Measure: what a take kept of the song, and how loud it plays, computed locally on CPU.

- :mod:`.loudness`: integrated loudness (ITU-R BS.1770-4), true peak, clipped samples.
- :mod:`.chroma`: semitone spectrogram, chroma, and the lead line's pitch classes.
- :mod:`.dtw`: dynamic time warping over transpositions (numpy, row by row).
- :mod:`.measures`: per-clip measures, melody kept, ranking, matched-loudness gains.
- :mod:`.synth`: synthetic songs, covers and decoys that prove the melody measure.

numpy only (the base install); importing this package imports nothing heavy.
"""

from __future__ import annotations

from .measures import (
    ClipMeasures,
    Comparison,
    compare_files,
    compare_takes,
    measure_clip,
    melody_kept,
)

__all__ = ["ClipMeasures", "Comparison", "compare_files", "compare_takes", "measure_clip",
           "melody_kept"]
