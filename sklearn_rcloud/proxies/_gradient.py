"""Gradient-based zero-cost proxies: one backward pass, no training.

Abdelfattah, Mehrotra, Dudziak and Lane, "Zero-Cost Proxies for Lightweight
NAS" (ICLR 2021), and the first NASWOT score (``jacob_cov``). Per-parameter
saliencies are summed over the weights of every linear layer (biases are not
scored, as in the reference code). A stack of networks is scored with a
single backward pass: the networks are independent, so the gradient of the
sum of their losses holds each network's own gradient in its slice.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional

from .._docstrings import fill, substitute
from ._stack import (
    BATCH_PARAMETERS,
    MODULE_PARAMETERS,
    StackedNetworks,
    check_task,
    scoring_batch,
)

__all__ = [
    "GradNormProxy",
    "JacobCovProxy",
    "SNIPProxy",
    "SynFlowProxy",
    "grad_norm_score",
    "jacob_cov_score",
    "snip_score",
    "synflow_score",
]


def _leaf_copy(weight, bias):
    """Detached copies that require grad: the scored module's grads stay untouched."""
    return weight.detach().clone().requires_grad_(), bias.detach().clone()


class _GradientProxy:
    """Shared parameters and plumbing; subclasses define ``_scores``."""

    needs_labels = True

    def __init__(self, batch_size=128, random_state=0):
        self.batch_size = batch_size
        self.random_state = random_state

    def _batch(self, stack, X, y):
        return scoring_batch(stack, X, y, self.batch_size, self.random_state)

    def score_stack(self, stack, X, y=None):
        """Scores of every network of a :class:`StackedNetworks`, shape (n,)."""
        with torch.enable_grad():
            scores = self._scores(stack, X, y)
        return scores.detach().double().cpu().numpy()

    def __call__(self, module, X, y=None):
        return float(self.score_stack(StackedNetworks.from_module(module), X, y)[0])

    def __repr__(self):
        return (
            f"{type(self).__name__}(batch_size={self.batch_size}, "
            f"random_state={self.random_state})"
        )


#: The ``task`` parameter of the loss-based gradient proxies.
TASK_PARAMETER = """\
task : {'classification', 'regression'}, default='classification'
    The loss ``L`` whose gradients are scored: the mean cross-entropy of the
    untrained network on a batch of class indices, or, for continuous targets
    of shape ``(n_samples, n_outputs)``, the squared error
    ``0.5 * mean over outputs of (output - y)^2`` averaged over the batch
    (identity output layer)."""


class _LossGradientProxy(_GradientProxy):
    """A gradient proxy of the loss on the targets: cross-entropy or squared error."""

    def __init__(self, batch_size=128, random_state=0, task="classification"):
        super().__init__(batch_size=batch_size, random_state=random_state)
        self.task = check_task(task)

    def _loss_gradients(self, stack, X, y):
        """Leaf weights of ``stack`` and the gradients of each network's loss."""
        if y is None:
            what = "class labels" if self.task == "classification" else "targets"
            raise ValueError(f"The {self.name} score needs the {what} y.")
        X, y = scoring_batch(stack, X, y, self.batch_size, self.random_state, self.task)
        stack = stack.map_linears(_leaf_copy)
        weights = [weight for weight, _ in stack.linears]
        logits, _, _ = stack.forward(X)
        n_networks, n_samples, n_classes = logits.shape
        if self.task == "regression":
            if y.shape[1] != n_classes:
                raise ValueError(
                    f"The network has {n_classes} outputs but y has "
                    f"{y.shape[1]} columns; a regression network predicts "
                    "every target column."
                )
            # Sum over networks of each network's mean squared error (halved).
            loss = 0.5 * (logits - y).square().sum()
            gradients = torch.autograd.grad(loss / (n_samples * n_classes), weights)
            return weights, gradients
        # Sum over networks of each network's mean cross-entropy.
        loss = functional.cross_entropy(
            logits.reshape(-1, n_classes), y.repeat(n_networks), reduction="sum"
        )
        gradients = torch.autograd.grad(loss / n_samples, weights)
        return weights, gradients

    def __repr__(self):
        task = "" if self.task == "classification" else f", task={self.task!r}"
        return (
            f"{type(self).__name__}(batch_size={self.batch_size}, "
            f"random_state={self.random_state}{task})"
        )


@substitute(batch_parameters=BATCH_PARAMETERS, task_parameter=TASK_PARAMETER)
class GradNormProxy(_LossGradientProxy):
    """``grad_norm``: sum over layers of the Frobenius norm of ``dL/dW``.

    ``L`` is the mean cross-entropy of the untrained network on a batch (the
    mean squared error for ``task='regression'``).

    Parameters
    ----------
    {batch_parameters}
    {task_parameter}
    """

    name = "grad_norm"

    def _scores(self, stack, X, y):
        _, gradients = self._loss_gradients(stack, X, y)
        return sum(g.flatten(1).norm(dim=1) for g in gradients)


@substitute(batch_parameters=BATCH_PARAMETERS, task_parameter=TASK_PARAMETER)
class SNIPProxy(_LossGradientProxy):
    """``snip``: connection sensitivity, ``sum |W * dL/dW|`` over all weights.

    ``L`` is as for :class:`GradNormProxy`.

    Parameters
    ----------
    {batch_parameters}
    {task_parameter}
    """

    name = "snip"

    def _scores(self, stack, X, y):
        weights, gradients = self._loss_gradients(stack, X, y)
        return sum(
            (w * g).abs().flatten(1).sum(dim=1) for w, g in zip(weights, gradients)
        )


class SynFlowProxy(_GradientProxy):
    """``synflow``: synaptic flow, data- and label-free.

    Every weight and bias is replaced by its absolute value, a single all-ones
    input is propagated in float64 (no overflow for tabular-sized networks),
    and the score is ``sum |W * dR/dW|`` with ``R`` the sum of the outputs.
    Only ``X``'s width is used.

    Parameters
    ----------
    batch_size, random_state : ignored
        Accepted for a uniform signature across proxies.
    """

    name = "synflow"
    needs_labels = False

    def _scores(self, stack, X, y):
        stack = stack.map_linears(
            lambda w, b: (
                w.detach().abs().double().requires_grad_(),
                b.detach().abs().double(),
            )
        )
        weights = [weight for weight, _ in stack.linears]
        ones = torch.ones(
            (1, stack.n_features), dtype=torch.float64, device=weights[0].device
        )
        logits, _, _ = stack.forward(ones)
        gradients = torch.autograd.grad(logits.sum(), weights)
        return sum(
            (w * g).abs().flatten(1).sum(dim=1) for w, g in zip(weights, gradients)
        )


@substitute(batch_parameters=BATCH_PARAMETERS)
class JacobCovProxy(_GradientProxy):
    """``jacob_cov``: the first NASWOT score, from input Jacobians.

    ``J_i = d(sum_k f_k(x_i)) / d x_i`` for every input of the batch;
    with ``lambda`` the eigenvalues of the correlation matrix of the rows of
    ``J``, the score is ``-sum_i [log(lambda_i + k) + 1 / (lambda_i + k)]``,
    ``k = 1e-5``. Label-free. A Jacobian row with no variance across features
    (a dead ReLU network, or a single feature) leaves the correlation
    undefined: such a network scores ``-inf``.

    Parameters
    ----------
    {batch_parameters}
    """

    name = "jacob_cov"
    needs_labels = False
    _k = 1e-5

    def _scores(self, stack, X, y):
        X, _ = self._batch(stack, X, None)
        inputs = X.expand(stack.n_networks, *X.shape).clone().requires_grad_()
        logits, _, _ = stack.map_linears(_leaf_copy).forward(inputs)
        (jacobians,) = torch.autograd.grad(logits.sum(), inputs)
        jacobians = jacobians.double()
        centred = jacobians - jacobians.mean(dim=2, keepdim=True)
        norms = centred.norm(dim=2, keepdim=True)
        defined = (norms > 0).all(dim=2).all(dim=1)
        normalised = centred / torch.where(norms > 0, norms, torch.ones_like(norms))
        correlation = normalised @ normalised.transpose(1, 2)
        eigenvalues = torch.linalg.eigvalsh(correlation)
        shifted = eigenvalues + self._k
        scores = -(torch.log(shifted) + 1.0 / shifted).sum(dim=1)
        return torch.where(defined, scores, torch.full_like(scores, -np.inf))


def _plain(scorer_class, doc_name):
    def score(module, X, y=None, *, batch_size=128, random_state=0):
        return scorer_class(batch_size=batch_size, random_state=random_state)(
            module, X, y
        )

    score.__name__ = f"{scorer_class.name}_score"
    score.__qualname__ = score.__name__
    score.__doc__ = fill(
        f"""{doc_name} score of one untrained network.

    See :class:`{scorer_class.__name__}`.

    Parameters
    ----------
    {{module_parameters}}
    y : array-like of shape (n_samples,) of class indices, or None
        Needed by the loss-based scores (``grad_norm``, ``snip``).
    {{batch_parameters}}

    Returns
    -------
    score : float
        Higher is better.
    """,
        module_parameters=MODULE_PARAMETERS,
        batch_parameters=BATCH_PARAMETERS,
    )
    return score


grad_norm_score = _plain(GradNormProxy, "Gradient-norm")
snip_score = _plain(SNIPProxy, "SNIP")
synflow_score = _plain(SynFlowProxy, "SynFlow")
jacob_cov_score = _plain(JacobCovProxy, "Jacobian-covariance")
