"""The two-step cover: preprocess -> edit lyrics -> cover, end to end against MiniMaxSandbox."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.audio import probe_audio
from minimax_cover.plugin.errors import (
    InsufficientCreditsError,
    InvalidParameterError,
    SpecValidationError,
)
from minimax_cover.plugin.hooks.registry import make_registry
from minimax_cover.plugin.jobs.pipeline import cover
from minimax_cover.plugin.minimax.handle import (
    FEATURE_VALIDITY_S,
    CoverHandle,
    Section,
    feature_id_from_input,
    parse_structure,
)
from minimax_cover.plugin.sandbox.minimax_server import MiniMaxFault, MiniMaxSandbox

KEY = "mm-twostep-FAKEKEY-1234"
PROMPT = "slow piano ballad, soft female vocal"


@pytest.fixture
def sb() -> Iterator[MiniMaxSandbox]:
    with MiniMaxSandbox(api_key=KEY, banner=False) as server:
        yield server


def _options(sb: MiniMaxSandbox) -> dict[str, Any]:
    return {"api_key": KEY, "base_url": sb.url}


def _preprocess(sb: MiniMaxSandbox, song: bytes) -> CoverHandle:
    backend = make_registry(entry_points=False).backend("minimax", **_options(sb))
    try:
        return backend.preprocess(song)
    finally:
        backend.close()


# --------------------------------------------------------------------------- the handle


def test_structure_parsing_is_safe() -> None:
    raw = json.dumps({"num_segments": 3, "segments": [
        {"start": 0, "end": 15.5, "label": "Intro"}, {"start": "x", "end": 2},
        {"start": 15.5, "end": 45.2, "label": "verse"}, "junk"]})
    assert parse_structure(raw) == [Section(0.0, 15.5, "intro"), Section(15.5, 45.2, "verse")]
    assert parse_structure("{not json") == [] and parse_structure("") == []
    assert parse_structure(None) == [] and parse_structure('"text"') == []


def test_handle_audio_input_and_round_trip() -> None:
    handle = CoverHandle("A1B2C3D4E5F67890ABCDEF1234567890", "[Verse 1]\nla la la la",
                         [Section(0, 15.5, "intro")], 90.0, created_at=1000.0)
    assert handle.audio_input == "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
    assert feature_id_from_input(handle.audio_input) == "a1b2c3d4e5f67890abcdef1234567890"
    assert handle.expires_at == 1000.0 + FEATURE_VALIDITY_S and handle.expired
    again = CoverHandle.from_dict(json.loads(json.dumps(handle.to_dict())))
    assert again == handle
    assert CoverHandle.from_dict(json.dumps(handle.to_dict())) == handle


def test_handle_with_odd_feature_id_fails_clearly() -> None:
    with pytest.raises(SpecValidationError, match="32 hex characters"):
        _ = CoverHandle("feat-123", "").audio_input
    with pytest.raises(SpecValidationError, match="feature_id"):
        CoverHandle.from_dict({"lyrics": "x"})


# --------------------------------------------------------------------------- end to end


def test_two_step_flow(sb: MiniMaxSandbox, song_wav: bytes, tmp_path: Path) -> None:
    handle = _preprocess(sb, song_wav)
    assert handle.formatted_lyrics.startswith("[Verse 1]")
    assert handle.audio_duration_s == pytest.approx(7.0, abs=0.05)
    assert [s.label for s in handle.structure] == ["intro", "verse", "chorus", "outro"]
    assert handle.structure[-1].end_s == pytest.approx(7.0, abs=0.05)
    assert time.time() < handle.expires_at

    edited = handle.formatted_lyrics.replace("[Chorus]", "[Chorus]\nA brand new line we added")
    result = cover(handle, prompt=PROMPT, lyrics=edited, number_results=2, seed=3,
                   backend="minimax", backend_options=_options(sb), output_dir=tmp_path,
                   journal=False)
    assert result.backend == "minimax" and result.sandbox
    assert [o.seed for o in result.outputs] == [3, 4]
    for out in result.outputs:
        info = probe_audio(out.path)
        assert info.format == "MP3" and info.duration_s == pytest.approx(7.0, abs=0.2)
    sent = sb.generations
    assert len(sent) == 2 and {b["lyrics"] for b in sent} == {edited}
    assert {b["cover_feature_id"] for b in sent} == {handle.feature_id}
    assert [p for p, _ in sb.requests].count("/v1/music_cover_preprocess") == 1


def test_handle_from_saved_json_defaults_backend(sb: MiniMaxSandbox, song_wav: bytes,
                                                 tmp_path: Path) -> None:
    saved = tmp_path / "handle.json"
    saved.write_text(json.dumps(_preprocess(sb, song_wav).to_dict()))
    handle = CoverHandle.from_dict(json.loads(saved.read_text()))
    result = cover(handle, prompt=PROMPT, lyrics="[Verse]\nnew words for the song",
                   output_format="WAV", backend_options=_options(sb),
                   output_dir=tmp_path / "out", journal=False)
    assert result.backend == "minimax"
    assert probe_audio(result.files[0]).format == "WAV"


@pytest.mark.parametrize(("code", "error"), [(1008, InsufficientCreditsError),
                                             (2013, InvalidParameterError)])
def test_errors_are_mapped(sb: MiniMaxSandbox, song_wav: bytes, tmp_path: Path, code: int,
                           error: type) -> None:
    handle = _preprocess(sb, song_wav)
    sb.faults.append(MiniMaxFault(code, "generation"))
    with pytest.raises(error, match=str(code)):
        cover(handle, prompt=PROMPT, lyrics="[Verse]\nnew words for the song",
              backend="minimax", backend_options=_options(sb), output_dir=tmp_path,
              journal=False)
    assert len(sb.generations) == 1 and not list(tmp_path.glob("*.mp3"))


def test_spec_validation_before_anything_is_sent(sb: MiniMaxSandbox, song_wav: bytes,
                                                 tmp_path: Path) -> None:
    handle = _preprocess(sb, song_wav)
    with pytest.raises(SpecValidationError, match="positivePrompt"):
        cover(handle, prompt="short", backend="minimax", backend_options=_options(sb),
              output_dir=tmp_path, journal=False)
    assert sb.generations == []


# --------------------------------------------------------------------------- CLI


def test_cli_preprocess(song_wav: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                        ) -> None:
    from minimax_cover.plugin.cli import main

    song = tmp_path / "song.wav"
    song.write_bytes(song_wav)
    out = tmp_path / "handle.json"
    lyrics = tmp_path / "lyrics.txt"
    assert main(["preprocess", str(song), "-o", str(out), "--lyrics-out", str(lyrics)]) == 0
    captured = capsys.readouterr()
    assert "SANDBOX" in captured.err  # no MINIMAX_API_KEY: the in-process sandbox, said so
    assert "[Verse 1]" in captured.out and "chorus" in captured.out
    handle = CoverHandle.from_dict(json.loads(out.read_text()))
    assert handle.sandbox and lyrics.read_text().startswith("[Verse 1]")

    assert main(["preprocess", str(song), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["feature_id"] == handle.feature_id and doc["structure"][0]["label"] == "intro"

    # a later in-process sandbox still knows the feature id (kept in the user data dir)
    result = cover(handle, prompt=PROMPT, lyrics=lyrics.read_text().strip(),
                   output_dir=tmp_path / "covers", journal=False)
    assert result.sandbox and result.files[0].exists()


def test_cli_preprocess_refuses_short_song(make_tone: Any, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from minimax_cover.plugin.cli import main

    song = tmp_path / "short.wav"
    song.write_bytes(make_tone(2.0, 8000, "WAV"))
    assert main(["preprocess", str(song)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "6" in err


def test_preprocess_node_is_registered() -> None:
    import numpy as np

    nodes = {node_id: cls for node_id, cls, _ in make_registry(entry_points=False).node_classes()}
    node = nodes["MiniMaxCoverPreprocess"]
    assert node.RETURN_TYPES == ("MINIMAX_COVER_PREPROCESS", "STRING", "STRING")
    t = np.arange(16000 * 7, dtype=np.float32) / 16000
    wave = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)[None, None]
    handle, lyrics, structure = node().preprocess({"waveform": wave,
                                                    "sample_rate": 16000})["result"]
    assert isinstance(handle, CoverHandle) and handle.sandbox
    assert lyrics == handle.formatted_lyrics
    assert [s["label"] for s in json.loads(structure)] == ["intro", "verse", "chorus", "outro"]
