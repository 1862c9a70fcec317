"""Magnitude and random pruning of MLPs, structured and unstructured.

*Structured* pruning removes whole hidden neurons. Which ones is decided here
(:func:`magnitude_keep`, :func:`random_keep`); the removal itself is physical,
by :meth:`Topology.keep_neurons`, so parameters, FLOPs and latency really drop.

*Unstructured* pruning zeroes individual weights through
:mod:`torch.nn.utils.prune`: the masks stay attached while the network is
fine-tuned, so pruned weights stay zero, and :func:`make_pruning_permanent`
folds them into plain weights at the end.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn.utils import prune

__all__ = [
    "CRITERIA",
    "count_nonzero_parameters",
    "geometric_schedule",
    "hidden_sizes_for_sparsity",
    "keep_zeros_pruned",
    "magnitude_keep",
    "make_pruning_permanent",
    "masked_weight",
    "neuron_importance",
    "only_weight_pruning_hooks",
    "prune_weights",
    "random_keep",
    "refresh_masked_weights",
    "weight_pruning_hook",
]

CRITERIA = ("l2", "l1", "outgoing")


def neuron_importance(weights, layer, criterion="l2"):
    """Importance of every neuron of hidden layer ``layer``.

    Parameters
    ----------
    weights : list of (Tensor, Tensor)
        ``(weight, bias)`` per linear layer, ``weight`` shaped ``(out, in)``.
    layer : int
        Hidden layer index (0 is the first hidden layer).
    criterion : {'l2', 'l1', 'outgoing'}, default='l2'
        ``'l2'``: L2 norm of the neuron's incoming weights (the Random Cloud
        paper's criterion); ``'l1'``: their L1 norm; ``'outgoing'``: L2 norm of
        the weights leaving the neuron. Biases are not counted.

    Returns
    -------
    importance : Tensor of shape (width,)
    """
    if criterion == "l2":
        return weights[layer][0].norm(p=2, dim=1)
    if criterion == "l1":
        return weights[layer][0].norm(p=1, dim=1)
    if criterion == "outgoing":
        return weights[layer + 1][0].norm(p=2, dim=0)
    raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}.")


def magnitude_keep(weights, target_hidden, criterion="l2"):
    """Per hidden layer, the indices of the most important neurons.

    Ties go to the lower index. Indices come back sorted, so the surviving
    neurons keep their relative order.
    """
    keep = []
    for layer, width in enumerate(target_hidden):
        importance = neuron_importance(weights, layer, criterion).double()
        # Stable descending sort: equal importance keeps the lower index first.
        order = torch.sort(importance, descending=True, stable=True).indices
        keep.append(torch.sort(order[:width]).values)
    return keep


def random_keep(hidden_layer_sizes, target_hidden, generator):
    """Per hidden layer, ``target`` neuron indices drawn uniformly at random."""
    return [
        torch.sort(torch.randperm(full, generator=generator)[:width]).values
        for full, width in zip(hidden_layer_sizes, target_hidden)
    ]


def hidden_sizes_for_sparsity(topology, sparsity):
    """Hidden widths whose parameter count is closest to ``(1 - sparsity)`` of now.

    Every hidden layer keeps the same fraction of its neurons (at least one),
    so the shape of the network is preserved while it shrinks.

    Parameters
    ----------
    topology : Topology
    sparsity : float in [0, 1)
        Fraction of the parameters to remove.

    Returns
    -------
    hidden_layer_sizes : tuple of int
    """
    target = (1.0 - sparsity) * topology.n_params
    best, best_gap = None, np.inf
    widest = max(topology.hidden_layer_sizes)
    # Every distinct width vector reachable by a common keep fraction.
    for fraction in np.linspace(0.0, 1.0, 64 * widest + 1):
        hidden = tuple(
            max(1, int(round(fraction * h))) for h in topology.hidden_layer_sizes
        )
        gap = abs(topology.with_hidden(hidden).n_params - target)
        if gap < best_gap:
            best, best_gap = hidden, gap
    return best


def geometric_schedule(start, stop, n_steps):
    """``n_steps`` integer values from ``start`` towards ``stop``, geometrically.

    The last value is ``stop``; used for iterative pruning, where each round
    removes the same fraction of what is left.
    """
    ratios = (stop / start) ** (np.arange(1, n_steps + 1) / n_steps)
    values = [max(stop, int(round(start * r))) for r in ratios]
    values[-1] = stop
    return values


def _prunable(module):
    return [(m, "weight") for m in module if isinstance(m, nn.Linear)]


def _alive_masks(module):
    """Per linear layer, True where the weight has not been pruned."""
    masks = []
    for layer, name in _prunable(module):
        mask = getattr(layer, name + "_mask", None)
        weight = getattr(layer, name)
        masks.append(
            torch.ones_like(weight, dtype=torch.bool) if mask is None else mask.bool()
        )
    return masks


def prune_weights(module, n_keep, method, generator=None):
    """Zero weights of ``module`` globally until ``n_keep`` non-zero remain.

    Repeated calls prune further: already-pruned weights stay pruned.
    Biases are never pruned.

    Parameters
    ----------
    module : torch.nn.Sequential
    n_keep : int
        Non-zero weights to keep over all linear layers.
    method : {'magnitude', 'random'}
        ``'magnitude'``: the smallest ``|w|`` across all layers go first
        (:func:`torch.nn.utils.prune.global_unstructured` with
        ``L1Unstructured``). ``'random'``: uniformly at random among the
        surviving weights, drawn from ``generator`` and applied with
        :func:`torch.nn.utils.prune.custom_from_mask`.
    generator : torch.Generator, optional
        Required for ``'random'``.
    """
    alive = _alive_masks(module)
    n_alive = int(sum(a.sum() for a in alive))
    n_prune = n_alive - int(n_keep)
    if n_prune <= 0:
        return module
    if method == "magnitude":
        # A masked weight is recomputed by its hook at a forward pass, so
        # after training it is the one before the last step: rank the
        # weights as trained.
        refresh_masked_weights(module)
        prune.global_unstructured(
            _prunable(module), pruning_method=prune.L1Unstructured, amount=n_prune
        )
    elif method == "random":
        flat_alive = torch.cat([a.reshape(-1) for a in alive])
        candidates = torch.nonzero(flat_alive).reshape(-1)
        chosen = candidates[torch.randperm(len(candidates), generator=generator)]
        flat_mask = flat_alive.clone()
        flat_mask[chosen[:n_prune]] = False
        start = 0
        for (layer, name), layer_alive in zip(_prunable(module), alive):
            size = layer_alive.numel()
            mask = flat_mask[start : start + size].reshape(layer_alive.shape)
            prune.custom_from_mask(layer, name, mask)
            start += size
    else:
        raise ValueError(f"method must be 'magnitude' or 'random', got {method!r}.")
    return module


@torch.no_grad()
def refresh_masked_weights(module):
    """Recompute every masked weight of ``module`` as its hook does at a
    forward pass (``weight_orig * weight_mask``)."""
    for layer, _ in _prunable(module):
        hook = weight_pruning_hook(layer)
        if hook is not None:
            hook(layer, ())


def make_pruning_permanent(module):
    """Fold pruning masks into plain weights (zeros stay zero)."""
    for layer, name in _prunable(module):
        if prune.is_pruned(layer):
            prune.remove(layer, name)
    return module


def keep_zeros_pruned(module):
    """Mask every zero weight of ``module`` so that training keeps it zero.

    The inverse of :func:`make_pruning_permanent`, for a pruned network that
    trains further.
    """
    for layer, name in _prunable(module):
        prune.custom_from_mask(layer, name, getattr(layer, name).detach() != 0)
    return module


def weight_pruning_hook(linear):
    """The :mod:`torch.nn.utils.prune` hook masking ``linear.weight``, or None.

    None also when the layer has no hook, or any other forward pre-hook (a
    pruned bias, say).
    """
    hooks = list(linear._forward_pre_hooks.values())
    if len(hooks) != 1 or not isinstance(hooks[0], prune.BasePruningMethod):
        return None
    if hooks[0]._tensor_name != "weight" or not hasattr(linear, "weight_mask"):
        return None
    return hooks[0]


def only_weight_pruning_hooks(module):
    """Whether ``module``'s only hooks are the pruning masks of its linear
    layers' weights (what a training that reproduces them must apply)."""
    for layer in module:
        if layer._forward_hooks:
            return False
        if layer._forward_pre_hooks and (
            not isinstance(layer, nn.Linear) or weight_pruning_hook(layer) is None
        ):
            return False
    return True


def masked_weight(linear):
    """``linear``'s weight as its forward pass uses it (pruned ones zero),
    computed from ``weight_orig`` rather than read from a possibly stale
    ``weight``."""
    if linear._forward_pre_hooks:
        return linear.weight_orig * linear.weight_mask
    return linear.weight


def count_nonzero_parameters(module):
    """Non-zero weights plus all biases of the linear layers."""
    total = 0
    for layer in module:
        if isinstance(layer, nn.Linear):
            total += int((layer.weight.detach() != 0).sum()) + layer.bias.numel()
    return total
