"""Synthetic songs, covers and decoys: the test bench of the melody measure.

A *song* is a sung-like melody (a voice with vibrato, glides and vowel formants over its
harmonics) over a chord bed (a pad and a bass). From one song's score:

- its *cover*: the same melody transposed (a few semitones), retimed (tempo +-2-6 %),
  sung by another voice (other formants, brightness and vibrato) over a re-arranged bed (the
  same chords, another voicing and instrument, arpeggiated);
- its *decoy*: the same voice and bed singing *the same notes in another order*, so a measure
  that ignores the order in time cannot tell it from the song.

Everything is deterministic in the seed. ``python -m minimax_cover.plugin.measure.synth DIR
--cases N --seed S`` writes ``case_K_{source,cover,decoy}.wav`` to try ``compare`` on.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

__all__ = ["Case", "Score", "make_case", "render", "write_case"]

RATE = 16000
_CONTROL = 64
_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_PROGRESSIONS = ((0, 4, 5, 3), (0, 5, 3, 4), (5, 3, 0, 4), (0, 3, 4, 4), (0, 5, 1, 4))


@dataclass(frozen=True)
class Voice:
    """A singer: formant centres (Hz), brightness (harmonic roll-off), vibrato."""

    formants: tuple[float, ...] = (700.0, 1200.0, 2600.0)
    rolloff: float = 0.75
    vibrato_hz: float = 5.5
    vibrato_cents: float = 35.0
    breath: float = 0.01


@dataclass(frozen=True)
class Score:
    """What is sung and played: notes as ``(midi, beats)``, chords per bar as scale degrees."""

    key: int
    notes: tuple[tuple[int, float], ...]
    chords: tuple[int, ...]
    bpm: float
    voice: Voice = field(default_factory=Voice)
    arrangement: str = "pad"  # or "arpeggio"
    bed_gain: float = 0.35


@dataclass(frozen=True)
class Case:
    """One song with its cover and its decoy, rendered (mono float32 at :data:`RATE`)."""

    source: Any
    cover: Any
    decoy: Any
    transpose: int
    tempo: float


def _degree_midi(key: int, degree: int, octave: int) -> int:
    return 12 * octave + key + _MAJOR[degree % 7] + 12 * (degree // 7)


def make_score(rng: Any, bars: int) -> Score:
    """A random song: key, chord progression, tempo and a melody over it."""
    key = int(rng.integers(0, 12))
    prog = _PROGRESSIONS[int(rng.integers(0, len(_PROGRESSIONS)))]
    chords = tuple(prog[i % 4] for i in range(bars))
    notes: list[tuple[int, float]] = []
    degree = int(rng.integers(7, 12))  # start around the octave above the tonic
    for bar in range(bars):
        left = 4.0
        while left > 0:
            beats = float(min(left, rng.choice([0.5, 1.0, 1.0, 1.5, 2.0])))
            chord = chords[bar]
            if rng.random() < 0.6:  # a chord tone near where the line is
                options = [d for d in range(5, 15) if (d - chord) % 7 in (0, 2, 4)]
                degree = min(options, key=lambda d: abs(d - degree) + rng.random() * 2.5)
            else:
                degree = int(min(14, max(5, degree + rng.choice([-2, -1, 1, 2]))))
            notes.append((_degree_midi(key, degree, 4), beats))
            left -= beats
    return Score(key, tuple(notes), chords, float(rng.uniform(90, 130)))


def _voice_line(score: Score, rng: Any, total: int) -> Any:
    import numpy as np

    v = score.voice
    spb = 60.0 / score.bpm
    f0 = np.zeros(total)
    amp = np.zeros(total)
    t = 0.0
    prev = None
    for midi, beats in score.notes:
        start, dur = int(t * RATE), beats * spb
        n = min(int(dur * RATE), total - start)
        if n <= 0:
            break
        hz = 440.0 * 2 ** ((midi - 69) / 12)
        tt = np.arange(n) / RATE
        glide = 1.0 if prev is None else np.exp(np.log(prev / hz) * np.exp(-tt / 0.03))
        depth = v.vibrato_cents / 1200.0 * np.clip((tt - 0.15) / 0.2, 0, 1)
        f0[start:start + n] = hz * glide * 2 ** (depth * np.sin(2 * np.pi * v.vibrato_hz * tt))
        env = np.minimum(1.0, tt / 0.04) * np.minimum(1.0, (dur - tt) / 0.06).clip(0, 1)
        amp[start:start + n] = env
        prev = hz
        t += dur
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    control = f0[::_CONTROL]  # partial gains change slowly: compute them every 64 samples
    out = np.zeros(total)
    for h in range(1, 13):
        partial = h * control
        formant = sum(np.exp(-((partial - fc) / (0.18 * fc + 60)) ** 2) for fc in v.formants)
        gain = v.rolloff ** (h - 1) * (0.35 + formant) * (partial < RATE / 2 - 200)
        out += np.repeat(gain, _CONTROL)[:total] * np.sin(h * phase + h)
    out *= amp
    out += v.breath * rng.standard_normal(total) * amp
    return out


def _bed(score: Score, rng: Any, total: int) -> Any:
    import numpy as np

    spb = 60.0 / score.bpm
    bar_n = int(4 * spb * RATE)
    out = np.zeros(total)
    for b, chord in enumerate(score.chords):
        start = b * bar_n
        n = min(bar_n, total - start)
        if n <= 0:
            break
        tt = np.arange(n) / RATE
        tones = [_degree_midi(score.key, chord + k, 3) for k in (0, 2, 4)]
        bass = _degree_midi(score.key, chord, 2)
        if score.arrangement == "pad":
            env = np.minimum(1.0, tt / 0.2) * np.minimum(1.0, (n / RATE - tt) / 0.1)
            for midi in tones:
                hz = 440.0 * 2 ** ((midi - 69) / 12)
                for h in range(1, 6):
                    out[start:start + n] += env * 0.5 ** h * np.sin(2 * np.pi * h * hz * tt)
        else:  # arpeggio: plucked chord tones an octave up, eighth notes, other inversion
            step = int(spb * RATE / 2)
            order = [tones[1] + 12, tones[2], tones[0] + 12, tones[2] + 12]
            for k in range(0, n, step):
                midi = order[(k // step) % len(order)]
                hz = 440.0 * 2 ** ((midi - 69) / 12)
                m = min(step, n - k)
                tk = np.arange(m) / RATE
                env = np.exp(-tk / 0.25)
                for h in range(1, 4):
                    out[start + k:start + k + m] += 0.8 * env * 0.6 ** h * np.sin(
                        2 * np.pi * h * hz * tk)
        bhz = 440.0 * 2 ** ((bass - 69) / 12)
        out[start:start + n] += 0.6 * np.sin(2 * np.pi * bhz * tt) * np.exp(
            -(tt % spb) / (1.5 if score.arrangement == "pad" else 0.4))
    return out


def render(score: Score, seed: int) -> Any:
    """The score as mono float32 audio at :data:`RATE`, peak normalised to -3 dBFS."""
    import numpy as np

    rng = np.random.default_rng(seed)
    spb = 60.0 / score.bpm
    total = int((sum(b for _, b in score.notes) * spb + 0.5) * RATE)
    voice = _voice_line(score, rng, total)
    bed = _bed(score, rng, total)
    mix = voice / max(np.abs(voice).max(), 1e-9) + score.bed_gain * bed / max(
        np.abs(bed).max(), 1e-9)
    return (0.7 * mix / max(np.abs(mix).max(), 1e-9)).astype(np.float32)


def make_case(seed: int, bars: int = 8) -> Case:
    """A song, its cover and its decoy, all from ``seed``."""
    import numpy as np

    rng = np.random.default_rng(seed)
    song = make_score(rng, bars)
    shift = int(rng.choice([-5, -4, -3, -2, 2, 3, 4, 5]))
    tempo = float(1.0 + rng.choice([-1, 1]) * rng.uniform(0.02, 0.06))
    voice = Voice(formants=tuple(float(f * rng.uniform(0.8, 1.25)) for f in (500, 1700, 2800)),
                  rolloff=float(rng.uniform(0.55, 0.85)), vibrato_hz=float(rng.uniform(4.5, 6.5)),
                  vibrato_cents=float(rng.uniform(15, 60)), breath=0.02)
    cover = replace(song, key=(song.key + shift) % 12,
                    notes=tuple((m + shift, b) for m, b in song.notes), bpm=song.bpm * tempo,
                    voice=voice, arrangement="arpeggio", bed_gain=float(rng.uniform(0.3, 0.5)))
    if song.key + shift != cover.key:  # keep the bed in the octave the melody moved to
        cover = replace(cover, key=song.key + shift)
    order = list(range(len(song.notes)))
    while order == sorted(order):
        rng.shuffle(order)
    decoy = replace(song, notes=tuple(song.notes[i] for i in order))
    return Case(render(song, seed), render(cover, seed + 1), render(decoy, seed), shift, tempo)


def write_case(case: Case, folder: Path, stem: str) -> dict[str, Path]:
    """Write the three clips of ``case`` as 16-bit WAV files; return their paths."""
    import soundfile as sf

    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name in ("source", "cover", "decoy"):
        path = folder / f"{stem}_{name}.wav"
        sf.write(str(path), getattr(case, name), RATE, subtype="PCM_16")
        paths[name] = path
    return paths


def main(argv: list[str] | None = None) -> int:
    """Write generated cases to a folder."""
    p = argparse.ArgumentParser(description="write synthetic songs, covers and decoys")
    p.add_argument("folder", type=Path)
    p.add_argument("--cases", type=int, default=12)
    p.add_argument("--seed", type=int, default=1000)
    p.add_argument("--bars", type=int, default=8)
    args = p.parse_args(argv)
    for k in range(args.cases):
        write_case(make_case(args.seed + k, args.bars), args.folder, f"case_{k}")
    print(args.folder)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

