"""``--embed`` of an uncompressed song (issue 24): a stated MP3 rendition, not the WAV's bytes."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
from minimax_cover.plugin.audio import Audio, probe_audio, read_audio, write_audio
from minimax_cover.plugin.audition import build_page
from minimax_cover.plugin.audition.embed import EMBED_MP3_KBPS, embed_audio


def _song(path: Path, rate: int = 44100, seconds: float = 20.0, channels: int = 2) -> Path:
    rng = np.random.default_rng(7)
    t = np.arange(int(rate * seconds)) / rate
    tone = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(t.size)
    write_audio(Audio(np.tile(tone.astype(np.float32), (channels, 1)), rate), path, "WAV")
    return path


def test_a_wav_is_embedded_as_a_stated_mp3_a_tenth_of_its_size(tmp_path: Path) -> None:
    wav = _song(tmp_path / "song.wav")
    page = build_page(wav, [], tmp_path / "page.html", embed=True)
    html = page.read_text(encoding="utf-8")
    uri = re.search(r'<audio\b[^>]*\bsrc="data:audio/mpeg;base64,([^"]*)"', html)
    assert uri is not None
    mp3 = tmp_path / "embedded.mp3"
    mp3.write_bytes(base64.b64decode(uri.group(1)))
    info = probe_audio(mp3)
    assert info.duration_s == round(info.duration_s, 6) and abs(info.duration_s - 20.0) < 0.2
    kbps = mp3.stat().st_size * 8 / 1000 / info.duration_s
    assert abs(kbps - EMBED_MP3_KBPS) < 10  # the stated constant bitrate
    assert page.stat().st_size < wav.stat().st_size / 5  # was 4/3 of the WAV
    assert f"song.wav (embedded as MP3 {EMBED_MP3_KBPS} kbps (from WAV))" in html


def test_compressed_files_are_embedded_as_they_are(tmp_path: Path) -> None:
    wav = _song(tmp_path / "song.wav", seconds=3.0)
    mp3 = tmp_path / "take.mp3"
    write_audio(read_audio(wav), mp3, "MP3")
    embedded = embed_audio(mp3)
    assert embedded.note is None and embedded.size == mp3.stat().st_size
    assert embedded.href == "data:audio/mpeg;base64," + base64.b64encode(
        mp3.read_bytes()).decode("ascii")


def test_audio_mp3_cannot_hold_becomes_ogg_vorbis(tmp_path: Path) -> None:
    odd = _song(tmp_path / "odd.wav", rate=96000, seconds=2.0, channels=3)
    embedded = embed_audio(odd)
    assert embedded.href.startswith("data:audio/ogg;base64,")
    assert embedded.note == "embedded as OGG Vorbis (from WAV)"
    assert embedded.size < odd.stat().st_size / 4
