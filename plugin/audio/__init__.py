"""The torch-free audio layer: decode, probe, encode, sniff and check reference audio.

Importing this package is cheap: numpy, soundfile and PyAV are imported inside the functions
that need them. soundfile (libsndfile) is the core codec library; PyAV is the optional ``m4a``
extra for M4A/AAC input.
"""

from __future__ import annotations

from .data import MAX_CHANNELS, Audio, AudioInfo
from .io import (
    MP3_SAMPLE_RATES,
    READ_FORMATS,
    WRITE_FORMATS,
    AudioSource,
    all_finite,
    encode_audio,
    probe_audio,
    read_audio,
    write_audio,
)
from .limits import (
    REFERENCE_FORMATS,
    REFERENCE_MAX_BYTES,
    REFERENCE_MAX_DURATION_S,
    REFERENCE_MIN_DURATION_S,
    check_reference_limits,
)
from .ops import pad_to, resample_linear, to_channels
from .sniff import sniff_format

__all__ = [
    "MAX_CHANNELS",
    "MP3_SAMPLE_RATES",
    "READ_FORMATS",
    "REFERENCE_FORMATS",
    "REFERENCE_MAX_BYTES",
    "REFERENCE_MAX_DURATION_S",
    "REFERENCE_MIN_DURATION_S",
    "WRITE_FORMATS",
    "Audio",
    "AudioInfo",
    "AudioSource",
    "all_finite",
    "check_reference_limits",
    "encode_audio",
    "pad_to",
    "probe_audio",
    "read_audio",
    "resample_linear",
    "sniff_format",
    "to_channels",
    "write_audio",
]
