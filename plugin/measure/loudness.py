"""Loudness (ITU-R BS.1770-4), true peak and clipping of a clip, numpy only.

Integrated loudness is the gated mean of K-weighted power over 400 ms blocks (75 % overlap),
absolute gate -70 LUFS, relative gate -10 LU. The K-weighting (a high shelf at 1.5 kHz and a
high-pass at 38 Hz, the biquads of BS.1770 designed for any sample rate the way pyloudnorm
does) is applied in the frequency domain, one 100 ms step at a time with 60 ms of context
(overlap-save, power-of-two FFTs); a block's energy is the sum of its four steps. This trades
a time-domain IIR filter (a Python loop, or scipy) for FFTs numpy already has; the test suite
checks it against pyloudnorm on real and generated audio.

True peak (BS.1770-4 Annex 2) is the highest |sample| after 4x oversampling (a 16-tap
windowed-sinc interpolator per phase). Only the places that can hold it are interpolated:
around the local maxima of |x| within 3.5 dB of the sample peak.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["LOUDNESS_FLOOR_LUFS", "Loudness", "block_loudness", "loudness_of",
           "true_peak_dbtp"]

#: What an all-silent clip reads (the absolute gate): shown as ``None`` in JSON.
LOUDNESS_FLOOR_LUFS = -70.0
_OVERSAMPLE = 4
_HALF_TAPS = 8  # interpolator support: 16 taps per phase (the standard's example has 12)
_CLIP = 1.0 - 1.0 / 32768.0
_NEAR = 10.0 ** (-3.5 / 20.0)
_MAX_CANDIDATES = 1 << 20


@dataclass(frozen=True)
class Loudness:
    """What :func:`loudness_of` measures.

    :param integrated_lufs: integrated loudness (``None``: below the -70 LUFS gate).
    :param true_peak_dbtp: true peak in dBTP (``None``: digital silence).
    :param sample_peak_dbfs: highest |sample| in dBFS (``None``: digital silence).
    :param clipped_samples: samples at or beyond full scale (all channels).
    :param block_lufs: momentary loudness per 100 ms step (400 ms blocks), for gaps.
    :param step_s: the step of ``block_lufs`` (0.1 s).
    """

    integrated_lufs: float | None
    true_peak_dbtp: float | None
    sample_peak_dbfs: float | None
    clipped_samples: int
    block_lufs: Any
    step_s: float = 0.1


def _biquad(b: tuple[float, float, float], a: tuple[float, float, float], w: Any) -> Any:
    import numpy as np

    z = np.exp(-1j * w)
    return (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)


def k_weighting(sample_rate: int, n_fft: int) -> Any:
    """``H(f)`` of the BS.1770 K-weighting at the ``rfft`` bins of ``n_fft`` samples.

    Both stages are designed from their analog parameters for ``sample_rate`` (RBJ cookbook
    biquads, as pyloudnorm does), which gives the standard's coefficients at 48 kHz.
    """
    import numpy as np

    w = 2.0 * np.pi * np.arange(n_fft // 2 + 1) / n_fft
    # stage 1: high shelf, +4 dB above ~1.5 kHz
    gain, q, fc = 4.0, 1.0 / math.sqrt(2.0), 1500.0
    k = 10.0 ** (gain / 40.0)
    w0 = 2.0 * math.pi * fc / sample_rate
    alpha = math.sin(w0) / (2.0 * q)
    cw, sa = math.cos(w0), 2.0 * math.sqrt(k) * alpha
    shelf = _biquad(
        (k * ((k + 1) + (k - 1) * cw + sa), -2 * k * ((k - 1) + (k + 1) * cw),
         k * ((k + 1) + (k - 1) * cw - sa)),
        ((k + 1) - (k - 1) * cw + sa, 2 * ((k - 1) - (k + 1) * cw), (k + 1) - (k - 1) * cw - sa),
        w)
    # stage 2: high-pass at 38 Hz (the revised low-frequency B-curve)
    q, fc = 0.5, 38.0
    w0 = 2.0 * math.pi * fc / sample_rate
    alpha = math.sin(w0) / (2.0 * q)
    cw = math.cos(w0)
    high = _biquad(((1 + cw) / 2, -(1 + cw), (1 + cw) / 2), (1 + alpha, -2 * cw, 1 - alpha), w)
    return shelf * high


def _plan(hop: int, sample_rate: int) -> tuple[int, int]:
    """``(steps per FFT, FFT size)``: the power of two with the least waste that holds
    whole 100 ms steps and at least 45 ms of context before them."""
    context = int(0.045 * sample_rate) + 1
    best = (1, 1 << int(math.ceil(math.log2(hop + context))))
    for k in range(1, 9):
        n_fft = 1 << int(math.ceil(math.log2(k * hop + context)))
        if n_fft / (k * hop) < best[1] / (best[0] * hop):
            best = (k, n_fft)
    return best


def step_energy(samples: Any, sample_rate: int) -> Any:
    """K-weighted energy (summed over channels) of every 100 ms step, ``[steps]``.

    Overlap-save: a few steps at a time are filtered with 45 ms or more of what came before,
    in one power-of-two FFT.
    """
    import numpy as np
    from numpy.lib.stride_tricks import as_strided

    channels, n = samples.shape
    hop = max(1, int(round(0.1 * sample_rate)))
    per, n_fft = _plan(hop, sample_rate)
    stride = per * hop
    context = n_fft - stride
    steps = -(-n // hop)
    frames_n = -(-steps // per)
    response = k_weighting(sample_rate, n_fft).astype(np.complex64)
    energy = np.zeros(frames_n * per, dtype=np.float64)
    chunk = max(1, (1 << 22) // n_fft)
    for c in range(channels):  # BS.1770 channel weights are 1 for L, R and C
        x = np.zeros(context + frames_n * stride, dtype=np.float32)
        x[context:context + n] = samples[c]
        frames = as_strided(x, shape=(frames_n, n_fft), strides=(stride * 4, 4),
                            writeable=False)
        for f0 in range(0, frames_n, chunk):
            spec = np.fft.rfft(frames[f0:f0 + chunk], axis=1)
            y = np.fft.irfft(spec * response, n=n_fft, axis=1)[:, context:]
            y = y.reshape(-1, hop)
            energy[f0 * per:f0 * per + y.shape[0]] += np.einsum("ij,ij->i", y, y)
    return energy[:steps]


def block_loudness(samples: Any, sample_rate: int) -> Any:
    """Loudness of every 400 ms block, one each 100 ms (``-inf`` for silence), ``[blocks]``."""
    import numpy as np

    n = samples.shape[1]
    energy = step_energy(samples, sample_rate)
    hop = max(1, int(round(0.1 * sample_rate)))
    count = int(round((n / sample_rate - 0.4) / 0.1)) + 1 if n >= 4 * hop else 0
    if count <= 0:
        return np.empty(0)
    padded = np.concatenate([energy, np.zeros(4)])
    blocks = padded[:count] + padded[1:count + 1] + padded[2:count + 2] + padded[3:count + 3]
    with np.errstate(divide="ignore"):
        return -0.691 + 10.0 * np.log10(blocks / (4 * hop))


def integrated(blocks: Any) -> float | None:
    """Gated integrated loudness of :func:`block_loudness` values (``None``: all gated)."""

    kept = blocks[blocks > LOUDNESS_FLOOR_LUFS]
    if kept.size == 0:
        return None
    power = 10.0 ** ((kept + 0.691) / 10.0)
    relative = -0.691 + 10.0 * math.log10(float(power.mean())) - 10.0
    power = power[kept > relative]
    return -0.691 + 10.0 * math.log10(float(power.mean()))


def _interpolator() -> Any:
    """``[3, 2 * _HALF_TAPS]`` windowed-sinc taps for the fractional positions 1/4, 2/4, 3/4."""
    import numpy as np

    j = np.arange(-_HALF_TAPS + 1, _HALF_TAPS + 1)  # sample offsets around n
    taps = []
    for p in range(1, _OVERSAMPLE):
        t = p / _OVERSAMPLE - j
        window = np.cos(np.pi * t / (2 * _HALF_TAPS + 1)) ** 2  # Hann-like, zero past support
        taps.append(np.sinc(t) * window)
    return np.array(taps)


def true_peak_dbtp(samples: Any) -> tuple[float | None, float | None]:
    """``(true peak dBTP, sample peak dBFS)`` of ``[channels, samples]`` (``None``: silence).

    The signal is interpolated at 1/4, 2/4 and 3/4 of a sample on both sides of every local
    maximum of |x| within 3.5 dB of the sample peak: for content up to a quarter of the
    sample rate, an inter-sample peak lies next to such a sample (its larger neighbour is a
    local maximum, at most 3 dB below it).
    """
    import numpy as np

    if samples.size == 0:
        return None, None
    mags = [np.abs(x) for x in samples]
    sample_peak = max(float(m.max()) for m in mags)
    if sample_peak <= 0.0:
        return None, None
    taps = _interpolator().astype(np.float32)
    best = sample_peak
    j = np.arange(-_HALF_TAPS + 1, _HALF_TAPS + 1)
    for x, mag in zip(samples, mags, strict=True):
        n = x.shape[0]
        hot = np.flatnonzero(mag >= sample_peak * _NEAR)
        # a peak between two samples lies next to the larger one, a local maximum of |x|
        left = mag[np.maximum(hot - 1, 0)]
        right = mag[np.minimum(hot + 1, n - 1)]
        hot = hot[(mag[hot] >= left) & (mag[hot] >= right)]
        if hot.size > _MAX_CANDIDATES:  # a limited master: the loudest ones
            hot = hot[np.argpartition(mag[hot], -_MAX_CANDIDATES)[-_MAX_CANDIDATES:]]
        # the sample before each and each, once (sorted, duplicates dropped)
        starts = np.concatenate([hot - 1, hot])
        starts.sort()
        starts = starts[np.concatenate([[True], starts[1:] != starts[:-1]])]
        for chunk in range(0, starts.size, 1 << 16):
            at = starts[chunk:chunk + (1 << 16)]
            idx = at[:, None] + j
            windows = x[np.clip(idx, 0, n - 1)]
            if at[0] < _HALF_TAPS or at[-1] >= n - _HALF_TAPS:  # silence outside the clip
                windows = windows * ((idx >= 0) & (idx < n))
            values = windows @ taps.T  # [candidates, 3]
            if values.size:
                best = max(best, float(np.abs(values).max()))
    return 20.0 * math.log10(best), 20.0 * math.log10(sample_peak)


def loudness_of(samples: Any, sample_rate: int) -> Loudness:
    """Integrated loudness, true peak, sample peak and clipped samples of a clip.

    :param samples: float ``[channels, samples]`` (mono or stereo; more channels are
        weighted 1 each, as BS.1770 does for L, R and C).
    :param sample_rate: in hertz.
    """
    import numpy as np

    blocks = block_loudness(samples, sample_rate)
    tp, sp = true_peak_dbtp(samples)
    clipped = int(np.count_nonzero(np.abs(samples) >= _CLIP))
    return Loudness(integrated(blocks), tp, sp, clipped, blocks)
