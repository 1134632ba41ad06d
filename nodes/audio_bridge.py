"""Bridge between ComfyUI's ``AUDIO`` type and :class:`~minimax_cover.plugin.audio.Audio`.

ComfyUI's AUDIO is ``{"waveform": Tensor[batch, channels, samples] float32 CPU, "sample_rate":
int}``. This module never imports torch: it makes a tensor only when the host already imported
torch (``"torch" in sys.modules``), and reads tensors by duck typing
(``.detach().cpu().float().numpy()``). Without torch it produces and accepts numpy arrays.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from ..plugin.audio import Audio, pad_to, resample_linear, to_channels
from ..plugin.errors import AudioError

__all__ = ["from_comfy_audio", "to_comfy_audio"]


def _align(items: Sequence[Audio]) -> list[Audio]:
    """Bring takes to one rate (the highest), one channel count and one length."""
    rate = max(a.sample_rate for a in items)
    channels = max(a.channels for a in items)
    aligned: list[Audio] = []
    for i, audio in enumerate(items):
        audio = resample_linear(audio, rate)
        if audio.channels != channels:
            if audio.channels != 1:
                raise AudioError(
                    f"audio[{i}]: cannot batch {audio.channels} channels with {channels}; "
                    "only mono takes are widened (duplicated)"
                )
            audio = to_channels(audio, channels)
        aligned.append(audio)
    length = max(a.num_samples for a in aligned)
    return [pad_to(a, length) for a in aligned]


def to_comfy_audio(items: Audio | Sequence[Audio]) -> dict[str, Any]:
    """Pack one take or a batch of takes into a ComfyUI AUDIO dict.

    A batch must share rate, channels and length, so takes are lined up the way ComfyUI's own
    audio nodes do: mono takes are duplicated to the batch's channel count (as AudioConcat does),
    shorter takes are zero-padded at the end (as AudioMerge/batching does), and a take at a
    lower sample rate is resampled to the highest rate by linear interpolation (a simple method;
    the API returns one rate per request, so this is a safety net). The waveform is a
    ``torch.Tensor`` if torch is already imported, else a numpy array, shaped ``[B, C, T]``.
    """
    import numpy as np

    batch = [items] if isinstance(items, Audio) else list(items)
    if not batch:
        raise AudioError("to_comfy_audio: no audio to pack (got an empty list)")
    for i, item in enumerate(batch):
        if not isinstance(item, Audio):
            raise AudioError(f"audio[{i}]: expected an Audio (got {type(item).__name__})")
    aligned = _align(batch)
    waveform = np.ascontiguousarray(np.stack([a.samples for a in aligned]), dtype=np.float32)
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "from_numpy"):
        waveform = torch.from_numpy(waveform)
    return {"waveform": waveform, "sample_rate": aligned[0].sample_rate}


def _to_numpy(waveform: Any) -> Any:
    import numpy as np

    if hasattr(waveform, "detach") and hasattr(waveform, "cpu"):  # a torch.Tensor
        if getattr(waveform, "is_complex", lambda: False)():
            raise AudioError(f"audio.waveform: expected real samples (got {waveform.dtype})")
        return waveform.detach().cpu().float().numpy()
    if isinstance(waveform, np.ndarray):
        if not np.issubdtype(waveform.dtype, np.floating):
            raise AudioError(
                f"audio.waveform: expected floating-point samples (got dtype {waveform.dtype})"
            )
        return waveform
    raise AudioError(
        f"audio.waveform: expected a torch.Tensor or numpy.ndarray (got {type(waveform).__name__})"
    )


def from_comfy_audio(audio: Mapping[str, Any]) -> list[Audio]:
    """Unpack a ComfyUI AUDIO dict into one :class:`Audio` per batch item (copies the data).

    Accepts a torch tensor or a numpy array shaped ``[batch, channels, samples]`` (``[channels,
    samples]`` is taken as a batch of one). Raises :class:`AudioError` naming the bad key, shape
    or dtype, e.g. ``audio.waveform: expected 3 dimensions [batch, channels, samples] (got shape
    (2,))``.
    """
    import numpy as np

    if not isinstance(audio, Mapping):
        raise AudioError(
            f"audio: expected a dict with 'waveform' and 'sample_rate' (got {type(audio).__name__})"
        )
    missing = [k for k in ("waveform", "sample_rate") if k not in audio]
    if missing:
        raise AudioError(f"audio: missing key {', '.join(repr(k) for k in missing)}")
    rate = audio["sample_rate"]
    if isinstance(rate, bool) or not hasattr(rate, "__index__") or int(rate) <= 0:
        raise AudioError(f"audio.sample_rate: expected a positive integer (got {rate!r})")
    wave = _to_numpy(audio["waveform"])
    if wave.ndim == 2:
        wave = wave[np.newaxis]
    if wave.ndim != 3:
        raise AudioError(
            "audio.waveform: expected 3 dimensions [batch, channels, samples] "
            f"(got shape {tuple(wave.shape)})"
        )
    batch, channels, samples = wave.shape
    if batch == 0 or channels == 0 or samples == 0:
        raise AudioError(
            "audio.waveform: batch, channels and samples must all be non-zero "
            f"(got shape {tuple(wave.shape)})"
        )
    return [Audio(np.array(wave[i], dtype=np.float32, copy=True), int(rate)) for i in range(batch)]
