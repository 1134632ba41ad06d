"""Bad input is rejected locally, naming the parameter, before a single byte is sent.

Hypothesis generates invalid values for every user-settable spec field (wrong types, out of
range, not in the enum, too short/long, unknown keys) and broken audio (truncated, empty,
garbage, wrong extension, too long, NaN samples). :func:`cover` must raise
:class:`SpecValidationError` / :class:`AudioError` naming the parameter, and the sandbox's
request log must stay empty: no ``mediaStorage`` upload, no ``audioInference``.
"""

from __future__ import annotations

import functools
import math
import string
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from minimax_cover.plugin.errors import AudioError, AudioLimitError, SpecValidationError
from minimax_cover.plugin.jobs.pipeline import cover
from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER, Field
from rel_support import PROMPT, SONG_RATE, fast_options, write_song

FUZZ = settings(max_examples=50, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
#: Fields the caller does not set through ``request`` (cover() owns them).
OWNED = {"taskType", "model", "inputs.audio"}
FIELDS = [f for f in MINIMAX_MUSIC_COVER.fields if f.path not in OWNED]

_scalar = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
_any_json = _scalar | st.lists(_scalar, max_size=3) | st.dictionaries(
    st.text(max_size=3), _scalar, max_size=3)
#: Floats that are not whole numbers (NaN and infinities included).
_fractional = st.builds(lambda n, f: n + f, st.integers(-1000, 1000),
                        st.sampled_from([0.5, 0.25, 0.001])) | st.sampled_from(
    [math.nan, math.inf, -math.inf])


def _not_in_enum(f: Field) -> st.SearchStrategy[Any]:
    folded = {str(v).lower() for v in f.enum or ()}
    if f.type == "integer":
        return st.integers(-10**6, 10**6).filter(lambda v: v not in (f.enum or ()))
    return st.text(min_size=1, max_size=12).filter(lambda v: v.strip().lower() not in folded)


def invalid_value(f: Field) -> st.SearchStrategy[Any]:
    """Values that break at least one rule of ``f``."""
    options: list[st.SearchStrategy[Any]] = []
    if f.type == "string":
        options.append(st.integers() | st.booleans() | st.lists(st.text(max_size=3), max_size=2))
        if f.min_length:
            options.append(st.text(alphabet=string.ascii_letters, max_size=f.min_length - 1))
        if f.max_length:
            options.append(st.text(alphabet=string.ascii_letters, min_size=f.max_length + 1,
                                   max_size=f.max_length + 40))
        if f.format == "uuid":
            options.append(st.text(alphabet=string.ascii_letters + "-", max_size=40))
        if f.format in ("uri", "uuid-or-uri"):
            options.append(st.sampled_from(["not a url", "file:///etc/passwd", "http://",
                                            "javascript:alert(1)", "http//missing-colon"]))
    elif f.type == "integer":
        options.append(st.text(max_size=5) | _fractional | st.booleans()
                       | st.lists(st.integers(), max_size=2))
        if f.minimum is not None:
            options.append(st.integers(max_value=int(f.minimum) - 1))
        if f.maximum is not None:
            options.append(st.integers(min_value=int(f.maximum) + 1))
    elif f.type == "boolean":
        options.append(st.text(min_size=1, max_size=5) | st.lists(st.booleans(), max_size=2)
                       | st.integers(min_value=2))
    if f.enum:
        options.append(_not_in_enum(f))
    return st.one_of(options)


@st.composite
def bad_requests(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A request with one broken field (or an unknown key); returns it and the path to name."""
    request: dict[str, Any] = {"positivePrompt": PROMPT}
    kind = draw(st.sampled_from(["field"] * 8 + ["unknown", "container"]))
    if kind == "unknown":
        known = {f.name for f in MINIMAX_MUSIC_COVER.fields} | {"inputs", "settings",
                                                                 "audioSettings"}
        key = draw(st.text(alphabet=string.ascii_letters, min_size=1, max_size=12).filter(
            lambda k: k not in known))
        request[key] = draw(_any_json)
        return request, key
    if kind == "container":
        name = draw(st.sampled_from(["settings", "audioSettings", "inputs"]))
        request[name] = draw(st.integers() | st.text(max_size=4) | st.lists(st.integers(),
                                                                            max_size=2))
        return request, name
    f = draw(st.sampled_from(FIELDS))
    value = draw(invalid_value(f))
    if f.placement == "top":
        request[f.name] = value
    else:
        request[f.placement] = {f.name: value}
    return request, f.path


@pytest.fixture
def sb(make_sandbox: Any) -> Any:
    return make_sandbox()


def _assert_nothing_sent(sandbox: Any, seen_before: int = 0) -> None:
    """The sandbox got no request since ``seen_before`` (examples share one sandbox)."""
    assert sandbox.requests_log[seen_before:] == [], sandbox.requests_log[seen_before:]
    assert sandbox.submissions() == 0


@FUZZ
@given(case=bad_requests())
def test_invalid_requests_are_rejected_before_sending(case: tuple[dict[str, Any], str],
                                                      song: Path, sb: Any,
                                                      tmp_path: Path) -> None:
    request, path = case
    seen = len(sb.requests_log)
    with pytest.raises(SpecValidationError) as info:
        cover(song, request, output_dir=tmp_path / "out", backend="runware",
              backend_options=fast_options(sb), journal=False)
    paths = info.value.parameters
    assert any(p == path or p.startswith(path + ".") or path.startswith(p + ".")
               for p in paths), (path, paths, request)
    _assert_nothing_sent(sb, seen)
    assert not (tmp_path / "out").exists()


@functools.lru_cache(maxsize=1)
def _wav() -> bytes:
    """The 7 s song as WAV bytes (built once, in memory)."""
    import numpy as np
    from minimax_cover.plugin.audio import Audio, encode_audio

    t = np.arange(7 * SONG_RATE) / SONG_RATE
    return encode_audio(Audio((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32),
                              SONG_RATE), "WAV")


#: Fewer bytes than 6 s of the 16-bit 8 kHz song (header included), so always too short.
_SHORT = int(6.0 * SONG_RATE * 2)


@st.composite
def bad_audio(draw: st.DrawFn) -> tuple[bytes, str, bool]:
    """Broken audio bytes, a file suffix, and whether to pass a path (else the bytes)."""
    wav = _wav()
    kind = draw(st.sampled_from(["truncated", "garbage", "riff-garbage", "bad-chunk-id"]))
    if kind == "truncated":
        data = wav[:draw(st.integers(0, _SHORT))]
    elif kind == "garbage":
        data = draw(st.binary(max_size=2048))
    elif kind == "riff-garbage":
        data = wav[:12] + draw(st.binary(max_size=2048))
    else:  # a chunk id ("RIFF", "WAVE", "fmt ") replaced: no longer a WAV at all
        at = draw(st.sampled_from([0, 8, 12]))
        junk = draw(st.binary(min_size=4, max_size=4).filter(
            lambda b: b not in (b"RIFF", b"RIFX", b"RF64", b"WAVE", b"fmt ")))
        data = (wav[:at] + junk + wav[at + 4:])[:_SHORT]
    suffix = draw(st.sampled_from([".wav", ".mp3", ".flac", ".ogg", ".txt", ""]))
    return data, suffix, draw(st.booleans())


@FUZZ
@given(case=bad_audio())
def test_broken_audio_is_rejected_before_sending(case: tuple[bytes, str, bool], sb: Any,
                                                 tmp_path: Path) -> None:
    payload, suffix, as_path = case
    source: Any = payload
    if as_path:
        source = tmp_path / f"in-{uuid.uuid4().hex[:8]}{suffix}"
        source.write_bytes(payload)
    seen = len(sb.requests_log)
    with pytest.raises(AudioError) as info:
        cover(source, prompt=PROMPT, output_dir=tmp_path / "out", backend="runware",
              backend_options=fast_options(sb), journal=False)
    assert str(info.value).startswith("inputs.audio: "), str(info.value)
    _assert_nothing_sent(sb, seen)


def _float_wav(path: Path, samples: Any) -> Path:
    import soundfile as sf

    sf.write(str(path), samples, SONG_RATE, subtype="FLOAT", format="WAV")
    return path


def _nan_samples() -> Any:
    import numpy as np

    x = (0.3 * np.sin(np.arange(7 * SONG_RATE) / SONG_RATE * 2 * np.pi * 220)).astype(
        np.float32)
    x[100:200] = np.nan
    return x


@pytest.mark.parametrize("name", ["empty", "too-short", "too-long-361s", "nan-file",
                                  "nan-bytes", "inf-file", "nan-Audio", "missing-file",
                                  "directory", "not-audio-type"])
def test_bad_audio_cases(name: str, tmp_path: Path, sb: Any) -> None:
    import numpy as np
    from minimax_cover.plugin.audio import Audio

    expect: type[Exception] = AudioError
    source: Any
    if name == "empty":
        source = tmp_path / "empty.wav"
        source.write_bytes(b"")
    elif name == "too-short":
        source, expect = write_song(tmp_path / "short.wav", seconds=5.0), AudioLimitError
    elif name == "too-long-361s":  # 361 s at 1 kHz mono: a small file over the 6 min limit
        source, expect = write_song(tmp_path / "long.wav", seconds=361.0, rate=1000,
                                    freq=100.0), AudioLimitError
        assert source.stat().st_size < 1_000_000
    elif name == "nan-file":
        source = _float_wav(tmp_path / "nan.wav", _nan_samples())
    elif name == "nan-bytes":
        source = _float_wav(tmp_path / "nan.wav", _nan_samples()).read_bytes()
    elif name == "inf-file":
        samples = _nan_samples()
        samples[np.isnan(samples)] = np.inf
        source = _float_wav(tmp_path / "inf.wav", samples)
    elif name == "nan-Audio":
        source = Audio(_nan_samples(), SONG_RATE)
    elif name == "missing-file":
        source, expect = tmp_path / "nope.wav", SpecValidationError
    elif name == "directory":
        source = tmp_path
    else:
        source, expect = 12345, SpecValidationError
    with pytest.raises(expect) as info:
        cover(source, prompt=PROMPT, output_dir=tmp_path / "out", backend="runware",
              backend_options=fast_options(sb), journal=False)
    if isinstance(info.value, SpecValidationError):
        assert info.value.parameters == ["inputs.audio"]
    else:
        assert str(info.value).startswith("inputs.audio: "), str(info.value)
    _assert_nothing_sent(sb)


@pytest.mark.parametrize("suffix", [".mp3", ".txt", ""])
def test_wrong_extension_with_valid_content_is_sniffed_not_rejected(
        suffix: str, song: Path, tmp_path: Path, sb: Any) -> None:
    """The content decides the format: a WAV named ``.mp3`` is a WAV, and it is accepted."""
    renamed = song.rename(song.with_suffix(suffix))
    result = cover(renamed, prompt=PROMPT, output_dir=tmp_path / "out", backend="runware",
                   backend_options=fast_options(sb), journal=False)
    assert len(result.files) == 1
    assert sb.submissions() == 1


@pytest.mark.parametrize("field", ["webhookURL", "uploadEndpoint"])
def test_non_http_delivery_urls_are_rejected_locally(field: str, song: Path, sb: Any,
                                                     tmp_path: Path) -> None:
    with pytest.raises(SpecValidationError) as info:
        cover(song, {field: "ftp://files.example.com/incoming/"}, prompt=PROMPT,
              output_dir=tmp_path / "out", backend="runware",
              backend_options=fast_options(sb), journal=False)
    assert info.value.parameters == [field]
    _assert_nothing_sent(sb)


def test_wav_with_zero_bits_per_sample_is_an_audio_error(tmp_path: Path, sb: Any) -> None:
    wav = _wav()
    broken = wav[:34] + b"\x00\x00" + wav[36:]  # fmt chunk: bits per sample = 0
    with pytest.raises(AudioError) as info:
        cover(broken, prompt=PROMPT, output_dir=tmp_path / "out", backend="runware",
              backend_options=fast_options(sb), journal=False)
    assert str(info.value).startswith("inputs.audio: ")
    _assert_nothing_sent(sb)
