"""The "MiniMax Cover Preprocess" node: step 1 of the two-step cover, torch-free.

It sends the song to MiniMax's ``/v1/music_cover_preprocess`` (or the local MiniMax sandbox when
``MINIMAX_API_KEY`` is not set) and returns the handle for the cover node, the lyrics MiniMax
heard (edit them, then wire them into the cover's lyrics) and the song's structure as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..plugin.audio import Audio
from .definition import DefinedNode, InputDef, NodeDef, OutputDef

__all__ = ["DISPLAY_NAME", "HANDLE_TYPE", "NODE_ID", "MiniMaxCoverPreprocess"]

NODE_ID = "MiniMaxCoverPreprocess"
DISPLAY_NAME = "MiniMax Cover Preprocess (two-step)"
#: The socket type carrying a :class:`~minimax_cover.plugin.minimax.handle.CoverHandle`.
HANDLE_TYPE = "MINIMAX_COVER_PREPROCESS"
#: MiniMax's reference-audio size cap; above it the song is sent as MP3 instead of FLAC.
_MAX_UPLOAD_BYTES = 50 * 1024 * 1024


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
                                               "item of a batch is used."),),
            outputs=(
                OutputDef(HANDLE_TYPE, "handle",
                          "Pass to the cover node's source: the song is not uploaded again."),
                OutputDef("STRING", "formatted_lyrics", "The lyrics MiniMax heard, with "
                          "[Verse]/[Chorus] tags; edit and use as the lyrics."),
                OutputDef("STRING", "structure_json",
                          "The song's sections as JSON: [{start, end, label}] in seconds."),
            ),
            is_api_node=False)

    def preprocess(self, audio: Mapping[str, Any]) -> tuple[Any, str, str]:
        """Run step 1 and return ``(handle, formatted_lyrics, structure_json)``."""
        from ..plugin.audio import check_reference_limits, probe_audio
        from ..plugin.hooks.registry import get_registry
        from .audio_bridge import from_comfy_audio

        song = from_comfy_audio(audio)[0]
        data = encode_for_upload(song)
        check_reference_limits(probe_audio(data))
        backend = get_registry().backend("minimax")
        try:
            handle = backend.preprocess(data)
        finally:
            backend.close()
        structure = json.dumps([s.to_dict() for s in handle.structure])
        return handle, handle.formatted_lyrics, structure
