"""Synthesize the example reference song: 12 s, stereo, 44.1 kHz, written as MP3.

Deterministic and licence-clean (CC0, see LICENSE.md): everything is computed here with numpy,
no samples or recordings are used. Six bars at 120 BPM over C - Am - F - G - F - C: a sung-like
lead (harmonics of a vibrato voice shaped by vowel formants, singing "la-lo-le"), a bass line,
a soft chord pad and a drum beat (sine kick, noise snare, noise hi-hat).

    python examples/audio/make_example_song.py [output.mp3]

Needs numpy and the ``minimax_cover`` package (for ``write_audio``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

try:
    from minimax_cover.plugin.audio import Audio, write_audio
except ImportError:  # pragma: no cover - only when run without the package installed
    sys.exit('install the package first: pip install -e .  (it provides "minimax_cover")')

SR = 44100
BPM = 120.0
BEAT = 60.0 / BPM
BARS = 6
DURATION = BARS * 4 * BEAT  # 12 s
N = int(SR * DURATION)
T = np.arange(N) / SR
RNG = np.random.default_rng(20240611)

# Chords as MIDI notes, one per bar.
CHORDS = [(48, 52, 55), (45, 48, 52), (41, 45, 48), (43, 47, 50), (41, 45, 48), (48, 52, 55)]
BASS = [36, 33, 29, 31, 29, 36]
# Lead melody: (MIDI note, length in beats); 24 beats in all, one line per bar.
# fmt: off
MELODY = [
    (67, 1), (64, 1), (67, 1), (72, 1),
    (69, 1), (72, 0.5), (71, 0.5), (69, 2),
    (65, 1), (69, 1), (72, 1), (69, 1),
    (71, 1), (69, 1), (67, 2),
    (69, 1), (65, 1), (67, 0.5), (69, 0.5), (72, 1),
    (74, 1), (71, 1), (72, 2),
]
# fmt: on
# Vowel formants (Hz) and their relative gains: "a", "o", "e".
VOWELS = {
    "a": ((800, 1150, 2900), (1.0, 0.5, 0.12)),
    "o": ((450, 800, 2830), (1.0, 0.35, 0.06)),
    "e": ((400, 2100, 2800), (1.0, 0.25, 0.12)),
}


def midi_hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69) / 12)


def envelope(n: int, attack: float, release: float) -> np.ndarray:
    """Linear attack, flat sustain, linear release, in samples of length ``n``."""
    env = np.ones(n)
    a, r = min(int(attack * SR), n // 2), min(int(release * SR), n // 2)
    if a:
        env[:a] = np.linspace(0.0, 1.0, a)
    if r:
        env[-r:] *= np.linspace(1.0, 0.0, r)
    return env


def lead_voice() -> np.ndarray:
    """A vibrato voice: harmonics of f0(t) weighted by vowel formant peaks."""
    f0 = np.zeros(N)
    amp = np.zeros(N)
    formants = np.zeros((3, N))
    gains = np.zeros((3, N))
    vibrato_age = np.zeros(N)
    start = 0.0
    for i, (note, beats) in enumerate(MELODY):
        a, b = int(start * SR), min(int((start + beats * BEAT) * SR), N)
        f0[a:b] = midi_hz(note)
        amp[a:b] = envelope(b - a, 0.04, 0.08) * (0.9 if beats < 1 else 1.0)
        freqs, g = VOWELS["aoe"[i % 3]]
        formants[:, a:b] = np.array(freqs)[:, None]
        gains[:, a:b] = np.array(g)[:, None]
        vibrato_age[a:b] = np.arange(b - a) / SR
        start += beats * BEAT
    # Glide between notes (portamento) and smooth vowel changes with a one-pole smoother.
    f0 = smooth(f0, 0.025)
    formants = np.stack([smooth(f, 0.04) for f in formants])
    gains = np.stack([smooth(g, 0.04) for g in gains])
    depth = np.clip((vibrato_age - 0.15) / 0.3, 0.0, 1.0) * 0.012  # delayed vibrato, ~20 cents
    f0 = f0 * (1.0 + depth * np.sin(2 * np.pi * 5.4 * T))
    phase = 2 * np.pi * np.cumsum(f0) / SR
    voice = np.zeros(N)
    for k in range(1, 24):
        fk = k * f0
        weight = sum(
            gains[j] / (1.0 + ((fk - formants[j]) / (90.0 + 0.06 * formants[j])) ** 2)
            for j in range(3)
        )
        weight = np.where(fk < SR / 2 - 500, weight, 0.0) / k**0.7
        voice += weight * np.sin(k * phase)
    breath = np.diff(RNG.standard_normal(N + 1)) * 0.004
    return (voice / np.max(np.abs(voice)) + breath) * amp


def smooth(x: np.ndarray, seconds: float) -> np.ndarray:
    """One-pole low-pass (exponential smoothing) with time constant ``seconds``."""
    alpha = 1.0 - np.exp(-1.0 / (seconds * SR))
    out = np.empty_like(x)
    acc = x[0]
    # Vectorize by blocks: smoothing at control rate (every 64 samples) is plenty here.
    step = 64
    for i in range(0, len(x), step):
        block = x[i : i + step]
        target = block.mean()
        decay = (1.0 - alpha) ** np.arange(1, len(block) + 1)
        out[i : i + step] = target + (acc - target) * decay
        acc = out[i + len(block) - 1]
    return out


def bass_line() -> np.ndarray:
    out = np.zeros(N)
    for bar, root in enumerate(BASS):
        for beat, octave in ((0, 0), (1.5, 0), (2, 12), (3, 0)):
            start = (bar * 4 + beat) * BEAT
            a, b = int(start * SR), min(int((start + 0.45) * SR), N)
            t = np.arange(b - a) / SR
            f = midi_hz(root + octave)
            tone = np.sin(2 * np.pi * f * t) + 0.3 * np.sin(4 * np.pi * f * t)
            out[a:b] += tone * np.exp(-t * 4.0) * envelope(b - a, 0.005, 0.03)
    return out * 0.45


def chord_pad(detune: float) -> np.ndarray:
    out = np.zeros(N)
    for bar, chord in enumerate(CHORDS):
        a, b = int(bar * 4 * BEAT * SR), int((bar + 1) * 4 * BEAT * SR)
        t = np.arange(b - a) / SR
        env = envelope(b - a, 0.25, 0.3)
        for note in chord:
            f = midi_hz(note + 12) * detune
            for k, g in ((1, 1.0), (2, 0.4), (3, 0.2), (4, 0.1)):
                out[a:b] += g * np.sin(2 * np.pi * k * f * t) * env
    return out * 0.06


def drums() -> tuple[np.ndarray, np.ndarray]:
    kick, hats = np.zeros(N), np.zeros(N)
    for beat in range(BARS * 4):
        at = int(beat * BEAT * SR)
        if beat % 2 == 0:  # kick on 1 and 3: a falling sine
            n = min(int(0.35 * SR), N - at)
            t = np.arange(n) / SR
            freq = 45.0 + 75.0 * np.exp(-t * 25.0)
            kick[at : at + n] += np.sin(2 * np.pi * np.cumsum(freq) / SR) * np.exp(-t * 9.0)
        else:  # snare on 2 and 4: noise plus a short tone
            n = min(int(0.2 * SR), N - at)
            t = np.arange(n) / SR
            noise = RNG.standard_normal(n) * np.exp(-t * 22.0) * 0.35
            kick[at : at + n] += noise + 0.3 * np.sin(2 * np.pi * 185 * t) * np.exp(-t * 30.0)
        for half in (0, 1):  # hi-hat on every eighth: high-passed noise, very short
            start = int((beat + 0.5 * half) * BEAT * SR)
            n = min(int(0.05 * SR), N - start)
            t = np.arange(n) / SR
            hats[start : start + n] += np.diff(RNG.standard_normal(n + 1)) * np.exp(-t * 90.0)
    return kick * 0.65, hats * 0.1


def mix() -> np.ndarray:
    lead = lead_voice() * 0.5
    bass = bass_line()
    pad_l, pad_r = chord_pad(0.997), chord_pad(1.003)
    kit, hats = drums()
    left = lead + bass + pad_l + kit + hats * 0.7
    right = lead + bass + pad_r + kit + hats * 1.0
    stereo = np.stack([left, right])
    stereo = np.tanh(stereo * 1.1) / np.tanh(1.1)  # gentle glue
    fade = envelope(N, 0.01, 0.4)
    stereo *= fade
    return (stereo / np.max(np.abs(stereo)) * 0.89).astype(np.float32)  # peak -1 dBFS


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("example_song.mp3")
    song = Audio(mix(), SR)
    write_audio(song, out, "MP3", bitrate_kbps=128)
    print(f"wrote {out} ({out.stat().st_size // 1024} KiB, {song.duration_s:.1f} s)")


if __name__ == "__main__":
    main()
