"""Pitch features of a clip, numpy only: a semitone spectrogram, chroma and a melody line.

The clip is mixed to mono, brought near 11 kHz by averaging neighbouring samples (enough for
pitches up to C8's fundamental and the harmonics that matter here), cut in 186 ms frames every
~46 ms (Hann window, FFT) and folded into semitone bands from C2 to B7 (each FFT bin shares its
magnitude between the two nearest semitones). From that:

- :func:`chroma`: the 12 pitch classes of all that sounds (log-compressed, unit length), the
  feature of MusicGen's melody metric and of cover-song identification;
- :func:`melody_chroma`: the pitch class of the *lead line*: per frame, harmonic summation
  (a voice's partials reinforce its fundamental) over the sung range picks the most salient
  pitch, after subtracting what is sustained for seconds (the chord bed, a drone). A new
  arrangement changes the bed; a sung melody stays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["PitchFrames", "chroma", "melody_chroma", "pitch_frames"]

_TARGET_RATE = 11025.0
_N_FFT = 2048
_LOW_MIDI = 36  # C2
_HIGH_MIDI = 108  # C8 (exclusive)
_HARMONICS = 6


@dataclass(frozen=True)
class PitchFrames:
    """A semitone spectrogram: ``magnitude[frames, semitones]`` from MIDI ``low_midi``."""

    magnitude: Any
    frame_rate: float
    low_midi: int = _LOW_MIDI


def _semitone_matrix(rate: float, n_fft: int) -> Any:
    """``[bins, semitones]`` weights sharing each FFT bin between its two nearest semitones."""
    import numpy as np

    freqs = np.arange(n_fft // 2 + 1) * rate / n_fft
    bands = _HIGH_MIDI - _LOW_MIDI
    weights = np.zeros((freqs.size, bands), dtype=np.float32)
    with np.errstate(divide="ignore"):
        midi = 69.0 + 12.0 * np.log2(freqs / 440.0) - _LOW_MIDI
    for b, m in enumerate(midi):
        if not np.isfinite(m) or m < -0.5 or m > bands - 0.5:
            continue
        lo = int(math.floor(m))
        frac = m - lo
        if 0 <= lo < bands:
            weights[b, lo] += 1.0 - frac
        if 0 <= lo + 1 < bands:
            weights[b, lo + 1] += frac
    return weights


_MATRICES: dict[tuple[float, int], Any] = {}


def pitch_frames(samples: Any, sample_rate: int) -> PitchFrames:
    """The semitone magnitude spectrogram of ``[channels, samples]``."""
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    mono = samples.mean(axis=0, dtype=np.float32) if samples.ndim == 2 else samples
    factor = max(1, int(round(sample_rate / _TARGET_RATE)))
    n = mono.shape[0] // factor * factor
    if factor > 1:
        mono = mono[:n].reshape(-1, factor).mean(axis=1)
    rate = sample_rate / factor
    hop = _N_FFT // 4
    if mono.shape[0] < _N_FFT:
        mono = np.pad(mono, (0, _N_FFT - mono.shape[0]))
    frames = sliding_window_view(mono, _N_FFT)[::hop]
    window = np.hanning(_N_FFT).astype(np.float32)
    key = (rate, _N_FFT)
    if key not in _MATRICES:
        _MATRICES[key] = _semitone_matrix(rate, _N_FFT)
    out = []
    for s0 in range(0, frames.shape[0], 1024):
        spec = np.abs(np.fft.rfft(frames[s0:s0 + 1024] * window, axis=1)).astype(np.float32)
        out.append(spec @ _MATRICES[key])
    magnitude = np.concatenate(out) if out else np.zeros((0, _HIGH_MIDI - _LOW_MIDI))
    return PitchFrames(magnitude, rate / hop)


def _unit(rows: Any) -> Any:
    """Rows scaled to unit length; an all-zero row (nothing sounds) becomes the uniform one,
    so two silences agree and silence differs from any pitch."""
    import numpy as np

    norm = np.linalg.norm(rows, axis=1, keepdims=True)
    out = rows / np.maximum(norm, 1e-12)
    out[norm[:, 0] <= 1e-9 * max(float(norm.max(initial=0.0)), 1e-30)] = 1.0 / np.sqrt(12.0)
    return out


def chroma(frames: PitchFrames, *, log: bool = True) -> Any:
    """``[frames, 12]`` unit-length chroma (pitch class 0 = C).

    :param log: log-compressed magnitudes (else power, as librosa's ``chroma_stft``).
    """
    import numpy as np

    if log:
        mag = np.log1p(100.0 * frames.magnitude / max(float(frames.magnitude.max()), 1e-9))
    else:
        mag = frames.magnitude ** 2
    bands = mag.shape[1]
    pad = (-bands) % 12
    folded = np.pad(mag, ((0, 0), (0, pad))).reshape(mag.shape[0], -1, 12).sum(axis=1)
    return _unit(np.roll(folded, frames.low_midi % 12, axis=1))


def _moving_mean(x: Any, width: int) -> Any:
    """Centred moving mean along axis 0 (edges use the frames available)."""
    import numpy as np

    cum = np.concatenate([np.zeros((1, x.shape[1])), np.cumsum(x, axis=0)])
    n = x.shape[0]
    lo = np.clip(np.arange(n) - width // 2, 0, n)
    hi = np.clip(np.arange(n) + width // 2 + 1, 0, n)
    return (cum[hi] - cum[lo]) / (hi - lo)[:, None]


def melody_chroma(frames: PitchFrames, *, low_midi: int = 48, high_midi: int = 84,
                  bed_seconds: float = 2.0, sharpness: float = 4.0,
                  silence: float = 0.05) -> Any:
    """``[frames, 13]``: the lead line's pitch class (12 values, unit length), or, where no
    line sounds, the 13th value alone (so silence matches silence and nothing else).

    :param low_midi: lowest fundamental considered (C3).
    :param high_midi: highest (C6).
    :param bed_seconds: what stays longer than this is the bed, subtracted first.
    :param sharpness: power applied to the salience: higher keeps only the top pitch.
    :param silence: a frame whose top salience is below this fraction of the clip's loud
        frames (95th percentile) has no line.
    """
    import numpy as np

    mag = np.sqrt(frames.magnitude)
    width = max(1, int(round(bed_seconds * frames.frame_rate)))
    mag = np.maximum(mag - _moving_mean(mag, width), 0.0)
    lo, hi = low_midi - frames.low_midi, high_midi - frames.low_midi
    salience = np.zeros((mag.shape[0], hi - lo), dtype=np.float64)
    for h in range(1, _HARMONICS + 1):
        shift = int(round(12.0 * math.log2(h)))
        start, stop = lo + shift, min(hi + shift, mag.shape[1])
        if start >= stop:
            break
        salience[:, : stop - start] += 0.8 ** (h - 1) * mag[:, start:stop]
    top = salience.max(axis=1, keepdims=True)
    sharp = (salience / np.maximum(top, 1e-12)) ** sharpness * top
    pad = (-sharp.shape[1]) % 12
    folded = np.pad(sharp, ((0, 0), (0, pad))).reshape(sharp.shape[0], -1, 12).sum(axis=1)
    pitch = _unit(np.roll(folded, low_midi % 12, axis=1))
    loud = float(np.percentile(top, 95)) if top.size else 0.0
    quiet = top[:, 0] <= max(silence * loud, 1e-9)
    out = np.zeros((pitch.shape[0], 13))
    out[~quiet, :12] = pitch[~quiet]
    out[quiet, 12] = 1.0
    return out
