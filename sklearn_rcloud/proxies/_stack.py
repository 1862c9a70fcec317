"""Networks of one shape, stacked, and the shared plumbing of the proxies.

Every proxy is written once, over a stack of ``n_networks`` networks of the
same shape (linear weights stacked along a leading axis). A plain
``torch.nn.Sequential`` is scored as a stack of one whose weights are views of
the module's own parameters, so gradients reach them; a cloud of networks is
scored in one batched pass.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .._tensors import as_tensor
from ..activations import ACTIVATIONS
from ..topology import preset_linear

__all__ = [
    "TASKS",
    "StackedNetworks",
    "as_target",
    "as_tensors",
    "check_task",
    "scoring_batch",
    "select_batch",
]

#: The learning tasks a proxy scores for: class indices or continuous targets.
TASKS = ("classification", "regression")


def check_task(task):
    """``task`` itself if it is one of :data:`TASKS`, else a ``ValueError``."""
    if not isinstance(task, str) or task not in TASKS:
        raise ValueError(f"Unknown task {task!r}; choose one of {list(TASKS)}.")
    return task


class StackedNetworks:
    """``n_networks`` feedforward networks of one shape.

    Parameters
    ----------
    layers : list
        In forward order: ``(weight, bias)`` pairs for the linear layers,
        ``weight`` shaped ``(n_networks, fan_out, fan_in)`` and ``bias``
        ``(n_networks, fan_out)``, and elementwise callables (activation
        modules or functions) between them.
    """

    def __init__(self, layers):
        self.layers = list(layers)
        linears = self.linears
        if not linears:
            raise ValueError("A network needs at least one linear layer.")
        self.n_networks = int(linears[0][0].shape[0])

    @classmethod
    def from_module(cls, module):
        """A stack of one from a ``Sequential`` of ``Linear`` and elementwise layers.

        The stacked weights are views of the module's parameters: gradients
        taken through the stack land in ``module``'s ``.grad`` fields' graph.
        """
        if not isinstance(module, nn.Sequential):
            raise TypeError(
                "A proxy scores a torch.nn.Sequential of Linear and activation "
                f"layers; got {type(module).__name__}."
            )
        layers = []
        for layer in module:
            if isinstance(layer, nn.Linear):
                bias = layer.bias
                if bias is None:
                    bias = layer.weight.new_zeros(layer.out_features)
                layers.append((layer.weight.unsqueeze(0), bias.unsqueeze(0)))
            else:
                layers.append(layer)
        if not any(isinstance(layer, tuple) for layer in layers):
            raise ValueError("The module holds no torch.nn.Linear layer.")
        return cls(layers)

    @classmethod
    def from_weights(cls, weights, activation):
        """A stack from stacked ``(weight, bias)`` per layer and a hidden activation.

        Parameters
        ----------
        weights : list of (Tensor, Tensor)
            Weight ``(n_networks, fan_out, fan_in)`` and bias
            ``(n_networks, fan_out)`` per linear layer, e.g. a
            :class:`~sklearn_rcloud.cloud.RandomCloud`'s ``weights``.
        activation : {'relu', 'logistic', 'tanh'}
        """
        layers = []
        for index, pair in enumerate(weights):
            if index:
                layers.append(ACTIVATIONS[activation].module())
            layers.append(tuple(pair))
        return cls(layers)

    @classmethod
    def from_network(cls, weights, activation):
        """A stack of one from a single network's ``(weight, bias)`` per layer.

        Parameters
        ----------
        weights : list of (Tensor, Tensor)
            Weight ``(fan_out, fan_in)`` and bias ``(fan_out,)`` per linear
            layer, as :func:`sklearn_rcloud.init.init_weights` draws them.
        activation : {'relu', 'logistic', 'tanh'}
        """
        return cls.from_weights([(w[None], b[None]) for w, b in weights], activation)

    @property
    def linears(self):
        """The ``(weight, bias)`` pairs, input side first."""
        return [layer for layer in self.layers if isinstance(layer, tuple)]

    @property
    def n_features(self):
        return int(self.linears[0][0].shape[2])

    @property
    def n_outputs(self):
        return int(self.linears[-1][0].shape[1])

    @property
    def parameter(self):
        """A weight tensor, for the dtype and device of the stack."""
        return self.linears[0][0]

    def map_linears(self, function):
        """A new stack with ``function(weight, bias) -> (weight, bias)`` applied."""
        return StackedNetworks(
            [
                function(*layer) if isinstance(layer, tuple) else layer
                for layer in self.layers
            ]
        )

    def to_modules(self):
        """One ``torch.nn.Sequential`` per network, holding copies of its weights."""
        modules = []
        for index in range(self.n_networks):
            layers = []
            for layer in self.layers:
                if isinstance(layer, tuple):
                    weight, bias = layer[0][index], layer[1][index]
                    layers.append(preset_linear(weight, bias))
                else:
                    layers.append(layer)
            modules.append(nn.Sequential(*layers))
        return modules

    def forward(self, X):
        """Run every network on ``X``.

        Parameters
        ----------
        X : Tensor of shape (n_samples, n_features) or \
                (n_networks, n_samples, n_features)
            Shared input, or one input per network.

        Returns
        -------
        logits : Tensor of shape (n_networks, n_samples, n_outputs)
        pre_activations : list of Tensor
            The output of every linear layer but the last, each shaped
            ``(n_networks, n_samples, width)``.
        features : Tensor of shape (n_networks, n_samples, width)
            The input of the last linear layer (the last hidden layer's
            activations; ``X`` itself for a network without hidden layers).
        """
        hidden = X if X.dim() == 3 else X.expand(self.n_networks, *X.shape)
        pre_activations = []
        features = hidden
        for layer in self.layers:
            if isinstance(layer, tuple):
                weight, bias = layer
                features = hidden
                hidden = torch.baddbmm(bias[:, None, :], hidden, weight.transpose(1, 2))
                pre_activations.append(hidden)
            else:
                hidden = layer(hidden)
        return hidden, pre_activations[:-1], features


def as_target(y, like, task="classification"):
    """``y`` as a tensor on ``like``'s device, in the form ``task`` scores.

    Parameters
    ----------
    y : array-like or Tensor
        Class indices (classification), or continuous targets of shape
        ``(n_samples,)`` or ``(n_samples, n_outputs)`` (regression).
    like : Tensor
        Gives the device, and the float dtype of a regression target.
    task : {'classification', 'regression'}, default='classification'

    Returns
    -------
    y : Tensor
        Classification: int64 of shape ``(n_samples,)``. Regression: at
        ``like``'s dtype, of shape ``(n_samples, n_outputs)`` (a 1-D target
        is one output column).
    """
    if not isinstance(y, torch.Tensor):
        y = np.asarray(y)
    if check_task(task) == "classification":
        return as_tensor(y, dtype=torch.long, device=like.device).reshape(-1)
    y = as_tensor(y, dtype=like.dtype, device=like.device)
    if y.dim() == 1:
        return y[:, None]
    if y.dim() != 2:
        raise ValueError(
            "A regression target y must have shape (n_samples,) or "
            f"(n_samples, n_outputs), got shape {tuple(y.shape)}."
        )
    return y


def as_tensors(X, y, like, task="classification"):
    """``X`` (and ``y`` unless None) as tensors on ``like``'s device and dtype.

    Tensors already on that device are used in place (no host round trip).
    ``y`` takes the form :func:`as_target` gives it for ``task``: class
    indices, or float targets of shape ``(n_samples, n_outputs)``.
    """
    if not isinstance(X, torch.Tensor):
        X = np.asarray(X)
    X = as_tensor(X, dtype=like.dtype, device=like.device)
    if X.dim() != 2:
        raise ValueError(f"X must be 2-dimensional, got shape {tuple(X.shape)}.")
    if y is not None:
        y = as_target(y, like, task)
        if len(y) != len(X):
            raise ValueError(
                f"X and y have different numbers of samples: {len(X)} and {len(y)}."
            )
    return X, y


def select_batch(X, batch_size, random_state=0):
    """Indices of at most ``batch_size`` distinct rows of ``X``, drawn at random.

    Rows are visited in a random order (``random_state``) and a row identical
    to one already taken is skipped, so the batch never holds duplicates. The
    batch is all distinct rows when there are fewer than ``batch_size``.

    Parameters
    ----------
    X : Tensor or ndarray of shape (n_samples, n_features)
    batch_size : int
    random_state : int, default=0

    Returns
    -------
    indices : ndarray of int64
    """
    order = np.random.default_rng(random_state).permutation(len(X))
    # Look at a few times more rows than needed: with few duplicates that is
    # enough, and the whole data is scanned only when it is not.
    distinct = _distinct_rows(X, order[: 4 * batch_size])
    if len(distinct) < batch_size and 4 * batch_size < len(X):
        distinct = _distinct_rows(X, order)
    return distinct[:batch_size]


def _distinct_rows(X, candidates):
    """The ``candidates`` (row indices) whose row is not a repeat of an earlier one."""
    if isinstance(X, torch.Tensor):
        rows = X[torch.as_tensor(candidates, device=X.device)].detach().cpu().numpy()
    else:
        rows = np.asarray(X)[candidates]
    _, first = np.unique(rows, axis=0, return_index=True)
    return candidates[np.sort(first)].astype(np.int64)


def scoring_batch(stack, X, y, batch_size, random_state, task="classification"):
    """``X`` and ``y`` as tensors for ``stack``, cut to :func:`select_batch`'s rows.

    ``y`` may be None (label-free scores); otherwise it takes the form
    :func:`as_target` gives it for ``task``.
    """
    X, y = as_tensors(X, y, stack.parameter, task)
    rows = torch.as_tensor(select_batch(X, batch_size, random_state), device=X.device)
    return X[rows], (None if y is None else y[rows])


#: The network and data parameters of the one-network score functions.
MODULE_PARAMETERS = """\
module : torch.nn.Sequential
    ``Linear`` layers with elementwise activation layers between them.
X : array-like or Tensor of shape (n_samples, n_features)
    Inputs; a batch of at most ``batch_size`` distinct rows is drawn."""

#: The parameters of every proxy that scores a batch of rows.
BATCH_PARAMETERS = """\
batch_size : int, default=128
    Rows of the scoring batch (distinct rows, capped at the data size).
random_state : int, default=0
    Seeds the choice of the batch rows (an estimator passes one drawn from
    its own ``random_state``)."""
