"""The one table of audio formats."""

from __future__ import annotations

import pytest
from minimax_cover.plugin.audio import READ_FORMATS, WRITE_FORMATS
from minimax_cover.plugin.audio.formats import (
    AUDIO_SUFFIXES,
    FORMATS,
    SOUNDFILE_FORMATS,
    audio_format,
    extension,
    format_for_container,
    format_for_suffix,
    is_lossy,
    mime_type,
)


@pytest.mark.parametrize(("name", "ext", "mime", "lossy"), [
    ("MP3", "mp3", "audio/mpeg", True), ("WAV", "wav", "audio/wav", False),
    ("FLAC", "flac", "audio/flac", False), ("OGG", "ogg", "audio/ogg", True),
    ("M4A", "m4a", "audio/mp4", True),
])
def test_table(name: str, ext: str, mime: str, lossy: bool) -> None:
    assert (extension(name), mime_type(name), is_lossy(name)) == (ext, mime, lossy)
    assert mime_type(ext) == mime_type("." + ext) == mime
    assert format_for_suffix("." + ext).name == name
    assert audio_format(name.lower()) is FORMATS[name]


def test_codec_layer_reads_the_table() -> None:
    assert SOUNDFILE_FORMATS == READ_FORMATS == WRITE_FORMATS == ("WAV", "FLAC", "MP3", "OGG")
    assert format_for_container("mov").name == "M4A" and format_for_container("xyz") is None
    assert ".oga" in AUDIO_SUFFIXES and ".webm" in AUDIO_SUFFIXES
    assert format_for_suffix(".txt") is None and not is_lossy("XYZ")


def test_unknown_names() -> None:
    with pytest.raises(KeyError, match="known: WAV, FLAC"):
        audio_format("XYZ")
    with pytest.raises(KeyError):
        mime_type("txt")
    assert extension("Xyz") == "xyz"


def test_spec_output_formats_are_in_the_table() -> None:
    from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER

    for name in MINIMAX_MUSIC_COVER.field("outputFormat").enum:
        assert name in SOUNDFILE_FORMATS
