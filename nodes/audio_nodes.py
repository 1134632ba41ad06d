"""Torch-free audio nodes: load a file to AUDIO, save or preview AUDIO as files.

They decode and encode with the pack's audio layer (soundfile, PyAV for M4A), so they run in the
headless runner without torch; inside ComfyUI they use ``folder_paths`` for the input, output
and temp folders, as ComfyUI's ``LoadAudio``/``SaveAudio``/``PreviewAudio`` do. The runner also
maps those core ids to these classes (:data:`CORE_ALIASES`) so ComfyUI's stock audio templates
run headless. Each class's inputs and outputs are a neutral definition (``node_definition``)
that both the V1 attributes and the V3 schema are built from; none is an API node.

Outside ComfyUI, where files go is set per run with :func:`~.folders.use_dirs` (the runner does
this): relative load paths are searched in ``input_dirs``; saves go to ``output_dir`` (default
``./output``), previews to ``temp_dir`` (default ``<system temp>/minimax-cover``).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import string
from pathlib import Path
from typing import Any

from ..plugin.audio.formats import AUDIO_SUFFIXES, extension
from ..plugin.errors import AudioError
from .definition import DefinedNode, InputDef, NodeDef, OutputDef
from .folders import comfy_folder_paths, input_dirs, output_directory, temp_directory, use_dirs

__all__ = [
    "AUDIO_NODES",
    "CORE_ALIASES",
    "MiniMaxCoverLoadAudio",
    "MiniMaxCoverPreviewAudio",
    "MiniMaxCoverSaveAudio",
    "use_dirs",
]

CATEGORY = "audio/MiniMax Cover"
SAVE_FORMATS = ("FLAC", "WAV", "MP3", "OGG")

_HIDDEN_SAVE = {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"}


def _resolve_input(name: str) -> Path:
    """The file a load node's ``audio`` value names; :class:`AudioError` if it is missing."""
    fp = comfy_folder_paths()
    if fp is not None and hasattr(fp, "get_annotated_filepath"):
        candidate = Path(fp.get_annotated_filepath(name))
        if candidate.is_file():
            return candidate
    path = Path(name).expanduser()
    if path.is_file():
        return path
    if not path.is_absolute():
        for base in input_dirs():
            if (base / path).is_file():
                return base / path
    searched = ", ".join(str(d) for d in input_dirs()) or "the current directory"
    raise AudioError(f"audio: file not found: {name!r} (searched {searched})", path=name)


def _input_files() -> list[str]:
    fp = comfy_folder_paths()
    if fp is None:
        return []
    folder = fp.get_input_directory()
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted(n for n in names if n.lower().endswith(AUDIO_SUFFIXES)
                  and os.path.isfile(os.path.join(folder, n)))


class MiniMaxCoverLoadAudio(DefinedNode):
    """Load an audio file (WAV, FLAC, MP3, OGG; M4A with PyAV) as AUDIO, without torch."""

    FUNCTION = "load"

    @classmethod
    def node_definition(cls) -> NodeDef:
        """Inside ComfyUI a combo of the input folder's audio files with an upload button
        (listed on every call); outside it a path."""
        if comfy_folder_paths() is not None:
            audio = InputDef("audio", "COMBO", "An audio file in ComfyUI's input folder.",
                             choices=tuple(_input_files()), upload="audio")
        else:
            audio = InputDef("audio", "STRING", "Path of an audio file (relative paths are "
                             "looked up in the workflow's folder and the current directory).",
                             default="")
        return NodeDef("MiniMaxCoverLoadAudio", "Load Audio (MiniMax Cover)", CATEGORY,
                       description="Load an audio file as AUDIO (torch-free decoding).",
                       inputs=(audio,), outputs=(OutputDef(
                           "AUDIO", "audio", "The decoded file: a batch of one [1, C, T]."),))

    @classmethod
    def VALIDATE_INPUTS(cls, audio: Any = None) -> bool | str:  # noqa: N802
        if audio is None:
            return True
        try:
            _resolve_input(str(audio))
        except AudioError as exc:
            return str(exc)
        return True

    @classmethod
    def IS_CHANGED(cls, audio: Any = None) -> str:  # noqa: N802
        try:
            path = _resolve_input(str(audio))
        except AudioError:
            return ""
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()

    def load(self, audio: str) -> tuple[dict[str, Any]]:
        """Decode the file into ``{"waveform": [1, C, T], "sample_rate": int}``."""
        from ..plugin.audio import read_audio
        from .audio_bridge import to_comfy_audio

        return (to_comfy_audio(read_audio(_resolve_input(str(audio)))),)


def _next_counter(folder: Path, stem: str) -> int:
    prefix = f"{stem}_"
    highest = 0
    for entry in folder.glob(f"{stem}_*_.*"):
        middle = entry.name[len(prefix):].split("_", 1)[0]
        if middle.isdigit():
            highest = max(highest, int(middle))
    return highest + 1


def _save_target(prefix: str, base: Path) -> tuple[Path, str, int, str]:
    """``(folder, stem, counter, subfolder)`` for a ``filename_prefix`` under ``base``."""
    fp = comfy_folder_paths()
    if fp is not None and hasattr(fp, "get_save_image_path"):
        folder, stem, counter, subfolder, _ = fp.get_save_image_path(prefix, str(base))
        return Path(folder), stem, counter, subfolder
    rel = Path(prefix)
    if rel.is_absolute() or ".." in rel.parts:
        raise AudioError(f"filename_prefix: must be a relative path inside the output folder "
                         f"(got {prefix!r})")
    subfolder = str(rel.parent) if str(rel.parent) != "." else ""
    folder = base / subfolder
    folder.mkdir(parents=True, exist_ok=True)
    return folder, rel.name, _next_counter(folder, rel.name), subfolder


class MiniMaxCoverSaveAudio(DefinedNode):
    """Save every clip of an AUDIO batch as a file (FLAC, WAV, MP3 or OGG), without torch."""

    FUNCTION = "save"
    TYPE = "output"
    PREFIX_APPEND = ""
    DEFAULT_PREFIX = "audio/MiniMaxCover"

    @classmethod
    def node_definition(cls) -> NodeDef:
        """AUDIO, a file name prefix and a format in; the saved paths (JSON) out."""
        return NodeDef(
            "MiniMaxCoverSaveAudio", "Save Audio (MiniMax Cover)", CATEGORY,
            description="Save AUDIO to the output folder, one file per batch item (torch-free).",
            inputs=(
                InputDef("audio", "AUDIO", "The audio to save (every batch item)."),
                InputDef("filename_prefix", "STRING", "File name prefix; may include a "
                         "subfolder.", default=cls.DEFAULT_PREFIX),
                InputDef("format", "COMBO", "FLAC/WAV lossless, MP3/OGG compressed.",
                         default="FLAC", choices=tuple(SAVE_FORMATS)),
            ),
            outputs=(OutputDef("STRING", "paths_json",
                               "The saved files' absolute paths, as a JSON list."),),
            hidden=_HIDDEN_SAVE, is_output_node=True)

    def base_dir(self) -> Path:
        """The output folder: ComfyUI's, the runner's, or ``./output``."""
        return output_directory()

    def save(self, audio: Any, filename_prefix: str = DEFAULT_PREFIX, format: str = "FLAC",
             prompt: Any = None, extra_pnginfo: Any = None) -> dict[str, Any]:
        """Write each clip as ``<prefix>_<counter:05>_.<ext>``; return the ``ui`` file list."""
        from ..plugin.audio import write_audio
        from .audio_bridge import from_comfy_audio

        fmt = str(format).upper()
        if fmt not in SAVE_FORMATS:
            raise AudioError(f"format: must be one of {', '.join(SAVE_FORMATS)} (got {format!r})")
        clips = from_comfy_audio(audio)
        folder, stem, counter, subfolder = _save_target(
            (filename_prefix or self.DEFAULT_PREFIX) + self.PREFIX_APPEND, self.base_dir())
        items, paths = [], []
        for index, clip in enumerate(clips):
            name = stem.replace("%batch_num%", str(index))
            file = f"{name}_{counter:05}_.{extension(fmt)}"
            write_audio(clip, folder / file, fmt)
            items.append({"filename": file, "subfolder": subfolder, "type": self.TYPE})
            paths.append(str((folder / file).resolve()))
            counter += 1
        return {"ui": {"audio": items}, "result": (json.dumps(paths),)}


class MiniMaxCoverPreviewAudio(MiniMaxCoverSaveAudio):
    """Preview AUDIO in the node (FLAC files in the temp folder), without torch."""

    FUNCTION = "preview"
    TYPE = "temp"
    DEFAULT_PREFIX = "MiniMaxCover"

    def __init__(self) -> None:
        self.PREFIX_APPEND = "_temp_" + "".join(random.choice(string.ascii_lowercase)
                                                for _ in range(5))

    @classmethod
    def node_definition(cls) -> NodeDef:
        """AUDIO in, nothing out: an output node whose ``ui`` plays the files."""
        return NodeDef(
            "MiniMaxCoverPreviewAudio", "Preview Audio (MiniMax Cover)", CATEGORY,
            description="Play AUDIO in the node; files go to the temp folder (torch-free).",
            inputs=(InputDef("audio", "AUDIO", "The audio to play."),),
            hidden=_HIDDEN_SAVE, is_output_node=True)

    def base_dir(self) -> Path:
        """The temp folder: ComfyUI's, the runner's, or ``<system temp>/minimax-cover``."""
        return temp_directory()

    def preview(self, audio: Any, prompt: Any = None, extra_pnginfo: Any = None
                ) -> dict[str, Any]:
        """Save as FLAC to the temp folder; return the ``ui`` file list only."""
        out = self.save(audio, self.DEFAULT_PREFIX, "FLAC")
        return {"ui": out["ui"], "result": ()}


class _CoreSaveAudio(MiniMaxCoverSaveAudio):
    """ComfyUI's ``SaveAudio`` inputs (no format widget: FLAC), for headless templates."""

    DEFAULT_PREFIX = "audio/ComfyUI"
    FUNCTION = "save_flac"

    @classmethod
    def node_definition(cls) -> NodeDef:
        """ComfyUI's ``SaveAudio``: AUDIO and a prefix in, nothing out."""
        return NodeDef(
            "SaveAudio", "Save Audio", CATEGORY,
            description="Save AUDIO as FLAC to the output folder (torch-free stand-in).",
            inputs=(InputDef("audio", "AUDIO"),
                    InputDef("filename_prefix", "STRING", default=cls.DEFAULT_PREFIX)),
            hidden=_HIDDEN_SAVE, is_output_node=True)

    def save_flac(self, audio: Any, filename_prefix: str = DEFAULT_PREFIX, prompt: Any = None,
                  extra_pnginfo: Any = None) -> dict[str, Any]:
        """Save as FLAC like ComfyUI's SaveAudio."""
        out = self.save(audio, filename_prefix, "FLAC")
        return {"ui": out["ui"], "result": ()}


def _row(cls: type[DefinedNode]) -> tuple[str, type, str]:
    node = cls.node_definition()
    return (node.node_id, cls, node.display_name)


#: ``(node_id, class, display_name)`` of the audio nodes (registered by nodes/plugin.py).
AUDIO_NODES: list[tuple[str, type, str]] = [
    _row(MiniMaxCoverLoadAudio), _row(MiniMaxCoverSaveAudio), _row(MiniMaxCoverPreviewAudio)]

#: ComfyUI core node ids the headless runner accepts, mapped to torch-free stand-ins.
CORE_ALIASES: dict[str, type] = {
    "LoadAudio": MiniMaxCoverLoadAudio,
    "SaveAudio": _CoreSaveAudio,
    "PreviewAudio": MiniMaxCoverPreviewAudio,
}
