"""Measures of a source and its takes, and their ranking: what ``compare --json`` prints.

:func:`measure_clip` measures one clip alone (loudness, peaks, clipping, duration, silent
gaps); :func:`compare_takes` measures a source and its takes together: how much of the
source's melody each take kept, the ranking by it, and the gain that plays every track at the
loudness of the quietest (matched-loudness A/B, never a boost, so nothing clips).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .loudness import loudness_of

if TYPE_CHECKING:
    from ..audio import Audio

__all__ = ["ClipMeasures", "Comparison", "compare_takes", "measure_clip", "melody_kept"]

#: A stretch quieter than this (momentary loudness) for :data:`GAP_MIN_S` is a silent gap.
SILENCE_LUFS = -60.0
GAP_MIN_S = 1.0
#: Threads measuring clips side by side (the budget is set for a 2-core machine).
WORKERS = min(2, os.cpu_count() or 1)


@dataclass
class ClipMeasures:
    """The measures of one clip; a take's also say how it compares with the source.

    :param melody_kept: 0-1, the source's melody found in the take (``None``: no source).
    :param transpose_semitones: how far up the take sings it (-5..6), with ``melody_kept``.
    :param rank: 1 = the take that kept the most melody (``None``: no source to rank by).
    :param playback_gain_db: the gain (<= 0) that plays it at the quietest track's loudness.
    """

    path: str | None
    duration_s: float
    loudness_lufs: float | None
    true_peak_dbtp: float | None
    sample_peak_dbfs: float | None
    clipped_samples: int
    silent_gaps: list[tuple[float, float]] = field(default_factory=list)
    melody_kept: float | None = None
    transpose_semitones: int | None = None
    duration_ratio: float | None = None
    rank: int | None = None
    best: bool = False
    playback_gain_db: float | None = None
    features: Any = field(default=None, repr=False)

    def to_json(self, *, take: bool = True) -> dict[str, Any]:
        """The camelCase dict of ``compare --json`` (a source's has no take-only keys)."""

        def r(value: float | None, digits: int = 2) -> float | None:
            return None if value is None else round(float(value), digits)

        out: dict[str, Any] = {"path": self.path, "durationS": r(self.duration_s, 3)}
        if take:
            out.update({"melodyKept": r(self.melody_kept, 3), "rank": self.rank,
                        "best": self.best, "transposeSemitones": self.transpose_semitones,
                        "durationRatio": r(self.duration_ratio, 3)})
        out.update({
            "loudnessLUFS": r(self.loudness_lufs), "truePeakDBTP": r(self.true_peak_dbtp),
            "samplePeakDBFS": r(self.sample_peak_dbfs), "clippedSamples": self.clipped_samples,
            "silentGaps": [[r(a), r(b)] for a, b in self.silent_gaps],
            "playbackGainDB": r(self.playback_gain_db),
        })
        return out


@dataclass
class Comparison:
    """A source (or ``None``) and its takes, measured and ranked."""

    source: ClipMeasures | None
    takes: list[ClipMeasures]

    @property
    def best(self) -> int | None:
        """The 0-based index of the best take (``None``: no source to rank by)."""
        return next((i for i, t in enumerate(self.takes) if t.best), None)

    def to_json(self) -> dict[str, Any]:
        """``{"source": {...} | None, "takes": [{...}, ...]}`` as ``compare --json`` prints."""
        return {"source": None if self.source is None else self.source.to_json(take=False),
                "takes": [t.to_json() for t in self.takes]}


def _gaps(blocks: Any, step_s: float) -> list[tuple[float, float]]:
    """Runs of silent blocks of at least :data:`GAP_MIN_S`, inside the clip (not its ends)."""
    import numpy as np

    quiet = np.concatenate([[False], blocks < SILENCE_LUFS, [False]])
    edges = np.flatnonzero(quiet[1:] != quiet[:-1])
    gaps = []
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        if start == 0 or stop == blocks.shape[0]:
            continue  # lead-in and fade-out are not gaps
        # a silent 400 ms block starting at k * step covers [k * step, k * step + 0.4]
        a, b = start * step_s, (stop - 1) * step_s + 0.4
        if b - a >= GAP_MIN_S:
            gaps.append((float(a), float(b)))
    return gaps


def measure_clip(audio: Audio, path: str | os.PathLike[str] | None = None, *,
                 melody: bool = True) -> ClipMeasures:
    """Loudness (BS.1770-4), true peak, clipping, duration and silent gaps of ``audio``.

    :param melody: also compute the pitch features :func:`melody_kept` compares.
    """
    level = loudness_of(audio.samples, audio.sample_rate)
    features = None
    if melody:
        from .chroma import melody_chroma, pitch_frames

        features = melody_chroma(pitch_frames(audio.samples, audio.sample_rate))
    return ClipMeasures(
        path=None if path is None else os.fspath(path), duration_s=audio.duration_s,
        loudness_lufs=level.integrated_lufs, true_peak_dbtp=level.true_peak_dbtp,
        sample_peak_dbfs=level.sample_peak_dbfs, clipped_samples=level.clipped_samples,
        silent_gaps=_gaps(level.block_lufs, level.step_s), features=features)


#: DTW cost grows with the square of the frames: past this many, frames are pooled further.
_MAX_FRAMES = 1100


def _pool(rows: Any, frames: int) -> Any:
    """Average ``frames`` consecutive rows and make them unit length."""
    import numpy as np

    n = rows.shape[0] // frames * frames
    if n == 0:
        return rows
    pooled = rows[:n].reshape(-1, frames, rows.shape[1]).mean(axis=1)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-9)


def melody_kept(source: ClipMeasures, take: ClipMeasures) -> tuple[float, int]:
    """``(0-1 melody kept, transposition)`` of ``take`` against ``source`` (both measured
    with ``melody=True``): the lead line's pitch classes aligned in time by DTW, over the
    transpositions."""
    from .dtw import transposed_similarity

    if source.features is None or take.features is None:
        raise ValueError("melody_kept: measure both clips with melody=True")
    longest = max(source.features.shape[0], take.features.shape[0])
    pool = max(2, -(-longest // _MAX_FRAMES))  # ~10.8 frames a second, fewer past ~100 s
    similarity, shift = transposed_similarity(_pool(source.features, pool),
                                              _pool(take.features, pool))
    return max(0.0, min(1.0, similarity)), (shift + 5) % 12 - 5


def compare_takes(source: Audio | None, takes: Sequence[Audio], *,
                  source_path: str | os.PathLike[str] | None = None,
                  take_paths: Sequence[str | os.PathLike[str] | None] | None = None
                  ) -> Comparison:
    """Measure ``source`` and ``takes``; rank the takes by melody kept (1 = best).

    Ties (within 0.001) go to the take with fewer clipped samples. Every track gets a
    ``playback_gain_db`` that brings it to the quietest track's integrated loudness.
    """
    paths = list(take_paths) if take_paths is not None else [None] * len(takes)
    jobs: list[tuple[Audio, Any, bool]] = [(t, p, source is not None)
                                           for t, p in zip(takes, paths, strict=True)]
    if source is not None:
        jobs.insert(0, (source, source_path, True))
    results = parallel(lambda job: measure_clip(job[0], job[1], melody=job[2]), jobs)
    src = results.pop(0) if source is not None else None
    measured = results
    if src is not None:
        for m in measured:
            m.melody_kept, m.transpose_semitones = melody_kept(src, m)
            if m.loudness_lufs is None and src.loudness_lufs is not None:
                m.melody_kept = 0.0  # a silent take keeps nothing of a song that sounds
            m.duration_ratio = m.duration_s / src.duration_s if src.duration_s else None
        order = sorted(range(len(measured)), key=lambda i: (
            -round(measured[i].melody_kept or 0.0, 3), measured[i].clipped_samples, i))
        for rank, i in enumerate(order, 1):
            measured[i].rank = rank
            measured[i].best = rank == 1
    tracks = ([src] if src is not None else []) + measured
    levels = [t.loudness_lufs for t in tracks if t.loudness_lufs is not None]
    target = min(levels) if levels else None
    for t in tracks:
        t.playback_gain_db = (0.0 if target is None or t.loudness_lufs is None
                              else target - t.loudness_lufs)
    return Comparison(src, measured)


def compare_files(source: str | os.PathLike[str] | None,
                  takes: Sequence[str | os.PathLike[str]]) -> Comparison:
    """:func:`compare_takes` on files (decoded with :func:`~..audio.read_audio`)."""
    from ..audio import read_audio

    files = ([source] if source is not None else []) + list(takes)
    decoded = parallel(read_audio, files)
    song = decoded.pop(0) if source is not None else None
    return compare_takes(song, decoded, source_path=None if source is None else Path(source),
                         take_paths=[Path(t) for t in takes])


def parallel(fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    """``[fn(item) ...]`` on up to :data:`WORKERS` threads (numpy's FFTs, matrix products
    and decoders release the GIL), in order; the first error is raised."""
    workers = min(WORKERS, len(items))
    if workers <= 1:
        return [fn(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers, thread_name_prefix="measure") as pool:
        return list(pool.map(fn, items))
