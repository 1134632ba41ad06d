"""The generated cover node: contract attributes, validation, caching, runs against the sandbox,
progress and interrupts (ComfyUI modules replaced by the stubs in conftest)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from minimax_cover.nodes.cover_node import NodeInputError, make_cover_node, node_id_for
from minimax_cover.plugin.errors import Interrupted
from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER

PROMPT = "Warm lo-fi jazz cover with brushed drums"
NODE = make_cover_node(MINIMAX_MUSIC_COVER)


def test_contract_attributes() -> None:
    assert node_id_for(MINIMAX_MUSIC_COVER) == "MiniMaxMusicCover" == NODE.NODE_ID
    assert NODE.RETURN_TYPES == ("AUDIO", "INT", "FLOAT", "STRING", "STRING")
    assert NODE.RETURN_NAMES == ("audio", "seed", "cost", "request_json", "response_json")
    assert NODE.CATEGORY == "audio/MiniMax Cover"
    assert NODE.OUTPUT_NODE is False and NODE.FUNCTION == "run"
    assert NODE.DESCRIPTION and not getattr(NODE, "API_NODE", False)
    assert callable(getattr(NODE(), NODE.FUNCTION))


def test_other_models_get_prefixed_ids() -> None:
    import dataclasses

    spec = dataclasses.replace(MINIMAX_MUSIC_COVER, model_id="acme:cover@2", slug="acme-cover-2")
    assert node_id_for(spec) == "MiniMaxCover_acme_cover_2"


def test_validate_inputs_accepts_defaults_and_linked_values() -> None:
    assert NODE.VALIDATE_INPUTS(positivePrompt=PROMPT, seed=5, numberResults=2,
                                outputFormat="MP3", audio=None) is True
    # a linked prompt arrives as None and is not judged yet
    assert NODE.VALIDATE_INPUTS(positivePrompt=None, seed=5, audio=None) is True


@pytest.mark.parametrize(("values", "expected"), [
    ({"positivePrompt": "too short"}, "positivePrompt: "),
    ({"positivePrompt": PROMPT, "numberResults": 5}, "numberResults: must be at most 4"),
    ({"positivePrompt": PROMPT, "seed": 1_000_001}, "seed: must be at most 1000000"),
    ({"positivePrompt": PROMPT, "outputFormat": "AAC"}, "outputFormat: must be one of"),
    ({"positivePrompt": PROMPT, "lyrics": "short"}, "lyrics: "),
    ({"positivePrompt": PROMPT, "ttl": 30}, "ttl: must be at least 60"),
    ({"positivePrompt": PROMPT, "outputFormat": "WAV", "bitrate": 128}, "audioSettings"),
    ({"positivePrompt": PROMPT, "webhookURL": "not a url"}, "webhookURL"),
])
def test_validate_inputs_names_the_parameter(values: dict[str, Any], expected: str) -> None:
    verdict = NODE.VALIDATE_INPUTS(**values)
    assert isinstance(verdict, str) and expected in verdict, verdict
    assert "\n" not in verdict


def test_is_changed_is_stable_and_never_nan() -> None:
    a = NODE.IS_CHANGED(positivePrompt=PROMPT, seed=1, numberResults=1, audio=None)
    b = NODE.IS_CHANGED(numberResults=1, seed=1, positivePrompt=PROMPT, audio=None)
    c = NODE.IS_CHANGED(positivePrompt=PROMPT, seed=2, numberResults=1, audio=None)
    assert a == b != c
    assert isinstance(a, str) and not (isinstance(a, float) and math.isnan(a))


def test_run_against_sandbox_returns_a_batch(comfy_audio: dict[str, Any]) -> None:
    audio, seed, cost, request_json, response_json = NODE().run(
        audio=comfy_audio, positivePrompt=PROMPT, seed=11, numberResults=2, outputFormat="WAV",
        includeCost=True, unique_id="7")
    wave = audio["waveform"]
    assert wave.shape[0] == 2 and wave.ndim == 3 and wave.shape[1] in (1, 2)
    assert str(wave.dtype) == "float32" and audio["sample_rate"] > 0
    assert seed == 11
    assert isinstance(cost, float) and cost >= 0.0
    request = json.loads(request_json)
    assert request["numberResults"] == 2 and request["positivePrompt"] == PROMPT
    assert "apiKey" not in request_json and "Authorization" not in request_json
    assert len(json.loads(response_json)) == 2


def test_the_same_inputs_are_reused_from_the_journal_and_again_pays(
        comfy_stubs: Any, comfy_audio: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ComfyUI's cache (another workflow ran, a restart), the same inputs with a fixed
    seed are served from the journal's saved takes; the ``again`` toggle pays once more."""
    from minimax_cover.plugin.sandbox import Sandbox

    with Sandbox(api_key="rw-NODE-reuse", log=False) as sb:
        monkeypatch.setenv("RUNWARE_API_URL", sb.url)
        monkeypatch.setenv("RUNWARE_API_KEY", sb.api_key)
        values = dict(positivePrompt=PROMPT, seed=5, numberResults=1, outputFormat="WAV")
        first = NODE().run(audio=comfy_audio, unique_id="1", **values)
        again = NODE().run(audio=comfy_audio, unique_id="2", **values)  # a new node instance
        assert sb.submissions() == 1
        assert again[0]["waveform"].shape == first[0]["waveform"].shape and again[1] == 5
        assert "reused" in comfy_stubs.texts[-1][1]
        NODE().run(audio=comfy_audio, unique_id="3", again=True, **values)
        assert sb.submissions() == 2
    assert NODE.IS_CHANGED(again=True, **values) != NODE.IS_CHANGED(again=True, **values)


def test_takes_are_downloaded_to_the_temp_folder(comfy_audio: dict[str, Any],
                                                tmp_path: Any) -> None:
    NODE().run(audio=comfy_audio, positivePrompt=PROMPT, seed=2, outputFormat="WAV")
    assert [p.suffix for p in (tmp_path / "temp" / "minimax-cover").iterdir()] == [".wav"]


def test_run_reports_progress_and_sandbox(comfy_stubs: Any, comfy_audio: dict[str, Any]) -> None:
    NODE().run(audio=comfy_audio, positivePrompt=PROMPT, seed=3, numberResults=1,
               outputFormat="MP3", includeCost=True, unique_id="12")
    # inside ComfyUI the takes go to ComfyUI's temp folder
    assert list((comfy_stubs.folders.temp / "minimax-cover").glob("*.mp3"))
    assert comfy_stubs.texts and all(nid == "12" for nid, _ in comfy_stubs.texts)
    final = comfy_stubs.texts[-1][1]
    assert "Status: done, 1 take" in final and "Time elapsed:" in final and "SANDBOX" in final
    assert comfy_stubs.bars and comfy_stubs.bars[-1].values


def test_batch_of_two_songs_is_an_error(make_tone: Any) -> None:
    from minimax_cover.nodes.audio_bridge import to_comfy_audio

    batch = to_comfy_audio([make_tone(), make_tone()])
    with pytest.raises(NodeInputError, match="audio: one clip per run") as info:
        NODE().run(audio=batch, positivePrompt=PROMPT, seed=1)
    assert isinstance(info.value, ValueError)


def test_bad_widget_value_raises_a_one_line_value_error(comfy_audio: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"^MiniMaxMusicCover: positivePrompt: ") as info:
        NODE().run(audio=comfy_audio, positivePrompt="short", seed=1)
    assert "\n" not in str(info.value)


def test_missing_audio_is_named(comfy_audio: dict[str, Any]) -> None:
    with pytest.raises(NodeInputError, match="audio: connect an AUDIO input"):
        NODE().run(positivePrompt=PROMPT, seed=1)


def test_interrupt_raises_comfyui_interrupt_and_keeps_the_task(
        comfy_stubs: Any, comfy_audio: dict[str, Any]) -> None:
    comfy_stubs.interrupted = True  # the user pressed Cancel
    with pytest.raises(comfy_stubs.InterruptProcessingException) as info:
        NODE().run(audio=comfy_audio, positivePrompt=PROMPT, seed=1, deliveryMethod="async",
                   unique_id="3")
    cause = info.value.__cause__ or info.value.__context__
    assert isinstance(cause, Interrupted) and cause.task_uuid
    assert comfy_stubs.interrupted is False  # ComfyUI's one-shot flag was consumed
    assert "resumable" in comfy_stubs.texts[-1][1]
    from minimax_cover.plugin.journal.store import Journal

    assert Journal().get(cause.task_uuid) is not None


def test_interrupt_outside_comfyui_reraises_ours(comfy_audio: dict[str, Any],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from minimax_cover.nodes import host

    monkeypatch.setattr(host.NodeReporter, "should_cancel", lambda self: True)
    with pytest.raises(Interrupted):
        NODE().run(audio=comfy_audio, positivePrompt=PROMPT, seed=1, deliveryMethod="async")


def test_preprocess_handle_replaces_audio_and_lyrics_override() -> None:
    captured: dict[str, Any] = {}

    class Handle:
        audio_input = "https://example.com/song.mp3"
        backend = "unknown-backend"
        formatted_lyrics = "[Verse]\nheard lyrics line"

    from minimax_cover.nodes import cover_node

    def fake_cover(source: Any, **kwargs: Any) -> Any:
        captured["source"], captured["kwargs"] = source, kwargs
        raise Interrupted("stop here")

    import minimax_cover.plugin.jobs.pipeline as pipeline

    mp = pytest.MonkeyPatch()
    mp.setattr(pipeline, "cover", fake_cover)
    try:
        with pytest.raises(Interrupted):
            cover_node._run_cover(MINIMAX_MUSIC_COVER, "X", audio=None, preprocess=Handle(),
                                  unique_id=None, values={"positivePrompt": PROMPT})
        assert isinstance(captured["source"], Handle)
        assert captured["kwargs"]["request"]["settings"]["lyrics"] == "[Verse]\nheard lyrics line"
        with pytest.raises(Interrupted):
            cover_node._run_cover(MINIMAX_MUSIC_COVER, "X", audio=None, preprocess=Handle(),
                                  unique_id=None,
                                  values={"positivePrompt": PROMPT, "lyrics": "[Chorus] my own"})
        assert captured["kwargs"]["request"]["settings"]["lyrics"] == "[Chorus] my own"
    finally:
        mp.undo()
