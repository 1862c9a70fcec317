"""The regressor twins: the target's standardisation, MLPRegressor's API,
multi-output targets, continued training and export."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone, is_regressor
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from small_estimators import (
    SINGLE_NETWORK_REGRESSOR_IDS,
    SINGLE_NETWORK_REGRESSORS,
    make_small,
)

from sklearn_rcloud import (
    DenseMLPClassifier,
    DenseMLPRegressor,
    MagnitudePruningRegressor,
    RandomCloudRegressor,
    fit_together,
)
from sklearn_rcloud.engine import TrainingConfig, train_network, train_population
from sklearn_rcloud.init import init_weights, seeded_generator
from sklearn_rcloud.topology import Topology


@pytest.fixture(scope="module")
def data():
    X, y = make_regression(
        n_samples=160, n_features=5, n_informative=4, noise=5.0, random_state=0
    )
    return StandardScaler().fit_transform(X), y


def _fit(estimator, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clone(estimator).set_params(random_state=0).fit(X, y, **fit_params)


@pytest.mark.parametrize(
    "estimator", SINGLE_NETWORK_REGRESSORS, ids=SINGLE_NETWORK_REGRESSOR_IDS
)
def test_a_regressor_learns_and_says_what_it_is(estimator, data):
    X, y = data
    fitted = _fit(estimator, X, y)
    assert is_regressor(fitted)
    assert fitted.out_activation_ == "identity"
    assert fitted.n_outputs_ == 1
    assert fitted.predict(X).shape == (len(X),)
    assert fitted.score(X, y) > 0.8
    assert fitted.loss == "squared_error"
    assert not hasattr(fitted, "classes_")
    assert fitted.topology_.n_outputs == 1


@pytest.mark.parametrize(
    "estimator", SINGLE_NETWORK_REGRESSORS, ids=SINGLE_NETWORK_REGRESSOR_IDS
)
def test_the_target_is_standardised_so_its_units_do_not_matter(estimator, data):
    # A target in the thousands, shifted: the same network in other units.
    X, y = data
    small = _fit(estimator, X, y)
    large = _fit(estimator, X, 1000.0 * y + 5e4)
    np.testing.assert_allclose(
        large.predict(X), 1000.0 * small.predict(X) + 5e4, rtol=1e-5, atol=1e-2
    )
    assert small.topology_ == large.topology_
    assert large.target_mean_ == pytest.approx(1000.0 * y.mean() + 5e4)
    assert large.target_scale_ == pytest.approx(1000.0 * y.std())


def test_the_standardisation_is_learnt_from_the_weighted_rows(data):
    X, y = data
    weights = np.linspace(0.5, 2.0, len(y))
    fitted = _fit(make_small(DenseMLPRegressor), X, y, sample_weight=weights)
    mean = np.average(y, weights=weights)
    assert fitted.target_mean_ == pytest.approx(mean)
    assert fitted.target_scale_ == pytest.approx(
        np.sqrt(np.average((y - mean) ** 2, weights=weights))
    )


def test_a_constant_target_is_predicted_as_it_is(data):
    X, _ = data
    fitted = _fit(make_small(DenseMLPRegressor), X, np.full(len(X), 7.5))
    assert fitted.target_scale_ == pytest.approx(1.0)
    np.testing.assert_allclose(fitted.predict(X), 7.5, atol=1e-3)


@pytest.mark.parametrize(
    "estimator", SINGLE_NETWORK_REGRESSORS, ids=SINGLE_NETWORK_REGRESSOR_IDS
)
def test_several_outputs_are_learnt_together(estimator, data):
    X, y = data
    Y = np.column_stack([y, -2.0 * y + X[:, 0] * 50.0])
    fitted = _fit(estimator, X, Y)
    predictions = fitted.predict(X)
    assert predictions.shape == (len(X), 2)
    assert fitted.n_outputs_ == 2
    assert fitted.topology_.n_outputs == 2
    assert r2_score(Y, predictions, multioutput="raw_values").min() > 0.8


@pytest.mark.parametrize(
    "estimator", SINGLE_NETWORK_REGRESSORS, ids=SINGLE_NETWORK_REGRESSOR_IDS
)
def test_coefs_and_to_torch_predict_in_the_targets_units(estimator, data):
    # MLPRegressor's contract: a forward pass through coefs_ and
    # intercepts_ is predict.
    X, y = data
    fitted = _fit(estimator, X, 100.0 * y + 3.0)
    hidden = X
    for coef, intercept in zip(fitted.coefs_[:-1], fitted.intercepts_[:-1]):
        hidden = np.maximum(hidden @ coef + intercept, 0.0)
    by_hand = hidden @ fitted.coefs_[-1] + fitted.intercepts_[-1]
    expected = fitted.predict(X)
    np.testing.assert_allclose(by_hand.ravel(), expected, rtol=1e-4, atol=1e-2)
    module = fitted.to_torch()
    with torch.no_grad():
        out = module(torch.as_tensor(X, dtype=torch.float32)).numpy().ravel()
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-2)
    # The estimator's own network is left standardised.
    assert fitted.module_ is not module


def test_the_same_seed_gives_the_same_regressor(data):
    X, y = data
    first = _fit(make_small(RandomCloudRegressor), X, y)
    second = _fit(make_small(RandomCloudRegressor), X, y)
    assert first.topology_ == second.topology_
    np.testing.assert_array_equal(first.predict(X), second.predict(X))


def test_pipeline_grid_search_and_cross_validation(data):
    X, y = data
    pipeline = make_pipeline(StandardScaler(), make_small(RandomCloudRegressor))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(pipeline, X, y, cv=3)
    assert scores.mean() > 0.7
    # A grid written for MLPRegressor runs unchanged.
    grid = {"alpha": [1e-4, 1.0], "hidden_layer_sizes": [(8,), (16,)]}
    for estimator in (MLPRegressor(max_iter=50), make_small(RandomCloudRegressor)):
        search = GridSearchCV(estimator, grid, cv=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            search.fit(X, y)
        assert set(search.best_params_) == set(grid)


def test_warm_start_continues_on_the_first_fits_scale(data):
    X, y = data
    regressor = make_small(DenseMLPRegressor, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        regressor.fit(X, y)
        first_curve = list(regressor.loss_curve_)
        mean = regressor.target_mean_.copy()
        regressor.fit(X, y + 1000.0)
    np.testing.assert_array_equal(regressor.target_mean_, mean)
    assert regressor.loss_curve_[: len(first_curve)] == first_curve
    assert regressor.n_iter_ > len(first_curve)
    with pytest.raises(ValueError, match="output columns"):
        regressor.fit(X, np.column_stack([y, y]))


def test_partial_fit_takes_no_classes_and_learns(data):
    X, y = data
    regressor = DenseMLPRegressor(
        hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0
    )
    losses = []
    for _ in range(30):
        regressor.partial_fit(X, y)
        losses.append(regressor.loss_curve_[-1])
    assert regressor.n_iter_ == 30
    assert losses[-1] < 0.5 * losses[0]
    assert "classes" not in DenseMLPRegressor.partial_fit.__code__.co_varnames


def test_a_regressor_pickles_with_its_scaling(data):
    X, y = data
    fitted = _fit(make_small(MagnitudePruningRegressor), X, 50.0 * y)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))


@pytest.mark.parametrize(
    "target, message",
    [
        (np.array(["a", "b"] * 80), "could not convert|numeric"),
        (np.r_[np.nan, np.zeros(159)], "NaN"),
        (np.r_[np.inf, np.zeros(159)], "infinity"),
    ],
)
def test_a_bad_target_is_refused_before_any_work(data, target, message):
    X, _ = data
    with pytest.raises(ValueError, match=message):
        make_small(RandomCloudRegressor).fit(X, target)


def test_a_classifiers_parameters_are_not_a_regressors():
    assert "class_weight" in DenseMLPClassifier().get_params()
    assert "class_weight" not in DenseMLPRegressor().get_params()
    with pytest.raises(ValueError, match="loss"):
        DenseMLPRegressor(loss="cross_entropy").fit(np.eye(3), [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="train_r2"):
        RandomCloudRegressor(proxy="train_accuracy").fit(np.eye(3), [0.0, 1.0, 2.0])


def test_onnx_export_predicts_as_the_regressor(data, tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    X, y = data
    fitted = _fit(make_small(DenseMLPRegressor), X, np.column_stack([y, 3 * y]))
    path = tmp_path / "model.onnx"
    fitted.to_onnx(path)
    session = onnxruntime.InferenceSession(str(path))
    (output,) = session.get_outputs()
    assert output.name == "predictions"
    predictions = session.run(None, {"X": X.astype(np.float32)})[0]
    np.testing.assert_allclose(predictions, fitted.predict(X), rtol=1e-4, atol=1e-2)


# ------------------------------------------------------------- the engine
def _network(n_outputs=2):
    topology = Topology(5, (8,), n_outputs, "relu")
    return topology, init_weights(topology, "kaiming", seeded_generator(0, "cpu"))


@pytest.fixture(scope="module")
def standardised():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 5)).astype(np.float32)
    Y = np.column_stack([X[:, 0] - X[:, 1], np.tanh(X[:, 2])]).astype(np.float32)
    return X, (Y - Y.mean(0)) / Y.std(0)


@pytest.mark.parametrize("solver", ["lbfgs", "adam", "sgd"])
def test_the_explicit_step_trains_as_autograd_does(standardised, solver):
    X, Y = standardised
    topology, weights = _network()
    losses = []
    for fast_step in (True, False):
        config = TrainingConfig(
            loss="squared_error", solver=solver, fast_step=fast_step, max_iter=20
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            net, _ = train_network(topology.to_module(weights), X, Y, config, 0)
        losses.append(net.history[:, "train_loss"])
    np.testing.assert_allclose(losses[0], losses[1], rtol=2e-4)
    # MLPRegressor's loss: half the mean squared error over rows and outputs.
    with torch.no_grad():
        out = net.module_(torch.as_tensor(X)).numpy()
    l2 = (
        0.5
        / len(X)
        * sum(float(m.weight.detach().square().sum()) for m in net.module_[::2])
    )
    assert 0.5 * np.mean((out - Y) ** 2) + l2 < losses[1][0]


def test_a_member_trains_as_it_would_alone(standardised):
    X, Y = standardised
    topology, weights = _network()
    config = TrainingConfig(
        loss="squared_error", solver="adam", early_stopping=True, max_iter=30
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net, _ = train_network(topology.to_module(weights), X, Y, config, 3)
        (member,) = train_population([(topology, weights)], X, Y, config, [3])
    np.testing.assert_allclose(
        member.train_loss, net.history[:, "train_loss"], rtol=1e-5
    )
    np.testing.assert_allclose(
        member.valid_score, net.history[:, "valid_r2"], rtol=1e-5, atol=1e-6
    )


def test_fit_together_fits_regressors_as_they_fit_alone(data):
    X, y = data
    regressors = [
        make_small(DenseMLPRegressor, solver="adam", random_state=seed)
        for seed in range(3)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit_together(regressors, X, y)
        alone = [clone(r).fit(X, y) for r in regressors]
    for together, single in zip(regressors, alone):
        np.testing.assert_array_equal(together.predict(X), single.predict(X))
