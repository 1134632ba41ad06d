"""Torch-free audio nodes: load a file to AUDIO, save or preview AUDIO as files.

They decode and encode with the pack's audio layer (soundfile, PyAV for M4A), so they run in the
headless runner without torch; inside ComfyUI they use ``folder_paths`` for the input, output
and temp folders, as ComfyUI's ``LoadAudio``/``SaveAudio``/``PreviewAudio`` do. The runner also
maps those core ids to these classes (:data:`CORE_ALIASES`) so ComfyUI's stock audio templates
run headless.

Outside ComfyUI, where files go is set per run with :func:`use_dirs` (the runner does this):
relative load paths are searched in ``input_dirs``; saves go to ``output_dir`` (default
``./output``), previews to a temp folder.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import os
import random
import string
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..plugin.errors import AudioError

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
_EXT = {"FLAC": "flac", "WAV": "wav", "MP3": "mp3", "OGG": "ogg"}
_AUDIO_EXT = (".wav", ".flac", ".mp3", ".ogg", ".oga", ".m4a", ".aac", ".mp4", ".opus", ".webm")

_input_dirs: contextvars.ContextVar[tuple[Path, ...]] = contextvars.ContextVar(
    "minimax_cover_input_dirs", default=()
)
_output_dir: contextvars.ContextVar[Path | None] = contextvars.ContextVar(
    "minimax_cover_output_dir", default=None
)


@contextlib.contextmanager
def use_dirs(
    *, input_dirs: Sequence[str | os.PathLike[str]] = (),
    output_dir: str | os.PathLike[str] | None = None,
) -> Iterator[None]:
    """Within the block, resolve relative load paths in ``input_dirs`` and save to
    ``output_dir`` (headless hosts; ComfyUI's own folders win inside ComfyUI)."""
    t1 = _input_dirs.set(tuple(Path(d) for d in input_dirs))
    t2 = _output_dir.set(Path(output_dir) if output_dir is not None else None)
    try:
        yield
    finally:
        _input_dirs.reset(t1)
        _output_dir.reset(t2)


def _folder_paths() -> Any | None:
    try:
        import folder_paths
    except Exception:  # not inside ComfyUI
        return None
    return folder_paths


def _resolve_input(name: str) -> Path:
    """The file a load node's ``audio`` value names; :class:`AudioError` if it is missing."""
    fp = _folder_paths()
    if fp is not None and hasattr(fp, "get_annotated_filepath"):
        candidate = Path(fp.get_annotated_filepath(name))
        if candidate.is_file():
            return candidate
    path = Path(name).expanduser()
    if path.is_file():
        return path
    if not path.is_absolute():
        for base in _input_dirs.get():
            if (base / path).is_file():
                return base / path
    searched = ", ".join(str(d) for d in _input_dirs.get()) or "the current directory"
    raise AudioError(f"audio: file not found: {name!r} (searched {searched})", path=name)


def _input_files() -> list[str]:
    fp = _folder_paths()
    if fp is None:
        return []
    folder = fp.get_input_directory()
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted(n for n in names if n.lower().endswith(_AUDIO_EXT)
                  and os.path.isfile(os.path.join(folder, n)))


class MiniMaxCoverLoadAudio:
    """Load an audio file (WAV, FLAC, MP3, OGG; M4A with PyAV) as AUDIO, without torch."""

    CATEGORY = CATEGORY
    FUNCTION = "load"
    RETURN_TYPES = ("AUDIO",)
    RETURN_NAMES = ("audio",)
    DESCRIPTION = "Load an audio file as AUDIO (torch-free decoding)."

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:  # noqa: N802 (ComfyUI's name)
        if _folder_paths() is not None:
            return {"required": {"audio": (_input_files(), {
                "audio_upload": True, "tooltip": "An audio file in ComfyUI's input folder."})}}
        return {"required": {"audio": ("STRING", {
            "default": "", "tooltip": "Path of an audio file (relative paths are looked up in "
                                      "the workflow's folder and the current directory)."})}}

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
    fp = _folder_paths()
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


class MiniMaxCoverSaveAudio:
    """Save every clip of an AUDIO batch as a file (FLAC, WAV, MP3 or OGG), without torch."""

    CATEGORY = CATEGORY
    FUNCTION = "save"
    OUTPUT_NODE = True
    RETURN_TYPES = ("STRING",)
    RETURN_NAMES = ("paths_json",)
    DESCRIPTION = "Save AUDIO to the output folder, one file per batch item (torch-free)."
    TYPE = "output"
    PREFIX_APPEND = ""
    DEFAULT_PREFIX = "audio/MiniMaxCover"

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:  # noqa: N802
        return {
            "required": {
                "audio": ("AUDIO", {"tooltip": "The audio to save (every batch item)."}),
                "filename_prefix": ("STRING", {"default": cls.DEFAULT_PREFIX, "tooltip":
                                               "File name prefix; may include a subfolder."}),
                "format": (list(SAVE_FORMATS), {"default": "FLAC", "tooltip":
                                                "FLAC/WAV lossless, MP3/OGG compressed."}),
            },
            "hidden": {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"},
        }

    def base_dir(self) -> Path:
        """The output folder: ComfyUI's, the runner's, or ``./output``."""
        fp = _folder_paths()
        if fp is not None:
            return Path(fp.get_output_directory())
        return _output_dir.get() or Path.cwd() / "output"

    def save(self, audio: Any, filename_prefix: str = DEFAULT_PREFIX, format: str = "FLAC",
             prompt: Any = None, extra_pnginfo: Any = None) -> dict[str, Any]:
        """Write each clip as ``<prefix>_<counter:05>_.<ext>``; return the ``ui`` file list."""
        from ..plugin.audio import write_audio
        from .audio_bridge import from_comfy_audio

        fmt = str(format).upper()
        if fmt not in _EXT:
            raise AudioError(f"format: must be one of {', '.join(SAVE_FORMATS)} (got {format!r})")
        clips = from_comfy_audio(audio)
        folder, stem, counter, subfolder = _save_target(
            (filename_prefix or self.DEFAULT_PREFIX) + self.PREFIX_APPEND, self.base_dir())
        items, paths = [], []
        for index, clip in enumerate(clips):
            name = stem.replace("%batch_num%", str(index))
            file = f"{name}_{counter:05}_.{_EXT[fmt]}"
            write_audio(clip, folder / file, fmt)
            items.append({"filename": file, "subfolder": subfolder, "type": self.TYPE})
            paths.append(str((folder / file).resolve()))
            counter += 1
        return {"ui": {"audio": items}, "result": (json.dumps(paths),)}


class MiniMaxCoverPreviewAudio(MiniMaxCoverSaveAudio):
    """Preview AUDIO in the node (FLAC files in the temp folder), without torch."""

    RETURN_TYPES = ()
    RETURN_NAMES = ()
    DESCRIPTION = "Play AUDIO in the node; files go to the temp folder (torch-free)."
    FUNCTION = "preview"
    TYPE = "temp"
    DEFAULT_PREFIX = "MiniMaxCover"

    def __init__(self) -> None:
        self.PREFIX_APPEND = "_temp_" + "".join(random.choice(string.ascii_lowercase)
                                                for _ in range(5))

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:  # noqa: N802
        return {"required": {"audio": ("AUDIO", {"tooltip": "The audio to play."})},
                "hidden": {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"}}

    def base_dir(self) -> Path:
        """ComfyUI's temp folder, or ``<system temp>/minimax_cover_preview``."""
        fp = _folder_paths()
        if fp is not None:
            return Path(fp.get_temp_directory())
        return Path(tempfile.gettempdir()) / "minimax_cover_preview"

    def preview(self, audio: Any, prompt: Any = None, extra_pnginfo: Any = None
                ) -> dict[str, Any]:
        """Save as FLAC to the temp folder; return the ``ui`` file list only."""
        out = self.save(audio, self.DEFAULT_PREFIX, "FLAC")
        return {"ui": out["ui"], "result": ()}


class _CoreSaveAudio(MiniMaxCoverSaveAudio):
    """ComfyUI's ``SaveAudio`` inputs (no format widget: FLAC), for headless templates."""

    RETURN_TYPES = ()
    RETURN_NAMES = ()
    DEFAULT_PREFIX = "audio/ComfyUI"
    FUNCTION = "save_flac"

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:  # noqa: N802
        return {"required": {"audio": ("AUDIO", {}),
                             "filename_prefix": ("STRING", {"default": cls.DEFAULT_PREFIX})},
                "hidden": {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"}}

    def save_flac(self, audio: Any, filename_prefix: str = DEFAULT_PREFIX, prompt: Any = None,
                  extra_pnginfo: Any = None) -> dict[str, Any]:
        """Save as FLAC like ComfyUI's SaveAudio."""
        out = self.save(audio, filename_prefix, "FLAC")
        return {"ui": out["ui"], "result": ()}


#: ``(node_id, class, display_name)`` of the audio nodes (registered by builtins/nodes.py).
AUDIO_NODES: list[tuple[str, type, str]] = [
    ("MiniMaxCoverLoadAudio", MiniMaxCoverLoadAudio, "Load Audio (MiniMax Cover)"),
    ("MiniMaxCoverSaveAudio", MiniMaxCoverSaveAudio, "Save Audio (MiniMax Cover)"),
    ("MiniMaxCoverPreviewAudio", MiniMaxCoverPreviewAudio, "Preview Audio (MiniMax Cover)"),
]

#: ComfyUI core node ids the headless runner accepts, mapped to torch-free stand-ins.
CORE_ALIASES: dict[str, type] = {
    "LoadAudio": MiniMaxCoverLoadAudio,
    "SaveAudio": _CoreSaveAudio,
    "PreviewAudio": MiniMaxCoverPreviewAudio,
}
