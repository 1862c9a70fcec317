"""Paired significance tests for comparing methods run on the same splits."""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = [
    "corrected_resampled_ttest",
    "holm",
    "smallest_wilcoxon_p",
    "wilcoxon_signed_rank",
]


def wilcoxon_signed_rank(x, y, variant="scipy"):
    """Two-sided paired Wilcoxon signed-rank test, normal approximation.

    Parameters
    ----------
    x, y : array-like of shape (n_pairs,)
        Paired scores, e.g. test accuracies of two methods per seed.
    variant : {'scipy', 'paper'}, default='scipy'
        ``'scipy'``: :func:`scipy.stats.wilcoxon` with zero differences
        dropped, no continuity correction and the normal approximation, which
        averages the ranks of tied ``|d|`` and corrects the variance for ties.
        ``'paper'``: the Random Cloud paper's own implementation. Zero
        differences are dropped and there is no continuity correction, but
        tied ``|d|`` get consecutive ranks in sorted order instead of their
        average rank, and there is no tie correction.

    Returns
    -------
    statistic : float
        ``W+`` (the sum of the ranks of positive differences) for ``'paper'``;
        SciPy's statistic for ``'scipy'``.
    pvalue : float
        1.0 when every difference is zero.
    """
    d = np.asarray(x, dtype=float) - np.asarray(y, dtype=float)
    d = d[d != 0]
    n = len(d)
    if n == 0:
        return 0.0, 1.0
    if variant == "scipy":
        try:
            result = stats.wilcoxon(
                d, zero_method="wilcox", correction=False, method="asymptotic"
            )
        except ValueError:  # SciPy < 1.11 calls the normal approximation "approx"
            result = stats.wilcoxon(
                d, zero_method="wilcox", correction=False, method="approx"
            )
        return float(result.statistic), float(result.pvalue)
    if variant != "paper":
        raise ValueError(f"variant must be 'scipy' or 'paper', got {variant!r}.")
    ranks = np.empty(n)
    ranks[np.argsort(np.abs(d), kind="stable")] = np.arange(1, n + 1)
    w_plus = float(ranks[d > 0].sum())
    mean = n * (n + 1) / 4
    sd = np.sqrt(n * (n + 1) * (2 * n + 1) / 24)
    z = (w_plus - mean) / sd
    return w_plus, float(2 * stats.norm.sf(abs(z)))


def smallest_wilcoxon_p(n_pairs, variant="scipy"):
    """The smallest p-value :func:`wilcoxon_signed_rank` can give for ``n_pairs``.

    The signed-rank statistic is at its extreme when every difference has the
    same sign. Without a tie correction (``'paper'``) that gives one value of
    ``z``; with it (``'scipy'``) ``z`` is largest when all ``|d|`` tie, which
    shrinks the variance most. Both cases are computed with the test itself,
    so this is the floor of the p-values it returns: with 3 pairs, 0.109
    (``'paper'``) and 0.083 (``'scipy'``), so no difference can reach 5%.

    Parameters
    ----------
    n_pairs : int
        Non-zero paired differences.
    variant : {'scipy', 'paper'}, default='scipy'

    Returns
    -------
    pvalue : float
        1.0 for no pairs.
    """
    if n_pairs < 1:
        return 1.0
    distinct = np.arange(1.0, n_pairs + 1)
    tied = np.ones(n_pairs)
    zeros = np.zeros(n_pairs)
    return min(
        wilcoxon_signed_rank(d, zeros, variant=variant)[1] for d in (distinct, tied)
    )


def corrected_resampled_ttest(x, y, n_train, n_test):
    """Nadeau and Bengio's corrected resampled t-test for repeated splits.

    Scores from overlapping training sets are correlated, so the plain paired
    t-test is far too liberal. The variance of the mean difference is
    inflated from ``var / J`` to ``(1 / J + n_test / n_train) * var``
    (Nadeau & Bengio, "Inference for the Generalization Error", Machine
    Learning 52, 2003).

    Parameters
    ----------
    x, y : array-like of shape (n_resamples,)
        Paired scores per split (e.g. every fold of a repeated k-fold).
    n_train, n_test : int
        Training and test set sizes of one split.

    Returns
    -------
    statistic : float
        The t statistic (``J - 1`` degrees of freedom).
    pvalue : float
        Two-sided.
    """
    d = np.asarray(x, dtype=float) - np.asarray(y, dtype=float)
    n_resamples = len(d)
    if n_resamples < 2:
        raise ValueError("The corrected t-test needs at least 2 paired resamples.")
    mean = d.mean()
    variance = d.var(ddof=1)
    if variance == 0:
        return (0.0, 1.0) if mean == 0 else (float(np.sign(mean) * np.inf), 0.0)
    t = mean / np.sqrt((1 / n_resamples + n_test / n_train) * variance)
    return float(t), float(2 * stats.t.sf(abs(t), df=n_resamples - 1))


def holm(pvalues):
    """Holm's step-down adjustment of p-values for multiple comparisons.

    Parameters
    ----------
    pvalues : array-like of shape (n_tests,)

    Returns
    -------
    adjusted : ndarray of shape (n_tests,)
        In the input order; compare them with the family-wise level directly.
    """
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p, kind="stable")
    scaled = p[order] * (len(p) - np.arange(len(p)))
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return adjusted
