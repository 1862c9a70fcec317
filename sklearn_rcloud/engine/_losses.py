"""The training losses, as one table: per-sample values and their gradients.

Every explicit-gradient step (one network, or a stack of them) computes its
loss here, from outputs whose second axis is the class or output axis:
``(batch, outputs)`` for one network, ``(members, outputs, batch)`` for a
population. Each row of :data:`LOSSES` says which task the loss serves, how
its target is laid out and which skorch criterion records the same values.

==================  ==============  ===========================================
loss                task            per-sample value
==================  ==============  ===========================================
``cross_entropy``   classification  ``-log softmax(out)[y]``
``mse``             classification  ``0.5 * ||sigmoid(out) - onehot(y)||^2``
``squared_error``   regression      ``0.5 * mean over outputs of (out - y)^2``
==================  ==============  ===========================================

``squared_error`` is ``MLPRegressor``'s loss (its ``loss_curve_`` averages
``0.5 * (out - y)^2`` over rows and outputs alike).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = [
    "LOSSES",
    "SigmoidMSELoss",
    "SquaredErrorLoss",
    "losses_and_gradient",
    "task_of",
    "validation_scores",
]


class SigmoidMSELoss(nn.Module):
    """``0.5 * ||sigmoid(logits) - onehot(y)||^2``, averaged over the batch
    (``reduction='mean'``) or per sample (``reduction='none'``).

    The Random Cloud paper's loss: sigmoid output units trained towards one-hot
    targets by squared error.
    """

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, logits, target):
        onehot = nn.functional.one_hot(target.long(), logits.shape[1])
        error = torch.sigmoid(logits) - onehot.to(logits.dtype)
        losses = 0.5 * error.pow(2).sum(dim=1)
        return losses if self.reduction == "none" else losses.mean()


class SquaredErrorLoss(nn.Module):
    """``0.5 * mean over outputs of (output - y)^2``, averaged over the batch
    (``reduction='mean'``) or per sample (``reduction='none'``).

    ``MLPRegressor``'s loss, per sample so that sample weights apply before
    the batch mean.
    """

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, output, target):
        target = target.to(output.dtype).reshape(output.shape)
        losses = 0.5 * (output - target).square().mean(dim=1)
        return losses if self.reduction == "none" else losses.mean()


@dataclass(frozen=True)
class Loss:
    """One row of :data:`LOSSES`.

    Attributes
    ----------
    task : {'classification', 'regression'}
    criterion : type
        The skorch criterion (per-sample with ``reduction='none'``).
    class_targets : bool
        Whether the target is class indices (else float values, one column
        per output).
    score_name : str
        The validation score's key in a training history: ``valid_acc``
        (accuracy) for class targets, ``valid_r2`` (R², as ``r2_score``)
        otherwise.
    """

    task: str
    criterion: type
    class_targets: bool

    @property
    def score_name(self):
        """The history's key of the validation score: accuracy, or R²."""
        return "valid_acc" if self.class_targets else "valid_r2"


#: Every loss the engine trains with.
LOSSES = {
    "cross_entropy": Loss("classification", nn.CrossEntropyLoss, True),
    "mse": Loss("classification", SigmoidMSELoss, True),
    "squared_error": Loss("regression", SquaredErrorLoss, False),
}


def task_of(loss):
    """``'classification'`` or ``'regression'``: the task ``loss`` serves."""
    try:
        return LOSSES[loss].task
    except KeyError:
        raise ValueError(
            f"Unknown loss {loss!r}; the engine trains with {sorted(LOSSES)}."
        ) from None


def losses_and_gradient(loss, outputs, target, minus_one):
    """Per-sample losses and their gradient with respect to ``outputs``.

    Parameters
    ----------
    loss : str
        A name in :data:`LOSSES`.
    outputs : Tensor
        The network's outputs, the class (or output) axis second.
    target : Tensor
        For class targets, int64 indices shaped as ``outputs`` with the
        second axis of size one; for ``squared_error``, the target values
        laid out as ``outputs``.
    minus_one : Tensor
        -1 shaped as ``target`` for class targets (cached by the caller: one
        fewer operation per step); unused otherwise.

    Returns
    -------
    losses : Tensor
        ``outputs`` without its second axis.
    gradient : Tensor
        Shaped as ``outputs``, of the per-sample losses (not yet divided by
        the batch size).
    """
    if loss == "cross_entropy":
        log_probs = torch.log_softmax(outputs, dim=1)
        losses = log_probs.gather(1, target).neg_().squeeze(1)
        gradient = log_probs.exp_()
        gradient.scatter_add_(1, target, minus_one)
        return losses, gradient
    if loss == "mse":
        probs = torch.sigmoid(outputs)
        error = probs.scatter_add(1, target, minus_one)
        losses = 0.5 * error.square().sum(dim=1)
        return losses, torch.ops.aten.sigmoid_backward(error, probs)
    error = outputs - target
    n_outputs = outputs.shape[1]
    losses = 0.5 * error.square().mean(dim=1)
    if n_outputs > 1:
        error.div_(n_outputs)
    return losses, error


def validation_scores(loss, outputs, target, weights=None):
    """Each network's validation score: accuracy, or R² for regression.

    Parameters
    ----------
    loss : str
        A name in :data:`LOSSES`.
    outputs : Tensor of shape (n_networks, n_outputs, n_samples)
    target : Tensor
        Class indices of shape (n_networks, n_samples), or target values laid
        out as ``outputs``.
    weights : Tensor of shape (n_networks, n_samples) or None, default=None
        The rows' weights in either score.

    Returns
    -------
    scores : Tensor of shape (n_networks,), float64
        Accuracy (the first maximal output wins ties), or
        ``sklearn.metrics.r2_score``'s R², averaged over the outputs, with
        its convention for a constant target (1 if predicted exactly, else 0).
    """
    if weights is not None:
        weights = weights.double()
    if LOSSES[loss].class_targets:
        correct = (outputs.argmax(dim=1) == target).double()
        if weights is None:
            return correct.mean(dim=1)
        return (correct * weights).sum(dim=1) / weights.sum(dim=1)
    outputs, target = outputs.double(), target.double()
    if weights is None:
        weights = torch.ones_like(target[:, 0])
    weights = weights[:, None, :]
    total = weights.sum(dim=2, keepdim=True)
    mean = (weights * target).sum(dim=2, keepdim=True) / total
    residual = (weights * (target - outputs).square()).sum(dim=2)
    spread = (weights * (target - mean).square()).sum(dim=2)
    constant = spread == 0
    r2 = 1.0 - residual / torch.where(constant, 1.0, spread)
    r2 = torch.where(constant, (residual == 0).double(), r2)
    return r2.mean(dim=1)
