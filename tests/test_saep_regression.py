"""SAEP for regression: the squared-error rules against direct computations,
and the ensemble regressor."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from scipy.optimize import minimize
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_rcloud import (
    DenseMLPRegressor,
    NASWOTSearchRegressor,
    RandomCloudClassifier,
    RandomCloudRegressor,
    SAEPEnsembleRegressor,
)
from sklearn_rcloud.engine import validation_split
from sklearn_rcloud.ensemble import (
    ambiguity,
    fit_squared_error_weights,
    mix,
    prune_ambiguity,
    prune_squared_error,
    r2,
    squared_error,
)


def small(**params):
    defaults = dict(
        n_rounds=5, width=8, max_iter=40, learning_rate_init=0.01, random_state=0
    )
    return SAEPEnsembleRegressor(**{**defaults, **params})


def _fit(estimator, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y, **fit_params)


@pytest.fixture(scope="module")
def data():
    X, y = make_regression(
        n_samples=160, n_features=5, n_informative=4, noise=5.0, random_state=0
    )
    return StandardScaler().fit_transform(X), y


def _members(n_members=4, n_samples=50, n_outputs=2, seed=0):
    """A target and members predicting it with noise of different sizes."""
    rng = np.random.default_rng(seed)
    y = rng.normal(size=(n_samples, n_outputs))
    noise = rng.normal(size=(n_members, n_samples, n_outputs))
    scales = np.linspace(0.3, 1.5, n_members)[:, None, None]
    return y + scales * noise, y, rng.uniform(0.2, 2.0, n_samples)


def _direct_mse(f, y, sample_weight=None):
    """Mean over rows (weighted) and outputs, by loops."""
    f, y = np.atleast_2d(f.T).T, np.atleast_2d(y.T).T
    w = np.ones(len(y)) if sample_weight is None else sample_weight
    total = sum(
        w[s] * np.mean([(f[s, o] - y[s, o]) ** 2 for o in range(y.shape[1])])
        for s in range(len(y))
    )
    return total / w.sum()


# ------------------------------------------------------------ the numerics
def test_squared_error_and_r2_match_scikit_learn():
    predictions, y, weights = _members()
    f = predictions[0]
    for sample_weight in (None, weights):
        expected = mean_squared_error(y, f, sample_weight=sample_weight)
        assert squared_error(f, y, sample_weight) == pytest.approx(expected)
        assert squared_error(f, y, sample_weight) == pytest.approx(
            _direct_mse(f, y, sample_weight)
        )
        assert r2(f, y, sample_weight) == pytest.approx(
            r2_score(y, f, sample_weight=sample_weight)
        )
    # One output given 1-d, and the constant-target conventions of r2_score.
    assert squared_error(f[:, 0], y[:, 0]) == pytest.approx(
        mean_squared_error(y[:, 0], f[:, 0])
    )
    constant = np.column_stack([np.full(50, 2.0), y[:, 1]])
    exact = np.column_stack([np.full(50, 2.0), f[:, 1]])
    assert r2(exact, constant) == pytest.approx(r2_score(constant, exact))
    assert r2(f, constant) == pytest.approx(r2_score(constant, f))
    assert r2(np.ones(1), np.zeros(1)) == 0.0  # one row: no warning, 0


def test_mix_averages_regression_predictions():
    predictions, _, _ = _members()
    weights = np.array([1.0, 0.0, 3.0, 0.0])
    np.testing.assert_allclose(
        mix(predictions, weights), (predictions[0] + 3 * predictions[2]) / 4
    )


def test_ambiguity_is_the_direct_sum_and_decomposes_the_error():
    predictions, y, sample_weight = _members()
    weights = np.array([0.1, 0.4, 0.2, 0.3])
    mixed = sum(w * f for w, f in zip(weights, predictions))
    direct = sum(
        w * _direct_mse(f, mixed, sample_weight) for w, f in zip(weights, predictions)
    )
    assert ambiguity(predictions, weights, sample_weight) == pytest.approx(direct)
    # The ambiguity decomposition: E(mix) = sum_i w_i E(f_i) - ambiguity.
    mean_error = sum(
        w * squared_error(f, y, sample_weight) for w, f in zip(weights, predictions)
    )
    assert squared_error(mixed, y, sample_weight) == pytest.approx(
        mean_error - ambiguity(predictions, weights, sample_weight)
    )
    # Unweighted: the plain mean; identical members or one member: 0.
    assert ambiguity(predictions) == pytest.approx(
        np.mean([_direct_mse(f, predictions.mean(0)) for f in predictions])
    )
    assert ambiguity(np.stack([predictions[0]] * 3)) == pytest.approx(0.0)
    assert ambiguity(predictions[:1]) == 0.0


def _simplex_error(predictions, y, sample_weight, weights):
    return squared_error(mix(predictions, weights), y, sample_weight)


def test_learned_weights_are_the_least_squares_mixture_on_the_simplex():
    predictions, y, sample_weight = _members(n_members=5)
    # A biased member: only a mixture cancels its bias.
    predictions[3] = y + 0.8
    predictions[4] = y - 0.5 + 0.1 * predictions[4]
    weights = fit_squared_error_weights(predictions, y, sample_weight)
    assert weights.sum() == pytest.approx(1.0) and (weights >= 0).all()
    best = _simplex_error(predictions, y, sample_weight, weights)
    # Optimality (KKT): the gradient is smallest, and equal, on the support.
    mixed = mix(predictions, weights)
    row = sample_weight / sample_weight.sum()
    gradient = np.array(
        [
            2 * np.sum(row[:, None] * (f - y) * (mixed - y)) / y.shape[1]
            for f in predictions
        ]
    )
    support = weights > 1e-9
    assert np.ptp(gradient[support]) < 1e-8
    assert (gradient[~support] >= gradient[support].min() - 1e-8).all()
    # A general-purpose solver on the simplex finds no better mixture.
    result = minimize(
        lambda w: _simplex_error(predictions, y, sample_weight, w),
        np.full(5, 0.2),
        method="SLSQP",
        bounds=[(0, 1)] * 5,
        constraints={"type": "eq", "fun": lambda w: w.sum() - 1},
    )
    assert best <= result.fun + 1e-10
    assert best < _simplex_error(predictions, y, sample_weight, np.full(5, 0.2))


def test_learned_weights_with_integer_sample_weights_repeat_rows():
    predictions, y, _ = _members(n_members=3, n_samples=30)
    counts = np.random.default_rng(7).integers(0, 4, 30)
    repeated = fit_squared_error_weights(
        np.repeat(predictions, counts, axis=1), np.repeat(y, counts, axis=0)
    )
    weighted = fit_squared_error_weights(predictions, y, counts.astype(float))
    np.testing.assert_allclose(weighted, repeated, atol=1e-10)
    np.testing.assert_array_equal(fit_squared_error_weights(predictions[:1], y), [1])
    # The best member alone when the others only add noise.
    exact = np.stack([y + 5.0, y, y - 5.0 + np.sin(y)])
    np.testing.assert_allclose(
        fit_squared_error_weights(exact[[1, 0]], y), [1.0, 0.0], atol=1e-12
    )


def _direct_leave_one_out(predictions, y, weights, sample_weight):
    error = _direct_mse(mix(predictions, weights), y, sample_weight)
    delta = []
    for j in range(len(predictions)):
        others = np.delete(predictions, j, axis=0)
        rest = np.delete(weights, j)
        without = (
            np.inf
            if rest.sum() == 0
            else _direct_mse(mix(others, rest), y, sample_weight)
        )
        delta.append(without - error)
    return np.array(delta)


@pytest.mark.parametrize("sign", ["intuitive", "code"])
def test_squared_error_pruning_equals_a_direct_leave_one_out(sign):
    for seed in range(5):
        predictions, y, sample_weight = _members(n_members=6, seed=seed)
        weights = np.random.default_rng(seed).uniform(0.1, 1, 6)
        delta = _direct_leave_one_out(predictions, y, weights, sample_weight)
        if sign == "code":
            delta = -delta
        expected = np.flatnonzero(delta > 0)
        if not len(expected):
            expected = np.sort(np.argsort(-delta, kind="stable")[:2])
        kept = prune_squared_error(predictions, y, weights, sign, sample_weight)
        np.testing.assert_array_equal(kept, expected)


def test_squared_error_pruning_keeps_the_members_the_ensemble_needs():
    rng = np.random.default_rng(3)
    y = rng.normal(size=40)
    # Members 0, 1 and 3 are biased but cancel out at these weights: removing
    # any of them biases the ensemble. Member 2 only adds noise.
    predictions = np.stack([y + 1.0, y - 1.0, y + 3.0 * rng.normal(size=40), y - 1.0])
    weights = np.array([2.0, 1.0, 0.5, 1.0])
    np.testing.assert_array_equal(
        prune_squared_error(predictions, y, weights), [0, 1, 3]
    )
    # The code's sign keeps the member whose removal helps.
    np.testing.assert_array_equal(
        prune_squared_error(predictions, y, weights, sign="code"), [2]
    )
    # Nothing changes the error: keep the first two.
    same = np.stack([y + 0.5] * 3)
    np.testing.assert_array_equal(prune_squared_error(same, y), [0, 1])
    np.testing.assert_array_equal(prune_squared_error(predictions[:2], y), [0, 1])
    # A member whose others all weigh 0 cannot leave.
    kept = prune_squared_error(predictions[:3], y, np.array([0.0, 0.0, 1.0]))
    np.testing.assert_array_equal(kept, [2])
    with pytest.raises(ValueError, match="sign"):
        prune_squared_error(predictions, y, sign="other")


def _direct_ambiguity_pruning(predictions, y, weight, start, sample_weight):
    n = len(predictions)
    relevance = [-_direct_mse(f, y, sample_weight) for f in predictions]
    pair = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j:
                pair_ambiguity = _direct_mse(
                    predictions[i], predictions[j], sample_weight
                )
                pair[i, j] = (
                    weight * pair_ambiguity / 4
                    + (1 - weight) * (relevance[i] + relevance[j]) / 2
                )
    chosen = [start]
    while len(chosen) < n - 1:
        gain = [
            -np.inf if p in chosen else sum(pair[p, q] for q in chosen)
            for p in range(n)
        ]
        chosen.append(int(np.argmax(gain)))
    return np.sort(chosen)


@pytest.mark.parametrize("weight", [0.0, 0.5, 0.9, 1.0])
def test_ambiguity_pruning_equals_the_direct_greedy_selection(weight):
    for seed in range(4):
        predictions, y, sample_weight = _members(n_members=6, seed=seed)
        start = int(np.random.default_rng(seed).integers(6))
        expected = _direct_ambiguity_pruning(
            predictions, y, weight, start, sample_weight
        )
        kept = prune_ambiguity(
            predictions, y, weight, np.random.default_rng(seed), sample_weight
        )
        np.testing.assert_array_equal(kept, expected)


def test_pie_pair_score_at_one_half_is_minus_half_the_pairs_error():
    # The ambiguity decomposition: lambda = 1/2 scores a pair by its mean.
    predictions, y, _ = _members(n_members=2)
    f_i, f_j = predictions
    pair_ambiguity = ambiguity(predictions)
    assert pair_ambiguity == pytest.approx(squared_error(f_i, f_j) / 4)
    score = (
        0.5 * pair_ambiguity
        + 0.5 * (-squared_error(f_i, y) - squared_error(f_j, y)) / 2
    )
    assert score == pytest.approx(-0.5 * squared_error((f_i + f_j) / 2, y))


def test_ambiguity_pruning_drops_one_of_two_identical_members():
    rng = np.random.default_rng(5)
    y = rng.normal(size=100)
    noisy = y + 0.5 * rng.normal(size=100)
    other = y + 0.5 * rng.normal(size=100)
    predictions = np.stack([noisy, noisy, other])
    for seed in range(6):
        kept = prune_ambiguity(predictions, y, 0.5, np.random.default_rng(seed))
        assert len(kept) == 2 and 2 in kept
    five = np.stack([noisy, other, y, noisy, other])
    assert len(prune_ambiguity(five, y)) == 4
    np.testing.assert_array_equal(prune_ambiguity(five[:2], y), [0, 1])


# ---------------------------------------------------------------- estimator
def _check_history(reg):
    history = reg.ensemble_history_
    sizes = history["ensemble_size"]
    assert sizes[0] == 1
    for t in range(1, len(sizes)):
        assert sizes[t] == sizes[t - 1] + 1 - len(history["pruned"][t])
    assert sizes[-1] == len(reg.estimators_) == len(reg.weights_)
    removed = {r for pruned in history["pruned"] for r in pruned}
    assert set(reg.member_rounds_) == set(history["round"]) - removed
    assert reg.n_params_ == sum(t.n_params for t in reg.topologies_)
    depths = history["added_depth"]
    assert depths[0] in (1, 2)
    assert all(d in (p, p + 1) for p, d in zip(depths, depths[1:]))
    assert set(history) == {
        "round",
        "added",
        "added_depth",
        "pruned",
        "ensemble_size",
        "n_params",
        "validation_r2",
        "validation_loss",
        "diversity",
    }


def _validation_part(reg, X, y):
    """The held-out rows of ``reg``'s fit, drawn again from its seeds."""
    split_seed = int(
        check_random_state(reg.random_state).randint(np.iinfo(np.int32).max)
    )
    y2 = y.reshape(len(y), -1)
    _, X_valid, _, y_valid, _, _ = validation_split(
        X, y2, reg.validation_fraction, split_seed, stratify=False
    )
    return X_valid, (y_valid - reg.target_mean_) / reg.target_scale_


def test_unpruned_ensemble_keeps_every_member(data):
    X, y = data
    reg = _fit(small(pruning=None), X, y)
    _check_history(reg)
    assert len(reg.estimators_) == 5
    assert all(isinstance(m, DenseMLPRegressor) for m in reg.estimators_)
    np.testing.assert_array_equal(reg.member_rounds_, np.arange(5))


def test_entropy_pruning_removes_one_member_per_round_from_three_on(data):
    X, y = data
    reg = _fit(small(pruning="pie"), X, y)
    _check_history(reg)
    np.testing.assert_array_equal(
        reg.ensemble_history_["ensemble_size"], [1, 2, 3, 3, 3]
    )


@pytest.mark.parametrize("pruning", ["prs", "pap"])
def test_other_rules_keep_a_consistent_history(data, pruning):
    X, y = data
    reg = _fit(small(pruning=pruning, n_rounds=6, pap_sign="code"), X, y)
    _check_history(reg)
    assert len(reg.estimators_) >= 2


@pytest.mark.parametrize("mixture", ["mean", "learned"])
def test_the_history_scores_the_held_out_mixture(data, mixture):
    X, y = data
    Y = np.column_stack([y, 3.0 * X[:, 0] + 10.0])
    reg = _fit(small(mixture=mixture, n_rounds=4), X, Y)
    X_valid, y_valid = _validation_part(reg, X, Y)
    predictions = np.stack(
        [
            (m.predict(X_valid) - reg.target_mean_) / reg.target_scale_
            for m in reg.estimators_
        ]
    )
    if mixture == "learned":
        # The fit read the float32 standardised target: equal to ~1e-7.
        np.testing.assert_allclose(
            reg.weights_, fit_squared_error_weights(predictions, y_valid), atol=1e-6
        )
    else:
        np.testing.assert_allclose(
            reg.weights_, 0.25 if len(reg.weights_) == 4 else 1 / 3
        )
    mixed = mix(predictions, reg.weights_)
    history = reg.ensemble_history_
    assert history["validation_loss"][-1] == pytest.approx(
        mean_squared_error(y_valid, mixed), rel=1e-6
    )
    assert history["validation_r2"][-1] == pytest.approx(
        r2_score(y_valid, mixed), rel=1e-6
    )
    assert history["diversity"][-1] == pytest.approx(
        ambiguity(predictions, reg.weights_), rel=1e-6
    )
    assert history["diversity"][0] == 0.0


def test_predictions_mix_the_members_in_the_targets_units(data):
    X, y = data
    Y = np.column_stack([100.0 * y + 7.0, -2.0 * y + X[:, 0] * 50.0])
    for mixture in ("mean", "learned"):
        reg = _fit(small(mixture=mixture), X, Y)
        members = [m.predict(X) for m in reg.estimators_]
        np.testing.assert_allclose(reg.predict(X), mix(members, reg.weights_))
        assert reg.weights_.sum() == pytest.approx(1.0)
        assert reg.predict(X).shape == (len(X), 2) and reg.n_outputs_ == 2
        # Every member is a regressor of the target as given.
        for member in reg.estimators_:
            assert member.target_mean_ == pytest.approx(Y.mean(0), rel=0.2)
    assert r2_score(Y, reg.predict(X), multioutput="raw_values").min() > 0.8


def test_the_targets_units_do_not_matter(data):
    X, y = data
    first = _fit(small(n_rounds=3), X, y)
    large = _fit(small(n_rounds=3), X, 1000.0 * y + 5e4)
    np.testing.assert_allclose(
        large.predict(X), 1000.0 * first.predict(X) + 5e4, rtol=1e-5, atol=1e-2
    )
    assert first.topologies_ == large.topologies_
    np.testing.assert_allclose(
        large.ensemble_history_["validation_loss"],
        first.ensemble_history_["validation_loss"],
        rtol=1e-4,
    )


def test_a_large_complexity_penalty_keeps_the_shallow_candidate(data):
    X, y = data
    reg = _fit(small(complexity_penalty=100.0, pruning=None), X, y)
    assert (reg.ensemble_history_["added_depth"] == 1).all()


def test_candidates_can_come_from_a_regression_search(data):
    X, y = data
    search = RandomCloudRegressor(n_networks=4, max_iter=20, learning_rate_init=0.01)
    reg = _fit(small(candidate_search=search, n_rounds=3, pruning=None), X, y)
    assert all(isinstance(m, RandomCloudRegressor) for m in reg.estimators_)
    for member in reg.estimators_:
        assert set(member.initial_topology_.hidden_layer_sizes) == {8}
    assert search.get_params()["random_state"] is None  # the template is untouched
    naswot = NASWOTSearchRegressor(
        n_candidates=3, width_choices=(4, 8), depth_range=(1, 2), max_iter=20
    )
    reg = _fit(small(candidate_search=naswot, n_rounds=2, pruning=None), X, y)
    assert all(isinstance(m, NASWOTSearchRegressor) for m in reg.estimators_)
    assert reg.predict(X).shape == (len(X),)
    with pytest.raises(InvalidParameterError, match="candidate_search"):
        small(candidate_search=RandomCloudClassifier()).fit(X, y)


def test_same_random_state_same_ensemble_and_pickle(data):
    X, y = data
    a = _fit(small(pruning="prs"), X, y, sample_weight=np.linspace(0.5, 2, len(y)))
    b = _fit(small(pruning="prs"), X, y, sample_weight=np.linspace(0.5, 2, len(y)))
    np.testing.assert_array_equal(a.member_rounds_, b.member_rounds_)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    for key in ("validation_r2", "diversity", "ensemble_size"):
        np.testing.assert_array_equal(
            a.ensemble_history_[key], b.ensemble_history_[key]
        )
    restored = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(restored.predict(X), a.predict(X))


def test_too_few_rows_for_the_members_is_a_clear_error():
    with pytest.raises(ValueError, match="too few samples"):
        small().fit(np.eye(2), [0.0, 1.0])


@pytest.mark.parametrize("mixture", ["mean", "learned"])
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_to_torch_mixes_the_members_like_predict(data, mixture, n_outputs):
    X, y = data
    Y = y if n_outputs == 1 else np.column_stack([y, 5.0 * y - 30.0])
    reg = _fit(small(mixture=mixture, n_rounds=3), X, 10.0 * Y + 4.0)
    module = reg.to_torch()
    assert isinstance(module, torch.nn.Module) and not module.training
    with torch.no_grad():
        out = module(torch.as_tensor(X, dtype=torch.float32)).double().numpy()
    assert out.shape == (len(X), n_outputs)
    expected = reg.predict(X).reshape(len(X), -1)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-2)


def test_onnx_export_predicts_as_the_ensemble(data, tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    X, y = data
    reg = _fit(small(n_rounds=3, mixture="learned"), X, np.column_stack([y, 3 * y]))
    path = tmp_path / "model.onnx"
    reg.to_onnx(path)
    session = onnxruntime.InferenceSession(str(path))
    (output,) = session.get_outputs()
    assert output.name == "predictions"
    predictions = session.run(None, {"X": X.astype(np.float32)})[0]
    np.testing.assert_allclose(predictions, reg.predict(X), rtol=1e-4, atol=1e-2)
