"""Melody kept: DTW, transpositions, and the proof on synthetic covers and decoys."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from minimax_cover.plugin.audio import Audio
from minimax_cover.plugin.cli import main
from minimax_cover.plugin.measure import compare_takes
from minimax_cover.plugin.measure.dtw import dtw_distance
from minimax_cover.plugin.measure.synth import RATE, make_case, write_case


def brute_dtw(a: np.ndarray, b: np.ndarray) -> float:
    """The textbook recursion (symmetric2 weights), cell by cell."""
    n, m = len(a), len(b)
    cost = 1.0 - a @ b.T
    d = np.full((n, m), np.inf)
    for i in range(n):
        for j in range(m):
            c = cost[i, j]
            if i == 0 and j == 0:
                d[i, j] = c
                continue
            best = np.inf
            if i and j:
                best = min(best, d[i - 1, j - 1] + 2 * c)
            if i:
                best = min(best, d[i - 1, j] + c)
            if j:
                best = min(best, d[i, j - 1] + c)
            d[i, j] = best
    return d[-1, -1] / (n + m)


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@pytest.mark.parametrize("seed", range(5))
def test_row_scan_dtw_equals_the_textbook_recursion(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = unit(rng.random((int(rng.integers(3, 25)), 12)))
    bs = unit(rng.random((3, int(rng.integers(3, 25)), 12)))
    got = dtw_distance(a, bs)
    assert got == pytest.approx([brute_dtw(a, b) for b in bs], abs=1e-9)


def test_the_same_song_keeps_all_its_melody_and_the_key_change_is_found() -> None:
    case = make_case(7, bars=4)
    song = Audio(case.source, RATE)
    c = compare_takes(song, [song, Audio(case.cover, RATE)])
    assert c.takes[0].melody_kept == pytest.approx(1.0, abs=0.01)
    assert c.takes[0].transpose_semitones == 0
    assert c.takes[1].transpose_semitones == case.transpose


def test_compare_ranks_unseen_covers_above_their_decoys(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    """The "done when": 12 cases never used in tuning (seeds 90000+), through the CLI."""
    wins = 0
    for k in range(12):
        paths = write_case(make_case(90000 + k, bars=4), tmp_path, f"case{k}")
        page = tmp_path / f"case{k}.html"
        assert main(["compare", str(paths["source"]), str(paths["cover"]), str(paths["decoy"]),
                     "-o", str(page), "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        cover, decoy = out["takes"]
        assert (cover["path"], decoy["path"]) == (str(paths["cover"]), str(paths["decoy"]))
        wins += cover["rank"] == 1 and cover["melodyKept"] > decoy["melodyKept"]
        assert page.is_file()
    assert wins >= 11


def proof(cases: int, first_seed: int) -> tuple[int, list[float]]:
    wins, margins = 0, []
    for k in range(cases):
        case = make_case(first_seed + k, bars=4)
        c = compare_takes(Audio(case.source, RATE), [Audio(case.cover, RATE),
                                                     Audio(case.decoy, RATE)])
        margin = c.takes[0].melody_kept - c.takes[1].melody_kept
        wins += margin > 0
        margins.append(margin)
    return wins, margins


@pytest.mark.slow
def test_200_generated_covers_outrank_their_decoys_in_95_percent() -> None:
    wins, _ = proof(200, 20000)
    assert wins >= 190


def test_silence_and_noise_keep_less_than_the_cover() -> None:
    case = make_case(3, bars=4)
    song = Audio(case.source, RATE)
    silent = Audio(np.zeros(RATE * 2, np.float32), RATE)
    noise = Audio(np.random.default_rng(0).normal(0, 0.1, RATE * 8).astype(np.float32), RATE)
    c = compare_takes(song, [silent, noise, Audio(case.cover, RATE)])
    kept = [t.melody_kept for t in c.takes]
    assert kept[0] == 0.0
    assert kept[1] < kept[2] - 0.1
    assert c.best == 2


def test_compare_measures_songs_shorter_than_the_upload_minimum(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    case = make_case(4, bars=2)  # 2 bars: about 4-5 s, under the model's 6 s minimum
    assert len(case.source) / RATE < 6.0
    paths = write_case(case, tmp_path, "short")
    assert main(["compare", str(paths["source"]), str(paths["cover"]), str(paths["decoy"]),
                 "-o", str(tmp_path / "short.html"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["source"]["durationS"] < 6.0
    assert all(0.0 <= t["melodyKept"] <= 1.0 for t in out["takes"])
