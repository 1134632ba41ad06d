"""Sync results: every outputType and outputFormat, real audio, seeds and determinism."""

from __future__ import annotations

import base64
import time

import numpy as np
import pytest
import requests
from minimax_cover.plugin.audio import Audio, read_audio, sniff_format
from minimax_cover.plugin.sandbox import Sandbox
from minimax_cover.plugin.sandbox.synth import derive_seed, result_seeds, transform
from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER
from sandbox_support import KEY, PROMPT, TIMEOUT, cover_task, make_clip, post, upload

MIME = {"MP3": "audio/mpeg", "WAV": "audio/wav", "FLAC": "audio/flac", "OGG": "audio/ogg"}


def fetch(item: dict) -> bytes:
    """The bytes of a result item, whatever its outputType."""
    if "audioURL" in item:
        r = requests.get(item["audioURL"], timeout=TIMEOUT)
        assert r.status_code == 200
        assert r.headers["X-Sandbox"] == "true"
        return r.content
    if "audioDataURI" in item:
        header, _, payload = item["audioDataURI"].partition(",")
        assert header.endswith(";base64")
        return base64.b64decode(payload)
    return base64.b64decode(item["audioBase64Data"])


def rms(audio: Audio) -> float:
    return float(np.sqrt(np.mean(audio.samples.astype(np.float64) ** 2)))


@pytest.mark.parametrize("output_type", ["URL", "dataURI", "base64Data"])
@pytest.mark.parametrize("fmt", ["MP3", "WAV", "FLAC", "OGG"])
def test_sync_result_per_type_and_format(sandbox: Sandbox, media: str, clip: Audio,
                                         output_type: str, fmt: str) -> None:
    task = cover_task(media, outputType=output_type, outputFormat=fmt, includeCost=True)
    r = post(sandbox, [task])
    assert r.status_code == 200, r.text
    (item,) = r.json()["data"]
    field = {"URL": "audioURL", "dataURI": "audioDataURI", "base64Data": "audioBase64Data"}
    assert set(item) == {"taskType", "taskUUID", "audioUUID", "seed", "cost", "sandbox",
                         field[output_type]}
    assert item["taskType"] == "audioInference"
    assert item["taskUUID"] == task["taskUUID"]
    assert item["sandbox"] is True
    assert item["cost"] == MINIMAX_MUSIC_COVER.price_per_result_usd == 0.15  # the spec's price
    if output_type == "URL":
        assert item["audioURL"].endswith(f"/results/{item['audioUUID']}.{fmt.lower()}")
        assert requests.get(item["audioURL"], timeout=TIMEOUT).headers["Content-Type"] == MIME[fmt]
    if output_type == "dataURI":
        assert item["audioDataURI"].startswith(f"data:{MIME[fmt]};base64,")
    data = fetch(item)
    assert sniff_format(data) == fmt
    out = read_audio(data)
    assert abs(out.duration_s - clip.duration_s) <= 0.010
    assert rms(out) > 0.05  # clearly audible, not silence


def test_cost_only_with_include_cost(sandbox: Sandbox, media: str) -> None:
    (item,) = post(sandbox, [cover_task(media, outputFormat="WAV")]).json()["data"]
    assert "cost" not in item


def test_output_is_a_transformation_not_a_copy(sandbox: Sandbox, media: str,
                                               clip: Audio) -> None:
    (item,) = post(sandbox, [cover_task(media, outputFormat="WAV")]).json()["data"]
    out = read_audio(fetch(item))
    assert out.num_samples == clip.num_samples
    assert out.sample_rate == clip.sample_rate
    assert not np.allclose(out.samples, clip.samples, atol=1e-3)
    corr = np.corrcoef(out.samples[0], clip.samples[0])[0, 1]
    assert abs(corr) < 0.95


def test_results_with_different_seeds_differ(sandbox: Sandbox, media: str) -> None:
    task = cover_task(media, outputFormat="WAV", numberResults=3, seed=41)
    items = post(sandbox, [task]).json()["data"]
    assert [i["seed"] for i in items] == [41, 42, 43]
    assert len({i["audioUUID"] for i in items}) == 3
    decoded = [read_audio(fetch(i)).samples for i in items]
    assert not np.allclose(decoded[0], decoded[1], atol=1e-3)
    assert not np.allclose(decoded[1], decoded[2], atol=1e-3)


def test_same_seed_input_prompt_give_identical_wav(sandbox: Sandbox, media: str) -> None:
    first = post(sandbox, [cover_task(media, outputFormat="WAV", seed=7)]).json()["data"][0]
    again = post(sandbox, [cover_task(media, outputFormat="WAV", seed=7)]).json()["data"][0]
    other = post(sandbox, [cover_task(media, outputFormat="WAV", seed=7,
                                      positivePrompt="dark synthwave, heavy bass")])
    assert fetch(first) == fetch(again)
    assert fetch(first) != fetch(other.json()["data"][0])


def test_seed_drawn_from_task_uuid_when_absent(sandbox: Sandbox, media: str) -> None:
    task = cover_task(media, outputFormat="WAV", numberResults=2)
    items = post(sandbox, [task]).json()["data"]
    expected = result_seeds(None, task["taskUUID"], 2)
    assert [i["seed"] for i in items] == expected
    assert expected[0] == derive_seed(task["taskUUID"], 2)
    # in the range the model accepts back, so a reported seed can be sent again
    assert all(0 <= s <= 1_000_000 for s in expected)
    assert expected == [expected[0], expected[0] + 1]


def test_audio_settings_for_lossy_formats(sandbox: Sandbox, media: str) -> None:
    task = cover_task(media, outputFormat="MP3",
                      audioSettings={"sampleRate": 22050, "channels": 2, "bitrate": 64})
    (item,) = post(sandbox, [task]).json()["data"]
    out = read_audio(fetch(item))
    assert (out.sample_rate, out.channels) == (22050, 2)
    ogg = cover_task(media, outputFormat="OGG", audioSettings={"channels": 2})
    out = read_audio(fetch(post(sandbox, [ogg]).json()["data"][0]))
    assert out.channels == 2


def test_input_by_url_of_a_previous_result(sandbox: Sandbox, media: str, clip: Audio) -> None:
    (first,) = post(sandbox, [cover_task(media, outputFormat="FLAC")]).json()["data"]
    r = post(sandbox, [cover_task(first["audioURL"], outputFormat="WAV")])
    assert r.status_code == 200, r.text
    out = read_audio(fetch(r.json()["data"][0]))
    assert abs(out.duration_s - clip.duration_s) <= 0.010


def test_sync_waits_for_latency_once_for_all_results(clip_wav: bytes) -> None:
    with Sandbox(api_key=KEY, latency_s=0.3, log=False) as sb:
        ref = upload(sb, clip_wav)
        start = time.monotonic()
        r = post(sb, [cover_task(ref, outputFormat="WAV", numberResults=3)])
        elapsed = time.monotonic() - start
    assert r.status_code == 200 and len(r.json()["data"]) == 3
    assert 0.3 <= elapsed < 0.9  # results run "in parallel": one latency, not three


def test_transform_keeps_length_and_channels() -> None:
    # its speed is a benchmark's business (bench/), not a wall-clock limit in a test
    clip = make_clip(10.0, 44100)
    stereo = Audio(np.stack([clip.samples[0], clip.samples[0] * 0.5]), 44100)
    for seed in range(3):
        out = transform(stereo, PROMPT, seed)
        assert out.samples.shape == stereo.samples.shape


def test_silent_input_still_gives_sound() -> None:
    silent = Audio(np.zeros(16000 * 6, dtype=np.float32), 16000)
    out = transform(silent, PROMPT, 3)
    assert rms(out) > 0.01
