"""Weight initialisation schemes, drawn from an explicit ``torch.Generator``.

Every draw goes through a generator owned by the caller, so fitting an
estimator never reads or changes torch's global random state.
"""

from __future__ import annotations

import math

import torch

from .activations import ACTIVATIONS

__all__ = ["INITS", "draw_layer", "init_bounds", "init_weights", "seeded_generator"]

INITS = ("uniform", "kaiming", "glorot")


def seeded_generator(seed, device="cpu"):
    """A ``torch.Generator`` on ``device`` seeded with ``seed``.

    The one way the library makes a torch generator from a seed: every draw
    (weights, shuffles, batches of the proxies) goes through one, never
    through torch's global random state.
    """
    generator = torch.Generator(device=device)
    generator.manual_seed(int(seed))
    return generator


def init_bounds(init, fan_in, fan_out, activation):
    """Half-widths ``(weight_bound, bias_bound)`` of the uniform draws.

    Parameters
    ----------
    init : {'uniform', 'kaiming', 'glorot'}
        ``'uniform'``: U[-1, 1] for weights and biases (Random Cloud paper).
        ``'kaiming'``: He uniform, ``gain * sqrt(3 / fan_in)`` with the gain of
        ``activation``; biases U[-1/sqrt(fan_in), 1/sqrt(fan_in)] as in PyTorch.
        ``'glorot'``: scikit-learn's MLP rule, ``sqrt(f / (fan_in + fan_out))``
        with f = 2 for 'logistic' and 6 otherwise, biases alike.
    fan_in, fan_out : int
        Layer widths.
    activation : str or None
        Activation that follows the layer; ``None`` for the output layer.
    """
    if init == "uniform":
        return 1.0, 1.0
    if init == "kaiming":
        gain = 1.0 if activation is None else ACTIVATIONS[activation].gain
        return gain * math.sqrt(3.0 / fan_in), 1.0 / math.sqrt(fan_in)
    if init == "glorot":
        factor = 2.0 if activation == "logistic" else 6.0
        bound = math.sqrt(factor / (fan_in + fan_out))
        return bound, bound
    raise ValueError(f"init must be one of {INITS}, got {init!r}.")


def init_weights(
    topology, init, generator, n_networks=None, dtype=torch.float32, device="cpu"
):
    """Draw the weights of one network, or of a stack of ``n_networks``.

    Parameters
    ----------
    topology : Topology
        Shape of the network(s).
    init : {'uniform', 'kaiming', 'glorot'}
        Scheme, see :func:`init_bounds`.
    generator : torch.Generator
        Source of randomness (on ``device``).
    n_networks : int or None, default=None
        ``None`` for one network; otherwise every tensor gets a leading axis of
        this length.
    dtype : torch.dtype, default=torch.float32
    device : str or torch.device, default='cpu'

    Returns
    -------
    weights : list of (Tensor, Tensor)
        ``(weight, bias)`` per linear layer, ``weight`` shaped
        ``([n_networks,] fan_out, fan_in)``.
    """
    sizes = topology.layer_sizes
    lead = () if n_networks is None else (int(n_networks),)
    weights = []
    for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        is_hidden = index < len(sizes) - 2
        activation = topology.activation if is_hidden else None
        weights.append(
            draw_layer(
                init, fan_in, fan_out, activation, generator, lead, dtype, device
            )
        )
    return weights


def draw_layer(init, fan_in, fan_out, activation, generator, lead, dtype, device):
    """One ``(weight, bias)`` pair drawn uniformly within :func:`init_bounds`."""
    w_bound, b_bound = init_bounds(init, fan_in, fan_out, activation)
    weight = torch.empty((*lead, fan_out, fan_in), dtype=dtype, device=device)
    bias = torch.empty((*lead, fan_out), dtype=dtype, device=device)
    weight.uniform_(-w_bound, w_bound, generator=generator)
    bias.uniform_(-b_bound, b_bound, generator=generator)
    return weight, bias
