"""Training-free scores of untrained networks (zero-cost proxies).

Every scorer in the registry :data:`SCORERS` has the same faces:

* ``scorer(module, X, y) -> float`` on one ``torch.nn.Sequential`` of
  ``Linear`` and activation layers (higher is better);
* ``scorer.score_stack(stack, X, y) -> ndarray`` on a
  :class:`StackedNetworks`, every network of the stack in one batched pass
  (one backward pass for the gradient proxies);
* the forward scores (``train_accuracy``, ``readout``) also score every
  truncation of a cloud in one pass (``score_prefixes``), which is how
  :class:`~sklearn_rcloud.RandomCloudClassifier` searches fastest. The other
  scores are called once per candidate there.

A user-supplied scorer is any callable with the plain-module signature.

==================  ======  ======================================================
name                labels  score
==================  ======  ======================================================
``train_accuracy``  yes     training accuracy of the untrained network (Random
                            Cloud's)
``train_loss``      yes     minus the training cross-entropy of the untrained
                            network (random search over sparse sub-networks)
``readout``         yes     leave-one-out accuracy of a closed-form ridge output
                            layer on the random hidden features
``readout_train``   yes     the same read-out's training accuracy
``naswot``          no      log-determinant of the Hamming kernel of hidden-unit
                            codes (Mellor et al., 2021)
``synflow``         no      synaptic flow (data-free; Tanaka et al., 2020)
``snip``            yes     connection sensitivity ``sum |W dL/dW|``
``grad_norm``       yes     sum of the layers' gradient norms
``jacob_cov``       no      spread of the input Jacobians' correlation spectrum
                            (NASWOT's first version)
==================  ======  ======================================================
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ._forward import ReadoutScorer, TrainAccuracyScorer, TrainLossScorer
from ._gradient import (
    GradNormScorer,
    JacobCovScorer,
    SNIPScorer,
    SynFlowScorer,
    grad_norm_score,
    jacob_cov_score,
    snip_score,
    synflow_score,
)
from ._naswot import NASWOTScorer, SingularKernelWarning, naswot_score
from ._stack import StackedNetworks, select_batch

__all__ = [
    "SCORERS",
    "GradNormScorer",
    "JacobCovScorer",
    "NASWOTScorer",
    "ReadoutScorer",
    "SNIPScorer",
    "SingularKernelWarning",
    "StackedNetworks",
    "SynFlowScorer",
    "TrainAccuracyScorer",
    "TrainLossScorer",
    "evaluate_networks",
    "get_scorer",
    "score_networks",
    "grad_norm_score",
    "jacob_cov_score",
    "naswot_score",
    "readout_score",
    "select_batch",
    "snip_score",
    "synflow_score",
    "train_accuracy_score",
]

train_accuracy_score = TrainAccuracyScorer()
readout_score = ReadoutScorer()

#: Scorer factories by name.
SCORERS = {
    "train_accuracy": TrainAccuracyScorer,
    "train_loss": TrainLossScorer,
    "readout": ReadoutScorer,
    "readout_train": partial(ReadoutScorer, leave_one_out=False),
    "naswot": NASWOTScorer,
    "synflow": SynFlowScorer,
    "snip": SNIPScorer,
    "grad_norm": GradNormScorer,
    "jacob_cov": JacobCovScorer,
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


def score_networks(scorer, stack, X, y):
    """Scores of every network of ``stack``, batched when the scorer can.

    Parameters
    ----------
    scorer : scorer object or callable(module, X, y)
    stack : StackedNetworks
    X : Tensor of shape (n_samples, n_features)
    y : Tensor of shape (n_samples,) of class indices

    Returns
    -------
    scores : ndarray of shape (n_networks,), float64
    """
    if hasattr(scorer, "score_stack"):
        return np.asarray(scorer.score_stack(stack, X, y), dtype=np.float64)
    return np.array([float(scorer(module, X, y)) for module in stack.to_modules()])


def evaluate_networks(scorer, stack, X, y):
    """Scores of every network of ``stack`` and whether each was flagged.

    Returns
    -------
    scores : ndarray of shape (n_networks,), float64
    singular : ndarray of bool, shape (n_networks,)
        Whether the scorer regularised a singular kernel (NASWOT); all False
        for scorers that flag nothing.
    """
    if hasattr(scorer, "evaluate"):
        scores, singular = scorer.evaluate(stack, X)
        return np.asarray(scores, dtype=np.float64), np.asarray(singular, dtype=bool)
    return score_networks(scorer, stack, X, y), np.zeros(stack.n_networks, bool)
