"""The ComfyUI AUDIO tensor contract with real torch (CPU wheel; run by .ci/run-torch).

Marked ``torch``: deselected in the default run (which has no torch), run by .ci/run-torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.torch


@pytest.fixture
def torch() -> Any:
    """The real torch module (the torch job installs the CPU wheel)."""
    import torch

    return torch


def test_to_comfy_audio_gives_cpu_float32_tensors(make_tone: Any, torch: Any) -> None:
    from minimax_cover.nodes.audio_bridge import to_comfy_audio

    audio = to_comfy_audio([make_tone(), make_tone(seconds=6.5, channels=2)])
    wave = audio["waveform"]
    assert isinstance(wave, torch.Tensor)
    assert wave.dtype == torch.float32 and wave.device.type == "cpu"
    assert tuple(wave.shape) == (2, 2, 56000) and audio["sample_rate"] == 8000


def test_from_comfy_audio_accepts_tensors(torch: Any) -> None:
    from minimax_cover.nodes.audio_bridge import from_comfy_audio

    wave = torch.rand(1, 2, 16000, dtype=torch.float32) - 0.5
    (clip,) = from_comfy_audio({"waveform": wave, "sample_rate": 16000})
    assert clip.channels == 2 and clip.num_samples == 16000
    # half precision and a non-contiguous view are accepted too
    (half,) = from_comfy_audio({"waveform": wave.half().transpose(1, 2).transpose(1, 2),
                                "sample_rate": 16000})
    assert half.num_samples == 16000


def test_cover_node_output_through_runner_is_a_tensor_batch(torch: Any, tone_wav: Path,
                                                            tmp_path: Path) -> None:
    from minimax_cover.nodes.runner import run_workflow

    wf = {
        "1": {"class_type": "LoadAudio", "inputs": {"audio": str(tone_wav)}},
        "2": {"class_type": "MiniMaxMusicCover",
              "inputs": {"audio": ["1", 0], "positivePrompt": "An acoustic folk cover, please",
                         "seed": 9, "numberResults": 2, "outputFormat": "WAV"}},
        "3": {"class_type": "PreviewAudio", "inputs": {"audio": ["2", 0]}},
    }
    result = run_workflow(wf, output_dir=tmp_path)
    loaded = result.runs["1"].outputs[0]["waveform"]
    takes = result.runs["2"].outputs[0]["waveform"]
    assert isinstance(loaded, torch.Tensor) and tuple(loaded.shape)[:2] == (1, 1)
    assert isinstance(takes, torch.Tensor) and takes.dtype == torch.float32
    assert takes.ndim == 3 and takes.shape[0] == 2 and takes.device.type == "cpu"
    assert len(result.ui["3"]["audio"]) == 2
