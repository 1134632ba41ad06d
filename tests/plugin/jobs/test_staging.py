"""stage_audio / prepare_upload: pass-through, limits before upload, formats kept or converted."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.audio import sniff_format
from minimax_cover.plugin.errors import AudioError, AudioLimitError, SpecValidationError
from minimax_cover.plugin.jobs.staging import prepare_upload, stage_audio


class RecordingUploader:
    """Stands in for the client where only the hand-over matters (no HTTP involved)."""

    def __init__(self) -> None:
        self.uploads: list[tuple[bytes, str | None]] = []

    def upload_media(self, data: bytes, *, mime: str | None = None) -> Any:
        from minimax_cover.plugin.results import MediaRef

        self.uploads.append((data, mime))
        return MediaRef(str(uuid.uuid4()))


@pytest.mark.parametrize("source", ["https://example.com/song.mp3", "http://x/y.wav",
                                    "6a1d7c2e-0b9f-4e8a-a3c5-5f2e7d9b1c40"])
def test_urls_and_uuids_pass_through(source: str) -> None:
    up = RecordingUploader()
    assert stage_audio(source, up) == source
    assert prepare_upload(source) is None
    assert up.uploads == []


@pytest.mark.parametrize(("fmt", "mime"), [("WAV", "audio/wav"), ("FLAC", "audio/flac"),
                                           ("OGG", "audio/ogg"), ("MP3", "audio/mpeg")])
def test_accepted_formats_are_uploaded_byte_for_byte(make_tone: Any, tmp_path: Path, fmt: str,
                                                     mime: str) -> None:
    rate = 44100 if fmt == "MP3" else 16000
    data = make_tone(7.0, rate, fmt)
    path = tmp_path / f"song.{fmt.lower()}"
    path.write_bytes(data)
    assert prepare_upload(data) == (data, mime)
    assert prepare_upload(path) == (data, mime)
    assert prepare_upload(str(path)) == (data, mime)


@pytest.mark.parametrize(("seconds", "rule"), [(3.0, "duration"), (361.0, "duration")])
def test_limits_checked_before_any_upload(make_tone: Any, seconds: float, rule: str) -> None:
    up = RecordingUploader()
    data = make_tone(seconds, 8000, "FLAC")
    with pytest.raises(AudioLimitError, match=rf"inputs\.audio: {rule}.*got {seconds:.1f} s"):
        stage_audio(data, up)
    assert up.uploads == []


def test_size_limit_names_the_rule(make_tone: Any) -> None:
    data = make_tone(7.0, 16000, "WAV")
    with pytest.raises(AudioLimitError, match=r"inputs\.audio: file size must be at most"):
        prepare_upload(data, limits={"max_bytes": 1000})


def test_missing_file_and_wrong_type() -> None:
    with pytest.raises(SpecValidationError, match="file not found"):
        prepare_upload("/no/such/song.wav")
    with pytest.raises(SpecValidationError, match="must be a file path"):
        prepare_upload(12345)


def test_undecodable_bytes_raise_audio_error() -> None:
    with pytest.raises(AudioError):
        prepare_upload(b"this is not audio at all" * 100)


def test_other_formats_are_converted_to_flac(tmp_path: Path) -> None:
    import numpy as np
    import soundfile as sf

    path = tmp_path / "song.aiff"
    sf.write(path, 0.2 * np.ones(16000 * 7, dtype=np.float32), 16000, format="AIFF")
    data, mime = prepare_upload(path)  # type: ignore[misc]
    assert mime == "audio/flac" and sniff_format(data) == "FLAC"


def test_m4a_is_converted_to_flac(tmp_path: Path) -> None:
    av = pytest.importorskip("av")
    import numpy as np

    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=44100)
        stream.layout = "mono"
        samples = (0.2 * np.sin(np.arange(44100 * 7) / 20)).astype(np.float32)
        for start in range(0, samples.size, 1024):
            frame = av.AudioFrame.from_ndarray(samples[None, start:start + 1024], format="fltp",
                                               layout="mono")
            frame.sample_rate = 44100
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    path = tmp_path / "song.m4a"
    path.write_bytes(buf.getvalue())
    assert sniff_format(path.read_bytes()) == "M4A"
    data, mime = prepare_upload(path)  # type: ignore[misc]
    assert mime == "audio/flac" and sniff_format(data) == "FLAC"


@pytest.mark.parametrize("rate", [44100, 48000, 16000, 22050])
def test_in_memory_audio_is_uploaded_lossless(rate: int) -> None:
    import numpy as np
    from minimax_cover.plugin.audio import Audio, probe_audio, read_audio

    audio = Audio(0.2 * np.ones((2, rate * 7), dtype=np.float32), rate)
    data, mime = prepare_upload(audio)  # type: ignore[misc]
    info = probe_audio(data)
    assert (info.format, mime, info.sample_rate) == ("FLAC", "audio/flac", rate)
    assert np.allclose(read_audio(data).samples, audio.samples, atol=1 / 32768)


def test_in_memory_audio_over_the_size_limit_falls_back_to_mp3() -> None:
    import numpy as np
    from minimax_cover.plugin.audio import Audio, probe_audio

    rng = np.random.default_rng(1)  # noise does not compress: FLAC ~ 1.4 MB for 8 s stereo
    audio = Audio(0.3 * rng.standard_normal((2, 44100 * 8)).astype(np.float32), 44100)
    data, mime = prepare_upload(audio, limits={"max_bytes": 600_000})  # type: ignore[misc]
    info = probe_audio(data)
    assert (info.format, mime) == ("MP3", "audio/mpeg")
    assert len(data) / info.duration_s > 35_000  # 320 kbps CBR: ~40 kB per second
    with pytest.raises(AudioLimitError, match="inputs.audio"):
        prepare_upload(audio, limits={"max_bytes": 100_000})


def test_in_memory_audio_too_short() -> None:
    import numpy as np
    from minimax_cover.plugin.audio import Audio

    up = RecordingUploader()
    with pytest.raises(AudioLimitError, match=r"inputs\.audio: duration"):
        stage_audio(Audio(np.zeros((1, 8000), dtype=np.float32), 8000), up)
    assert up.uploads == []


def test_stage_audio_uploads_to_the_sandbox(sandbox: Any, client: Any, song_wav: bytes) -> None:
    import requests

    media_uuid = stage_audio(song_wav, client)
    assert uuid.UUID(media_uuid)
    stored = requests.get(f"{sandbox.base_url}/media/{media_uuid}", timeout=5)
    assert stored.status_code == 200 and stored.content == song_wav  # uploaded as it was


def test_stage_audio_out_of_limits_sends_nothing(sandbox: Any, client: Any,
                                                 make_tone: Any) -> None:
    with pytest.raises(AudioLimitError):
        stage_audio(make_tone(2.0, 8000, "WAV"), client)
    assert sandbox.requests_log == []  # nothing was sent at all
