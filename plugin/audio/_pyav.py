"""Optional PyAV (FFmpeg) fallback for what libsndfile cannot read: M4A/AAC and friends.

PyAV is the ``m4a`` extra (``pip install "minimax-cover[m4a]"``); nothing here imports it at
module level, and :func:`import_av` returns ``None`` when it is not installed.
"""

from __future__ import annotations

import io
from types import ModuleType
from typing import Any

from ..errors import AudioError
from .data import Audio, AudioInfo
from .formats import format_for_container

__all__ = ["INSTALL_HINT", "decode", "import_av", "probe", "verify"]

INSTALL_HINT = 'pip install "minimax-cover[m4a]"'



def import_av() -> ModuleType | None:
    """The ``av`` module, or ``None`` when PyAV is not installed."""
    try:
        import av
    except ImportError:
        return None
    return av


def _container_format(container: Any) -> str:
    names = [n.strip() for n in str(container.format.name).split(",")]
    for n in names:
        known = format_for_container(n)
        if known is not None:
            return known.name
    return names[0].upper()


def _open(av: ModuleType, src: str | bytes, name: str) -> Any:
    try:
        return av.open(io.BytesIO(src) if isinstance(src, bytes) else src, "r")
    except EOFError as exc:  # av.error.EOFError: the headers end early
        raise AudioError(f"{name}: truncated ({_reason(exc)})", path=_path(src)) from exc
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise AudioError(
            f"{name}: not a readable audio file ({_reason(exc)})", path=_path(src)
        ) from exc


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).split(":")[0].strip() or type(exc).__name__


def _path(src: str | bytes) -> str | None:
    return src if isinstance(src, str) else None


def _audio_stream(container: Any, name: str, src: str | bytes) -> Any:
    if not container.streams.audio:
        raise AudioError(f"{name}: contains no audio stream", path=_path(src))
    stream = container.streams.audio[0]
    if stream.codec_context is None:  # e.g. a WAV header claiming 0 bits per sample
        raise AudioError(f"{name}: no decoder for its audio stream (corrupt header?)",
                         path=_path(src))
    return stream


def probe(src: str | bytes, name: str, size: int | None) -> AudioInfo:
    """Read an audio file's headers with PyAV (no decoding)."""
    av = import_av()
    assert av is not None
    container = _open(av, src, name)
    with container:
        stream = _audio_stream(container, name, src)
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000  # AV_TIME_BASE
        else:
            duration = 0.0
        ctx = stream.codec_context
        return AudioInfo(
            format=_container_format(container),
            duration_s=duration,
            sample_rate=int(ctx.sample_rate or 0),
            channels=int(ctx.channels or 0),
            size_bytes=size,
            name=name,
            path=_path(src),
            subtype=ctx.name,
        )


def decode(src: str | bytes, name: str) -> Audio:
    """Decode the first audio stream with PyAV into float32 ``[channels, samples]``."""
    import numpy as np

    av = import_av()
    assert av is not None
    container = _open(av, src, name)
    chunks: list[np.ndarray] = []
    with container:
        stream = _audio_stream(container, name, src)
        rate = int(stream.codec_context.sample_rate or 0)
        channels = int(stream.codec_context.channels or 0)
        resampler = None
        try:
            for frame in container.decode(stream):
                if resampler is None:
                    rate = frame.sample_rate
                    channels = frame.layout.nb_channels
                    resampler = av.AudioResampler(format="fltp", layout=frame.layout, rate=rate)
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray())
            if resampler is not None:
                for out in resampler.resample(None):
                    chunks.append(out.to_ndarray())
        except (av.FFmpegError, ValueError) as exc:
            raise AudioError(
                f"{name}: truncated or corrupt audio ({_reason(exc)})", path=_path(src)
            ) from exc
    if not chunks or rate <= 0:
        raise AudioError(f"{name}: contains no audio samples", path=_path(src))
    samples = np.concatenate(chunks, axis=1).astype(np.float32, copy=False)
    return Audio(samples.reshape(channels, -1), rate)


def verify(src: str | bytes, name: str, size: int | None) -> AudioInfo:
    """Decode every frame of the first audio stream, keeping none; check the declared length.

    :raises AudioError: unreadable, corrupt, no samples, or fewer than the header declares.
    """
    av = import_av()
    assert av is not None
    info = probe(src, name, size)
    container = _open(av, src, name)
    samples = 0
    rate = info.sample_rate
    with container:
        stream = _audio_stream(container, name, src)
        try:
            for frame in container.decode(stream):
                samples += int(frame.samples)
                rate = int(frame.sample_rate or rate)
        except (av.FFmpegError, ValueError) as exc:
            raise AudioError(
                f"{name}: truncated or corrupt audio ({_reason(exc)})", path=_path(src)
            ) from exc
    if samples == 0 or rate <= 0 or info.channels <= 0:
        raise AudioError(f"{name}: contains no audio samples", path=_path(src))
    present = samples / rate
    if info.duration_s > 0 and present < info.duration_s * 0.995 - 0.05:
        raise AudioError(
            f"{name}: truncated or corrupt: the header declares {info.duration_s:.1f} s, "
            f"only {present:.1f} s could be decoded", path=_path(src))
    return AudioInfo(format=info.format, duration_s=present, sample_rate=rate,
                     channels=info.channels, size_bytes=size, name=name, path=_path(src),
                     subtype=info.subtype)
