"""Finalists of a reduction search: candidates of several sizes.

A training-free score ranks untrained networks; it cannot tell a bottleneck
that will not train from a small network that will. So rather than one
winner, the search can hand over finalists along its size axis, to be
trained and compared on held-out rows: from the smallest candidate that
scores above the threshold (by default, better than the majority class) up
to the largest, at sizes spaced evenly on a log scale, and at each size the
best-scoring networks of the cloud.
"""

from __future__ import annotations

import numpy as np

__all__ = ["select_finalists"]


def select_finalists(
    result, threshold, n_sizes, n_per_size=1, max_params=None, min_params=None
):
    """``(network, hidden_layer_sizes, score)`` of the finalists, smallest first.

    Parameters
    ----------
    result : SearchResult
    threshold : float
        Only candidates scoring strictly above it qualify.
    n_sizes : int
        Sizes taken, from the smallest qualified candidate to the largest,
        as evenly spaced in ``log(n_params)`` as the visited sizes allow
        (fewer when fewer sizes qualify); at each, the best-scoring
        sub-topology of that size.
    n_per_size : int, default=1
        Networks taken at each size: the best-scoring qualified ones.
    max_params, min_params : int or None, default=None
        Only candidates with at most ``max_params`` and at least
        ``min_params`` parameters qualify.

    Returns
    -------
    finalists : list of (int, tuple of int, float)
        Empty when no candidate qualifies.
    """
    scores = np.where(np.isfinite(result.scores), result.scores, -np.inf)
    qualified = scores > threshold
    if max_params is not None:
        qualified &= (result.n_params <= max_params)[None, :]
    if min_params is not None:
        qualified &= (result.n_params >= min_params)[None, :]
    columns = np.flatnonzero(qualified.any(axis=0))
    if not len(columns):
        return []
    column_best = np.where(qualified, scores, -np.inf).max(axis=0)
    chosen = _spread_columns(columns, result.n_params, column_best, n_sizes)
    finalists = []
    for column in sorted(chosen, key=lambda c: result.n_params[c]):
        ranked = np.argsort(
            -np.where(qualified[:, column], scores[:, column], -np.inf), kind="stable"
        )
        for network in ranked[:n_per_size]:
            if qualified[network, column]:
                finalists.append(
                    (
                        int(network),
                        tuple(result.candidates[column]),
                        float(scores[network, column]),
                    )
                )
    return finalists


def _spread_columns(columns, n_params, column_best, n_sizes):
    """Up to ``n_sizes`` columns spread evenly in log size, each the best scored.

    The targets run from the smallest to the largest size of ``columns``;
    each takes the best-scoring column of those nearest it in log size that
    no earlier target took.
    """
    sizes = np.log(n_params[columns].astype(float))
    targets = np.linspace(sizes.min(), sizes.max(), n_sizes)
    chosen = []
    for target in targets:
        free = [i for i in range(len(columns)) if columns[i] not in chosen]
        if not free:
            break
        distance = np.abs(sizes[free] - target)
        nearest = [free[i] for i in np.flatnonzero(distance <= distance.min() + 1e-9)]
        best = max(
            nearest, key=lambda i: (column_best[columns[i]], -n_params[columns[i]])
        )
        chosen.append(int(columns[best]))
    return chosen
