"""Small numpy helpers to line up takes: sample rate, channel count and length.

These are conveniences for batching, not studio-grade DSP: :func:`resample_linear` is plain
linear interpolation without an anti-aliasing filter.
"""

from __future__ import annotations

from ..errors import AudioError
from .data import Audio

__all__ = ["pad_to", "resample_linear", "to_channels"]


def resample_linear(audio: Audio, sample_rate: int) -> Audio:
    """Resample by linear interpolation (no anti-alias filter); same object if the rate matches.

    The output has ``round(num_samples * sample_rate / audio.sample_rate)`` samples. Fine for
    upsampling or small ratio changes; downsampling far can alias.
    """
    import numpy as np

    if sample_rate <= 0:
        raise AudioError(f"sample_rate must be positive (got {sample_rate})")
    if sample_rate == audio.sample_rate:
        return audio
    n_in = audio.num_samples
    n_out = int(round(n_in * sample_rate / audio.sample_rate))
    if n_in == 0 or n_out == 0:
        return Audio(np.zeros((audio.channels, n_out), dtype=np.float32), sample_rate)
    positions = np.arange(n_out, dtype=np.float64) * (audio.sample_rate / sample_rate)
    index = np.arange(n_in, dtype=np.float64)
    out = np.empty((audio.channels, n_out), dtype=np.float32)
    for ch in range(audio.channels):
        out[ch] = np.interp(positions, index, audio.samples[ch])
    return Audio(out, sample_rate)


def to_channels(audio: Audio, channels: int) -> Audio:
    """Mono to N channels by duplication, N to mono by averaging; other changes raise."""
    import numpy as np

    if channels == audio.channels:
        return audio
    if audio.channels == 1 and channels >= 1:
        return Audio(np.repeat(audio.samples, channels, axis=0), audio.sample_rate)
    if channels == 1:
        return Audio(audio.samples.mean(axis=0, keepdims=True), audio.sample_rate)
    raise AudioError(
        f"cannot convert {audio.channels} channels to {channels}; only mono <-> N is supported"
    )


def pad_to(audio: Audio, num_samples: int) -> Audio:
    """Zero-pad at the end to ``num_samples``; same object if already that long (never cuts)."""
    import numpy as np

    missing = num_samples - audio.num_samples
    if missing < 0:
        raise AudioError(f"cannot pad {audio.num_samples} samples down to {num_samples}")
    if missing == 0:
        return audio
    return Audio(np.pad(audio.samples, ((0, 0), (0, missing))), audio.sample_rate)
