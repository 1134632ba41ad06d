"""Unusable audio is never paid for: the whole song is proven before upload (issue 17, item 2).

Headers lie: each song below passes a header-only probe (``probe_audio`` reads a plausible
duration), yet cannot be used. ``cover()`` must refuse it locally, naming ``inputs.audio``,
with the hostile server receiving nothing at all: no upload, no submit.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
from hostile_server import Hostile
from minimax_cover.plugin.audio import probe_audio
from minimax_cover.plugin.errors import AudioError
from minimax_cover.plugin.jobs.pipeline import cover
from rel_support import PROMPT, fast_options

KEY = "rw-DECODE-test-key"


def _encoded(fmt: str, seconds: float = 8.0, rate: int = 22050) -> bytes:
    import numpy as np
    from minimax_cover.plugin.audio import Audio, encode_audio

    t = np.arange(int(seconds * rate), dtype=np.float64) / rate
    return encode_audio(Audio((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate),
                        fmt)


def _wav_field(data: bytes, chunk: bytes, offset: int, fmt: str, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, out.find(chunk) + offset, value)
    return bytes(out)


def _songs() -> dict[str, tuple[str, bytes]]:
    flac, mp3, wav = _encoded("FLAC"), _encoded("MP3"), _encoded("WAV")
    return {
        "truncated FLAC (header 8 s, 0.8 s decodes)": ("flac", flac[: len(flac) // 10]),
        "MP3 cut to 10 %": ("mp3", mp3[: len(mp3) // 10]),
        "WAV declaring 0 channels": ("wav", _wav_field(wav, b"fmt ", 10, "<H", 0)),
        "WAV declaring 4 GB of data": ("wav", _wav_field(wav, b"data", 4, "<I", 0xFFFFFFF0)),
        "WAV with a streaming placeholder size": ("wav",
                                                  _wav_field(wav, b"data", 4, "<I", 0xFFFFFFFF)),
        "FLAC with a corrupt middle": ("flac", flac[:2000] + bytes(3000) + flac[5000:]),
    }


SONGS = _songs()


@pytest.mark.parametrize("name", list(SONGS))
def test_unusable_song_is_refused_before_any_request(name: str, tmp_path: Path) -> None:
    suffix, data = SONGS[name]
    song = tmp_path / f"song.{suffix}"
    song.write_bytes(data)
    if "corrupt" not in name:
        assert probe_audio(song).duration_s >= 6.0  # the header alone looks fine
    with Hostile(audio=_encoded("MP3"), api_key=KEY) as h:
        options: dict[str, Any] = fast_options(h, api_key=KEY)
        with pytest.raises(AudioError, match="inputs.audio") as info:
            cover(song, prompt=PROMPT, output_dir=tmp_path / "out", backend="runware",
                  backend_options=options)
        assert h.requests == [] and h.paid == []  # nothing uploaded, nothing paid
    assert "song." in str(info.value)


def test_a_sound_song_goes_through(tmp_path: Path) -> None:
    song = tmp_path / "song.flac"
    song.write_bytes(_encoded("FLAC"))
    result_audio = _encoded("MP3")
    with Hostile(audio=result_audio, api_key=KEY) as h:
        result = cover(song, prompt=PROMPT, output_dir=tmp_path / "out", backend="runware",
                       backend_options=fast_options(h, api_key=KEY))
        assert [r[0] for r in h.requests].count("audioInference") == 1
    assert result.files[0].read_bytes() == result_audio
