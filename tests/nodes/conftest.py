"""Fixtures for the node tests: short test audio and torch-free stand-ins for ComfyUI modules.

No ComfyUI stub package is published, so :func:`comfy_stubs` builds the few modules the pack
touches (``comfy.utils``, ``comfy.model_management``, ``server``, ``folder_paths``) with
ComfyUI's signatures, recording what the pack sends; ``doubles/comfy_api`` stands in for the V3
API (:func:`comfy_api`). Every file a node writes lands in the test's ``tmp_path``: the
autouse :func:`_node_folders` sets the run's output and temp folders, and the ``folder_paths``
double points ComfyUI's input/output/temp folders there too.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

#: Folder holding the ``comfy_api`` test double (put it on ``sys.path``/``PYTHONPATH``).
DOUBLES = Path(__file__).resolve().parent / "doubles"


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


@pytest.fixture(autouse=True)
def _node_folders(tmp_path: Path) -> Any:
    """Outside ComfyUI, nodes save to ``tmp_path/output`` and write temp files (previews,
    downloaded takes) to ``tmp_path/temp``: nothing lands in the system temp folder or ./output."""
    from minimax_cover.nodes.folders import use_dirs

    with use_dirs(output_dir=tmp_path / "output", temp_dir=tmp_path / "temp"):
        yield


@pytest.fixture
def comfy_api_path() -> Path:
    """The folder to put on ``PYTHONPATH`` so ``comfy_api.latest`` imports the test double."""
    return DOUBLES


@pytest.fixture
def comfy_api(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``comfy_api.latest`` (the test double) importable in this process, removed afterwards."""
    monkeypatch.syspath_prepend(str(DOUBLES))
    try:
        yield importlib.import_module("comfy_api.latest")
    finally:
        for name in [m for m in sys.modules if m == "comfy_api" or m.startswith("comfy_api.")]:
            del sys.modules[name]


@dataclass
class ComfyFolders:
    """ComfyUI's input, output and temp folders as the ``folder_paths`` double reports them."""

    input: Path
    output: Path
    temp: Path


def _folder_paths_module(folders: ComfyFolders) -> types.ModuleType:
    """A ``folder_paths`` double with ComfyUI's function names and signatures."""
    fp = types.ModuleType("folder_paths")

    def get_annotated_filepath(name: str, default_dir: str | None = None) -> str:
        base = {"[output]": folders.output, "[temp]": folders.temp}
        for tag, folder in base.items():
            if name.endswith(f" {tag}"):
                return os.path.join(folder, name[: -len(tag) - 1])
        return os.path.join(default_dir or folders.input, name.removesuffix(" [input]"))

    def get_save_image_path(filename_prefix: str, output_dir: str, image_width: int = 0,
                            image_height: int = 0) -> tuple[str, str, int, str, str]:
        subfolder, filename = os.path.split(os.path.normpath(filename_prefix))
        full = os.path.join(output_dir, subfolder)
        if os.path.commonpath((os.path.abspath(output_dir), os.path.abspath(full))) != \
                os.path.abspath(output_dir):
            raise Exception("Saving image outside the output folder is not allowed.")
        pattern = re.compile(rf"^{re.escape(filename)}_(\d+)_")
        found = [int(m.group(1)) for f in (os.listdir(full) if os.path.isdir(full) else [])
                 if (m := pattern.match(f))]
        os.makedirs(full, exist_ok=True)
        return full, filename, max(found, default=0) + 1, subfolder, filename_prefix

    fp.get_input_directory = lambda: str(folders.input)  # type: ignore[attr-defined]
    fp.get_output_directory = lambda: str(folders.output)  # type: ignore[attr-defined]
    fp.get_temp_directory = lambda: str(folders.temp)  # type: ignore[attr-defined]
    fp.get_annotated_filepath = get_annotated_filepath  # type: ignore[attr-defined]
    fp.get_save_image_path = get_save_image_path  # type: ignore[attr-defined]
    return fp


@pytest.fixture
def comfy_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ComfyFolders:
    """Install a ``folder_paths`` double whose folders live under ``tmp_path/comfyui``."""
    root = tmp_path / "comfyui"
    folders = ComfyFolders(root / "input", root / "output", root / "temp")
    for folder in (folders.input, folders.output, folders.temp):
        folder.mkdir(parents=True)
    monkeypatch.setitem(sys.modules, "folder_paths", _folder_paths_module(folders))
    return folders


@dataclass
class ComfyStubs:
    """What the stubs recorded, and the switch that simulates the Cancel button."""

    texts: list[tuple[str, str]] = field(default_factory=list)
    bars: list[Any] = field(default_factory=list)
    interrupted: bool = False
    module_mm: Any = None
    folders: ComfyFolders | None = None

    @property
    def InterruptProcessingException(self) -> type[Exception]:  # noqa: N802
        return self.module_mm.InterruptProcessingException


@pytest.fixture
def comfy_stubs(monkeypatch: pytest.MonkeyPatch, comfy_folders: ComfyFolders) -> ComfyStubs:
    """Install fake ``comfy.utils``, ``comfy.model_management``, ``server`` and (through
    :func:`comfy_folders`) ``folder_paths`` modules, as inside a running ComfyUI."""
    rec = ComfyStubs(folders=comfy_folders)

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
