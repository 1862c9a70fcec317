"""SAEP: the pruning rules against hand computations, and the ensemble estimator."""

import numpy as np
import pytest
from scipy.optimize import check_grad
from scipy.special import softmax
from sklearn.metrics import normalized_mutual_info_score

from sklearn_rcloud import (
    DenseMLPClassifier,
    NASWOTSearchClassifier,
    RandomCloudClassifier,
    SAEPEnsembleClassifier,
)
from sklearn_rcloud.ensemble import (
    disagreement,
    fit_mixture_weights,
    log_loss,
    mix,
    normalized_mutual_information,
    normalized_variation_of_information,
    prune_accuracy,
    prune_entropy,
    prune_random,
)


def small(**params):
    defaults = dict(
        n_rounds=5, width=8, max_iter=40, learning_rate_init=0.01, random_state=0
    )
    return SAEPEnsembleClassifier(**{**defaults, **params})


def _onehot(labels, n_classes=3):
    return np.eye(n_classes)[np.asarray(labels)]


# ------------------------------------------------------------------ mixing
def test_mix_is_the_weighted_mean_of_the_members():
    rng = np.random.default_rng(0)
    probas = softmax(rng.normal(size=(3, 5, 4)), axis=2)
    np.testing.assert_allclose(mix(probas), probas.mean(axis=0))
    weights = np.array([1.0, 3.0, 0.0])
    np.testing.assert_allclose(mix(probas, weights), (probas[0] + 3 * probas[1]) / 4)


def test_learned_mixture_weights_minimise_the_log_loss():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 60)
    good = 0.8 * _onehot(y) + 0.2 / 3
    noise = softmax(rng.normal(size=(2, 60, 3)), axis=2)
    probas = np.stack([noise[0], good, noise[1]])
    weights = fit_mixture_weights(probas, y)
    assert weights.sum() == pytest.approx(1.0) and (weights >= 0).all()
    assert weights.argmax() == 1
    assert log_loss(mix(probas, weights), y) < log_loss(mix(probas), y)

    def loss(theta):
        return log_loss(mix(probas, softmax(theta)), y)

    # The optimum: no direction of the softmax parameters lowers the loss.
    theta = np.log(weights + 1e-300)
    for direction in np.eye(3):
        assert loss(theta + 1e-3 * direction) >= loss(theta) - 1e-6


def test_mixture_gradient_is_exact():
    from sklearn_rcloud import ensemble

    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 30)
    probas = softmax(rng.normal(size=(4, 30, 3)), axis=2)
    captured = {}
    original = ensemble.minimize

    def capture(fun, x0, **kwargs):
        captured["fun"] = fun
        return original(fun, x0, **kwargs)

    ensemble.minimize = capture
    try:
        fit_mixture_weights(probas, y)
    finally:
        ensemble.minimize = original
    fun = captured["fun"]
    error = check_grad(lambda t: fun(t)[0], lambda t: fun(t)[1], rng.normal(size=4))
    assert error < 1e-6


# ---------------------------------------------------------------- diversity
def test_disagreement_counts_differing_pairs_by_hand():
    predictions = np.array([[0, 1, 1, 2], [0, 1, 2, 2], [1, 1, 2, 0]])
    # pairs: (0,1) 1/4, (0,2) 3/4, (1,2) 2/4
    assert disagreement(predictions) == pytest.approx((0.25 + 0.75 + 0.5) / 3)
    assert disagreement(predictions[:1]) == 0.0


def test_normalised_information_matches_scikit_learn_and_the_extremes():
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 3, 200), rng.integers(0, 4, 200)
    expected = normalized_mutual_info_score(a, b, average_method="geometric")
    assert normalized_mutual_information(a, b) == pytest.approx(expected)
    relabelled = (a + 1) % 3
    assert normalized_mutual_information(a, relabelled) == pytest.approx(1.0)
    assert normalized_variation_of_information(a, relabelled) == pytest.approx(0.0)
    assert normalized_mutual_information(a, np.zeros(200)) == 0.0
    # Independent by construction: every (a, b) pair equally often.
    a, b = np.repeat([0, 1], 50), np.tile([0, 1], 50)
    assert normalized_variation_of_information(a, b) == pytest.approx(1.0)


# ------------------------------------------------------------- pruning rules
def test_random_pruning_removes_one_member_half_of_the_time():
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(prune_random(2, rng), [0, 1])
    removed = []
    for _ in range(4000):
        kept = prune_random(4, rng)
        assert len(kept) in (3, 4)
        if len(kept) == 3:
            removed.append(int(np.setdiff1d(np.arange(4), kept)[0]))
    assert abs(len(removed) / 4000 - 0.5) < 0.03
    assert np.allclose(np.bincount(removed) / len(removed), 0.25, atol=0.03)


def test_accuracy_pruning_keeps_the_members_the_ensemble_needs():
    # Two members help the ensemble (removing either raises its error by one
    # sample of five) and two hurt it (removing either lowers it by two): the
    # intuitive sign keeps the helpers, the code's sign the others.
    y = np.array([0, 1, 2, 0, 1])
    predictions = [[0, 2, 2, 0, 1], [2, 1, 0, 2, 2], [2, 0, 0, 2, 0], [1, 0, 0, 1, 1]]
    probas = _onehot(predictions) * 0.9 + 0.1 / 3
    np.testing.assert_array_equal(prune_accuracy(probas, y), [0, 3])
    np.testing.assert_array_equal(prune_accuracy(probas, y, sign="code"), [1, 2])
    right = _onehot(y)
    # Nothing changes the error: keep the first two.
    same = np.stack([right, right, right]) * 0.9 + 0.1 / 3
    np.testing.assert_array_equal(prune_accuracy(same, y), [0, 1])
    with pytest.raises(ValueError, match="sign"):
        prune_accuracy(probas, y, sign="other")


def test_accuracy_pruning_equals_a_direct_leave_one_out():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 3, 40)
    probas = softmax(2 * rng.normal(size=(6, 40, 3)), axis=2)
    error = np.mean(probas.sum(axis=0).argmax(axis=1) != y)
    delta = np.array(
        [
            np.mean(np.delete(probas, j, axis=0).sum(axis=0).argmax(axis=1) != y)
            - error
            for j in range(6)
        ]
    )
    expected = np.flatnonzero(delta > 0)
    if not len(expected):
        expected = np.sort(np.argsort(-delta, kind="stable")[:2])
    np.testing.assert_array_equal(prune_accuracy(probas, y), expected)


def test_entropy_pruning_drops_one_of_two_identical_members():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 3, 100)
    noisy = np.where(rng.random(100) < 0.3, rng.integers(0, 3, 100), y)
    other = np.where(rng.random(100) < 0.3, rng.integers(0, 3, 100), y)
    predictions = np.stack([noisy, noisy, other])
    for seed in range(6):
        kept = prune_entropy(predictions, y, 0.5, np.random.default_rng(seed))
        assert len(kept) == 2 and 2 in kept
    five = np.stack([noisy, other, y, noisy, other])
    assert len(prune_entropy(five, y)) == 4
    np.testing.assert_array_equal(prune_entropy(five[:2], y), [0, 1])


# ---------------------------------------------------------------- estimator
def _check_history(clf):
    history = clf.ensemble_history_
    sizes = history["ensemble_size"]
    assert sizes[0] == 1
    for t in range(1, len(sizes)):
        assert sizes[t] == sizes[t - 1] + 1 - len(history["pruned"][t])
    assert sizes[-1] == len(clf.estimators_) == len(clf.weights_)
    removed = {r for pruned in history["pruned"] for r in pruned}
    assert set(clf.member_rounds_) == set(history["round"]) - removed
    assert clf.n_params_ == sum(t.n_params for t in clf.topologies_)
    assert clf.topologies_ == [m.topology_ for m in clf.estimators_]
    depths = history["added_depth"]
    assert depths[0] in (1, 2)
    assert all(d in (p, p + 1) for p, d in zip(depths, depths[1:]))


def test_unpruned_ensemble_keeps_every_member(wine):
    X, y = wine
    clf = small(pruning=None).fit(X, y)
    _check_history(clf)
    assert len(clf.estimators_) == 5
    assert all(len(p) == 0 for p in clf.ensemble_history_["pruned"])
    np.testing.assert_array_equal(clf.member_rounds_, np.arange(5))


def test_entropy_pruning_removes_one_member_per_round_from_three_on(wine):
    X, y = wine
    clf = small(pruning="pie").fit(X, y)
    _check_history(clf)
    np.testing.assert_array_equal(
        clf.ensemble_history_["ensemble_size"], [1, 2, 3, 3, 3]
    )


@pytest.mark.parametrize("pruning", ["prs", "pap"])
def test_other_rules_keep_a_consistent_history(wine, pruning):
    X, y = wine
    clf = small(pruning=pruning, n_rounds=6).fit(X, y)
    _check_history(clf)
    assert len(clf.estimators_) >= min(3, 6)


def test_predictions_mix_the_members(wine):
    X, y = wine
    for mixture in ("mean", "learned"):
        clf = small(mixture=mixture).fit(X, y)
        probas = [m.predict_proba(X) for m in clf.estimators_]
        np.testing.assert_allclose(clf.predict_proba(X), mix(probas, clf.weights_))
        assert clf.weights_.sum() == pytest.approx(1.0)
    assert clf.score(X, y) > 0.9


def test_a_large_complexity_penalty_keeps_the_shallow_candidate(wine):
    X, y = wine
    clf = small(complexity_penalty=100.0, pruning=None).fit(X, y)
    assert (clf.ensemble_history_["added_depth"] == 1).all()


def test_candidates_can_come_from_a_search(wine):
    X, y = wine
    search = RandomCloudClassifier(n_networks=4, max_iter=20, learning_rate_init=0.01)
    clf = small(candidate_search=search, n_rounds=3, pruning=None).fit(X, y)
    assert all(isinstance(m, RandomCloudClassifier) for m in clf.estimators_)
    for member in clf.estimators_:
        assert set(member.initial_topology_.hidden_layer_sizes) == {8}
        assert member.topology_.depth <= member.initial_topology_.depth
    assert search.get_params()["random_state"] is None  # the template is untouched
    naswot = NASWOTSearchClassifier(
        n_candidates=3, width_choices=(4, 8), depth_range=(1, 2), max_iter=20
    )
    clf = small(candidate_search=naswot, n_rounds=2, pruning=None).fit(X, y)
    assert all(isinstance(m, NASWOTSearchClassifier) for m in clf.estimators_)
    assert clf.predict_proba(X).shape == (len(X), 3)
    default = small(n_rounds=2).fit(X, y)
    assert all(isinstance(m, DenseMLPClassifier) for m in default.estimators_)


def test_same_random_state_same_ensemble(wine):
    X, y = wine
    a, b = small(pruning="prs").fit(X, y), small(pruning="prs").fit(X, y)
    np.testing.assert_array_equal(a.member_rounds_, b.member_rounds_)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    for key in ("validation_accuracy", "diversity", "ensemble_size"):
        np.testing.assert_array_equal(
            a.ensemble_history_[key], b.ensemble_history_[key]
        )


@pytest.mark.parametrize("mixture", ["mean", "learned"])
def test_to_torch_mixes_the_members_like_predict_proba(wine, mixture):
    import torch

    X, y = wine
    clf = small(mixture=mixture, n_rounds=3).fit(X, y)
    module = clf.to_torch()
    assert isinstance(module, torch.nn.Module) and not module.training
    with torch.no_grad():
        proba = module(torch.as_tensor(X, dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(proba, clf.predict_proba(X), atol=1e-5)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
