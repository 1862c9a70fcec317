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
class indices.

The regression twins read members' predictions instead, an array
``predictions`` of shape ``(n_members, n_samples, n_outputs)`` (or
``(n_members, n_samples)`` for one output), against a target ``y`` of shape
``(n_samples, n_outputs)`` (or ``(n_samples,)``), and measure everything by
the squared error, averaged over the rows (weighted by ``sample_weight``)
and the outputs (:func:`squared_error`). They rest on the *ambiguity
decomposition* (Krogh and Vedelsby, 1995): for a mixture
``f = sum_i w_i f_i`` with weights summing to one,
``squared_error(f) = sum_i w_i squared_error(f_i) - ambiguity``, the
ambiguity (:func:`ambiguity`) being the weighted mean squared deviation of
the members from the mixture, the regression diversity:

* :func:`fit_squared_error_weights`: the mixture of least squared error;
* PAP, :func:`prune_squared_error`: leave-one-out change of the ensemble's
  squared error;
* PIE, :func:`prune_ambiguity`: the greedy selection of :func:`prune_entropy`
  with the pairwise ambiguity as the diversity and minus the member's
  squared error as the relevance.

Nothing here trains or knows about scikit-learn.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize, nnls
from scipy.special import softmax

__all__ = [
    "ambiguity",
    "disagreement",
    "fit_mixture_weights",
    "fit_squared_error_weights",
    "log_loss",
    "mix",
    "normalized_mutual_information",
    "normalized_variation_of_information",
    "prune_accuracy",
    "prune_ambiguity",
    "prune_entropy",
    "prune_random",
    "prune_squared_error",
    "r2",
    "squared_error",
]

_EPS = 1e-18


def mix(probas, weights=None):
    """The ensemble's class probabilities: the weighted mean of its members'.

    The same for a regression ensemble's predictions: ``probas`` of shape
    ``(n_members, n_samples, n_outputs)`` give the mixed predictions.

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


# ------------------------------------------------------------------ regression
def _members(predictions):
    """Members' predictions as float64 of shape (n_members, n_samples, n_outputs)."""
    predictions = np.asarray(predictions, dtype=float)
    return predictions[:, :, None] if predictions.ndim == 2 else predictions


def _target(y):
    """The target as float64 of shape (n_samples, n_outputs)."""
    y = np.asarray(y, dtype=float)
    return y[:, None] if y.ndim == 1 else y


def _row_weights(sample_weight, n_samples):
    """Weights of the rows summing to one: uniform for None (or for weights
    that are all zero, which weigh no row)."""
    if sample_weight is not None:
        weights = np.asarray(sample_weight, dtype=float)
        total = weights.sum()
        if total > 0:
            return weights / total
    return np.full(n_samples, 1.0 / n_samples)


def _mean_square(residuals, row_weight):
    """Per leading index, the weighted mean over rows and mean over outputs of
    ``residuals ** 2`` (``residuals`` of shape (..., n_samples, n_outputs))."""
    return np.square(residuals).mean(axis=-1) @ row_weight


def squared_error(predictions, y, sample_weight=None):
    """Mean squared error, over the rows (weighted) and the outputs.

    ``sum_s r_s * mean_o (f_so - y_so)^2``, ``r`` the sample weights
    normalised to sum to one (uniform for None).

    Parameters
    ----------
    predictions : ndarray of shape (n_samples,) or (n_samples, n_outputs)
    y : ndarray of the same shape
    sample_weight : ndarray of shape (n_samples,) or None

    Returns
    -------
    float
    """
    residuals = _target(predictions) - _target(y)
    return float(_mean_square(residuals, _row_weights(sample_weight, len(residuals))))


def r2(predictions, y, sample_weight=None):
    """Coefficient of determination, averaged uniformly over the outputs.

    Per output ``1 - SSE / SST`` with the (weighted) squared errors and
    deviations from the (weighted) mean of ``y``, as
    :func:`sklearn.metrics.r2_score` with
    ``multioutput='uniform_average'``; an output whose ``y`` is constant
    scores 1.0 when predicted exactly and 0.0 otherwise (``r2_score``'s
    ``force_finite``), one row included.

    Parameters
    ----------
    predictions : ndarray of shape (n_samples,) or (n_samples, n_outputs)
    y : ndarray of the same shape
    sample_weight : ndarray of shape (n_samples,) or None

    Returns
    -------
    float
    """
    predictions, y = _target(predictions), _target(y)
    # Unnormalised weights, as r2_score's: the mean of a constant column is
    # then the constant exactly.
    row_weight = np.ones(len(y))
    if sample_weight is not None and np.sum(sample_weight) > 0:
        row_weight = np.asarray(sample_weight, dtype=float)
    sse = row_weight @ np.square(predictions - y)
    sst = row_weight @ np.square(y - np.average(y, axis=0, weights=row_weight))
    scores = np.where(sse == 0, 1.0, 0.0)
    defined = sst > 0
    scores[defined] = 1.0 - sse[defined] / sst[defined]
    return float(scores.mean())


def ambiguity(predictions, weights=None, sample_weight=None):
    """The ambiguity of a regression ensemble: its members' diversity.

    With ``f = mix(predictions, weights)`` the ensemble's predictions and
    ``w`` the weights normalised to sum to one,
    ``sum_i w_i * squared_error(f_i, f)``: the weighted mean over members of
    the squared deviation of each member's predictions from the ensemble's.
    It is the term of the ambiguity decomposition
    ``squared_error(f, y) = sum_i w_i squared_error(f_i, y) - ambiguity``
    (Krogh and Vedelsby, 1995), which holds for any target ``y``: the more
    the members differ, the lower the ensemble's error below their mean one.

    Parameters
    ----------
    predictions : ndarray of shape (n_members, n_samples[, n_outputs])
    weights : ndarray of shape (n_members,) or None
        Non-negative; None is the plain mean.
    sample_weight : ndarray of shape (n_samples,) or None

    Returns
    -------
    float
        0.0 for fewer than two members.
    """
    predictions = _members(predictions)
    n_members = len(predictions)
    if n_members < 2:
        return 0.0
    weights = np.ones(n_members) if weights is None else np.asarray(weights, float)
    weights = weights / weights.sum()
    deviations = predictions - mix(predictions, weights)
    row_weight = _row_weights(sample_weight, predictions.shape[1])
    return float(weights @ _mean_square(deviations, row_weight))


def fit_squared_error_weights(predictions, y, sample_weight=None):
    """Mixture weights minimising the squared error of :func:`mix` on the data.

    The weights ``w`` are non-negative and sum to one. Since
    ``mix(predictions, w) - y = sum_i w_i (f_i - y)`` on the simplex, the
    problem is the point of least norm in the convex hull of the members'
    residuals; it is solved exactly by one non-negative least squares
    (:func:`scipy.optimize.nnls`):
    ``u = argmin_{u >= 0} squared_error(sum_i u_i (f_i - y)) + (sum_i u_i - 1)^2``
    and ``w = u / sum_i u`` (writing ``u = s w``, the objective is
    ``s^2 E(w) + (s - 1)^2``: every scale ``s > 0`` has the same best
    ``w``). Deterministic.

    Parameters
    ----------
    predictions : ndarray of shape (n_members, n_samples[, n_outputs])
    y : ndarray of shape (n_samples[, n_outputs])
    sample_weight : ndarray of shape (n_samples,) or None

    Returns
    -------
    weights : ndarray of shape (n_members,), summing to 1
    """
    predictions, y = _members(predictions), _target(y)
    n_members, n_samples, n_outputs = predictions.shape
    if n_members == 1:
        return np.ones(1)
    row_weight = _row_weights(sample_weight, n_samples)
    scale = np.sqrt(row_weight / n_outputs)[:, None]
    residuals = ((predictions - y) * scale).reshape(n_members, -1)
    design = np.vstack([residuals.T, np.ones((1, n_members))])
    target = np.zeros(len(design))
    target[-1] = 1.0
    u, _ = nnls(design, target, maxiter=50 * n_members)
    return u / u.sum()


def prune_squared_error(
    predictions, y, weights=None, sign="intuitive", sample_weight=None
):
    """PAP for regression: keep the members whose removal would change the
    ensemble's squared error.

    :func:`prune_accuracy` with the 0/1 error replaced by
    :func:`squared_error`. With ``H`` the weighted mean of the members and
    ``H \\ j`` that of the others (their weights renormalised; an ensemble
    whose others all weigh 0 has an infinite error), ``delta_j`` is

    * ``sign='intuitive'``: ``err(H \\ j) - err(H)``, positive when removing
      ``j`` makes the ensemble worse: such members are kept;
    * ``sign='code'``: ``err(H) - err(H \\ j)``, the SAEP code's sign.

    Members with ``delta_j > 0`` are kept; when there is none, the two with the
    largest ``delta_j`` (the earliest on ties). Ensembles of at most two
    members are kept whole.

    Parameters
    ----------
    predictions : ndarray of shape (n_members, n_samples[, n_outputs])
    y : ndarray of shape (n_samples[, n_outputs])
    weights : ndarray of shape (n_members,) or None
    sign : {'intuitive', 'code'}, default='intuitive'
    sample_weight : ndarray of shape (n_samples,) or None

    Returns
    -------
    kept : ndarray of int
        Sorted indices of the members kept.
    """
    if sign not in ("intuitive", "code"):
        raise ValueError(f"sign must be 'intuitive' or 'code', got {sign!r}.")
    predictions, y = _members(predictions), _target(y)
    n_members = len(predictions)
    if n_members <= 2:
        return np.arange(n_members)
    weights = np.ones(n_members) if weights is None else np.asarray(weights, float)
    row_weight = _row_weights(sample_weight, len(y))
    weighted = weights[:, None, None] * predictions
    total = weighted.sum(axis=0)
    error = _mean_square(total / weights.sum() - y, row_weight)
    rest = weights.sum() - weights
    errors_without = np.full(n_members, np.inf)
    for j in np.flatnonzero(rest > 0):
        errors_without[j] = _mean_square(
            (total - weighted[j]) / rest[j] - y, row_weight
        )
    delta = errors_without - error
    if sign == "code":
        delta = -delta
    kept = np.flatnonzero(delta > 0)
    if not len(kept):
        kept = np.sort(np.argsort(-delta, kind="stable")[:2])
    return kept


def prune_ambiguity(predictions, y, diversity_weight=0.5, rng=None, sample_weight=None):
    """PIE for regression: greedily keep ``n - 1`` members, diverse and accurate.

    :func:`prune_entropy`'s greedy selection, with diversity and relevance
    measured by the squared error. The pair score of members ``i != j`` is
    ``w * A_ij + (1 - w) * (R_i + R_j) / 2``, ``w`` the ``diversity_weight``,
    where

    * ``A_ij = squared_error(f_i, f_j) / 4`` is the :func:`ambiguity` of the
      two-member mean ensemble (the diversity of the pair);
    * ``R_i = -squared_error(f_i, y)`` is the member's relevance.

    By the ambiguity decomposition, at ``w = 1/2`` the pair score is minus
    half the squared error of the pair's mean. Starting from one random
    member, the member with the largest summed pair score to those already
    chosen is added until ``n - 1`` are chosen: one member leaves per round
    once there are three.

    Parameters
    ----------
    predictions : ndarray of shape (n_members, n_samples[, n_outputs])
    y : ndarray of shape (n_samples[, n_outputs])
    diversity_weight : float in [0, 1], default=0.5
        Weight of diversity against relevance.
    rng : numpy.random.Generator or None
        Draws the starting member (None: ``numpy.random.default_rng(0)``).
    sample_weight : ndarray of shape (n_samples,) or None

    Returns
    -------
    kept : ndarray of int
        Sorted indices of the members kept.
    """
    predictions, y = _members(predictions), _target(y)
    n_members = len(predictions)
    if n_members <= 2:
        return np.arange(n_members)
    rng = np.random.default_rng(0) if rng is None else rng
    row_weight = _row_weights(sample_weight, len(y))
    relevance = -_mean_square(predictions - y, row_weight)
    pair = np.zeros((n_members, n_members))
    for i in range(n_members):
        spread = _mean_square(predictions[i] - predictions[i + 1 :], row_weight) / 4
        score = (
            diversity_weight * spread
            + (1 - diversity_weight) * (relevance[i] + relevance[i + 1 :]) / 2
        )
        pair[i, i + 1 :] = pair[i + 1 :, i] = score
    chosen = [int(rng.integers(n_members))]
    while len(chosen) < n_members - 1:
        gain = pair[:, chosen].sum(axis=1)
        gain[chosen] = -np.inf
        chosen.append(int(np.argmax(gain)))
    return np.sort(np.asarray(chosen))
