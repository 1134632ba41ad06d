"""The two value types of the audio layer: decoded :class:`Audio` and probed :class:`AudioInfo`.

numpy is imported lazily (inside functions) so that importing the package stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import AudioError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["MAX_CHANNELS", "Audio", "AudioInfo"]

#: More channels than this is almost certainly a ``[samples, channels]`` array passed the wrong
#: way round; :class:`Audio` refuses it and points to :meth:`Audio.from_frames`.
MAX_CHANNELS = 64


def _check_rate(sample_rate: Any) -> int:
    if isinstance(sample_rate, bool) or not hasattr(sample_rate, "__index__"):
        raise AudioError(f"sample_rate must be an integer (got {sample_rate!r})")
    rate = int(sample_rate)
    if rate <= 0:
        raise AudioError(f"sample_rate must be positive (got {rate})")
    return rate


@dataclass(frozen=True, eq=False)
class Audio:
    """Decoded audio: float32 ``samples`` shaped ``[channels, samples]``, C-contiguous.

    The constructor coerces any real floating array to that layout (a 1-D array is mono) and
    raises :class:`AudioError` for anything else. Equality is identity (arrays have no ``==``).
    """

    samples: np.ndarray
    sample_rate: int

    def __post_init__(self) -> None:
        import numpy as np

        arr = np.asarray(self.samples)
        if arr.ndim == 1:
            arr = arr[np.newaxis, :]
        if arr.ndim != 2:
            raise AudioError(
                f"samples: expected 2 dimensions [channels, samples] (got shape {arr.shape})"
            )
        if not np.issubdtype(arr.dtype, np.floating):
            raise AudioError(f"samples: expected floating-point samples (got dtype {arr.dtype})")
        if arr.shape[0] < 1:
            raise AudioError(f"samples: expected at least 1 channel (got shape {arr.shape})")
        if arr.shape[0] > MAX_CHANNELS:
            raise AudioError(
                f"samples: {arr.shape[0]} channels is more than {MAX_CHANNELS}; is the array "
                f"[samples, channels]? Use Audio.from_frames() for that layout (got shape "
                f"{arr.shape})"
            )
        object.__setattr__(self, "samples", np.ascontiguousarray(arr, dtype=np.float32))
        object.__setattr__(self, "sample_rate", _check_rate(self.sample_rate))

    @classmethod
    def from_frames(cls, frames: Any, sample_rate: int) -> Audio:
        """Build from a ``[samples, channels]`` array (soundfile's layout); 1-D means mono."""
        import numpy as np

        arr = np.asarray(frames)
        if arr.ndim == 2:
            arr = arr.T
        return cls(arr, sample_rate)

    def to_frames(self) -> np.ndarray:
        """The samples as a ``[samples, channels]`` view (not C-contiguous)."""
        return self.samples.T

    @property
    def channels(self) -> int:
        """Number of channels."""
        return int(self.samples.shape[0])

    @property
    def num_samples(self) -> int:
        """Number of samples per channel."""
        return int(self.samples.shape[1])

    @property
    def duration_s(self) -> float:
        """Duration in seconds."""
        return self.num_samples / self.sample_rate

    def __repr__(self) -> str:
        return (
            f"Audio(channels={self.channels}, num_samples={self.num_samples}, "
            f"sample_rate={self.sample_rate}, duration_s={self.duration_s:.3f})"
        )


@dataclass(frozen=True)
class AudioInfo:
    """What :func:`probe_audio` learns from a file's headers, without decoding it.

    ``format`` is upper-case (``"WAV"``, ``"FLAC"``, ``"MP3"``, ``"OGG"``, ``"M4A"``, or another
    container name); ``size_bytes`` is ``None`` when the source has no knowable size; ``name`` is
    a display name for messages (a file's base name, a stream's ``name``, or ``"<bytes>"``);
    ``path`` is the file's path when the source was one; ``subtype`` is the codec or sample
    format when known (``"PCM_16"``, ``"VORBIS"``, ``"MPEG_LAYER_III"``, ``"aac"``).
    """

    format: str
    duration_s: float
    sample_rate: int
    channels: int
    size_bytes: int | None = None
    name: str | None = None
    path: str | None = None
    subtype: str | None = None
