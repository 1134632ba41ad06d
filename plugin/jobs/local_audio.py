"""The song before anything is sent: its limits checked locally, its content fingerprinted.

:func:`check_local_audio` refuses a song outside the model's limits (duration, format, NaN
samples) and proves the whole of it decodes (:func:`~..audio.verify.verify_audio`) before any
upload; the size limit is met by transcoding when the song is staged
(:mod:`.staging`). :func:`fingerprint` hashes its content, so the same song gives the same
job digest in the journal whatever its path.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from ..errors import AudioError, AudioLimitError, SpecValidationError, Violation
from ..spec.predicates import is_media_reference

__all__ = ["AudioSource", "check_local_audio", "describe_source", "fingerprint"]

AudioSource = Any  # str | os.PathLike | bytes | Audio (a URL or UUID string is passed through)
PARAM = "inputs.audio"
_BYTES = (bytes, bytearray, memoryview)


def _is_audio(source: Any) -> bool:
    return hasattr(source, "samples") and hasattr(source, "sample_rate")


def fingerprint(source: AudioSource) -> str:
    """A SHA-256 of the song's content (a file's bytes, an Audio's samples, or the string)."""
    h = hashlib.sha256()
    if isinstance(source, _BYTES):
        h.update(bytes(source))
    elif isinstance(source, (str, os.PathLike)) and Path(source).is_file():
        with open(source, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    elif _is_audio(source):
        h.update(str(source.sample_rate).encode())
        h.update(source.samples.tobytes())
    else:
        h.update(str(source).encode())
    return h.hexdigest()


def describe_source(source: AudioSource) -> str:
    """The song as the journal and ``minimax-cover jobs`` show it: an absolute path, the URL
    or media UUID given, or a label for in-memory audio (``<bytes, 1.2 MB>``)."""
    if isinstance(source, _BYTES):
        return f"<bytes, {len(bytes(source)) / 1e6:.1f} MB>"
    if _is_audio(source):
        return f"<audio, {source.duration_s:.1f} s at {source.sample_rate} Hz>"
    if isinstance(source, (str, os.PathLike)):
        text = os.fsdecode(os.fspath(source))
        return text if is_media_reference(text) else os.path.abspath(text)
    return f"<{type(source).__name__}>"


def check_local_audio(source: AudioSource) -> None:
    """Duration, format and sample checks of a local song, before any upload.

    URLs and media UUIDs are not checked here (nothing local to read). Every
    :class:`AudioError` names ``inputs.audio``.

    :raises AudioLimitError: outside the model's limits.
    :raises AudioError: unreadable, or NaN/infinite samples.
    :raises SpecValidationError: a missing file or a source of an unsupported type.
    """
    try:
        _check(source)
    except AudioLimitError:
        raise
    except AudioError as exc:
        if str(exc).startswith(PARAM):
            raise
        raise AudioError(f"{PARAM}: {exc}", path=exc.path) from exc


def _check(source: AudioSource) -> None:
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if isinstance(path, str) and is_media_reference(path):
            return
        if not Path(path).exists():
            raise SpecValidationError([Violation(PARAM, "file not found", path)])
        _check_encoded(path if isinstance(path, str) else os.fsdecode(path))
    elif isinstance(source, _BYTES):
        _check_encoded(bytes(source))
    elif _is_audio(source):
        _check_samples(source)
    else:
        raise SpecValidationError([Violation(
            PARAM, "must be a file path, bytes, Audio, URL or UUID", type(source).__name__)])


def _check_encoded(data: str | bytes) -> None:
    from dataclasses import replace

    from ..audio import check_reference_limits, probe_audio
    from ..audio.verify import verify_audio

    info = probe_audio(data)
    # One size rule for every input: a song over the size limit is transcoded when it is
    # staged (FLAC, then MP3 320 kbps), as in-memory audio is; staging refuses it only if it
    # is still too large then. Format and duration are checked here.
    check_reference_limits(replace(info, size_bytes=None))
    # Headers lie (a truncated FLAC still declares its length, a WAV may declare 0 channels
    # or 4 GB): prove the whole song is there before anything is uploaded or paid for.
    verify_audio(data)


def _check_samples(audio: Any) -> None:
    from ..audio import AudioInfo, all_finite, check_reference_limits

    info = AudioInfo(format="WAV", duration_s=audio.duration_s, sample_rate=audio.sample_rate,
                     channels=audio.channels, name="in-memory audio")
    check_reference_limits(info)
    if not all_finite(audio.samples):
        raise AudioError("in-memory audio: contains NaN or infinite samples")
