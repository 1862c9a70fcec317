"""Score many untrained architectures of a search space at initialisation."""

from __future__ import annotations

import numpy as np
import torch

from ..init import init_weights, seeded_generator
from ..proxies import StackedNetworks, evaluate_networks
from ..topology import Topology
from ._space import architecture_seed

__all__ = ["initial_weights", "score_architectures"]


def initial_weights(topology, init, seed, device="cpu"):
    """The initial weights an architecture is scored with (and trained from).

    Parameters
    ----------
    topology : Topology
    init : {'kaiming', 'uniform', 'glorot'}
    seed : int
        Seeds a fresh ``torch.Generator``, e.g.
        ``architecture_seed(base_seed, topology.hidden_layer_sizes)``.
    device : str or torch.device, default='cpu'

    Returns
    -------
    weights : list of (Tensor, Tensor)
        Weight ``(fan_out, fan_in)`` and bias ``(fan_out,)`` per linear layer,
        as :func:`sklearn_rcloud.init.init_weights` returns them.
    """
    return init_weights(topology, init, seeded_generator(seed, device), device=device)


def score_architectures(
    architectures,
    n_features,
    n_outputs,
    activation,
    init,
    base_seed,
    scorer,
    X,
    y,
    sample_weight=None,
):
    """Score every architecture at its initialisation.

    Architecture ``hidden`` is initialised from
    ``architecture_seed(base_seed, hidden)``, so a repeat scores the same and
    is scored once.

    Parameters
    ----------
    architectures : list of tuple of int
    n_features, n_outputs : int
    activation : str
    init : str
    base_seed : int
    scorer : scorer object or callable(module, X, y)
    X : Tensor of shape (n_samples, n_features)
    y : Tensor of shape (n_samples,) of class indices
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Row weights, for the proxies that average over rows.

    Returns
    -------
    scores : ndarray of shape (n_architectures,)
    singular : ndarray of bool, shape (n_architectures,)
        Whether the scorer had to regularise a singular kernel (NASWOT);
        all False for other scorers.
    """
    architectures = [tuple(hidden) for hidden in architectures]
    scored = {}
    for hidden in dict.fromkeys(architectures):
        topology = Topology(n_features, hidden, n_outputs, activation)
        seed = architecture_seed(base_seed, hidden)
        weights = initial_weights(topology, init, seed, X.device)
        # Distinct architectures have distinct shapes: each is a stack of one.
        stack = StackedNetworks.from_network(weights, activation)
        with torch.no_grad():
            score, singular = evaluate_networks(scorer, stack, X, y, sample_weight)
        scored[hidden] = (float(score[0]), bool(singular[0]))
    scores = np.array([scored[hidden][0] for hidden in architectures], dtype=float)
    singular = np.array([scored[hidden][1] for hidden in architectures], dtype=bool)
    return scores, singular
