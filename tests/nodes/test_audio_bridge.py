"""Tests of the ComfyUI AUDIO bridge, without torch (numpy path and a duck-typed fake tensor)."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from typing import Any

import numpy as np
import pytest
from minimax_cover.nodes.audio_bridge import from_comfy_audio, to_comfy_audio
from minimax_cover.plugin.audio import Audio
from minimax_cover.plugin.errors import AudioError

SR = 44100


def take(seconds: float, channels: int = 2, rate: int = SR, seed: int = 0) -> Audio:
    rng = np.random.default_rng(seed)
    return Audio(rng.uniform(-0.5, 0.5, (channels, int(seconds * rate))), rate)


@pytest.fixture(autouse=True)
def _no_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "torch", raising=False)


def test_batch_pads_and_widens_mono() -> None:
    takes = [take(0.2, seed=1), take(0.1, channels=1, seed=2), take(0.15, seed=3)]
    out = to_comfy_audio(takes)
    wave = out["waveform"]
    assert isinstance(wave, np.ndarray)
    assert wave.shape == (3, 2, takes[0].num_samples)
    assert wave.dtype == np.float32 and wave.flags.c_contiguous
    assert out["sample_rate"] == SR
    n1, n2 = takes[1].num_samples, takes[2].num_samples
    np.testing.assert_array_equal(wave[1, 0, :n1], takes[1].samples[0])
    np.testing.assert_array_equal(wave[1, 1, :n1], takes[1].samples[0])  # mono duplicated
    assert not wave[1, :, n1:].any() and not wave[2, :, n2:].any()  # zero-padded at the end
    np.testing.assert_array_equal(wave[0], takes[0].samples)


def test_single_take_and_round_trip() -> None:
    one = take(0.05)
    out = to_comfy_audio(one)
    assert out["waveform"].shape == (1, 2, one.num_samples)
    back = from_comfy_audio(out)
    assert len(back) == 1 and back[0].sample_rate == SR
    np.testing.assert_array_equal(back[0].samples, one.samples)
    assert not np.shares_memory(back[0].samples, out["waveform"])  # a copy


def test_batch_round_trip() -> None:
    takes = [take(0.1, seed=i) for i in range(3)]
    back = from_comfy_audio(to_comfy_audio(takes))
    assert [a.num_samples for a in back] == [t.num_samples for t in takes]
    for a, t in zip(back, takes, strict=True):
        np.testing.assert_array_equal(a.samples, t.samples)


def test_rates_are_brought_to_the_highest() -> None:
    out = to_comfy_audio([take(0.1, rate=22050), take(0.1, rate=44100)])
    assert out["sample_rate"] == 44100
    assert out["waveform"].shape == (2, 2, 4410)


def test_incompatible_channel_counts() -> None:
    with pytest.raises(AudioError, match=r"audio\[1\]: cannot batch 2 channels with 6"):
        to_comfy_audio([take(0.01, channels=6), take(0.01, channels=2)])


@pytest.mark.parametrize(
    ("items", "match"),
    [([], "empty list"), ([take(0.01), "x"], r"audio\[1\]: expected an Audio")],
)
def test_to_comfy_audio_rejects(items: list, match: str) -> None:
    with pytest.raises(AudioError, match=match):
        to_comfy_audio(items)


def test_two_dimensional_waveform_is_one_item() -> None:
    items = from_comfy_audio({"waveform": np.zeros((2, 100), np.float32), "sample_rate": SR})
    assert len(items) == 1 and items[0].samples.shape == (2, 100)


@pytest.mark.parametrize(
    ("audio", "message"),
    [
        (
            {"waveform": np.zeros(2, np.float32), "sample_rate": SR},
            "audio.waveform: expected 3 dimensions [batch, channels, samples] (got shape (2,))",
        ),
        (
            {"waveform": np.zeros((1, 1, 2, 3), np.float32), "sample_rate": SR},
            "audio.waveform: expected 3 dimensions [batch, channels, samples] "
            "(got shape (1, 1, 2, 3))",
        ),
        (
            {"waveform": np.zeros((0, 2, 10), np.float32), "sample_rate": SR},
            "audio.waveform: batch, channels and samples must all be non-zero "
            "(got shape (0, 2, 10))",
        ),
        (
            {"waveform": np.zeros((1, 2, 10), np.int16), "sample_rate": SR},
            "audio.waveform: expected floating-point samples (got dtype int16)",
        ),
        (
            {"waveform": [[[0.0]]], "sample_rate": SR},
            "audio.waveform: expected a torch.Tensor or numpy.ndarray (got list)",
        ),
        ({"waveform": np.zeros((1, 2, 10))}, "audio: missing key 'sample_rate'"),
        ({}, "audio: missing key 'waveform', 'sample_rate'"),
        (
            {"waveform": np.zeros((1, 2, 10)), "sample_rate": 0},
            "audio.sample_rate: expected a positive integer (got 0)",
        ),
        (
            {"waveform": np.zeros((1, 2, 10)), "sample_rate": 44100.0},
            "audio.sample_rate: expected a positive integer (got 44100.0)",
        ),
        (
            {"waveform": np.zeros((1, 2, 10)), "sample_rate": True},
            "audio.sample_rate: expected a positive integer (got True)",
        ),
        (None, "audio: expected a dict with 'waveform' and 'sample_rate' (got NoneType)"),
    ],
)
def test_from_comfy_audio_validates(audio: Any, message: str) -> None:
    with pytest.raises(AudioError) as info:
        from_comfy_audio(audio)
    assert str(info.value) == message


def test_numpy_float64_is_converted() -> None:
    (item,) = from_comfy_audio({"waveform": np.ones((1, 1, 5)), "sample_rate": np.int32(8000)})
    assert item.samples.dtype == np.float32 and item.sample_rate == 8000


class FakeTensor:
    """Just enough of torch.Tensor for the bridge's duck typing."""

    def __init__(self, array: np.ndarray, device: str = "cpu") -> None:
        self.array = array
        self.device = device
        self.dtype = array.dtype
        self.calls: list[str] = []

    def detach(self) -> FakeTensor:
        self.calls.append("detach")
        return self

    def cpu(self) -> FakeTensor:
        self.calls.append("cpu")
        return FakeTensor(self.array, "cpu")

    def float(self) -> FakeTensor:
        return FakeTensor(self.array.astype(np.float32))

    def numpy(self) -> np.ndarray:
        return self.array

    def is_complex(self) -> bool:
        return False


def test_tensor_path_with_torch_already_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_torch = types.ModuleType("torch")
    fake_torch.from_numpy = FakeTensor  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch", fake_torch)
    takes = [take(0.05, seed=1), take(0.02, channels=1, seed=2)]
    out = to_comfy_audio(takes)
    assert isinstance(out["waveform"], FakeTensor)
    assert out["waveform"].array.shape == (2, 2, takes[0].num_samples)
    back = from_comfy_audio(out)
    np.testing.assert_array_equal(back[0].samples, takes[0].samples)


def test_tensor_is_read_by_duck_typing() -> None:
    tensor = FakeTensor(np.zeros((2, 1, 50), dtype=np.float16), device="cuda:0")
    items = from_comfy_audio({"waveform": tensor, "sample_rate": 24000})
    assert tensor.calls == ["detach", "cpu"]
    assert [i.samples.shape for i in items] == [(1, 50), (1, 50)]
    assert items[0].samples.dtype == np.float32


def test_imports_do_not_load_torch() -> None:
    code = (
        "import sys, minimax_cover.plugin.audio, minimax_cover.nodes.audio_bridge; "
        "print('torch' in sys.modules)"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "False"
