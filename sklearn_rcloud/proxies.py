"""Training-free scores of untrained networks.

Each built-in scorer has two faces that must agree:

* a *batched* form, ``score_prefixes(hidden, out_weight, out_bias, y, widths)``,
  that scores every truncation of the last hidden layer of a whole block of
  cloud networks in one pass (see :mod:`sklearn_rcloud.cloud`);
* a *plain-module* form, ``scorer(module, X, y) -> float``, on one
  ``torch.nn.Sequential`` of ``Linear`` and activation layers.

A user-supplied scorer is any callable with the plain-module signature; higher
is better. Searches call it once per candidate, so it is slower than a
built-in scorer but needs nothing else.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import torch
from torch import nn

from .cloud import prefix_accuracy

__all__ = [
    "SCORERS",
    "TrainAccuracyScorer",
    "ReadoutScorer",
    "get_scorer",
    "readout_score",
    "train_accuracy_score",
]


def _as_tensors(module, X, y):
    parameter = next(module.parameters())
    # Tensors already on the module's device (a CUDA cloud) are used in place.
    if not isinstance(X, torch.Tensor):
        X = np.asarray(X)
    if not isinstance(y, torch.Tensor):
        y = np.asarray(y)
    X = torch.as_tensor(X, dtype=parameter.dtype, device=parameter.device)
    y = torch.as_tensor(y, dtype=torch.long, device=parameter.device)
    return X, y


def _majority_rate(y):
    counts = torch.bincount(torch.as_tensor(y).reshape(-1).long())
    return float(counts.max()) / float(counts.sum())


class TrainAccuracyScorer:
    """Training-set accuracy of the untrained network (the Random Cloud paper's score).

    ``chance_level`` is the majority-class rate: a network must beat it to be
    better than predicting the most frequent class.
    """

    name = "train_accuracy"
    #: Working memory per network relative to its float32 hidden activations.
    memory_factor = 1

    def chance_level(self, y):
        return _majority_rate(y)

    def score_prefixes(self, hidden, out_weight, out_bias, y, widths):
        # logits = hidden @ out_weight.T + out_bias, truncated to leading units
        return prefix_accuracy(hidden, out_weight.transpose(1, 2), out_bias, y, widths)

    def __call__(self, module, X, y):
        X, y = _as_tensors(module, X, y)
        with torch.no_grad():
            return float((module(X).argmax(dim=1) == y).double().mean())

    def __repr__(self):
        return "TrainAccuracyScorer()"


class ReadoutScorer:
    """Accuracy of a closed-form read-out on the random hidden features.

    The network's output layer is replaced by a ridge least-squares fit of the
    one-hot targets on ``[1, h]`` (``h``: the last hidden layer's activations),
    solved in closed form (no backpropagation). The score measures how
    linearly separable the random features make the classes, instead of how
    lucky the random output layer happens to be.

    By default the accuracy is the exact leave-one-out accuracy of the ridge
    fit (from the leverages, no refitting), an estimate of generalisation that
    stops rewarding width once extra units only fit noise. With
    ``leave_one_out=False`` it is the plain training accuracy, which never
    decreases much with width.

    Parameters
    ----------
    alpha : float, default=1e-3
        Ridge penalty of feature ``j``: ``alpha * (||a_j||^2 + n_samples)``,
        relative to the feature's own squared norm, plus a floor so that dead
        (all-zero) units stay well posed.
    leave_one_out : bool, default=True
        Score the leave-one-out accuracy instead of the training accuracy.

    Notes
    -----
    With the Gram matrix ``G = A^T A + Lambda`` factored as ``G = L L^T``, the
    ridge fit on the first ``k`` columns of ``A`` predicts
    ``sum_{j<k} u_j z_j^T`` with ``U = A L^{-T}`` and ``z = L^{-1} A^T Y``:
    Cholesky factors are nested, so every truncation is again one cumulative sum.
    """

    name = "readout"
    # float64 features [1, h], the basis U and solver temporaries: each about
    # twice the float32 activations.
    memory_factor = 6

    def __init__(self, alpha=1e-3, leave_one_out=True):
        self.alpha = alpha
        self.leave_one_out = leave_one_out

    def chance_level(self, y):
        return _majority_rate(y)

    def _factor(self, hidden, targets):
        """Orthonormal basis ``U`` and coefficients ``z`` of the ridge read-out.

        With ``A = [1, hidden]`` and ``G = A^T A + Lambda = L L^T``:
        ``U = A L^{-T}`` and ``z = L^{-1} A^T Y``. The sums ``h^T h``, ``1^T h``
        and ``h^T Y`` are taken at ``hidden``'s precision; only the small
        ``(m, m)`` algebra runs in float64, and ``U`` is one batched matmul on
        ``hidden`` (no ``[1, h]`` copy is ever built).

        Parameters
        ----------
        hidden : Tensor of shape (n_networks, n_samples, n_units)
        targets : Tensor of shape (n_samples, n_classes)
            One-hot targets, at ``hidden``'s precision.
        """
        n_networks, n_samples, n_units = hidden.shape
        hidden_t = hidden.transpose(1, 2)
        column_sums = hidden.sum(dim=1).double()
        gram = hidden.new_zeros((n_networks, n_units + 1, n_units + 1)).double()
        gram[:, 0, 0] = n_samples
        gram[:, 0, 1:] = column_sums
        gram[:, 1:, 0] = column_sums
        gram[:, 1:, 1:] = (hidden_t @ hidden).double()
        diagonal = gram.diagonal(dim1=1, dim2=2)
        # Per-column penalty, independent of the other columns so the factors
        # of every truncation nest; the n_samples term keeps dead units solvable.
        ridge = self.alpha * (diagonal + n_samples)
        gram = gram + torch.diag_embed(ridge)
        # Overflowing activations (unscaled inputs of huge magnitude) leave no
        # usable factorisation: such networks are marked and score -inf.
        identity = torch.eye(n_units + 1, dtype=gram.dtype, device=gram.device)
        failed = ~torch.isfinite(gram).flatten(1).all(dim=1)
        gram[failed] = identity
        lower, info = torch.linalg.cholesky_ex(gram)
        failed |= info != 0
        lower[failed] = identity
        lower_inv = torch.linalg.solve_triangular(
            lower, identity.expand_as(gram), upper=False
        )
        a_t_y = torch.cat(
            [
                targets.sum(dim=0).double().expand(n_networks, 1, -1),
                (hidden_t @ targets).double(),
            ],
            dim=1,
        )
        coefs = (lower_inv @ a_t_y).to(hidden.dtype)
        projection = lower_inv.transpose(1, 2).to(hidden.dtype)
        basis = torch.baddbmm(projection[:, :1, :], hidden, projection[:, 1:, :])
        return basis, coefs, failed

    def score_prefixes(self, hidden, out_weight, out_bias, y, widths):
        n_classes = out_weight.shape[1]
        targets = nn.functional.one_hot(y, n_classes).to(hidden.dtype)
        basis, coefs, failed = self._factor(hidden, targets)
        # k hidden units use the intercept and the first k unit columns.
        accuracy = prefix_accuracy(
            basis,
            coefs,
            None,
            y,
            np.asarray(widths) + 1,
            loo_targets=targets if self.leave_one_out else None,
        )
        accuracy[failed] = -np.inf
        return accuracy

    def __call__(self, module, X, y):
        X, y = _as_tensors(module, X, y)
        linears = [m for m in module if isinstance(m, nn.Linear)]
        n_classes = linears[-1].out_features
        with torch.no_grad():
            hidden = module[:-1](X)
        targets = nn.functional.one_hot(y, n_classes).to(hidden.dtype)
        basis, coefs, failed = self._factor(hidden[None], targets)
        if failed.any():
            return -np.inf
        fitted = basis[0] @ coefs[0]
        if self.leave_one_out:
            leverage = basis[0].square().sum(dim=1, keepdim=True)
            fitted = (fitted - leverage * targets) / (1.0 - leverage)
        predictions = fitted.argmax(dim=1)
        return float((predictions == y).double().mean())

    def __repr__(self):
        return f"ReadoutScorer(alpha={self.alpha}, leave_one_out={self.leave_one_out})"


train_accuracy_score = TrainAccuracyScorer()
readout_score = ReadoutScorer()

SCORERS = {
    "train_accuracy": TrainAccuracyScorer,
    "readout": ReadoutScorer,
    "readout_train": partial(ReadoutScorer, leave_one_out=False),
}


def get_scorer(scorer):
    """A scorer object from a registry name or a callable.

    Parameters
    ----------
    scorer : str or callable
        A name in :data:`SCORERS`, or ``callable(module, X, y) -> float``.

    Returns
    -------
    scorer
        A built-in scorer instance, or the callable unchanged.
    """
    if isinstance(scorer, str):
        if scorer not in SCORERS:
            raise ValueError(
                f"Unknown scorer {scorer!r}; choose one of {sorted(SCORERS)} "
                "or pass a callable(module, X, y) -> float."
            )
        return SCORERS[scorer]()
    if callable(scorer):
        return scorer
    raise TypeError(f"scorer must be a string or a callable, got {type(scorer)}.")
