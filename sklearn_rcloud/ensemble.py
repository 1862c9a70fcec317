"""Ensembles of sub-networks: mixing, diversity and the SAEP pruning rules.

Sub-Architecture Ensemble Pruning (SAEP; Bian, Song, Du, Yao, Chen and Hu,
IEEE TNNLS 2021) grows an ensemble AdaNet-style and, every round, removes
earlier members by one of three rules:

* PRS, random selection (:func:`prune_random`);
* PAP, accuracy performance (:func:`prune_accuracy`): leave-one-out ensemble
  error;
* PIE, information entropy (:func:`prune_entropy`): a greedy selection
  trading members' diversity (normalised variation of information between
  their predictions) against their relevance (normalised mutual information
  with the labels).

Members are given by their class probabilities on a shared evaluation set,
an array ``probas`` of shape ``(n_members, n_samples, n_classes)``; labels are
class indices. Nothing here trains or knows about scikit-learn.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import softmax

__all__ = [
    "disagreement",
    "fit_mixture_weights",
    "log_loss",
    "mix",
    "normalized_mutual_information",
    "normalized_variation_of_information",
    "prune_accuracy",
    "prune_entropy",
    "prune_random",
]

_EPS = 1e-18


def mix(probas, weights=None):
    """The ensemble's class probabilities: the weighted mean of its members'.

    Parameters
    ----------
    probas : ndarray of shape (n_members, n_samples, n_classes)
    weights : ndarray of shape (n_members,) or None
        Non-negative; None is the plain mean.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
    """
    probas = np.asarray(probas, dtype=float)
    if weights is None:
        return probas.mean(axis=0)
    weights = np.asarray(weights, dtype=float)
    return np.tensordot(weights / weights.sum(), probas, axes=1)


def log_loss(proba, y, sample_weight=None):
    """Mean (weighted) negative log-likelihood of the labels ``y`` (class indices)."""
    picked = np.asarray(proba)[np.arange(len(y)), np.asarray(y)]
    return float(
        -np.average(np.log(np.clip(picked, _EPS, None)), weights=sample_weight)
    )


def fit_mixture_weights(probas, y, sample_weight=None):
    """Mixture weights minimising the log-loss of :func:`mix` on ``(probas, y)``.

    The weights are a softmax of free parameters (so they stay on the
    simplex), found by L-BFGS from the uniform mixture; deterministic.

    Returns
    -------
    weights : ndarray of shape (n_members,), summing to 1
    """
    probas = np.asarray(probas, dtype=float)
    n_members = len(probas)
    if n_members == 1:
        return np.ones(1)
    picked = probas[:, np.arange(len(y)), np.asarray(y)]  # (n_members, n_samples)
    row_weight = (
        np.full(len(y), 1.0 / len(y))
        if sample_weight is None
        else np.asarray(sample_weight, dtype=float) / np.sum(sample_weight)
    )

    def objective(theta):
        weights = softmax(theta)
        mixed = np.clip(weights @ picked, _EPS, None)
        # d/dtheta of -mean(log(w @ picked)) through the softmax.
        grad_w = -(picked / mixed) @ row_weight
        grad = weights * (grad_w - weights @ grad_w)
        return float(-(np.log(mixed) @ row_weight)), grad

    result = minimize(objective, np.zeros(n_members), jac=True, method="L-BFGS-B")
    return softmax(result.x)


def disagreement(predictions):
    """Mean pairwise disagreement: the share of samples two members label differently.

    Parameters
    ----------
    predictions : ndarray of shape (n_members, n_samples)
        Predicted class indices.

    Returns
    -------
    float
        Averaged over all pairs of members; 0.0 for fewer than two members.
    """
    predictions = np.asarray(predictions)
    n_members = len(predictions)
    if n_members < 2:
        return 0.0
    differ = predictions[:, None, :] != predictions[None, :, :]
    pairs = differ.mean(axis=2)[np.triu_indices(n_members, k=1)]
    return float(pairs.mean())


def _entropy(counts):
    p = counts / counts.sum()
    return float(-np.sum(p * np.log(p + _EPS)))


def _joint_counts(a, b):
    _, a = np.unique(a, return_inverse=True)
    _, b = np.unique(b, return_inverse=True)
    counts = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(counts, (a, b), 1)
    return counts


def _mutual_information(joint):
    h_a = _entropy(joint.sum(axis=1))
    h_b = _entropy(joint.sum(axis=0))
    h_ab = _entropy(joint.ravel())
    return h_a + h_b - h_ab, h_a, h_b, h_ab


def normalized_mutual_information(a, b):
    """``I(a; b) / sqrt(H(a) H(b))`` of two labelings (0 if one is constant)."""
    information, h_a, h_b, _ = _mutual_information(_joint_counts(a, b))
    return information / max(np.sqrt(h_a * h_b), _EPS) if h_a * h_b > 0 else 0.0


def normalized_variation_of_information(a, b):
    """``1 - I(a; b) / H(a, b)``: 0 for labelings that determine each other, up to 1."""
    information, _, _, h_ab = _mutual_information(_joint_counts(a, b))
    return 1.0 - information / h_ab if h_ab > 0 else 0.0


def prune_random(n_members, rng):
    """PRS: with probability 1/2 remove one member chosen uniformly at random.

    Ensembles of at most two members are kept whole.

    Parameters
    ----------
    n_members : int
    rng : numpy.random.Generator

    Returns
    -------
    kept : ndarray of int
        Sorted indices of the members kept.
    """
    kept = np.arange(n_members)
    if n_members <= 2 or rng.random() < 0.5:
        return kept
    return np.delete(kept, rng.integers(n_members))


def prune_accuracy(probas, y, weights=None, sign="intuitive"):
    """PAP: keep the members whose removal would change the ensemble's error.

    With ``H`` the ensemble and ``H \\ j`` the ensemble without member ``j``
    (its weighted probabilities subtracted), ``delta_j`` is

    * ``sign='intuitive'``: ``err(H \\ j) - err(H)``, positive when removing
      ``j`` makes the ensemble worse: such members are kept;
    * ``sign='code'``: ``err(H) - err(H \\ j)``, the sign of the SAEP authors'
      code, which keeps the members whose removal would make the ensemble
      *better*.

    Members with ``delta_j > 0`` are kept; when there is none, the two with the
    largest ``delta_j`` (the earliest on ties). Ensembles of at most two
    members are kept whole.

    Parameters
    ----------
    probas : ndarray of shape (n_members, n_samples, n_classes)
    y : ndarray of shape (n_samples,)
    weights : ndarray of shape (n_members,) or None
    sign : {'intuitive', 'code'}, default='intuitive'

    Returns
    -------
    kept : ndarray of int
        Sorted indices of the members kept.
    """
    if sign not in ("intuitive", "code"):
        raise ValueError(f"sign must be 'intuitive' or 'code', got {sign!r}.")
    probas = np.asarray(probas, dtype=float)
    n_members = len(probas)
    if n_members <= 2:
        return np.arange(n_members)
    weights = np.ones(n_members) if weights is None else np.asarray(weights, float)
    weighted = weights[:, None, None] * probas
    total = weighted.sum(axis=0)
    error = np.mean(total.argmax(axis=1) != y)
    without = total[None] - weighted
    errors_without = np.mean(without.argmax(axis=2) != y[None], axis=1)
    delta = errors_without - error
    if sign == "code":
        delta = -delta
    kept = np.flatnonzero(delta > 0)
    if not len(kept):
        kept = np.sort(np.argsort(-delta, kind="stable")[:2])
    return kept


def prune_entropy(predictions, y, diversity_weight=0.5, rng=None):
    """PIE: greedily keep ``n - 1`` members, diverse and relevant.

    The pair score of members ``i != j`` is
    ``w * VI(h_i, h_j) + (1 - w) * (MI(h_i, y) + MI(h_j, y)) / 2``, ``w`` the
    ``diversity_weight``,
    with normalised variation of information and mutual information of their
    predicted labels. Starting from one random member, the member with the
    largest summed pair score to those already chosen is added until
    ``n - 1`` are chosen: one member leaves per round once there are three.

    Parameters
    ----------
    predictions : ndarray of shape (n_members, n_samples)
        Predicted class indices.
    y : ndarray of shape (n_samples,)
    diversity_weight : float in [0, 1], default=0.5
        Weight of diversity against relevance.
    rng : numpy.random.Generator or None
        Draws the starting member (None: ``numpy.random.default_rng(0)``).

    Returns
    -------
    kept : ndarray of int
        Sorted indices of the members kept.
    """
    predictions = np.asarray(predictions)
    n_members = len(predictions)
    if n_members <= 2:
        return np.arange(n_members)
    rng = np.random.default_rng(0) if rng is None else rng
    relevance = np.array([normalized_mutual_information(h, y) for h in predictions])
    pair = np.zeros((n_members, n_members))
    for i in range(n_members):
        for j in range(i + 1, n_members):
            score = (
                diversity_weight
                * normalized_variation_of_information(predictions[i], predictions[j])
                + (1 - diversity_weight) * (relevance[i] + relevance[j]) / 2
            )
            pair[i, j] = pair[j, i] = score
    chosen = [int(rng.integers(n_members))]
    while len(chosen) < n_members - 1:
        gain = pair[:, chosen].sum(axis=1)
        gain[chosen] = -np.inf
        chosen.append(int(np.argmax(gain)))
    return np.sort(np.asarray(chosen))
