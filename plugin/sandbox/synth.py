"""The sandbox's stand-in for MiniMax Music Cover: a cheap, deterministic transformation.

:func:`transform` band-limits the input, adds a tremolo and lays a chord synth over it that
follows the input's loudness. The result depends only on (input, prompt, seed), keeps the
input's length to the sample, and is clearly neither the input nor silence. It is NOT a cover:
it only exists so clients can be tested end to end offline. numpy is imported inside the
functions; a 10-s clip takes a few tens of milliseconds.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Mapping
from typing import Any

from ..audio import MP3_SAMPLE_RATES, Audio, encode_audio, resample_linear, to_channels
from ..audio.formats import FORMATS, SOUNDFILE_FORMATS, is_lossy

__all__ = ["MIME_TYPES", "derive_seed", "render", "result_seeds", "transform"]

#: Content type of each output format (also used for data URIs and uploadEndpoint PUTs).
MIME_TYPES = {name: FORMATS[name].mime for name in SOUNDFILE_FORMATS}
_UINT32 = 1 << 32
# Chord roots (scale degrees, semitones above the key) of a few common four-chord loops.
_PROGRESSIONS = ((0, 7, 9, 5), (0, 5, 7, 5), (9, 5, 0, 7), (0, 9, 5, 7))


def derive_seed(task_uuid: str, count: int = 1) -> int:
    """A seed drawn deterministically from ``task_uuid``, inside the range the model accepts
    back (the spec's ``seed`` field, 0–1,000,000) with room for ``count`` results, so every
    reported seed can be sent again with ``seed``."""
    from ..spec.model import MINIMAX_MUSIC_COVER

    f = MINIMAX_MUSIC_COVER.field("seed")
    low, high = int(f.minimum or 0), int(f.maximum if f.maximum is not None else _UINT32 - 1)
    span = max(1, high - low + 1 - max(0, count - 1))
    digest = hashlib.sha256(task_uuid.encode("utf-8")).digest()
    return low + int.from_bytes(digest[:8], "big") % span


def result_seeds(request_seed: int | None, task_uuid: str, count: int) -> list[int]:
    """Seeds of the ``count`` results: ``seed + i``; without one, ``base + i`` with a base drawn
    from the task UUID (:func:`derive_seed`), all in the accepted range."""
    if request_seed is not None:
        return [int(request_seed) + i for i in range(count)]
    base = derive_seed(task_uuid, count)
    return [base + i for i in range(count)]


def _envelope(mono: Any, rate: int) -> Any:
    """The input's loudness (RMS over 20 ms frames), one value per sample, floored."""
    import numpy as np

    n = mono.shape[0]
    frame = max(1, rate // 50)
    frames = -(-n // frame)
    padded = np.zeros(frames * frame, dtype=np.float32)
    padded[:n] = mono
    rms = np.sqrt(np.mean(padded.reshape(frames, frame) ** 2, axis=1))
    centers = (np.arange(frames, dtype=np.float32) + 0.5) * frame
    env = np.interp(np.arange(n, dtype=np.float32), centers, rms).astype(np.float32)
    return np.maximum(env, 0.02)  # a silent input still gets a soft pad, never digital silence


def _box(x: Any, width: int) -> Any:
    """A centred moving average along the last axis (same length), through a running sum."""
    import numpy as np

    if width <= 1:
        return x
    n = x.shape[-1]
    csum = np.zeros(x.shape[:-1] + (n + width,), dtype=np.float64)
    half = width // 2
    padded = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(half, width - half)], mode="edge")
    np.cumsum(padded, axis=-1, out=csum)
    return ((csum[..., width:] - csum[..., :-width]) / width).astype(np.float32)


def transform(audio: Audio, prompt: str, seed: int) -> Audio:
    """The synthetic "cover" of ``audio`` for ``prompt`` and ``seed`` (same rate and length).

    Deterministic: the same input, prompt and seed give the same samples.
    """
    import numpy as np

    rate = audio.sample_rate
    x = audio.samples
    n = x.shape[1]
    prompt_hash = zlib.crc32(prompt.encode("utf-8"))
    rng = np.random.default_rng([int(seed) % _UINT32, prompt_hash])

    # 1. Band-limit the input (a "telephone" colour with seeded edges): two box low-passes,
    #    minus a wide one for the low cut.
    high_hz = float(rng.uniform(1600.0, 4200.0))
    low_hz = float(rng.uniform(150.0, 450.0))
    narrow = max(1, round(rate / (2 * high_hz)))
    lowpassed = _box(_box(x, narrow), narrow)
    filtered = lowpassed - _box(lowpassed, max(2, round(rate / low_hz)))

    # 2. Tremolo at a seeded rate and depth.
    t = np.arange(n, dtype=np.float32) / np.float32(rate)
    trem_rate = float(rng.uniform(3.0, 7.0))
    depth = np.float32(rng.uniform(0.3, 0.6))
    trem_phase = np.float32(rng.uniform(0.0, 2 * np.pi))
    wobble = np.sin(np.float32(2 * np.pi * trem_rate) * t + trem_phase)
    tremolo = np.float32(1.0) - depth * (np.float32(0.5) + np.float32(0.5) * wobble)

    # 3. A chord synth: seeded key, tempo and progression, plucked on each beat, following the
    #    input's loudness.
    env = _envelope(x.mean(axis=0), rate)
    beat_s = 60.0 / float(rng.uniform(84.0, 132.0))
    key = 45 + int(rng.integers(0, 12))  # A2 .. G#3
    progression = np.asarray(_PROGRESSIONS[int(rng.integers(0, len(_PROGRESSIONS)))])
    thirds = np.where(rng.random(4) < 0.5, 3, 4)
    segment = (t / np.float32(2 * beat_s)).astype(np.int64) % 4
    synth = np.zeros(n, dtype=np.float32)
    for interval in (np.zeros(4, dtype=np.int64), thirds, np.full(4, 7)):
        table = 440.0 * 2.0 ** ((key + progression + interval - 69) / 12.0) / rate
        phase = np.cumsum(table[segment]) % 1.0
        angle = (2 * np.pi * phase).astype(np.float32)
        synth += np.sin(angle) + np.float32(0.3) * np.sin(2 * angle)
    pluck = np.exp(np.float32(-3.0) * ((t / np.float32(beat_s)) % np.float32(1.0)))
    synth *= (np.float32(0.35) + np.float32(0.65) * pluck) / np.float32(3.9)

    y = np.float32(0.7) * filtered * tremolo + np.float32(1.6) * env * synth
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak > 0:
        y *= np.float32(0.89 / peak)
    return Audio(y, rate)


def _nearest_mp3_rate(rate: int) -> int:
    return min(MP3_SAMPLE_RATES, key=lambda r: (abs(r - rate), -r))


def _mp3_bitrate(bitrate: int, rate: int) -> int:
    low, high = (32, 320) if rate >= 32000 else (8, 160) if rate >= 16000 else (8, 64)
    return max(low, min(high, int(bitrate)))


def render(
    audio: Audio,
    *,
    prompt: str,
    seed: int,
    output_format: str,
    audio_settings: Mapping[str, Any] | None = None,
) -> bytes:
    """Transform ``audio`` and encode it as ``output_format`` (MP3, WAV, FLAC, OGG).

    ``audio_settings`` (``sampleRate``, ``channels``, ``bitrate``) is honoured for the lossy
    formats: MP3 gets the bitrate (clamped to what its sample rate allows), OGG ignores it.
    An MP3 at a sample rate MPEG cannot hold is resampled to the nearest one that it can.
    """
    fmt = output_format.upper()
    out = transform(audio, prompt, seed)
    settings = dict(audio_settings or {}) if is_lossy(fmt) else {}
    if settings.get("sampleRate"):
        out = resample_linear(out, int(settings["sampleRate"]))
    if fmt == "MP3" and out.sample_rate not in MP3_SAMPLE_RATES:
        out = resample_linear(out, _nearest_mp3_rate(out.sample_rate))
    channels = int(settings.get("channels") or min(audio.channels, 2 if is_lossy(fmt) else 8))
    if channels != out.channels:
        out = to_channels(out if out.channels == 1 else to_channels(out, 1), channels)
    options: dict[str, Any] = {}
    if fmt == "MP3" and settings.get("bitrate"):
        options["bitrate_kbps"] = _mp3_bitrate(settings["bitrate"], out.sample_rate)
    return encode_audio(out, fmt, **options)
