"""The NASWOT score: how differently an untrained network partitions a batch.

Mellor, Turner, Storkey and Crowley, "Neural Architecture Search without
Training" (ICML 2021). Each input of a mini-batch gets a binary code, one bit
per hidden unit: whether the unit's pre-activation is positive (which linear
region of a ReLU network the input falls in). The kernel ``K_H[i, j]`` counts
the units on which inputs ``i`` and ``j`` agree, summed over all hidden
layers::

    K_H = sum_l [c_l c_l^T + (1 - c_l)(1 - c_l)^T]

and the score is ``log |det K_H|``. Higher means the network tells the inputs
apart more, which the paper found to correlate with accuracy after training.
"""

from __future__ import annotations

import warnings

import torch

from .._docstrings import substitute
from ._stack import BATCH_PARAMETERS, MODULE_PARAMETERS, StackedNetworks, scoring_batch

__all__ = ["NASWOTProxy", "SingularKernelWarning", "naswot_score"]


class SingularKernelWarning(UserWarning):
    """The NASWOT kernel was singular and was regularised before its log-det."""


def naswot_kernel(pre_activations):
    """The Hamming kernel ``K_H`` of a stack, in float64.

    Parameters
    ----------
    pre_activations : list of Tensor
        Every hidden layer's pre-activations, each shaped
        ``(n_networks, batch, width)``.

    Returns
    -------
    kernel : Tensor of shape (n_networks, batch, batch)
        ``kernel[n, i, j]``: hidden units of network ``n`` on which inputs
        ``i`` and ``j`` fall on the same side of zero.
    """
    codes = torch.cat([(u > 0) for u in pre_activations], dim=2).double()
    # Exact in float64: entries are integer counts far below 2**53.
    return codes @ codes.transpose(1, 2) + (1 - codes) @ (1 - codes).transpose(1, 2)


def kernel_logdet(kernel, jitter):
    """``log det kernel`` per matrix, with singular matrices regularised.

    ``K_H`` is symmetric positive semi-definite, so its log-determinant is the
    sum of the logs of its eigenvalues. It is singular when two inputs share
    a code, or when there are more inputs than hidden units plus one (its rank
    is at most ``n_units + 1``). A singular kernel's log-determinant is
    ``-inf``; it is replaced by that of ``kernel + jitter * I``, so such
    networks still rank by how nearly regular they are (each missing rank
    costs about ``log(jitter)``) instead of tying at ``-inf``. Singularity is
    judged as ``numpy.linalg.matrix_rank`` does: an eigenvalue at most
    ``max eigenvalue * size * eps``.

    Returns
    -------
    logdet : Tensor of shape (n_networks,), float64
    singular : Tensor of shape (n_networks,), bool
    """
    eigenvalues = torch.linalg.eigvalsh(kernel).clamp_min(0.0)
    size = kernel.shape[-1]
    tolerance = eigenvalues[:, -1] * size * torch.finfo(kernel.dtype).eps
    singular = eigenvalues[:, 0] <= tolerance
    shift = torch.where(singular, jitter, 0.0).to(kernel.dtype)[:, None]
    logdet = torch.log(eigenvalues + shift).sum(dim=1)
    return logdet, singular


class NASWOTProxy:
    """NASWOT: log-determinant of the Hamming kernel of hidden-unit codes.

    Label-free. The codes are taken on the *pre-activations* of every hidden
    linear layer, ``1[u > 0]``, for any activation (for sigmoid and tanh this
    is whether the unit's output is above its value at zero; the paper only
    validated ReLU).

    Parameters
    ----------
    batch_size : int, default=128
        Inputs in the scoring batch (the paper's 128), capped at the number of
        distinct training rows. Duplicate rows are never put in the batch: they
        would make the kernel singular whatever the network.
    jitter : float, default=1e-6
        Added to the kernel's diagonal when it is singular, i.e. when its
        smallest eigenvalue is at most ``largest eigenvalue * size * eps`` (as
        ``numpy.linalg.matrix_rank`` judges it). Each missing rank then costs
        about ``log(jitter)``, so singular kernels still rank by how nearly
        regular they are instead of tying at ``-inf``.
    random_state : int, default=0
        Seeds the choice of the batch rows. The same batch scores every
        candidate, as in the paper: scores are comparable only at equal batch.
    """

    name = "naswot"
    needs_labels = False

    def __init__(self, batch_size=128, jitter=1e-6, random_state=0):
        self.batch_size = batch_size
        self.jitter = jitter
        self.random_state = random_state

    def evaluate(self, stack, X):
        """Scores and singular-kernel flags of every network of a stack.

        Parameters
        ----------
        stack : StackedNetworks
        X : array-like or Tensor of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_networks,)
        singular : ndarray of bool, shape (n_networks,)
        """
        if len(stack.linears) < 2:
            raise ValueError("The NASWOT score needs at least one hidden layer.")
        X, _ = scoring_batch(stack, X, None, self.batch_size, self.random_state)
        with torch.no_grad():
            _, pre_activations, _ = stack.forward(X)
            logdet, singular = kernel_logdet(
                naswot_kernel(pre_activations), self.jitter
            )
        return logdet.cpu().numpy(), singular.cpu().numpy()

    def score_stack(self, stack, X, y=None):
        """Scores of every network of a :class:`StackedNetworks`, shape (n,)."""
        return self.evaluate(stack, X)[0]

    def __call__(self, module, X, y=None):
        return float(self.score_stack(StackedNetworks.from_module(module), X)[0])

    def __repr__(self):
        return (
            f"NASWOTProxy(batch_size={self.batch_size}, jitter={self.jitter}, "
            f"random_state={self.random_state})"
        )


@substitute(module_parameters=MODULE_PARAMETERS, batch_parameters=BATCH_PARAMETERS)
def naswot_score(module, X, y=None, *, batch_size=128, random_state=0):
    """NASWOT score of one untrained network.

    Parameters
    ----------
    {module_parameters}
    y : ignored
        Accepted so every proxy has the signature ``(module, X, y)``.
    {batch_parameters}

    Returns
    -------
    score : float
        ``log |det K_H|``; higher is better.

    Warns
    -----
    SingularKernelWarning
        When the kernel was singular and the score is that of
        ``K_H + 1e-6 I``.

    Examples
    --------
    >>> import torch
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_rcloud import Topology
    >>> from sklearn_rcloud.init import init_weights
    >>> from sklearn_rcloud.proxies import naswot_score
    >>> X, y = load_iris(return_X_y=True)
    >>> topology = Topology(4, (256,), 3)
    >>> weights = init_weights(topology, "kaiming", torch.Generator().manual_seed(0))
    >>> module = topology.to_module(weights)
    >>> score = naswot_score(module, X / X.max(axis=0), batch_size=32)
    >>> bool(score > 0)
    True
    """
    scorer = NASWOTProxy(batch_size=batch_size, random_state=random_state)
    scores, singular = scorer.evaluate(StackedNetworks.from_module(module), X)
    if singular[0]:
        warnings.warn(
            "The NASWOT kernel is singular (inputs with identical codes, or "
            "more inputs in the batch than hidden units + 1); scored with "
            "1e-6 added to its diagonal.",
            SingularKernelWarning,
            stacklevel=2,
        )
    return float(scores[0])
