"""Random search over node masks of an over-parameterised parent network.

A node mask keeps a random subset of every hidden layer's nodes, the same
number per layer for every mask (a given node sparsity). The sub-networks
inherit the parent's initial weights, are scored at initialisation in one
batched pass per block of masks (:meth:`RandomCloud.node_stack` and the
proxies' ``score_stack``), and the best is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..cloud import BLOCK_BYTES
from ..proxies import StackedNetworks, evaluate_networks

__all__ = ["NodeMaskResult", "nodes_kept", "random_node_search", "sample_node_masks"]


def nodes_kept(hidden_layer_sizes, sparsity):
    """Nodes each hidden layer keeps at a node sparsity.

    Layer ``l`` of width ``H`` loses ``round(sparsity * H)`` nodes (halves
    rounded up) and keeps at least one.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int
    sparsity : float in [0, 1)
        Fraction of every hidden layer's nodes removed.

    Returns
    -------
    kept : tuple of int
    """
    if not 0 <= sparsity < 1:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity!r}.")
    return tuple(
        max(1, int(width) - int(np.floor(sparsity * int(width) + 0.5)))
        for width in hidden_layer_sizes
    )


def sample_node_masks(hidden_layer_sizes, n_kept, n_masks, seed):
    """``n_masks`` random node masks, each drawn from its own stream.

    Mask ``t`` depends only on ``(seed, t)``: a search with more masks sees
    the same first masks, and ``n_masks=1`` gives the first mask of any
    larger search.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int
        Widths of the parent's hidden layers.
    n_kept : tuple of int
        Nodes kept per hidden layer (:func:`nodes_kept`).
    n_masks : int
    seed : int

    Returns
    -------
    kept : list of ndarray of int64
        One ``(n_masks, n_kept[l])`` array per hidden layer, each row the
        sorted indices of the nodes mask ``t`` keeps, drawn uniformly without
        replacement.
    """
    kept = [np.empty((n_masks, k), dtype=np.int64) for k in n_kept]
    for mask in range(n_masks):
        rng = np.random.default_rng([int(seed), mask])
        for layer, (width, k) in enumerate(zip(hidden_layer_sizes, n_kept)):
            kept[layer][mask] = np.sort(rng.permutation(width)[:k])
    return kept


@dataclass
class NodeMaskResult:
    """The masks a node search scored.

    Attributes
    ----------
    kept : list of ndarray of int64
        As :func:`sample_node_masks` returns them.
    scores : ndarray of shape (n_masks,)
    singular : ndarray of bool, shape (n_masks,)
        Whether the scorer regularised a singular kernel (NASWOT).
    """

    kept: list
    scores: np.ndarray
    singular: np.ndarray

    def best(self):
        """Index of the best-scoring mask (NaN ranks last, ties to the first)."""
        return int(np.argmax(np.nan_to_num(self.scores, nan=-np.inf)))

    def mask(self, index):
        """The kept node indices of mask ``index``, one array per hidden layer."""
        return [layer[index] for layer in self.kept]


def random_node_search(
    cloud, n_kept, n_masks, scorer, X, y, seed, network=0, sample_weight=None
):
    """Score random node masks of a cloud network at initialisation.

    Parameters
    ----------
    cloud : RandomCloud
        Holds the parent; every hidden layer is masked, none is deleted.
    n_kept : tuple of int
        Nodes kept per hidden layer.
    n_masks : int
    scorer : scorer object, callable(module, X, y) or None
        Built-in scorers score a block of masks in one pass; a callable is
        called once per mask; None scores nothing (NaN scores).
    X : Tensor of shape (n_samples, n_features) or None
    y : Tensor of shape (n_samples,) of class indices, or None
    seed : int
        Seeds the masks (:func:`sample_node_masks`).
    network : int, default=0
        The cloud network that is the parent.
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Row weights, for the proxies that average over rows.

    Returns
    -------
    NodeMaskResult
    """
    hidden = cloud.topology.hidden_layer_sizes
    kept = sample_node_masks(hidden, n_kept, n_masks, seed)
    if scorer is None:
        return NodeMaskResult(kept, np.full(n_masks, np.nan), np.zeros(n_masks, bool))
    memory_factor = getattr(scorer, "memory_factor", 1)
    per_mask = 4 * len(X) * sum(n_kept) * memory_factor
    block = int(max(1, min(n_masks, BLOCK_BYTES // max(per_mask, 1))))
    scores, singular = [], []
    for start in range(0, n_masks, block):
        part = [torch.as_tensor(k[start : start + block]) for k in kept]
        stack = StackedNetworks.from_weights(
            cloud.node_stack(part, network), cloud.topology.activation
        )
        with torch.no_grad():
            block_scores, block_singular = evaluate_networks(
                scorer, stack, X, y, sample_weight
            )
        scores.append(block_scores)
        singular.append(block_singular)
    return NodeMaskResult(kept, np.concatenate(scores), np.concatenate(singular))
