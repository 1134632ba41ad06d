"""The two-step cover workflow: a preprocess handle (step 1) that a cover job consumes (step 2).

MiniMax's ``/v1/music_cover_preprocess`` analyses a song once and returns a ``cover_feature_id``
(valid 24 hours), the lyrics it heard (``formatted_lyrics``, with section tags) and the song's
structure. :class:`CoverHandle` keeps all of it; the user edits the lyrics and passes the handle
to :func:`~minimax_cover.plugin.jobs.pipeline.cover`. The handle travels through ``inputs.audio`` as
:attr:`CoverHandle.audio_input`: the 32-hex feature id written as a UUID, so the request
validates unchanged; the MiniMax backend strips the dashes back (:func:`feature_id_from_input`).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import ResponseFormatError, SpecValidationError, Violation

__all__ = [
    "FEATURE_VALIDITY_S",
    "CoverHandle",
    "Section",
    "feature_id_from_input",
    "parse_structure",
]

#: How long MiniMax keeps a ``cover_feature_id`` (official: "valid for 24 hours").
FEATURE_VALIDITY_S = 24 * 3600
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
_UUID_FORM = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class Section:
    """One segment of the song's structure: ``label`` (intro, verse, chorus...) from/to seconds."""

    start_s: float
    end_s: float
    label: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (MiniMax's own key names)."""
        return {"start": self.start_s, "end": self.end_s, "label": self.label}


def parse_structure(raw: Any) -> list[Section]:
    """The sections in MiniMax's ``structure_result`` (a JSON *string*; a dict is accepted too).

    Malformed segments are skipped; an unparsable string gives an empty list, never an error:
    the structure is informative, the feature id is what matters.
    """
    doc = raw
    if isinstance(raw, (str, bytes)):
        if not raw.strip():
            return []
        try:
            doc = json.loads(raw)
        except ValueError:
            return []
    if isinstance(doc, list):
        segments: Any = doc
    elif isinstance(doc, dict):
        segments = doc.get("segments")
    else:
        return []
    out: list[Section] = []
    for seg in segments if isinstance(segments, list) else []:
        if not isinstance(seg, dict):
            continue
        try:
            start, end = float(seg["start"]), float(seg["end"])
        except (KeyError, TypeError, ValueError):
            continue
        if end < start:
            continue
        out.append(Section(start, end, str(seg.get("label") or "unknown").lower()))
    return out


def feature_id_from_input(value: str) -> str:
    """The ``cover_feature_id`` carried by ``inputs.audio`` (a UUID-form string or 32 hex)."""
    text = value.strip()
    if _UUID_FORM.match(text):
        return text.replace("-", "").lower()
    if _HEX32.match(text):
        return text.lower()
    raise SpecValidationError(
        [Violation("inputs.audio", "must be a MiniMax cover feature id (32 hex characters, "
                   "optionally written as a UUID)", value)]
    )


@dataclass(frozen=True)
class CoverHandle:
    """The result of step 1 (preprocess), ready for step 2 (cover).

    :param feature_id: MiniMax's ``cover_feature_id`` (valid 24 hours from ``created_at``).
    :param formatted_lyrics: the lyrics MiniMax heard, with section tags; edit and pass them
        as ``lyrics=`` to the cover job.
    :param structure: the song's sections, in seconds.
    :param audio_duration_s: duration of the analysed audio.
    :param created_at: UNIX time of the preprocess call.
    :param backend: the backend that can consume the handle (default ``"minimax"``).
    :param song_path: where the song was read from (``None``: bytes in memory or a URL), so an
        expired handle can be made again while the file holds the same content.
    :param content_hash: SHA-256 of the song's bytes as sent (``None``: a URL).
    """

    feature_id: str
    formatted_lyrics: str
    structure: list[Section] = field(default_factory=list)
    audio_duration_s: float | None = None
    created_at: float = field(default_factory=time.time)
    backend: str = "minimax"
    sandbox: bool = False
    song_path: str | None = None
    content_hash: str | None = None

    @property
    def audio_input(self) -> str:
        """The value for ``inputs.audio``: the feature id written as a UUID string.

        :raises SpecValidationError: the id is not 32 hex characters (it could not pass the
            request's ``inputs.audio`` rule unchanged).
        """
        fid = self.feature_id.strip()
        if not _HEX32.match(fid):
            raise SpecValidationError(
                [Violation("cover_feature_id", "must be 32 hex characters to travel as "
                           "inputs.audio (MiniMax returns an MD5)", fid)]
            )
        f = fid.lower()
        return f"{f[:8]}-{f[8:12]}-{f[12:16]}-{f[16:20]}-{f[20:]}"

    @property
    def expires_at(self) -> float:
        """UNIX time after which MiniMax no longer knows ``feature_id``."""
        return self.created_at + FEATURE_VALIDITY_S

    @property
    def expired(self) -> bool:
        """True once :attr:`expires_at` has passed (preprocess the song again)."""
        return time.time() >= self.expires_at

    def remaining_s(self, now: float | None = None) -> float:
        """Seconds until :attr:`expires_at` (negative once expired)."""
        return self.expires_at - (time.time() if now is None else now)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what ``minimax-cover preprocess -o handle.json`` writes)."""
        return {
            "kind": "minimax_cover.CoverHandle",
            "feature_id": self.feature_id,
            "audio_input": self.audio_input if _HEX32.match(self.feature_id.strip()) else None,
            "formatted_lyrics": self.formatted_lyrics,
            "structure": [s.to_dict() for s in self.structure],
            "audio_duration_s": self.audio_duration_s,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "backend": self.backend,
            "sandbox": self.sandbox,
            "song_path": self.song_path,
            "content_hash": self.content_hash,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CoverHandle:
        """Rebuild a handle from :meth:`to_dict` output (or a JSON string of it).

        :raises SpecValidationError: ``feature_id`` is missing or not a string.
        """
        if isinstance(data, (str, bytes)):
            data = json.loads(data)
        if not isinstance(data, dict) or not isinstance(data.get("feature_id"), str):
            raise SpecValidationError(
                [Violation("handle", "must be a JSON object with a 'feature_id' string",
                           type(data).__name__ if not isinstance(data, dict) else
                           data.get("feature_id"))]
            )
        duration = data.get("audio_duration_s")
        return cls(
            feature_id=data["feature_id"],
            formatted_lyrics=str(data.get("formatted_lyrics") or ""),
            structure=parse_structure({"segments": data.get("structure") or []}),
            audio_duration_s=float(duration) if duration is not None else None,
            created_at=float(data.get("created_at") or time.time()),
            backend=str(data.get("backend") or "minimax"),
            sandbox=bool(data.get("sandbox", False)),
            song_path=_text(data.get("song_path")),
            content_hash=_text(data.get("content_hash")),
        )

    @classmethod
    def from_response(cls, body: dict[str, Any], *, sandbox: bool = False) -> CoverHandle:
        """Build from a ``/v1/music_cover_preprocess`` answer (``base_resp`` already checked).

        :raises ResponseFormatError: the answer has no ``cover_feature_id``.
        """
        fid = body.get("cover_feature_id")
        if not isinstance(fid, str) or not fid:
            raise ResponseFormatError("MiniMax preprocess answered without a cover_feature_id")
        duration = body.get("audio_duration")
        try:
            duration_s = float(duration) if duration is not None else None
        except (TypeError, ValueError):
            duration_s = None
        return cls(
            feature_id=fid,
            formatted_lyrics=str(body.get("formatted_lyrics") or ""),
            structure=parse_structure(body.get("structure_result")),
            audio_duration_s=duration_s,
            sandbox=sandbox,
        )


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str) and value else None
