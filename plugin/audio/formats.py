"""The one table of audio formats: name, file extension, MIME type, lossy or not, codec names.

Every room that needs "the extension of FLAC", "the MIME type of an MP3 upload" or "is OGG
lossy" reads it here: staging, the pipeline's output names, the sandbox, the MiniMax backend,
the audio nodes, the CLI and the codec layer (libsndfile format and subtype, PyAV container
names). Names are upper case, as ``outputFormat`` and :func:`~.sniff.sniff_format` spell them.
Pure data: importing this module imports nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AUDIO_SUFFIXES",
    "FORMATS",
    "SOUNDFILE_FORMATS",
    "AudioFormat",
    "audio_format",
    "extension",
    "format_for_container",
    "format_for_suffix",
    "is_lossy",
    "mime_type",
]


@dataclass(frozen=True)
class AudioFormat:
    """One audio format.

    ``extension`` is the file extension written (no dot); ``suffixes`` every suffix read as this
    format; ``sf_format``/``sf_subtype`` the libsndfile format and default subtype (``None``:
    libsndfile cannot write it, PyAV may read it); ``containers`` the FFmpeg demuxer names PyAV
    reports for it.
    """

    name: str
    extension: str
    mime: str
    lossy: bool
    suffixes: tuple[str, ...]
    sf_format: str | None = None
    sf_subtype: str | None = None
    containers: tuple[str, ...] = ()


FORMATS: dict[str, AudioFormat] = {
    f.name: f
    for f in (
        AudioFormat("WAV", "wav", "audio/wav", False, (".wav",), "WAV", "PCM_16", ("wav",)),
        AudioFormat("FLAC", "flac", "audio/flac", False, (".flac",), "FLAC", "PCM_16",
                    ("flac",)),
        AudioFormat("MP3", "mp3", "audio/mpeg", True, (".mp3",), "MP3", "MPEG_LAYER_III",
                    ("mp3",)),
        AudioFormat("OGG", "ogg", "audio/ogg", True, (".ogg", ".oga"), "OGG", "VORBIS",
                    ("ogg",)),
        AudioFormat("M4A", "m4a", "audio/mp4", True, (".m4a", ".mp4"),
                    containers=("mov", "mp4", "m4a")),
        AudioFormat("AAC", "aac", "audio/aac", True, (".aac",), containers=("aac",)),
        AudioFormat("OPUS", "opus", "audio/opus", True, (".opus",)),
        AudioFormat("WEBM", "webm", "audio/webm", True, (".webm",)),
    )
}

#: Formats libsndfile reads and writes (the core dependencies, no PyAV).
SOUNDFILE_FORMATS: tuple[str, ...] = tuple(n for n, f in FORMATS.items() if f.sf_format)
#: Every file suffix read as audio (lower case, with the dot), PyAV-only ones included.
AUDIO_SUFFIXES: tuple[str, ...] = tuple(s for f in FORMATS.values() for s in f.suffixes)

_BY_SUFFIX = {s: f for f in FORMATS.values() for s in f.suffixes}
_BY_CONTAINER = {c: f for f in FORMATS.values() for c in f.containers}


def audio_format(name: str) -> AudioFormat:
    """The format called ``name`` (any case); :class:`KeyError` naming the known ones."""
    try:
        return FORMATS[str(name).strip().upper()]
    except KeyError:
        raise KeyError(f"unknown audio format {name!r} (known: {', '.join(FORMATS)})") from None


def extension(name: str) -> str:
    """File extension (no dot) for format ``name``; an unknown name is lower-cased."""
    f = FORMATS.get(str(name).strip().upper())
    return f.extension if f else str(name).strip().lower()


def mime_type(name: str) -> str:
    """MIME type of format ``name`` or extension (``"MP3"``, ``"mp3"``, ``".oga"``)."""
    key = str(name).strip()
    f = FORMATS.get(key.upper()) or _BY_SUFFIX.get("." + key.lower().lstrip("."))
    if f is None:
        raise KeyError(f"unknown audio format {name!r} (known: {', '.join(FORMATS)})")
    return f.mime


def is_lossy(name: str) -> bool:
    """True for a lossy format (MP3, OGG, M4A...); False for WAV, FLAC and unknown names."""
    f = FORMATS.get(str(name).strip().upper())
    return bool(f and f.lossy)


def format_for_suffix(suffix: str) -> AudioFormat | None:
    """The format a file suffix (``".mp3"``, ``"MP3"``) stands for, or ``None``."""
    return _BY_SUFFIX.get("." + str(suffix).strip().lower().lstrip("."))


def format_for_container(name: str) -> AudioFormat | None:
    """The format of an FFmpeg demuxer name as PyAV reports it (``"mov"``), or ``None``."""
    return _BY_CONTAINER.get(str(name).strip().lower())
