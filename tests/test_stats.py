import numpy as np
import pytest
from scipy import stats

from sklearn_rcloud.study import corrected_resampled_ttest, holm, wilcoxon_signed_rank


def test_wilcoxon_variants_agree_without_ties():
    rng = np.random.RandomState(0)
    x, y = rng.rand(10), rng.rand(10)
    _, p_scipy = wilcoxon_signed_rank(x, y, "scipy")
    w_plus, p_paper = wilcoxon_signed_rank(x, y, "paper")
    assert p_paper == pytest.approx(p_scipy, rel=1e-12)
    assert w_plus == pytest.approx(np.sum(stats.rankdata(np.abs(x - y))[x > y]))


def test_wilcoxon_paper_variant_by_hand():
    # d = [0, 1, -2, 3, 3]: zero dropped; |d| = 1, 2, 3, 3 ranked 1, 2, 3, 4 in
    # sorted order (no averaging): W+ = 1 + 3 + 4 = 8 of n = 4.
    x = np.array([1.0, 2.0, 0.0, 4.0, 5.0])
    y = np.array([1.0, 1.0, 2.0, 1.0, 2.0])
    w_plus, p = wilcoxon_signed_rank(x, y, "paper")
    z = (8 - 4 * 5 / 4) / np.sqrt(4 * 5 * 9 / 24)
    assert w_plus == 8
    assert p == pytest.approx(2 * stats.norm.sf(abs(z)))


def test_wilcoxon_identical_scores_give_p_one():
    scores = np.full(10, 0.973)
    for variant in ("scipy", "paper"):
        assert wilcoxon_signed_rank(scores, scores, variant)[1] == 1.0
    with pytest.raises(ValueError, match="variant"):
        wilcoxon_signed_rank([1, 2], [2, 1], "exact")


def test_wilcoxon_detects_a_consistent_difference():
    rng = np.random.RandomState(1)
    y = rng.rand(10)
    assert wilcoxon_signed_rank(y + 0.05 + 0.01 * rng.rand(10), y, "paper")[1] < 0.01


def test_corrected_ttest_by_hand_and_more_conservative_than_plain():
    x = np.array([0.80, 0.82, 0.78, 0.85, 0.81, 0.79, 0.83, 0.84, 0.80, 0.82])
    y = x - np.array([0.02, 0.01, 0.03, 0.02, 0.00, 0.01, 0.02, 0.03, 0.01, 0.02])
    d = x - y
    t, p = corrected_resampled_ttest(x, y, n_train=90, n_test=10)
    expected = d.mean() / np.sqrt((1 / 10 + 10 / 90) * d.var(ddof=1))
    assert t == pytest.approx(expected)
    assert p == pytest.approx(2 * stats.t.sf(expected, df=9))
    assert p > stats.ttest_rel(x, y).pvalue


def test_corrected_ttest_degenerate_cases():
    assert corrected_resampled_ttest([1, 1], [1, 1], 9, 1) == (0.0, 1.0)
    assert corrected_resampled_ttest([2, 2], [1, 1], 9, 1)[1] == 0.0
    with pytest.raises(ValueError, match="at least 2"):
        corrected_resampled_ttest([1], [0], 9, 1)


def test_holm_by_hand():
    adjusted = holm([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9])[1] == 1.0
