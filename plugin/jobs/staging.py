"""Turn reference audio into what ``inputs.audio`` takes: a URL, or a ``mediaStorage`` UUID.

URLs and UUID strings pass through unchanged. Files, bytes and in-memory :class:`Audio` are
probed and checked against the model's limits (6 s to 6 min, 50 MiB) **before** anything is
uploaded, then uploaded once with ``mediaStorage`` (protocol reference §7):

- WAV, FLAC, MP3 and OGG files are uploaded byte for byte;
- anything else that decodes (M4A/AAC with PyAV installed, AIFF...) is re-encoded to FLAC;
- an :class:`Audio` is encoded to FLAC (lossless, fast); only when that is over the size limit
  is it encoded to MP3 at 320 kbps (32-48 kHz, at most 2 channels).

One size rule for every input: a file or bytes over the size limit (a long 24-bit WAV) is
decoded and transcoded exactly like an :class:`Audio` (FLAC, then MP3 320 kbps); it is refused
only when even that is over the limit.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..audio.formats import mime_type
from ..errors import AudioError, SpecValidationError, Violation
from ..spec.predicates import is_url, is_uuid, staged_reference

if TYPE_CHECKING:
    from ..audio import Audio, AudioInfo
    from ..results import MediaRef

__all__ = ["UPLOAD_FORMATS", "is_url", "is_uuid", "prepare_upload", "stage_audio"]

#: Formats uploaded as they are; others are converted to FLAC first.
UPLOAD_FORMATS: tuple[str, ...] = ("WAV", "FLAC", "MP3", "OGG")
_MP3_320_RATES = (32000, 44100, 48000)
PARAM = "inputs.audio"


class MediaUploader(Protocol):
    """Anything with ``upload_media`` (a :class:`~.client.RunwareClient`)."""

    def upload_media(self, data: bytes, *, mime: str | None = None) -> MediaRef: ...


def _is_audio(value: Any) -> bool:
    return hasattr(value, "samples") and hasattr(value, "sample_rate")


def _check(info: AudioInfo, limits: Mapping[str, Any] | None) -> None:
    from ..audio import check_reference_limits

    check_reference_limits(info, **{"param": PARAM, **(limits or {})})


def _convert_to_flac(source: Any, info: AudioInfo, limits: Mapping[str, Any] | None
                     ) -> tuple[bytes, str]:
    """Decode a non-uploadable format and re-encode it to FLAC, checking the result."""
    from ..audio import encode_audio, read_audio

    _check(replace(info, format="FLAC", size_bytes=None), limits)  # duration, before decoding
    data = encode_audio(read_audio(source), "FLAC")
    _check(replace(info, format="FLAC", size_bytes=len(data)), limits)
    return data, mime_type("FLAC")


def _prepare_encoded(source: str | bytes, limits: Mapping[str, Any] | None) -> tuple[bytes, str]:
    from ..audio import probe_audio, read_audio
    from ..audio.limits import REFERENCE_MAX_BYTES

    info = probe_audio(source)
    fmt = (info.format or "").upper()
    if fmt not in UPLOAD_FORMATS:
        return _convert_to_flac(source, info, limits)
    max_bytes = (limits or {}).get("max_bytes", REFERENCE_MAX_BYTES)
    if info.size_bytes is not None and info.size_bytes > max_bytes:
        # The same rule as in-memory audio: transcode, refuse only if still too large.
        _check(replace(info, size_bytes=None), limits)  # format and duration, before decoding
        return _prepare_audio(read_audio(source), limits, name=info.name)
    _check(info, limits)
    if isinstance(source, bytes):
        return source, mime_type(fmt)
    return Path(source).read_bytes(), mime_type(fmt)


def _prepare_audio(audio: Audio, limits: Mapping[str, Any] | None, *,
                   name: str = "<audio>") -> tuple[bytes, str]:
    from ..audio import AudioInfo, encode_audio
    from ..audio.limits import REFERENCE_MAX_BYTES

    info = AudioInfo(format="FLAC", duration_s=audio.duration_s, sample_rate=audio.sample_rate,
                     channels=audio.channels, size_bytes=None, name=name)
    _check(info, limits)
    # Lossless FLAC first: the model hears the song as it is, and libsndfile encodes FLAC ~25x
    # faster than MP3 (bench/audio_libs.py). Only a FLAC over the size limit (long, noisy
    # stereo) falls back to MP3 at 320 kbps, which is ~2.4 MB per minute.
    data, fmt = encode_audio(audio, "FLAC"), "FLAC"
    max_bytes = (limits or {}).get("max_bytes", REFERENCE_MAX_BYTES)
    if len(data) > max_bytes and audio.sample_rate in _MP3_320_RATES and audio.channels <= 2:
        try:
            data, fmt = encode_audio(audio, "MP3", bitrate_kbps=320), "MP3"
        except AudioError:  # no MP3 encoder in this libsndfile: the size check below reports it
            pass
    _check(replace(info, format=fmt, size_bytes=len(data)), limits)
    return data, mime_type(fmt)


def prepare_upload(source: Any, *, limits: Mapping[str, Any] | None = None
                   ) -> tuple[bytes, str] | None:
    """The bytes to upload for ``source`` and their MIME type; ``None`` for a URL or UUID.

    Checks the reference-audio limits first, so nothing out of limits is ever uploaded.

    :param source: a path (``str``/``PathLike``), ``bytes``, an :class:`Audio`, a URL or a UUID.
    :param limits: keyword arguments for :func:`~.audio.check_reference_limits` (``min_s``,
        ``max_s``, ``max_bytes``, ``formats``).
    :raises AudioLimitError: outside the limits (names ``inputs.audio``, rule and value).
    :raises AudioError: unreadable audio (M4A without PyAV names the extra to install).
    :raises SpecValidationError: a path that does not exist, or an unsupported type.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _prepare_encoded(bytes(source), limits)
    if _is_audio(source):
        return _prepare_audio(source, limits)
    if isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        if isinstance(text, bytes):
            text = os.fsdecode(text)
        if isinstance(source, str) and staged_reference(text) is not None:
            return None
        if not Path(text).is_file():
            raise SpecValidationError([Violation(PARAM, "file not found", text)])
        return _prepare_encoded(text, limits)
    raise SpecValidationError([Violation(
        PARAM, "must be a file path, bytes, Audio, http(s) URL or media UUID",
        type(source).__name__, got=type(source).__name__)])


def stage_audio(source: Any, client: MediaUploader, *,
                limits: Mapping[str, Any] | None = None) -> str:
    """Return what ``inputs.audio`` takes for ``source``, uploading local audio once.

    URLs and UUID strings are returned unchanged (nothing is checked or sent); anything else
    goes through :func:`prepare_upload` and ``client.upload_media``.

    :returns: the URL or UUID given, or the ``mediaUUID`` of the upload.
    """
    reference = staged_reference(source)
    if reference is not None:
        return reference
    payload = prepare_upload(source, limits=limits)
    if payload is None:  # pragma: no cover - strings handled above
        return str(source)
    data, mime = payload
    return client.upload_media(data, mime=mime).media_uuid
