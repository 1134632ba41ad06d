"""The "MiniMax Cover Preprocess" node: step 1 of the two-step cover, torch-free.

It sends the song to MiniMax's ``/v1/music_cover_preprocess`` (or the local MiniMax sandbox when
``MINIMAX_API_KEY`` is not set) and returns the handle for the cover node, the lyrics MiniMax
heard and the song's structure as JSON. A song preprocessed before (any workflow, any run, the
CLI) reuses its live handle from the preprocess cache; the ``fresh`` toggle asks MiniMax again.

Its ``ui["minimax_two_step"]`` carries the lyrics, the sections, the song's waveform peaks and
what happened ("reused handle from 09:14, ..."): the pack's extension (``web/two_step.js``)
fills the linked cover node's empty lyrics widget with the lyrics, lints them live and draws
the sections as a timeline over the waveform.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..plugin.audio import Audio
from .definition import DefinedNode, InputDef, NodeDef, OutputDef

__all__ = ["DISPLAY_NAME", "HANDLE_TYPE", "NODE_ID", "UI_KEY", "MiniMaxCoverPreprocess",
           "keep_song", "lyric_rules", "waveform_peaks"]

NODE_ID = "MiniMaxCoverPreprocess"
DISPLAY_NAME = "MiniMax Cover Preprocess (two-step)"
#: The socket type carrying a :class:`~minimax_cover.plugin.minimax.handle.CoverHandle`.
HANDLE_TYPE = "MINIMAX_COVER_PREPROCESS"
#: MiniMax's reference-audio size cap; above it the song is sent as MP3 instead of FLAC.
_MAX_UPLOAD_BYTES = 50 * 1024 * 1024
#: The ``ui`` key the frontend extension reads.
UI_KEY = "minimax_two_step"
#: Temp subfolder keeping each preprocessed song for the session (expired handles).
SONGS_SUBFOLDER = "minimax_cover_songs"
#: Points of the waveform sent to the frontend (the timeline's width in buckets).
PEAK_POINTS = 480


def keep_song(data: bytes) -> Path | None:
    """The song as sent, kept in the temp folder (``minimax_cover_songs/<sha256>.flac``) for
    the session, so a handle MiniMax no longer knows can be made again from it; ``None`` when
    the folder cannot be written (the handle then says how to make it again by hand)."""
    import hashlib

    from .folders import temp_directory

    path = temp_directory() / SONGS_SUBFOLDER / f"{hashlib.sha256(data).hexdigest()}.flac"
    try:
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            part = path.with_name(path.name + ".part")
            part.write_bytes(data)
            part.replace(path)
    except OSError:
        return None
    return path


def lyric_rules() -> dict[str, Any]:
    """The lyric rules the extension lints with, from the spec (one place for each limit)."""
    from ..plugin.spec.model import MINIMAX_MUSIC_COVER, SECTION_TAGS

    field = MINIMAX_MUSIC_COVER.field("settings.lyrics")
    return {"min": field.min_length, "max": field.max_length, "tags": list(SECTION_TAGS)}


def waveform_peaks(audio: Audio, points: int = PEAK_POINTS) -> list[float]:
    """The song's loudest absolute sample per bucket (all channels), 0..1, ``points`` long."""
    import numpy as np

    samples = np.abs(np.asarray(audio.samples, dtype=np.float32))
    mono = samples.max(axis=0) if samples.ndim == 2 else samples
    if mono.size == 0:
        return []
    edges = np.linspace(0, mono.size, num=min(points, mono.size) + 1).astype(int)
    peaks = np.maximum.reduceat(mono, edges[:-1])
    return [round(float(min(1.0, p)), 3) for p in peaks]


def encode_for_upload(audio: Audio) -> bytes:
    """The song as FLAC (lossless), or as 192 kbps MP3 when FLAC exceeds 50 MB."""
    from ..plugin.audio import MP3_SAMPLE_RATES, encode_audio, resample_linear, to_channels

    data = encode_audio(audio, "FLAC")
    if len(data) <= _MAX_UPLOAD_BYTES:
        return data
    small = audio if audio.channels <= 2 else to_channels(to_channels(audio, 1), 2)
    if small.sample_rate not in MP3_SAMPLE_RATES:
        small = resample_linear(small, 44100)
    return encode_audio(small, "MP3", bitrate_kbps=192)


class MiniMaxCoverPreprocess(DefinedNode):
    """Analyse a song with MiniMax once (valid 24 h): get its lyrics, structure and a handle.

    Without MINIMAX_API_KEY it runs against the local MiniMax sandbox (synthetic, no cost).
    """

    FUNCTION = "preprocess"

    @classmethod
    def node_definition(cls) -> NodeDef:
        """Song in; handle, lyrics and structure out. Not a Comfy.org API node (it uses the
        user's own MiniMax key), so ``is_api_node`` is False."""
        return NodeDef(
            NODE_ID, DISPLAY_NAME, "audio/MiniMax Cover", description=str(cls.__doc__),
            inputs=(InputDef("audio", "AUDIO", "The song to cover (6 s to 6 min); the first "
                                               "item of a batch is used."),
                    InputDef("fresh", "BOOLEAN", "Analyse the song again even if a live "
                             "handle for it is cached (a handle lasts 24 h).", optional=True,
                             default=False)),
            outputs=(
                OutputDef(HANDLE_TYPE, "handle",
                          "Pass to the cover node's source: the song is not uploaded again."),
                OutputDef("STRING", "formatted_lyrics", "The lyrics MiniMax heard, with "
                          "[Verse]/[Chorus] tags; edit and use as the lyrics."),
                OutputDef("STRING", "structure_json",
                          "The song's sections as JSON: [{start, end, label}] in seconds."),
            ),
            is_api_node=False)

    def preprocess(self, audio: Mapping[str, Any], fresh: bool = False) -> dict[str, Any]:
        """Run step 1 (or reuse the cached handle); ``(handle, formatted_lyrics,
        structure_json)`` and the ``ui`` the extension draws."""
        from ..plugin.audio import check_reference_limits, probe_audio
        from ..plugin.hooks.registry import get_registry
        from ..plugin.minimax.cache import describe_reuse, note_handle
        from .audio_bridge import from_comfy_audio

        song = from_comfy_audio(audio)[0]
        data = encode_for_upload(song)
        check_reference_limits(probe_audio(data))
        kept = keep_song(data)
        backend = get_registry().backend("minimax")
        try:
            handle = backend.preprocess(data, fresh=bool(fresh),
                                        song_path=str(kept) if kept else None)
            note = getattr(backend, "last_note", None)
            label = backend.label
        finally:
            backend.close()
        note_handle(handle)
        sections = [s.to_dict() for s in handle.structure]
        valid = describe_reuse(handle).split(", ", 1)[1]
        info = {"lyrics": handle.formatted_lyrics, "sections": sections,
                "duration": round(song.duration_s, 3), "peaks": waveform_peaks(song),
                "note": note or f"preprocessed on {label}; {valid}",
                "reused": bool(note), "feature_id": handle.feature_id,
                "sandbox": bool(handle.sandbox), "rules": lyric_rules()}
        return {"ui": {UI_KEY: [info]},
                "result": (handle, handle.formatted_lyrics, json.dumps(sections))}
