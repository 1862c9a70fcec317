"""Progressive structural reduction over a cloud (the Random Cloud search)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from joblib import Parallel, delayed

from .._parallel import threads_per_job, torch_threads
from ..cloud import BLOCK_BYTES
from ..proxies import StackedNetworks, score_networks, weight_options

__all__ = [
    "SearchResult",
    "progressive_reduction",
    "reduction_candidates",
    "reduction_stages",
    "select_candidate",
]


@dataclass
class SearchResult:
    """Every candidate a reduction search scored.

    Attributes
    ----------
    candidates : list of tuple of int
        Hidden widths of each visited sub-topology, in visiting order; every
        network visits the same list.
    n_params : ndarray of shape (n_candidates,)
        Parameter count of each candidate.
    scores : ndarray of shape (n_networks, n_candidates)
        ``scores[i, j]``: score of network ``i`` cut to ``candidates[j]``.
    """

    candidates: list
    n_params: np.ndarray
    scores: np.ndarray

    def history(self):
        """Every scored candidate, flattened in visiting order (network-major).

        Returns
        -------
        history : dict of ndarray
            ``network``, ``hidden_layer_sizes`` (object array of tuples),
            ``n_params`` and ``score``, one entry per candidate, in the layout of
            scikit-learn's ``cv_results_`` (``pandas.DataFrame(history)`` works).
        """
        n_networks, n_candidates = self.scores.shape
        hidden = np.empty(n_candidates, dtype=object)
        hidden[:] = self.candidates
        return {
            "network": np.repeat(np.arange(n_networks), n_candidates),
            "hidden_layer_sizes": np.tile(hidden, n_networks),
            "n_params": np.tile(self.n_params, n_networks),
            "score": self.scores.reshape(-1).copy(),
        }


def _score_block(cloud, X, y, scorer, stages, networks, sample_weight):
    activations = cloud.hidden_activations(X, networks)
    options = weight_options(scorer, sample_weight)
    columns = []
    for depth, widths in stages:
        out_weight, out_bias = cloud.output_layer(depth, networks)
        columns.append(
            scorer.score_prefixes(
                activations[depth - 1], out_weight, out_bias, y, widths, **options
            )
        )
    return torch.cat(columns, dim=1).cpu().to(torch.float64).numpy()


def _score_each_candidate(cloud, X, y, scorer, candidates, networks, sample_weight):
    """Score one candidate shape at a time, the block's networks as one stack."""
    columns = []
    for hidden in candidates:
        stack = StackedNetworks.from_weights(
            cloud.sub_stack(hidden, networks), cloud.topology.activation
        )
        columns.append(score_networks(scorer, stack, X, y, sample_weight))
    return np.stack(columns, axis=1)


def reduction_stages(hidden_layer_sizes, step):
    """The sub-topologies the sequential reduction policy visits, in order.

    The last hidden layer shrinks by ``step`` neurons per step down to one
    neuron; then it is deleted and the layer before it shrinks the same way, and
    so on until only the first hidden layer, at its smallest width, is left.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int
        The maximal hidden widths.
    step : int
        Neurons removed per step.

    Returns
    -------
    stages : list of (int, ndarray)
        ``(depth, widths)``: ``depth`` hidden layers are kept, the first
        ``depth - 1`` at full width, the last one at each of ``widths``
        (descending).
    """
    stages = []
    for depth in range(len(hidden_layer_sizes), 0, -1):
        full = hidden_layer_sizes[depth - 1]
        widths = np.arange(full, 0, -step, dtype=np.int64)
        stages.append((depth, widths))
    return stages


def reduction_candidates(hidden_layer_sizes, step=1):
    """Hidden widths of every sub-topology the reduction visits, in order.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int
        The maximal hidden widths.
    step : int, default=1

    Returns
    -------
    candidates : list of tuple of int
    """
    full = tuple(hidden_layer_sizes)
    return [
        (*full[: depth - 1], int(width))
        for depth, widths in reduction_stages(full, step)
        for width in widths
    ]


def progressive_reduction(
    cloud, X, y, scorer, step=1, n_jobs=None, sample_weight=None, on_scored=None
):
    """Score every sub-topology the sequential reduction policy visits.

    Every network of the cloud is scored at its full topology, then with its
    last hidden layer truncated by ``step`` neurons at a time down to one
    neuron, then with that layer deleted and the previous one truncated, and so
    on (see :func:`reduction_stages`).

    Parameters
    ----------
    cloud : RandomCloud
    X : Tensor of shape (n_samples, n_features)
    y : Tensor of shape (n_samples,)
        Class indices.
    scorer : scorer object or callable(module, X, y)
        A scorer with ``score_prefixes`` (the forward scores) scores all
        truncations of a block of networks in one batched pass; one with
        ``score_stack`` (every built-in scorer) scores a block's networks at
        one candidate shape in one pass; a plain callable is called once per
        candidate module.
    step : int, default=1
        Neurons removed per reduction step.
    n_jobs : int or None, default=None
        Blocks of networks scored in parallel through joblib (threads unless
        ``joblib.parallel_config`` says otherwise), torch threads capped at
        cores / ``n_jobs`` meanwhile.
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Row weights, for the proxies that average over rows.
    on_scored : callable or None, default=None
        ``on_scored(n_scored)``, called as each block of networks is scored
        (in order) with the number of networks scored so far, e.g. to draw a
        progress bar.

    Returns
    -------
    SearchResult
    """
    stages = reduction_stages(cloud.topology.hidden_layer_sizes, step)
    candidates = reduction_candidates(cloud.topology.hidden_layer_sizes, step)
    n_params = np.array(
        [cloud.sub_topology(hidden).n_params for hidden in candidates], dtype=np.int64
    )
    batched = hasattr(scorer, "score_prefixes")
    memory_factor = getattr(scorer, "memory_factor", 1)
    blocks = cloud.block_slices(len(X), max_bytes=BLOCK_BYTES // memory_factor)
    with torch.no_grad():
        if batched:
            jobs = (
                delayed(_score_block)(cloud, X, y, scorer, stages, block, sample_weight)
                for block in blocks
            )
        else:
            jobs = (
                delayed(_score_each_candidate)(
                    cloud, X, y, scorer, candidates, block, sample_weight
                )
                for block in blocks
            )
        # Thread workers share this process's torch threads: split the cores.
        with torch_threads(threads_per_job(n_jobs)):
            parts, n_scored = [], 0
            for part in Parallel(
                n_jobs=n_jobs, prefer="threads", return_as="generator"
            )(jobs):
                parts.append(part)
                n_scored += len(part)
                if on_scored is not None:
                    on_scored(n_scored)
    return SearchResult(candidates, n_params, np.concatenate(parts, axis=0))


def select_candidate(
    result, threshold, selection="best", tolerance=0.0, max_params=None, min_params=None
):
    """Pick the winning (network, sub-topology) of a search.

    Parameters
    ----------
    result : SearchResult
    threshold : float
        Only candidates scoring strictly above it qualify.
    selection : {'best', 'smallest'}, default='best'
        ``'best'``: the highest score, ties going to the first visited (the
        paper's strict argmax, which favours lower network indices and larger
        sub-topologies). ``'smallest'``: the fewest parameters among candidates
        scoring at least ``best - tolerance``; ties go to the higher score, then
        to the first visited.
    tolerance : float, default=0.0
        Score margin for ``'smallest'``.
    max_params, min_params : int or None, default=None
        Only candidates with at most ``max_params`` and at least
        ``min_params`` parameters qualify.

    Returns
    -------
    network : int or None
        Index of the winning network, ``None`` when nothing passed.
    hidden_layer_sizes : tuple of int or None
    score : float
        The winner's score (the best score seen when nothing passed).
    """
    scores = result.scores
    finite = np.where(np.isfinite(scores), scores, -np.inf)
    qualified = finite > threshold
    if max_params is not None:
        qualified &= (result.n_params <= max_params)[None, :]
    if min_params is not None:
        qualified &= (result.n_params >= min_params)[None, :]
    if not qualified.any():
        return None, None, float(np.max(finite)) if finite.size else -np.inf
    flat = np.where(qualified, finite, -np.inf).reshape(-1)
    if selection == "best":
        winner = int(np.argmax(flat))
    elif selection == "smallest":
        eligible = np.flatnonzero(flat >= flat.max() - tolerance)
        params = np.tile(result.n_params, scores.shape[0])[eligible]
        # lexsort: last key is primary. Order: fewest params, highest score, first.
        order = np.lexsort((eligible, -flat[eligible], params))
        winner = int(eligible[order[0]])
    else:
        raise ValueError(f"selection must be 'best' or 'smallest', got {selection!r}.")
    network, column = divmod(winner, scores.shape[1])
    return network, result.candidates[column], float(flat[winner])
