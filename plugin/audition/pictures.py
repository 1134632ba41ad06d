"""Pictures of a clip for auditioning: a waveform above a spectrogram, on one time axis.

Drawn with numpy only and written by :mod:`.png` (no imaging or plotting library; see
``bench/pictures.py`` for the measured comparison with matplotlib and Pillow). The waveform
shows the peak envelope and, brighter, the RMS per pixel column (structure: sections, drops,
silences); the spectrogram shows power on a logarithmic frequency axis (timbre: bass weight,
brightness, vocals), in dB relative to full scale, so two clips drawn with the same settings
can be compared by eye. Passing ``axis_seconds`` (the longest clip of a comparison) draws every
clip on the same time scale: one pixel column is the same instant in every picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .png import encode_png

if TYPE_CHECKING:
    from ..audio import Audio

__all__ = ["PictureStyle", "colour_stops", "picture_png", "render_picture"]

# magma-like anchors, dark to bright
_ANCHORS = ((0, 0, 4), (28, 16, 68), (79, 18, 123), (129, 37, 129), (181, 54, 122),
            (229, 80, 100), (251, 135, 97), (254, 194, 135), (252, 253, 191))
_BACKGROUND = (22, 24, 29)
_PEAK = (64, 118, 179)
_RMS = (148, 196, 247)
_MIDLINE = (46, 52, 62)


@dataclass(frozen=True)
class PictureStyle:
    """Sizes and ranges of a picture (pixels, hertz, dBFS)."""

    width: int = 960
    wave_height: int = 72
    gap: int = 2
    spec_height: int = 128
    min_hz: float = 40.0
    max_hz: float = 16000.0
    floor_db: float = -100.0
    top_db: float = 0.0
    frames_per_column: int = 2
    levels: int = 32  # colours of the spectrogram: fewer deflate better (32: ~2.3x smaller)

    @property
    def height(self) -> int:
        """Total height of the picture."""
        return self.wave_height + self.gap + self.spec_height


def colour_stops() -> tuple[tuple[int, int, int], ...]:
    """The spectrogram colour map's anchors, floor to top (for a colour scale)."""
    return _ANCHORS


def _lut(levels: int) -> Any:
    import numpy as np

    anchors = np.array(_ANCHORS, dtype=np.float64)
    x = np.linspace(0.0, 1.0, len(anchors))
    grid = np.linspace(0.0, 1.0, max(2, levels))
    return np.stack([np.interp(grid, x, anchors[:, c]) for c in range(3)], axis=1).astype(
        np.uint8)


def _edges(n: int, cols: int) -> Any:
    import numpy as np

    return np.linspace(0, n, cols + 1).astype(np.int64)


def _waveform(mono: Any, cols: int, style: PictureStyle) -> Any:
    """``[wave_height, cols, 3]``: peak envelope with the RMS drawn brighter inside it."""
    import numpy as np

    h = style.wave_height
    n = mono.shape[0]
    if n < cols:  # very short clip: stretch so every column has a sample
        mono = np.repeat(mono, -(-cols // max(n, 1)))[: max(cols, n)]
        n = mono.shape[0]
    starts = _edges(n, cols)[:-1]
    counts = np.diff(np.append(starts, n)).astype(np.float64)
    top = np.maximum.reduceat(mono, starts)
    bottom = np.minimum.reduceat(mono, starts)
    rms = np.sqrt(np.add.reduceat(mono.astype(np.float64) ** 2, starts) / counts)
    half = (h - 1) / 2.0
    y = np.arange(h, dtype=np.float64)[:, None]
    peak_top = half - np.clip(top, -1, 1)[None, :] * half
    peak_bottom = half - np.clip(bottom, -1, 1)[None, :] * half
    rms_half = np.minimum(rms, 1.0)[None, :] * half
    img = np.empty((h, cols, 3), dtype=np.uint8)
    img[:] = _BACKGROUND
    img[int(round(half))] = _MIDLINE
    peak = (y >= np.floor(peak_top)) & (y <= np.ceil(peak_bottom))
    img[peak] = _PEAK
    img[peak & (np.abs(y - half) <= rms_half)] = _RMS
    return img


def _spectrogram(mono: Any, sample_rate: int, cols: int, style: PictureStyle) -> Any:
    """``[spec_height, cols, 3]``: power per log-spaced band, dBFS through the colour map."""
    import numpy as np

    n_fft = 1 << max(8, int(np.ceil(np.log2(sample_rate * 0.046))))  # ~46 ms
    if mono.shape[0] < n_fft:
        mono = np.pad(mono, (0, n_fft - mono.shape[0]))
    n = mono.shape[0]
    k = max(1, style.frames_per_column)
    window = np.hanning(n_fft).astype(np.float32)
    scale = (window.sum() / 2.0) ** 2  # a full-scale sine peaks near 0 dBFS
    centers = (np.arange(cols * k) + 0.5) * (n / (cols * k))
    starts = np.clip((centers - n_fft // 2).astype(np.int64), 0, n - n_fft)
    offsets = np.arange(n_fft)
    power = np.empty((cols, n_fft // 2 + 1), dtype=np.float64)
    chunk = max(1, 4096 // k)
    for c0 in range(0, cols, chunk):
        c1 = min(cols, c0 + chunk)
        frames = mono[starts[c0 * k:c1 * k, None] + offsets] * window
        spec = np.abs(np.fft.rfft(frames, axis=1)) ** 2
        power[c0:c1] = spec.reshape(c1 - c0, k, -1).mean(axis=1)
    # band means on a log frequency axis, via the cumulative sum (narrow bands interpolate)
    hz_per_bin = sample_rate / n_fft
    top_hz = min(style.max_hz, sample_rate / 2.0)
    edges_hz = np.geomspace(top_hz, style.min_hz, style.spec_height + 1)
    pos = np.clip(edges_hz / hz_per_bin, 0, power.shape[1] - 1)
    cum = np.concatenate([np.zeros((cols, 1)), np.cumsum(power, axis=1)], axis=1)

    def cum_at(p: Any) -> Any:
        lo = np.floor(p).astype(np.int64)
        w = p - lo
        hi = np.minimum(lo + 1, cum.shape[1] - 1)
        return cum[:, lo] * (1 - w) + cum[:, hi] * w

    upper, lower = pos[:-1] + 0.5, pos[1:] + 0.5  # cum index i+0.5 = centre of bin i
    width = np.maximum(upper - lower, 1e-9)
    band = np.maximum(cum_at(upper) - cum_at(lower), 0.0) / width  # [cols, rows]
    db = 10.0 * np.log10(band.T / scale + 1e-20)
    level = np.clip((db - style.floor_db) / (style.top_db - style.floor_db), 0.0, 1.0)
    levels = max(2, style.levels)
    return _lut(levels)[np.rint(level * (levels - 1)).astype(np.intp)]


def render_picture(audio: Audio, *, axis_seconds: float | None = None,
                   style: PictureStyle | None = None) -> Any:
    """Draw ``audio`` as ``uint8 [height, width, 3]``: waveform on top, spectrogram below.

    :param audio: the clip (channels are mixed to mono for the picture).
    :param axis_seconds: the time the full width stands for (default: the clip's duration).
        A longer axis leaves the right part empty, so clips of a comparison line up.
    :param style: sizes and ranges (default :class:`PictureStyle`).
    """
    import numpy as np

    style = style or PictureStyle()
    mono = audio.samples.mean(axis=0, dtype=np.float32)
    duration = mono.shape[0] / audio.sample_rate
    axis = max(float(axis_seconds or duration), duration, 1e-6)
    cols = int(min(style.width, max(1, round(style.width * duration / axis))))
    img = np.empty((style.height, style.width, 3), dtype=np.uint8)
    img[:] = _BACKGROUND
    if mono.shape[0] == 0:
        return img
    img[: style.wave_height, :cols] = _waveform(mono, cols, style)
    img[style.wave_height + style.gap:, :cols] = _spectrogram(
        mono, audio.sample_rate, cols, style)
    return img


def picture_png(audio: Audio, *, axis_seconds: float | None = None,
                style: PictureStyle | None = None) -> bytes:
    """:func:`render_picture` encoded as PNG bytes."""
    return encode_png(render_picture(audio, axis_seconds=axis_seconds, style=style))
