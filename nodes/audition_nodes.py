"""Audition nodes: hear and see every take against the source, pick one, pass it on.

``MiniMax Cover Audition`` (:class:`MiniMaxCoverAudition`) takes the cover node's AUDIO batch and,
optionally, the source song. It writes each clip as a FLAC preview and a picture (waveform above
a spectrogram, one time axis for all, :mod:`~..plugin.audition.pictures`) to the temp folder and
returns them as ``ui["minimax_audition"]``, which the pack's frontend extension
(``web/audition.js``) shows as players with A/B switching and a *Pick* button per take. Picking
sets the node's ``pick`` widget; queueing again passes that take on through the ``take`` output
(the cover node is cached, so nothing is paid twice). Without the extension the node is a plain
node: set ``pick`` by hand.

``MiniMax Cover Pick Take`` (:class:`MiniMaxCoverPickTake`) does the picking alone: AUDIO batch
and a 1-based index in, one take out, for workflows that choose by number.

The Audition node also measures every take on the CPU (:mod:`~..plugin.measure`: melody kept
against the source, loudness, true peak, clipping, rank), shows the measures per take and plays
A/B at matched loudness; ``choose = best`` passes on the take that kept the most melody, and
the ``measures`` output carries them all as JSON.

Both are torch-free; the zero padding ComfyUI batches need is cut from the end of each take.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from ..plugin.errors import SpecValidationError, Violation

__all__ = ["AUDITION_NODES", "MAX_TAKES", "UI_KEY", "MiniMaxCoverAudition",
           "MiniMaxCoverPickTake", "preview_dir"]

CATEGORY = "audio/MiniMax Cover"
#: The ``ui`` key the frontend extension reads.
UI_KEY = "minimax_audition"
#: Subfolder of the temp folder the previews go to.
SUBFOLDER = "minimax_cover_audition"
MAX_TAKES = 16
#: How the Audition node chooses the take it passes on.
CHOICES = ("pick", "best")


def preview_dir() -> Path:
    """ComfyUI's temp folder inside ComfyUI, else the run's (``use_dirs``) or
    ``<system temp>/minimax-cover`` (:func:`~.folders.temp_directory`)."""
    from .folders import temp_directory

    return temp_directory()


def _trim(audio: Any) -> Any:
    """The clip without trailing exact-zero samples (the padding of a batch)."""
    import numpy as np

    from ..plugin.audio import Audio

    samples = audio.samples
    nonzero = np.flatnonzero(np.any(samples != 0, axis=0))
    end = int(nonzero[-1]) + 1 if nonzero.size else samples.shape[1]
    if end == samples.shape[1]:
        return audio
    return Audio(samples[:, :max(end, 1)], audio.sample_rate)


def _takes(audio: Any, name: str = "takes") -> list[Any]:
    from .audio_bridge import from_comfy_audio

    clips = [_trim(c) for c in from_comfy_audio(audio)]
    if not clips:
        raise SpecValidationError([Violation(name, "an AUDIO batch with at least one clip",
                                             has_value=False)])
    return clips


def _check_pick(pick: Any, count: int, name: str) -> int:
    try:
        index = int(pick)
    except (TypeError, ValueError):
        raise SpecValidationError([Violation(name, "a whole number", pick)]) from None
    if not 1 <= index <= count:
        raise SpecValidationError([Violation(
            name, f"between 1 and {count} (the number of takes in the batch)", index)])
    return index


class MiniMaxCoverPickTake:
    """Pass one take of an AUDIO batch on (1 = the first take)."""

    CATEGORY = CATEGORY
    FUNCTION = "pick_take"
    RETURN_TYPES = ("AUDIO",)
    RETURN_NAMES = ("take",)
    OUTPUT_TOOLTIPS = ("The chosen take alone (batch of one, padding cut).",)
    DESCRIPTION = "Pick one take of a batch by number (1 = first), e.g. the cover node's takes."

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:  # noqa: N802 (ComfyUI's name)
        return {"required": {
            "takes": ("AUDIO", {"tooltip": "The takes, e.g. the cover node's audio output."}),
            "index": ("INT", {"default": 1, "min": 1, "max": MAX_TAKES,
                              "tooltip": "Which take to pass on (1 = the first)."}),
        }}

    def pick_take(self, takes: Any, index: int = 1) -> tuple[dict[str, Any]]:
        """Return the ``index``-th take (1-based) as AUDIO."""
        from .audio_bridge import to_comfy_audio

        clips = _takes(takes)
        return (to_comfy_audio(clips[_check_pick(index, len(clips), "index") - 1]),)


class MiniMaxCoverAudition:
    """See and hear every take against the source (A/B at the same position), pick the best."""

    CATEGORY = CATEGORY
    FUNCTION = "audition"
    OUTPUT_NODE = True
    RETURN_TYPES = ("AUDIO", "INT", "AUDIO", "STRING")
    RETURN_NAMES = ("take", "pick", "takes", "measures")
    OUTPUT_TOOLTIPS = (
        "The picked take alone (padding cut): wire it into Save Audio or the next step.",
        "The picked take's number (1-based).",
        "Every take, unchanged (to save them all).",
        "The measures as JSON: {source, takes: [{melodyKept, loudnessLUFS, truePeakDBTP, "
        "rank, best, playbackGainDB, ...}]} (empty when measure is off).",
    )
    DESCRIPTION = (
        "Shows the source and every take with a waveform + spectrogram (one time axis), a "
        "player each and A/B switching at the same position; 'Pick' sets the pick widget. "
        "Queue again to pass the picked take on: the cover node is cached, nothing is paid "
        "twice. Without the pack's web extension: set pick by hand.")

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:  # noqa: N802
        return {
            "required": {
                "takes": ("AUDIO", {"tooltip": "The takes, e.g. the cover node's audio."}),
                "pick": ("INT", {"default": 1, "min": 1, "max": MAX_TAKES, "tooltip":
                                 "The take passed on (1 = first). The Pick buttons set it."}),
            },
            "optional": {
                "source": ("AUDIO", {"tooltip": "The song that was covered, to compare "
                                                "against (first clip of a batch)."}),
                "preprocess": ("MINIMAX_COVER_PREPROCESS", {"tooltip":
                               "The Preprocess node's handle: the song's sections are drawn "
                               "over the source's picture."}),
                "choose": (list(CHOICES), {"default": "pick", "tooltip":
                           "pick: pass on the take the pick widget names; best: the take "
                           "that kept the most of the source's melody (needs source and "
                           "measure)."}),
                "measure": ("BOOLEAN", {"default": True, "tooltip":
                            "Measure every take on the CPU: melody kept against the source, "
                            "loudness (LUFS), true peak, clipping, rank; A/B at matched "
                            "loudness."}),
            },
            "hidden": {"unique_id": "UNIQUE_ID"},
        }

    def audition(self, takes: Any, pick: int = 1, source: Any = None, choose: str = "pick",
                 measure: bool = True, unique_id: Any = None,
                 preprocess: Any = None) -> dict[str, Any]:
        """Write previews and pictures; return the ``ui`` list and the picked take."""
        from ..plugin.audio import write_audio
        from ..plugin.audition.pictures import picture_png
        from .audio_bridge import to_comfy_audio

        clips = _takes(takes)
        index = _check_pick(pick, len(clips), "pick")
        if choose not in CHOICES:
            raise SpecValidationError([Violation("choose", f"one of {', '.join(CHOICES)}",
                                                 choose)])
        song = _takes(source, "source")[0] if source is not None else None
        measured = _measure(song, clips) if measure else None
        if choose == "best":
            if measured is None or measured.best is None:
                raise SpecValidationError([Violation(
                    "choose", "best needs the source input and measure on", choose)])
            index = measured.best + 1
        rows = _measure_rows(measured, song is not None, len(clips))
        tracks: list[tuple[str, int | None, Any]] = []  # (label, take number, clip)
        if song is not None:
            tracks.append(("Source", None, song))
        tracks += [(f"Take {i}", i, clip) for i, clip in enumerate(clips, 1)]
        axis = max(c.duration_s for _, _, c in tracks)
        folder = preview_dir() / SUBFOLDER
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"audition_{secrets.token_hex(4)}"
        entries, audio_items = [], []
        for n, (label, take, clip) in enumerate(tracks):
            name = f"{stem}_{n}"
            write_audio(clip, folder / f"{name}.flac", "FLAC")
            (folder / f"{name}.png").write_bytes(picture_png(clip, axis_seconds=axis))
            audio = {"filename": f"{name}.flac", "subfolder": SUBFOLDER, "type": "temp"}
            entries.append({
                "label": label, "kind": "source" if take is None else "take", "take": take,
                "audio": audio,
                "picture": {"filename": f"{name}.png", "subfolder": SUBFOLDER, "type": "temp"},
                "duration": round(clip.duration_s, 3), "axis": round(axis, 3),
                "sample_rate": clip.sample_rate, "channels": clip.channels,
                "measures": rows[n],
            })
            if take is None:
                entries[-1]["sections"] = _sections(preprocess)
            else:
                audio_items.append(audio)
        ui = {UI_KEY: entries, "audio": audio_items, "pick": [index],
              "minimax_audition_scales": [_scales()]}
        chosen = clips[index - 1]
        text = "" if measured is None else json.dumps(measured.to_json())
        return {"ui": ui, "result": (to_comfy_audio(chosen), index, takes, text)}


def _scales() -> dict[str, Any]:
    """The pictures' axis marks and colour scale, for the panel (same as the page's)."""
    from ..plugin.audition.page import scale_marks
    from ..plugin.audition.pictures import PictureStyle, colour_stops

    style = PictureStyle()
    return {**scale_marks(style), "colours": [list(c) for c in colour_stops()],
            "floorDB": style.floor_db, "topDB": style.top_db}


def _measure(song: Any, clips: list[Any]) -> Any:
    """The takes' measures against ``song`` (or alone): a ``Comparison``."""
    from ..plugin.measure import compare_takes

    return compare_takes(song, clips)


def _measure_rows(measured: Any, has_source: bool, takes: int) -> list[dict[str, Any] | None]:
    """One JSON row per track (source first), ``None`` each when nothing was measured."""
    if measured is None:
        return [None] * (takes + has_source)
    rows: list[dict[str, Any] | None] = []
    if has_source and measured.source is not None:
        rows.append(measured.source.to_json(take=False))
    return rows + [t.to_json() for t in measured.takes]


def _sections(handle: Any) -> list[dict[str, Any]]:
    """The sections of a two-step handle as ``[{start, end, label}]`` (none: empty)."""
    return [s.to_dict() for s in getattr(handle, "structure", None) or []]


#: ``(node_id, class, display_name)`` registered by ``nodes/plugin.py``.
AUDITION_NODES: list[tuple[str, type, str]] = [
    ("MiniMaxCoverAudition", MiniMaxCoverAudition, "MiniMax Cover Audition"),
    ("MiniMaxCoverPickTake", MiniMaxCoverPickTake, "MiniMax Cover Pick Take"),
]
