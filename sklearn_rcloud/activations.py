"""The hidden activations, in one table.

Each row gives what every part of the library needs of an activation:
the torch module a network is built with, its function out of place (a
training step) and in place (the cloud's forward passes), its backward pass
from the activation's output (the explicit-gradient step), a NumPy version
for prediction, and the gain of the weight initialisation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from scipy import special
from torch import nn

__all__ = ["ACTIVATIONS", "Activation", "activation_of"]


@dataclass(frozen=True)
class Activation:
    """One hidden activation, as every part of the library uses it.

    Attributes
    ----------
    name : str
        ``MLPClassifier``'s name: 'identity', 'logistic', 'tanh' or 'relu'.
    module : type of torch.nn.Module
        The layer a network is built with.
    forward : callable
        ``forward(z)``: the activation of a tensor, a new tensor.
    forward_ : callable
        ``forward_(z)``: the same, in place.
    backward : callable
        ``backward(grad, a)``: the gradient with respect to ``z`` from the
        gradient with respect to ``a = forward(z)``.
    numpy : callable
        ``numpy(z)``: the activation of a float ndarray, in place.
    gain : float
        The gain of the uniform initialisations for this activation.
    """

    name: str
    module: type
    forward: Callable
    forward_: Callable
    backward: Callable
    numpy: Callable
    gain: float


def _same(z):
    return z


def _identity_backward(grad, a):
    return grad


def _relu_backward(grad, a):
    return torch.ops.aten.threshold_backward(grad, a, 0.0)


def _relu_numpy(z):
    return np.maximum(z, 0.0, out=z)


def _logistic_numpy(z):
    return special.expit(z, out=z)


def _tanh_numpy(z):
    return np.tanh(z, out=z)


#: Hidden activations by MLPClassifier's names.
ACTIVATIONS = {
    row.name: row
    for row in (
        Activation(
            "identity", nn.Identity, _same, _same, _identity_backward, _same, 1.0
        ),
        Activation(
            "logistic",
            nn.Sigmoid,
            torch.sigmoid,
            torch.sigmoid_,
            torch.ops.aten.sigmoid_backward,
            _logistic_numpy,
            1.0,
        ),
        Activation(
            "tanh",
            nn.Tanh,
            torch.tanh,
            torch.tanh_,
            torch.ops.aten.tanh_backward,
            _tanh_numpy,
            5.0 / 3.0,
        ),
        Activation(
            "relu",
            nn.ReLU,
            torch.relu,
            torch.relu_,
            _relu_backward,
            _relu_numpy,
            math.sqrt(2.0),
        ),
    )
}

_BY_MODULE = {row.module: row for row in ACTIVATIONS.values()}


def activation_of(layer):
    """The :class:`Activation` of an activation layer (its exact type), or None."""
    return _BY_MODULE.get(type(layer))
