"""Dynamic time warping in numpy, one row at a time, for every transposition at once.

The step pattern is Sakoe and Chiba's symmetric one (a diagonal step costs twice a
horizontal or vertical one), so a path's total weight is always ``n + m`` and the
normalised distance is comparable across lengths. Within a row, the horizontal steps form a
running minimum of ``candidate - cumulative cost``, which ``np.minimum.accumulate``
computes without a Python loop over columns; the loop is over rows only.
"""

from __future__ import annotations

from typing import Any

__all__ = ["dtw_distance", "transposed_similarity"]


def dtw_distance(a: Any, bs: Any) -> Any:
    """Normalised DTW distances between ``a`` ``[n, d]`` and each of ``bs`` ``[k, m, d]``.

    The local cost is ``1 - a_i . b_j`` (cosine distance for unit rows); the result is
    ``[k]`` in ``[0, 2]``: the path's weighted cost divided by ``n + m``.
    """
    import numpy as np

    n, m = a.shape[0], bs.shape[1]
    if n == 0 or m == 0:
        return np.ones(bs.shape[0])
    inf = np.inf
    prev = None
    for i in range(n):
        cost = 1.0 - bs @ a[i]  # [k, m]
        if prev is None:
            cand = np.full_like(cost, inf)
            cand[:, 0] = cost[:, 0]
        else:
            diag = np.concatenate([np.full((cost.shape[0], 1), inf), prev[:, :-1]], axis=1)
            cand = np.minimum(diag + 2.0 * cost, prev + cost)
        cum = np.cumsum(cost, axis=1)
        # D[j] = min over k <= j of cand[k] + cost[k+1..j] = cum[j] + min_k (cand[k] - cum[k])
        prev = cum + np.minimum.accumulate(cand - cum, axis=1)
    return prev[:, -1] / (n + m)


def _rotate(b: Any, r: int) -> Any:
    """``b`` transposed down ``r`` semitones: its first 12 columns (pitch classes) rolled,
    any further columns (a silence flag) kept."""
    import numpy as np

    out = b.copy()
    out[:, :12] = np.roll(b[:, :12], -r, axis=1)
    return out


def transposed_similarity(a: Any, b: Any, *, candidates: int = 3) -> tuple[float, int]:
    """Best similarity of ``a`` and ``b`` (``[frames, 12 or more]`` unit rows, pitch classes
    first) over transpositions of ``b``: ``(1 - distance, semitones b is above a)``.

    The ``candidates`` transpositions whose mean pitch-class profiles agree best (the optimal
    transposition index of Serra et al.) are aligned; 12 tries them all.
    """
    import numpy as np

    pa, pb = a[:, :12].mean(axis=0), b[:, :12].mean(axis=0)
    agreement = np.array([pa @ np.roll(pb, -r) for r in range(12)])
    tried = np.argsort(-agreement, kind="stable")[:max(1, min(12, candidates))]
    rotations = np.stack([_rotate(b, int(r)) for r in tried])
    dist = dtw_distance(a, rotations)
    best = int(np.argmin(dist))
    return float(1.0 - dist[best]), int(tried[best])
