"""`minimax-cover cover`: the request file, the options and --lyrics-file merge per object."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from minimax_cover.plugin.cli.common import output_formats, split_output
from minimax_cover.plugin.cli.cover_cmd import _add_cover_parser, _read_request
from minimax_cover.plugin.errors import SpecValidationError
from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    _add_cover_parser(parser.add_subparsers(), MINIMAX_MUSIC_COVER, "cover")
    return parser.parse_args(["cover", "song.wav", *argv])


def test_options_merge_into_nested_objects_of_the_request_file(tmp_path: Path) -> None:
    path = tmp_path / "request.json"
    path.write_text(json.dumps({"positivePrompt": "from the file, long enough",
                                "audioSettings": {"sampleRate": 44100},
                                "settings": {"lyrics": "[Inst] from the file"}}))
    lyrics = tmp_path / "lyrics.txt"
    lyrics.write_text("[Verse]\nfrom the lyrics file\n")
    request = _read_request(_parse("--request", str(path), "--bitrate", "192",
                                   "--lyrics-file", str(lyrics), "--prompt", "from the option"))
    assert request == {"positivePrompt": "from the option",
                       "audioSettings": {"sampleRate": 44100, "bitrate": 192},
                       "settings": {"lyrics": "[Verse]\nfrom the lyrics file"},
                       "includeCost": True, "deliveryMethod": "async"}


def test_request_file_must_be_one_object(tmp_path: Path) -> None:
    path = tmp_path / "request.json"
    path.write_text("[1, 2]")
    with pytest.raises(SpecValidationError, match="--request: must hold one JSON object"):
        _read_request(_parse("--request", str(path)))


@pytest.mark.parametrize(("output", "folder", "stem"), [
    ("covers", "covers", None), ("covers/take.flac", "covers", "take"),
    ("covers/take.OGA", "covers", "take"), ("covers/v1.2", "covers/v1.2", None),
    ("take.m4a", "take.m4a", None),  # not an output format: a folder name
])
def test_output_file_or_folder(output: str, folder: str, stem: str | None) -> None:
    formats = output_formats(MINIMAX_MUSIC_COVER)
    assert split_output(Path(output), formats) == (Path(folder), stem)
