"""Audio inside a page (``--embed``): compressed files as they are, the rest as a stated MP3.

A WAV or FLAC source embedded as it is makes a page of tens of megabytes (base64 adds a third);
a compressed rendition plays the same in every browser at a tenth of the size. Files already
in a compressed format (MP3, OGG, Opus, M4A, WebM) are embedded byte for byte. Others are
encoded as MP3 at :data:`EMBED_MP3_KBPS` kbps constant bitrate; audio MP3 cannot hold (a
sample rate outside MPEG's, more than two channels) becomes OGG Vorbis at libsndfile's default
quality. The page says which (:attr:`Embedded.note`).
"""

from __future__ import annotations

import base64
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import AudioError

if TYPE_CHECKING:
    from ..audio import Audio

__all__ = ["EMBED_MP3_KBPS", "Embedded", "embed_audio"]

#: Bitrate of the MP3 rendition of an uncompressed file (CBR; transparent for auditioning).
EMBED_MP3_KBPS = 160

_MIME = {".mp3": "audio/mpeg", ".wav": "audio/wav", ".flac": "audio/flac", ".ogg": "audio/ogg",
         ".oga": "audio/ogg", ".m4a": "audio/mp4", ".opus": "audio/ogg", ".webm": "audio/webm"}
#: Suffixes embedded as they are (already compressed).
_AS_IS = (".mp3", ".ogg", ".oga", ".opus", ".m4a", ".webm")


@dataclass(frozen=True)
class Embedded:
    """A ``data:`` URI for a page and what it holds (``note``: ``None`` when the file as is)."""

    href: str
    note: str | None
    size: int


def _data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def embed_audio(path: Path, audio: Audio | None = None) -> Embedded:
    """``path`` as a ``data:`` URI: as it is when compressed, else as MP3 (or OGG Vorbis).

    :param audio: the decoded file, when the caller has it (saves decoding it again).
    :raises AudioError: the file cannot be read or decoded.
    """
    suffix = path.suffix.lower()
    if suffix in _AS_IS:
        data = path.read_bytes()
        mime = _MIME.get(suffix) or mimetypes.guess_type(path.name)[0] or "audio/mpeg"
        return Embedded(_data_uri(mime, data), None, len(data))
    from ..audio import encode_audio, read_audio

    audio = audio if audio is not None else read_audio(path)
    kind = suffix.lstrip(".").upper() or "audio"
    try:
        data = encode_audio(audio, "MP3", bitrate_kbps=EMBED_MP3_KBPS)
        return Embedded(_data_uri("audio/mpeg", data),
                        f"embedded as MP3 {EMBED_MP3_KBPS} kbps (from {kind})", len(data))
    except AudioError:  # a rate MPEG has no bitrate table for, or more than two channels
        data = encode_audio(audio, "OGG")
        return Embedded(_data_uri("audio/ogg", data),
                        f"embedded as OGG Vorbis (from {kind})", len(data))
