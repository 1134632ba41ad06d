"""The Preprocess node: the ui the two-step extension draws, the cache across runs, ``fresh``.

Against a MiniMax-compatible double on loopback with a key (not labelled sandbox)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from minimax_cover.nodes.preprocess_node import UI_KEY, MiniMaxCoverPreprocess, waveform_peaks
from minimax_cover.plugin.sandbox.minimax_server import MiniMaxSandbox
from minimax_cover.plugin.spec.model import SECTION_TAGS

MM_KEY = "mm-FAKEKEY-node-dont-leak"


@pytest.fixture
def double(monkeypatch: pytest.MonkeyPatch) -> Iterator[MiniMaxSandbox]:
    sb = MiniMaxSandbox(api_key=MM_KEY, banner=False, labelled=False).start()
    monkeypatch.setenv("MINIMAX_API_URL", sb.url)
    monkeypatch.setenv("MINIMAX_API_KEY", MM_KEY)
    yield sb
    sb.stop()


def test_ui_lyrics_sections_peaks_and_rules(double: MiniMaxSandbox,
                                            comfy_audio: dict[str, Any]) -> None:
    out = MiniMaxCoverPreprocess().preprocess(comfy_audio)
    handle, lyrics, structure = out["result"]
    [info] = out["ui"][UI_KEY]
    assert info["lyrics"] == lyrics == handle.formatted_lyrics and "[Verse 1]" in lyrics
    assert [s["label"] for s in info["sections"]] == ["intro", "verse", "chorus", "outro"]
    assert info["duration"] == pytest.approx(7.0, abs=0.01)
    assert 100 <= len(info["peaks"]) <= 480 and max(info["peaks"]) == pytest.approx(0.3, 0.05)
    assert info["rules"] == {"min": 10, "max": 1000, "tags": list(SECTION_TAGS)}
    assert not info["reused"] and not info["sandbox"] and "preprocessed on MiniMax" in info["note"]
    assert MM_KEY not in str(out["ui"])


def test_second_run_reuses_and_fresh_asks_again(double: MiniMaxSandbox,
                                                comfy_audio: dict[str, Any]) -> None:
    node = MiniMaxCoverPreprocess()
    first = node.preprocess(comfy_audio)["result"][0]
    again = node.preprocess(comfy_audio)
    assert len(double.preprocesses) == 1
    [info] = again["ui"][UI_KEY]
    assert info["reused"] and info["note"].startswith("reused handle from")
    assert again["result"][0].feature_id == first.feature_id
    node.preprocess(comfy_audio, fresh=True)
    assert len(double.preprocesses) == 2


def test_peaks_of_silence_and_short(make_tone: Any) -> None:
    audio = make_tone(0.01, 8000)
    peaks = waveform_peaks(audio, points=480)
    assert len(peaks) == 80 and all(0 <= p <= 1 for p in peaks)


def test_cover_node_renews_a_handle_minimax_forgot(double: MiniMaxSandbox,
                                                   comfy_audio: dict[str, Any]) -> None:
    """The node keeps the song it sent (temp folder): a forgotten handle is made again."""
    from minimax_cover.nodes import cover_node
    from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER

    handle = MiniMaxCoverPreprocess().preprocess(comfy_audio)["result"][0]
    assert handle.song_path and handle.song_path.endswith(".flac")
    double.forget()
    out = cover_node._run_cover(MINIMAX_MUSIC_COVER, "X", audio=None, preprocess=handle,
                                unique_id=None,
                                values={"positivePrompt": "warm acoustic folk cover"})
    assert out[0]["waveform"] is not None
    assert len(double.preprocesses) == 2 and len(double.generations) == 2
