"""Fixtures for the node tests: short test audio and torch-free stand-ins for ComfyUI modules.

No ComfyUI stub package is published, so :func:`comfy_stubs` builds the few modules the pack
touches (``comfy.utils``, ``comfy.model_management``, ``server``) with ComfyUI's signatures,
recording what the pack sends.
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest


def tone(seconds: float = 7.0, rate: int = 8000, channels: int = 1) -> Any:
    """A quiet sine tone as an Audio."""
    from minimax_cover.plugin.audio import Audio

    t = np.arange(int(seconds * rate)) / rate
    wave = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return Audio(np.stack([wave] * channels), rate)


@pytest.fixture
def make_tone() -> Any:
    """The :func:`tone` factory (test modules here are not a package)."""
    return tone


@pytest.fixture
def tone_wav(tmp_path: Path) -> Path:
    """A 7-second 8 kHz mono WAV file."""
    from minimax_cover.plugin.audio import write_audio

    path = tmp_path / "tone.wav"
    write_audio(tone(), path, "WAV")
    return path


@pytest.fixture
def comfy_audio() -> dict[str, Any]:
    """A ComfyUI AUDIO dict (numpy waveform, batch of one) of the test tone."""
    from minimax_cover.nodes.audio_bridge import to_comfy_audio

    return to_comfy_audio(tone())


@pytest.fixture(autouse=True)
def _fresh_node_exports() -> Any:
    from minimax_cover import nodes

    nodes._reset_exports()
    yield
    nodes._reset_exports()


@dataclass
class ComfyStubs:
    """What the stubs recorded, and the switch that simulates the Cancel button."""

    texts: list[tuple[str, str]] = field(default_factory=list)
    bars: list[Any] = field(default_factory=list)
    interrupted: bool = False
    module_mm: Any = None

    @property
    def InterruptProcessingException(self) -> type[Exception]:  # noqa: N802
        return self.module_mm.InterruptProcessingException


@pytest.fixture
def comfy_stubs(monkeypatch: pytest.MonkeyPatch) -> ComfyStubs:
    """Install fake ``comfy.utils``, ``comfy.model_management`` and ``server`` modules."""
    rec = ComfyStubs()

    class InterruptProcessingException(Exception):
        pass

    mm = types.ModuleType("comfy.model_management")
    mm.InterruptProcessingException = InterruptProcessingException  # type: ignore[attr-defined]

    def processing_interrupted() -> bool:
        return rec.interrupted

    def throw_exception_if_processing_interrupted() -> None:
        if rec.interrupted:
            rec.interrupted = False
            raise InterruptProcessingException()

    mm.processing_interrupted = processing_interrupted  # type: ignore[attr-defined]
    mm.throw_exception_if_processing_interrupted = (  # type: ignore[attr-defined]
        throw_exception_if_processing_interrupted)
    rec.module_mm = mm

    class ProgressBar:
        def __init__(self, total: int, node_id: str | None = None) -> None:
            self.total, self.node_id, self.values = total, node_id, []
            rec.bars.append(self)

        def update_absolute(self, value: int, total: int | None = None, preview: Any = None
                            ) -> None:
            self.values.append((value, total))

    utils = types.ModuleType("comfy.utils")
    utils.ProgressBar = ProgressBar  # type: ignore[attr-defined]
    comfy = types.ModuleType("comfy")
    comfy.__path__ = []  # type: ignore[attr-defined]
    comfy.utils = utils  # type: ignore[attr-defined]
    comfy.model_management = mm  # type: ignore[attr-defined]

    class PromptServer:
        instance: Any = None

        def send_progress_text(self, text: str, node_id: str, sid: Any = None) -> None:
            rec.texts.append((str(node_id), text))

    PromptServer.instance = PromptServer()
    server = types.ModuleType("server")
    server.PromptServer = PromptServer  # type: ignore[attr-defined]
    for name, module in (("comfy", comfy), ("comfy.utils", utils),
                         ("comfy.model_management", mm), ("server", server)):
        monkeypatch.setitem(sys.modules, name, module)
    return rec
