"""Read, probe, write and encode audio files, torch-free.

libsndfile (through ``soundfile``) handles WAV, FLAC, MP3 and OGG/Vorbis; anything it cannot
read (M4A/AAC above all) falls back to PyAV when the optional ``m4a`` extra is installed.
numpy and soundfile are imported inside the functions, so importing this module is cheap.
"""

from __future__ import annotations

import io
import os
import re
import uuid
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from ..errors import AudioError
from . import _pyav
from .data import Audio, AudioInfo
from .formats import FORMATS, SOUNDFILE_FORMATS
from .headers import SongHeader, read_header
from .mp3scan import scan_mp3
from .quiet import quietly
from .sniff import sniff_format

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "MP3_SAMPLE_RATES",
    "READ_FORMATS",
    "WRITE_FORMATS",
    "AudioSource",
    "encode_audio",
    "probe_audio",
    "read_audio",
    "write_audio",
]

AudioSource = str | os.PathLike | bytes | bytearray | memoryview | IO[bytes]

#: Formats :func:`read_audio` handles with the core dependencies; M4A/AAC need PyAV.
READ_FORMATS: tuple[str, ...] = SOUNDFILE_FORMATS
#: Formats :func:`write_audio` can produce.
WRITE_FORMATS: tuple[str, ...] = SOUNDFILE_FORMATS
#: Sample rates an MP3 (MPEG-1, -2 and -2.5 layer III) can have.
MP3_SAMPLE_RATES: tuple[int, ...] = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)

_PYAV_FIRST = frozenset({"M4A", "AAC", "MP4", "ALAC"})
_FORMAT_ALIASES = {"WAVEX": "WAV"}
_FLOAT_SUBTYPES = frozenset({"FLOAT", "DOUBLE"})
# Streaming writers put these in a WAV's size fields when they cannot seek back.
_WAV_SIZE_PLACEHOLDERS = frozenset({0xFFFFFFFF, 0x7FFFFFFF, 0xFFFFFFFF - 8})
_WAV_DATA_LOG = re.compile(r"^data : (\d+) \(should be (\d+)\)", re.MULTILINE)
_OGG_TRUNCATED_LOG = ("Junk after the last page", "lacks an end-of-stream", "ended unexpectedly")
_SNIFF_BYTES = 4096
# Frames per libsndfile write. One big write of OGG/Vorbis overflows the stack inside libvorbis
# (an alloca sized by the pending samples; a segfault from ~96 s of 44.1 kHz stereo on an 8 MiB
# stack, libsndfile issue #1095, python-soundfile #233/#426), so every format is written in
# blocks small enough for a 512 KiB thread stack.
_WRITE_BLOCK_FRAMES = 8192


@dataclass(frozen=True)
class _Source:
    data: str | bytes  # a file path, or the whole content
    name: str  # display name for messages
    path: str | None
    size: int | None

    def open_sf(self) -> Any:
        return self.data if isinstance(self.data, str) else io.BytesIO(self.data)

    def head(self) -> bytes:
        if isinstance(self.data, bytes):
            return self.data[:_SNIFF_BYTES]
        with open(self.data, "rb") as fh:
            return fh.read(_SNIFF_BYTES)

    def content(self) -> bytes:
        if isinstance(self.data, bytes):
            return self.data
        with open(self.data, "rb") as fh:
            return fh.read()

    def prefix(self, count: int) -> bytes:
        if isinstance(self.data, bytes):
            return self.data[:count]
        with open(self.data, "rb") as fh:
            return fh.read(count)

    def header(self, kind: str | None) -> SongHeader | None:
        """A WAV's or MP3's header figures read without libsndfile (:mod:`.headers`)."""
        return read_header(kind, self.prefix, self.size, self.content)

    def error(self, problem: str) -> AudioError:
        return AudioError(f"{self.name}: {problem}", path=self.path)


def _resolve(source: AudioSource, *, rewind: bool = False) -> _Source:
    if isinstance(source, (str, os.PathLike)):
        path = os.fsdecode(os.fspath(source))
        name = os.path.basename(path.rstrip("/\\")) or path
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise AudioError(f"{name}: file not found", path=path) from None
        except OSError as exc:
            raise AudioError(f"{name}: cannot read ({exc.strerror})", path=path) from exc
        if not os.path.isfile(path):
            raise AudioError(f"{name}: not a regular file", path=path)
        return _Source(path, name, path, st.st_size)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return _Source(data, "<bytes>", None, len(data))
    if hasattr(source, "read"):
        raw = getattr(source, "name", None)
        name = os.path.basename(raw) if isinstance(raw, str) and raw else "<stream>"
        start = source.tell() if rewind and source.seekable() else None
        data = source.read()
        if start is not None:
            source.seek(start)
        if not isinstance(data, (bytes, bytearray)):
            raise AudioError(f"{name}: expected a binary stream (got {type(data).__name__} data)")
        return _Source(bytes(data), name, None, len(data))
    raise AudioError(
        f"audio source must be a path, bytes or a binary file object (got {type(source).__name__})"
    )


def _hint(format: str | None, src: _Source) -> str | None:
    if format:
        return format.strip().lstrip(".").upper()
    return sniff_format(src.head())


def _no_pyav(src: _Source, kind: str | None, reason: str | None = None) -> AudioError:
    if kind in _PYAV_FIRST:
        return src.error(f"{kind} audio needs the optional PyAV decoder: {_pyav.INSTALL_HINT}")
    why = f" ({reason})" if reason else ""
    return src.error(
        f"not a readable audio file{why}; supported: {', '.join(READ_FORMATS)}, "
        f"and M4A/AAC with {_pyav.INSTALL_HINT}"
    )


def _sf_reason(exc: BaseException) -> str:
    text = getattr(exc, "error_string", None) or str(exc)
    return str(text).removeprefix("Error : ").rstrip(".")


def _truncation(fmt: str, log: str, declared: int, decoded: int, rate: int) -> str | None:
    """Why a decoded file looks truncated, or ``None``."""
    if fmt in ("WAV", "WAVEX", "RF64", "W64"):
        match = _WAV_DATA_LOG.search(log)
        if match:
            claimed, present = int(match.group(1)), int(match.group(2))
            if claimed not in _WAV_SIZE_PLACEHOLDERS and claimed - present > 16:
                return (
                    f"truncated: the header declares {claimed} bytes of audio data, "
                    f"the file holds {present}"
                )
    if fmt == "OGG" and any(marker in log for marker in _OGG_TRUNCATED_LOG):
        return "truncated: the Ogg stream ends without its end-of-stream page"
    tolerance = 2304 + declared // 200  # two MP3 frames plus 0.5 %
    if 0 < declared < (1 << 62) and decoded < declared - tolerance:
        return (
            f"truncated or corrupt: the header declares {declared / rate:.1f} s, "
            f"only {decoded / rate:.1f} s could be decoded"
        )
    return None


def all_finite(samples: np.ndarray) -> bool:
    """True when no sample is NaN or infinite (one float64 sum, no temporary mask)."""
    import numpy as np

    # A float64 sum of float32 values cannot overflow, so it is NaN/inf exactly when an input is.
    return bool(np.isfinite(np.sum(samples, dtype=np.float64)))


_SF_ERR_MALFORMED_FILE = 3  # libsndfile: "Supported file format but file is malformed."


class _NotRecognised(Exception):
    """libsndfile could not open the file; ``malformed`` if it knew the format but not the data."""

    def __init__(self, exc: BaseException) -> None:
        self.malformed = getattr(exc, "code", None) == _SF_ERR_MALFORMED_FILE
        super().__init__(_sf_reason(exc))


def _fallback(src: _Source, kind: str | None, exc: _NotRecognised, probe: bool) -> Any:
    """Hand a file libsndfile refused to PyAV, or raise an error saying why it is unreadable."""
    malformed = src.error(f"malformed or truncated {kind or 'audio'} file ({exc})")
    if _pyav.import_av() is None:
        raise (malformed if exc.malformed else _no_pyav(src, kind, str(exc))) from None
    try:
        if probe:
            return _pyav.probe(src.data, src.name, src.size)
        return _pyav.decode(src.data, src.name)
    except AudioError:
        if exc.malformed:
            raise malformed from None
        raise


def _read_soundfile(src: _Source) -> Audio:
    import numpy as np
    import soundfile as sf

    try:
        handle = sf.SoundFile(src.open_sf())
    except (sf.SoundFileError, RuntimeError, TypeError, ValueError) as exc:
        raise _NotRecognised(exc) from exc
    with handle:
        fmt, declared, rate = handle.format, handle.frames, handle.samplerate
        log = handle.extra_info
        try:
            samples = _read_planar(handle, np, exact=fmt != "MP3")
        except (sf.SoundFileError, RuntimeError) as exc:
            raise src.error(f"truncated or corrupt {fmt} data ({_sf_reason(exc)})") from exc
    frames = samples.T  # [T, C] view, for the checks below
    problem = _truncation(fmt, log, declared, len(frames), rate)
    if problem:
        raise src.error(problem)
    if fmt == "MP3":
        scan = scan_mp3(src.content())
        if scan is not None and not scan.has_length_header:
            if scan.samples > len(frames) + 2304 + scan.samples // 100:
                if _pyav.import_av() is not None:
                    return _pyav.decode(src.data, src.name)
                raise src.error(
                    f"this MP3 has no Xing/Info length header, so libsndfile decodes only "
                    f"{len(frames) / rate:.1f} s of its {scan.duration_s:.1f} s; install PyAV "
                    f"({_pyav.INSTALL_HINT}) or re-encode the file"
                )
    if len(frames) == 0:
        raise src.error("contains no audio samples")
    return Audio(np.ascontiguousarray(samples), rate)


_BLOCK_FRAMES = 1 << 16


def _read_planar(handle: Any, np: Any, *, exact: bool) -> Any:
    """Decode into one ``[C, T]`` float32 array, block by block.

    Reading ``[T, C]`` and transposing holds two copies of the song at the peak; filling a
    preallocated planar array holds one plus a 64 k-frame block. ``exact`` says the header's
    frame count can be trusted (not for MP3, whose count may be an estimate).
    """
    declared = int(handle.frames)
    if not exact or declared <= 0:
        return np.ascontiguousarray(handle.read(dtype="float32", always_2d=True).T)
    out = np.empty((handle.channels, declared), dtype=np.float32)
    pos = 0
    for block in handle.blocks(blocksize=_BLOCK_FRAMES, dtype="float32", always_2d=True):
        n = min(len(block), declared - pos)
        out[:, pos:pos + n] = block[:n].T
        pos += n
        if pos >= declared:
            break
    return out if pos == declared else out[:, :pos]


@quietly  # libmpg123 prints to fd 2 on a damaged MP3; the AudioError says it once
def read_audio(source: AudioSource, *, format: str | None = None) -> Audio:
    """Decode a whole audio file to float32 ``[channels, samples]``.

    ``source`` is a path, the file's bytes, or a binary file object (read to its end).
    WAV, FLAC, MP3 and OGG decode with soundfile; M4A/AAC and anything else libsndfile does not
    recognise decode with PyAV when it is installed. ``format`` is only a routing hint
    (``"M4A"`` goes straight to PyAV); the content decides. Empty, zero-length, truncated,
    corrupt and NaN/inf-containing audio raise :class:`AudioError` naming the file and problem.
    """
    src = _resolve(source)
    if src.size == 0:
        raise src.error("file is empty (0 bytes)")
    kind = _hint(format, src)
    if kind in _PYAV_FIRST:
        if _pyav.import_av() is None:
            raise _no_pyav(src, kind)
        audio = _pyav.decode(src.data, src.name)
    else:
        try:
            audio = _read_soundfile(src)
        except _NotRecognised as exc:
            audio = _fallback(src, kind, exc, probe=False)
    if audio.num_samples == 0:
        raise src.error("contains no audio samples")
    if not all_finite(audio.samples):
        raise src.error("contains NaN or infinite samples")
    return audio


def probe_audio(source: AudioSource) -> AudioInfo:
    """Read an audio file's format, duration, rate, channels and size from its headers.

    Cheap: nothing is decoded (an MP3 without a Xing/Info header has its frame headers counted,
    since its header-less length is only an estimate). A WAV or MP3 is read in pure Python
    (:mod:`.headers`, libsndfile's figures), anything else with libsndfile. A seekable file
    object is rewound to where it was. Falls back to PyAV like :func:`read_audio`.
    """
    src = _resolve(source, rewind=True)
    if src.size == 0:
        raise src.error("file is empty (0 bytes)")
    kind = _hint(None, src)
    header = src.header(kind) if kind in ("WAV", "MP3") else None
    if header is not None:
        return AudioInfo(format=header.format,
                         duration_s=header.declared_frames / header.sample_rate,
                         sample_rate=header.sample_rate, channels=header.channels,
                         size_bytes=src.size, name=src.name, path=src.path,
                         subtype=header.subtype)
    return _probe_native(src, kind)


@quietly
def _probe_native(src: _Source, kind: str | None) -> AudioInfo:
    """libsndfile's header figures (PyAV's for what it cannot open)."""
    if kind in _PYAV_FIRST:
        if _pyav.import_av() is None:
            raise _no_pyav(src, kind)
        return _pyav.probe(src.data, src.name, src.size)
    import soundfile as sf

    try:
        info = sf.info(src.open_sf())
    except (sf.SoundFileError, RuntimeError, TypeError, ValueError) as exc:
        return _fallback(src, kind, _NotRecognised(exc), probe=True)
    fmt = _FORMAT_ALIASES.get(info.format, info.format)
    duration = info.frames / info.samplerate if info.samplerate else 0.0
    if fmt == "MP3":
        scan = scan_mp3(src.content())
        if scan is not None and not scan.has_length_header:
            duration = scan.duration_s
    return AudioInfo(
        format=fmt,
        duration_s=float(duration),
        sample_rate=int(info.samplerate),
        channels=int(info.channels),
        size_bytes=src.size,
        name=src.name,
        path=src.path,
        subtype=info.subtype,
    )


def _write_format(format: str) -> str:
    fmt = str(format).strip().lstrip(".").upper()
    if fmt not in WRITE_FORMATS:
        raise AudioError(f"format must be one of {', '.join(WRITE_FORMATS)} (got {format!r})")
    return fmt


def _mp3_bitrate_range(sample_rate: int) -> tuple[int, int]:
    if sample_rate >= 32000:
        return 32, 320  # MPEG-1
    if sample_rate >= 16000:
        return 8, 160  # MPEG-2
    return 8, 64  # MPEG-2.5


def _codec_options(
    fmt: str,
    audio: Audio,
    subtype: str | None,
    bitrate_kbps: int | None,
    compression_level: float | None,
) -> dict[str, Any]:
    import soundfile as sf

    table = FORMATS[fmt]
    sub = (subtype or table.sf_subtype or "").upper()
    if not sf.check_format(table.sf_format, sub):
        raise AudioError(f"subtype {sub!r} is not available for {fmt}")
    options: dict[str, Any] = {"format": table.sf_format, "subtype": sub}
    if fmt == "MP3":
        if audio.channels > 2:
            raise AudioError(f"MP3 holds at most 2 channels (got {audio.channels})")
        if audio.sample_rate not in MP3_SAMPLE_RATES:
            rates = ", ".join(str(r) for r in MP3_SAMPLE_RATES)
            raise AudioError(
                f"MP3 sample rate must be one of {rates} Hz (got {audio.sample_rate} Hz); "
                "resample first or write FLAC/WAV/OGG"
            )
    if bitrate_kbps is not None and compression_level is not None:
        raise AudioError("give bitrate_kbps or compression_level, not both")
    if bitrate_kbps is not None:
        if fmt != "MP3":
            raise AudioError(f"bitrate_kbps applies to MP3 only (got format {fmt})")
        low, high = _mp3_bitrate_range(audio.sample_rate)
        if isinstance(bitrate_kbps, bool) or not low <= bitrate_kbps <= high:
            raise AudioError(
                f"bitrate_kbps must be between {low} and {high} at {audio.sample_rate} Hz "
                f"(got {bitrate_kbps!r})"
            )
        # libsndfile maps compression c to a CBR of int(high - c * (high - low)) kbps; the
        # half-kbps nudge survives the truncation. LAME rounds to the nearest standard rate.
        level = (high - bitrate_kbps - 0.5) / (high - low)
        options["compression_level"] = min(1.0, max(0.0, level))
        options["bitrate_mode"] = "CONSTANT"
    elif compression_level is not None:
        if not 0.0 <= compression_level <= 1.0:
            raise AudioError(
                f"compression_level must be between 0 and 1 (got {compression_level!r})"
            )
        options["compression_level"] = float(compression_level)
    return options


def write_audio(
    audio: Audio,
    dest: str | os.PathLike[str] | IO[bytes],
    format: str,
    *,
    bitrate_kbps: int | None = None,
    subtype: str | None = None,
    compression_level: float | None = None,
) -> None:
    """Encode ``audio`` as ``format`` (WAV, FLAC, MP3, OGG; any case) to a path or binary file.

    - WAV: ``subtype`` ``PCM_16`` (default), ``PCM_24``, ``PCM_32``, ``FLOAT``...;
      FLAC: ``PCM_16`` (default), ``PCM_24``; OGG is Vorbis; MP3 is LAME layer III.
    - ``bitrate_kbps`` (MP3 only): constant bitrate, 32-320 at 32-48 kHz (8-160 at 16-24 kHz,
      8-64 below); LAME rounds it to the nearest standard bitrate. Without it MP3 uses
      libsndfile's default, LAME VBR.
    - ``compression_level`` (0-1) is passed to libsndfile: FLAC effort, Vorbis quality
      (0 best; the default is about 0.6, ~128 kbps stereo), MP3 VBR quality (0 best).

    Integer and lossy encodings clip samples to [-1, 1]. Samples go to libsndfile in blocks
    (one big OGG write crashes libvorbis). A path is written atomically (to a temporary file
    then renamed). Raises :class:`AudioError` for empty or non-finite audio and
    impossible settings (MP3 above 2 channels or at a non-MPEG sample rate).
    """
    import numpy as np
    import soundfile as sf

    if not isinstance(audio, Audio):
        raise AudioError(f"expected an Audio (got {type(audio).__name__})")
    fmt = _write_format(format)
    options = _codec_options(fmt, audio, subtype, bitrate_kbps, compression_level)
    if audio.num_samples == 0:
        raise AudioError("cannot write audio with no samples")
    if not all_finite(audio.samples):
        raise AudioError("cannot write audio that contains NaN or infinite samples")
    frames = audio.samples.T
    if options["subtype"] not in _FLOAT_SUBTYPES:
        frames = np.clip(frames, -1.0, 1.0)
    frames = np.ascontiguousarray(frames, dtype=np.float32)

    def write(target: Any) -> None:
        with sf.SoundFile(target, "w", audio.sample_rate, audio.channels, **options) as out:
            for start in range(0, len(frames), _WRITE_BLOCK_FRAMES):
                out.write(frames[start : start + _WRITE_BLOCK_FRAMES])

    if isinstance(dest, (str, os.PathLike)):
        path = os.fsdecode(os.fspath(dest))
        folder, base = os.path.split(os.path.abspath(path))
        # A unique name next to the target (not mkstemp, whose 0600 mode would stick to the
        # saved file): the file gets the usual umask-derived mode, like any other output.
        tmp = os.path.join(folder, f".{base}.{uuid.uuid4().hex[:12]}.tmp")
        if not os.path.isdir(folder):
            raise AudioError(f"{base}: cannot write {fmt} (No such file or directory: {folder})",
                             path=path)
        try:
            write(tmp)
            os.replace(tmp, path)
        except (sf.SoundFileError, RuntimeError, ValueError, OSError) as exc:
            try:  # never let the cleanup (a read-only folder) hide the first error
                os.remove(tmp)
            except OSError:
                pass
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else _sf_reason(exc)
            raise AudioError(f"{base}: cannot write {fmt} ({reason})", path=path) from exc
        return
    try:
        write(dest)
    except (sf.SoundFileError, RuntimeError, ValueError, OSError) as exc:
        raise AudioError(f"cannot write {fmt} ({_sf_reason(exc)})") from exc


def encode_audio(audio: Audio, format: str, **kwargs: Any) -> bytes:
    """Encode ``audio`` in memory and return the file's bytes; options as :func:`write_audio`."""
    buffer = io.BytesIO()
    write_audio(audio, buffer, format, **kwargs)
    return buffer.getvalue()
