"""The audition and pick nodes: previews and pictures written, the picked take passed on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from minimax_cover.nodes.audio_bridge import from_comfy_audio, to_comfy_audio
from minimax_cover.nodes.audition_nodes import (
    SUBFOLDER,
    UI_KEY,
    MiniMaxCoverAudition,
    MiniMaxCoverPickTake,
    preview_dir,
)
from minimax_cover.plugin.audio import Audio, read_audio
from minimax_cover.plugin.audition.png import png_size
from minimax_cover.plugin.errors import SpecValidationError

SR = 16000


def clip(freq: float, seconds: float) -> Audio:
    t = np.arange(int(SR * seconds)) / SR
    return Audio(np.stack([0.3 * np.sin(2 * np.pi * freq * t)] * 2).astype(np.float32), SR)


@pytest.fixture(autouse=True)
def temp_dir(tmp_path: Path) -> Iterator[Path]:
    """Previews go to the test's own temp folder."""
    from minimax_cover.nodes.folders import use_dirs

    with use_dirs(temp_dir=tmp_path / "temp"):
        yield tmp_path / "temp"


@pytest.fixture
def takes() -> dict:
    return to_comfy_audio([clip(220, 1.0), clip(330, 1.5), clip(440, 0.5)])


def test_pick_take_returns_that_take_without_padding(takes: dict) -> None:
    (out,) = MiniMaxCoverPickTake().pick_take(takes, index=3)
    (only,) = from_comfy_audio(out)
    assert only.num_samples == int(SR * 0.5)  # the batch padding is cut
    expected = from_comfy_audio(takes)[2].samples[:, : only.num_samples]
    assert np.array_equal(only.samples, expected)


@pytest.mark.parametrize("index", [0, 4, "x"])
def test_pick_take_rejects_out_of_range(takes: dict, index: object) -> None:
    with pytest.raises(SpecValidationError, match="index"):
        MiniMaxCoverPickTake().pick_take(takes, index=index)


def test_audition_writes_previews_pictures_and_passes_pick(takes: dict, temp_dir: Path) -> None:
    source = to_comfy_audio(clip(110, 2.0))
    out = MiniMaxCoverAudition().audition(takes, pick=2, source=source, unique_id="7")
    entries = out["ui"][UI_KEY]
    assert [e["label"] for e in entries] == ["Source", "Take 1", "Take 2", "Take 3"]
    assert [e["take"] for e in entries] == [None, 1, 2, 3]
    assert {e["axis"] for e in entries} == {2.0}  # one time axis: the longest clip
    for e in entries:
        assert preview_dir() == temp_dir
        audio = temp_dir / e["audio"]["subfolder"] / e["audio"]["filename"]
        picture = temp_dir / e["picture"]["subfolder"] / e["picture"]["filename"]
        assert e["audio"]["subfolder"] == SUBFOLDER and e["audio"]["type"] == "temp"
        assert read_audio(audio).duration_s == pytest.approx(e["duration"], abs=1e-3)
        assert png_size(picture.read_bytes())[0] >= 300
    assert len(out["ui"]["audio"]) == 3 and out["ui"]["pick"] == [2]
    take, pick, passthrough, measures = out["result"]
    assert pick == 2 and passthrough is takes
    assert [t["rank"] for t in json.loads(measures)["takes"]] != []
    (chosen,) = from_comfy_audio(take)
    assert chosen.duration_s == pytest.approx(1.5)


def test_audition_without_source_and_bad_pick(takes: dict) -> None:
    out = MiniMaxCoverAudition().audition(takes, pick=1)
    assert [e["kind"] for e in out["ui"][UI_KEY]] == ["take"] * 3
    with pytest.raises(SpecValidationError, match="pick"):
        MiniMaxCoverAudition().audition(takes, pick=9)


def test_nodes_are_registered() -> None:
    from minimax_cover.nodes import node_table

    ids = {r.node_id: r.display_name for r in node_table()}
    assert ids["MiniMaxCoverAudition"] == "MiniMax Cover Audition"
    assert ids["MiniMaxCoverPickTake"] == "MiniMax Cover Pick Take"


def test_web_directory_is_exported(repo_root: Path) -> None:
    import minimax_cover

    assert minimax_cover.WEB_DIRECTORY == "./web"
    js = (repo_root / "web" / "audition.js").read_text(encoding="utf-8")
    assert 'from "../../scripts/app.js"' in js and "MiniMaxCoverAudition" in js
    assert "http://" not in js and "https://" not in js


def test_audition_measures_each_take_and_can_pass_on_the_best() -> None:
    from minimax_cover.plugin.measure.synth import RATE, make_case

    case = make_case(11, bars=4)
    source = to_comfy_audio(Audio(case.source, RATE))
    batch = to_comfy_audio([Audio(case.decoy, RATE), Audio(case.cover, RATE)])
    out = MiniMaxCoverAudition().audition(batch, pick=1, source=source, choose="best")
    take, pick, _, text = out["result"]
    assert pick == 2  # the cover, not the decoy the pick widget named
    measures = json.loads(text)
    assert [t["best"] for t in measures["takes"]] == [False, True]
    entries = out["ui"][UI_KEY]
    rows = [e["measures"] for e in entries]
    assert rows[0]["loudnessLUFS"] is not None and "melodyKept" not in rows[0]
    assert rows[2]["melodyKept"] > rows[1]["melodyKept"]
    gains = [r["playbackGainDB"] for r in rows]
    assert max(gains) == 0.0 and all(g <= 0 for g in gains)
    assert out["ui"]["pick"] == [2]
    (scales,) = out["ui"]["minimax_audition_scales"]
    assert [label for label, _ in scales["freq"]][:3] == ["100 Hz", "300", "1 kHz"]
    assert scales["db"][0] == ("0 dB", 0.0) and len(scales["colours"]) >= 2


def test_audition_best_needs_a_source_and_measure_off_measures_nothing(takes: dict) -> None:
    with pytest.raises(SpecValidationError, match="choose"):
        MiniMaxCoverAudition().audition(takes, pick=1, choose="best")
    with pytest.raises(SpecValidationError, match="choose"):
        MiniMaxCoverAudition().audition(takes, pick=1, choose="worst")
    out = MiniMaxCoverAudition().audition(takes, pick=1, measure=False)
    assert out["result"][3] == ""
    assert all(e["measures"] is None for e in out["ui"][UI_KEY])


def test_audition_draws_the_sections_over_the_source(takes: dict) -> None:
    from minimax_cover.plugin.minimax.handle import CoverHandle, Section

    source = to_comfy_audio(clip(110, 2.0))
    handle = CoverHandle("a" * 32, "[Verse]\nla la la la", [Section(0, 0.5, "intro"),
                                                           Section(0.5, 2.0, "chorus")])
    out = MiniMaxCoverAudition().audition(takes, source=source, preprocess=handle)
    entries = out["ui"][UI_KEY]
    assert entries[0]["sections"] == [{"start": 0, "end": 0.5, "label": "intro"},
                                      {"start": 0.5, "end": 2.0, "label": "chorus"}]
    assert all("sections" not in e for e in entries[1:])
    plain = MiniMaxCoverAudition().audition(takes, source=source)
    assert plain["ui"][UI_KEY][0]["sections"] == []
