"""Common tests run on every public estimator of the library."""

import inspect
import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.datasets import load_digits, load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.estimator_checks import (
    check_param_validation,
    parametrize_with_checks,
)
from small_estimators import (
    ESTIMATOR_IDS,
    ESTIMATORS,
    REGRESSORS,
    SINGLE_NETWORK,
    SINGLE_NETWORK_IDS,
    SMALL_PARAMS,
    SMALL_REGRESSOR_PARAMS,
    make_small,
    topologies,
)

import sklearn_rcloud
from sklearn_rcloud import (
    DenseMLPClassifier,
    MagnitudePruningClassifier,
    RandomCloudClassifier,
)
from sklearn_rcloud.engine import AUTO_MIN_STEPS


def test_every_public_estimator_is_tested():
    public = {
        name
        for name in sklearn_rcloud.__all__
        if inspect.isclass(obj := getattr(sklearn_rcloud, name))
        and issubclass(obj, BaseEstimator)
    }
    tested = {cls.__name__ for cls in [*SMALL_PARAMS, *SMALL_REGRESSOR_PARAMS]}
    assert public == tested


def expected_failed_checks(estimator):
    """The scikit-learn checks that cannot pass, each with its reason."""
    return {
        "check_sample_weight_equivalence_on_dense_data": (
            "Integer weights and repeated rows define the same objective, but "
            "float32 training rounds them differently and optimisation "
            "amplifies it past the check's rtol=1e-7 (MLPClassifier passes in "
            "float64 with L-BFGS only); test_mlp_compat checks equivalence to "
            "1e-3."
        ),
    }


@parametrize_with_checks(
    [*ESTIMATORS, *REGRESSORS], expected_failed_checks=expected_failed_checks
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


#: Every public estimator as a user first meets it: nothing set.
DEFAULT_ESTIMATORS = [cls() for cls in [*SMALL_PARAMS, *SMALL_REGRESSOR_PARAMS]]


@parametrize_with_checks(
    DEFAULT_ESTIMATORS, expected_failed_checks=expected_failed_checks
)
def test_sklearn_compatible_estimator_at_its_defaults(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "estimator", DEFAULT_ESTIMATORS, ids=[type(e).__name__ for e in DEFAULT_ESTIMATORS]
)
def test_parameter_constraints_match_the_parameters(estimator):
    # scikit-learn's own check: every parameter is validated, and a
    # constraint is declared for no parameter the estimator lacks.
    check_param_validation(type(estimator).__name__, estimator)
    assert set(estimator._parameter_constraints) == set(
        estimator.get_params(deep=False)
    )


@pytest.mark.parametrize("estimator_class", [DenseMLPClassifier, RandomCloudClassifier])
def test_defaults_converge_on_small_data(estimator_class):
    # 150 rows: the former defaults took 200 single-batch Adam steps and
    # stopped at 76-90% training accuracy.
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = make_pipeline(MinMaxScaler(), estimator_class(random_state=0)).fit(X, y)
    assert clf.score(X, y) >= 0.97
    # Full batch: the 'auto' budget is AUTO_MIN_STEPS iterations; the stopping
    # rule fired before it.
    assert clf[-1].n_iter_ < AUTO_MIN_STEPS


@pytest.fixture(scope="module")
def binary_data():
    X, y = make_classification(
        n_samples=120,
        n_features=6,
        n_informative=3,
        n_redundant=0,
        n_clusters_per_class=1,
        class_sep=2.0,
        flip_y=0,
        random_state=0,
    )
    return X, y


@pytest.fixture(scope="module")
def digits_data():
    X, y = load_digits(return_X_y=True)
    return X[:400] / 16.0, y[:400]


@pytest.mark.parametrize("estimator", SINGLE_NETWORK, ids=SINGLE_NETWORK_IDS)
def test_fitted_attributes(estimator, binary_data):
    X, y = binary_data
    fitted = clone(estimator).set_params(random_state=0).fit(X, y)
    assert isinstance(fitted.topology_, sklearn_rcloud.Topology)
    assert fitted.n_params_ == fitted.topology_.n_params
    assert fitted.topology_.n_features == X.shape[1]
    assert fitted.topology_.n_outputs == 2
    assert fitted.reduction_ == pytest.approx(
        1 - fitted.n_params_ / fitted.initial_topology_.n_params
    )
    assert 0 < fitted.train_time_ <= fitted.fit_time_
    assert fitted.n_iter_ >= 1
    assert sklearn_rcloud.Topology.from_module(fitted.module_) == fitted.topology_


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_pipeline_and_cross_val_score(estimator, binary_data):
    X, y = binary_data
    pipeline = make_pipeline(
        MinMaxScaler(), clone(estimator).set_params(random_state=0)
    )
    scores = cross_val_score(pipeline, X, y, cv=3)
    assert scores.shape == (3,)
    # Well separated classes (logistic regression: 0.975 per fold).
    assert scores.min() > 0.8


def test_grid_search_over_cloud_parameters(binary_data):
    X, y = binary_data
    search = GridSearchCV(
        make_pipeline(
            MinMaxScaler(), make_small(RandomCloudClassifier, random_state=0)
        ),
        {
            "randomcloudclassifier__n_networks": [2, 6],
            "randomcloudclassifier__hidden_layer_sizes": [(4,), (8, 4)],
        },
        cv=2,
    )
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_[-1]
    assert best.initial_topology_.hidden_layer_sizes == tuple(
        search.best_params_["randomcloudclassifier__hidden_layer_sizes"]
    )


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_pickle_round_trip_keeps_predictions(estimator, binary_data):
    X, y = binary_data
    fitted = clone(estimator).set_params(random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))
    assert topologies(restored) == topologies(fitted)


def _predict_proba_in_fresh_process(models, X, folder, env=None):
    """Pickle ``models``, load them in a new process, return its probabilities."""
    with open(folder / "models.pkl", "wb") as handle:
        pickle.dump((models, X), handle)
    script = (
        "import pickle, sys, warnings, numpy as np, torch\n"
        "with warnings.catch_warnings(record=True):\n"
        "    warnings.simplefilter('always')\n"
        "    models, X = pickle.load(open(sys.argv[1], 'rb'))\n"
        "assert not torch.cuda.is_available() or sys.argv[3] == 'any'\n"
        "np.save(sys.argv[2], np.stack([m.predict_proba(X) for m in models]))\n"
    )
    subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            folder / "models.pkl",
            folder / "out.npy",
            "cpu" if env else "any",
        ],
        check=True,
        timeout=300,
        env=env,
    )
    return np.load(folder / "out.npy")


def test_pickle_loads_in_a_fresh_process_with_identical_predictions(
    binary_data, tmp_path
):
    X, y = binary_data
    fitted = [clone(est).set_params(random_state=0).fit(X, y) for est in ESTIMATORS]
    expected = np.stack([model.predict_proba(X) for model in fitted])
    np.testing.assert_array_equal(
        _predict_proba_in_fresh_process(fitted, X, tmp_path), expected
    )


def _cpu_only_environment():
    return {**os.environ, "CUDA_VISIBLE_DEVICES": ""}


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_model_fitted_on_cuda_loads_on_a_cpu_only_machine(binary_data, tmp_path):
    X, y = binary_data
    fitted = [
        clone(est).set_params(device="cuda", random_state=0).fit(X, y)
        for est in ESTIMATORS
    ]
    expected = np.stack([model.predict_proba(X) for model in fitted])
    on_cpu = _predict_proba_in_fresh_process(
        fitted, X, tmp_path, env=_cpu_only_environment()
    )
    np.testing.assert_array_equal(on_cpu, expected)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_net_recorded_on_cuda_loads_on_the_cpu_with_a_warning(binary_data):
    # Without a GPU the closest to a CUDA-fitted model: the skorch net says it
    # lives on CUDA, so unpickling must map it to the CPU.
    X, y = binary_data
    fitted = clone(make_small(DenseMLPClassifier)).set_params(random_state=0).fit(X, y)
    fitted.net_.device = "cuda"
    with pytest.warns(UserWarning, match="no CUDA devices are available"):
        restored = pickle.loads(pickle.dumps(fitted))
    assert str(restored.net_.device) == "cpu"
    assert restored.module_ is restored.net_.module_
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))


def test_pickled_estimator_holds_its_network_once(binary_data):
    X, y = binary_data
    fitted = clone(make_small(DenseMLPClassifier)).set_params(random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    assert restored.module_ is restored.net_.module_
    assert "mlp_step_" not in vars(restored.net_)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_same_random_state_gives_same_model(estimator, digits_data):
    X, y = digits_data
    first = clone(estimator).set_params(random_state=7).fit(X, y)
    second = clone(estimator).set_params(random_state=7).fit(X, y)
    assert topologies(first) == topologies(second)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    other = clone(estimator).set_params(random_state=8).fit(X, y)
    assert not np.array_equal(other.predict_proba(X), first.predict_proba(X))


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_fit_leaves_global_random_state_alone(estimator, binary_data):
    X, y = binary_data
    torch_state = torch.get_rng_state()
    numpy_state = np.random.get_state()  # noqa: NPY002 (the global state is the point)
    clone(estimator).set_params(random_state=0).fit(X, y)
    assert torch.equal(torch.get_rng_state(), torch_state)
    after = np.random.get_state()  # noqa: NPY002
    assert after[0] == numpy_state[0] and np.array_equal(after[1], numpy_state[1])


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
@pytest.mark.parametrize(
    "labels",
    [np.array(["cat", "dog"]), np.array([-3, 11]), np.array([False, True])],
    ids=["str", "int", "bool"],
)
def test_labels_of_any_type_come_back(estimator, binary_data, labels):
    X, y = binary_data
    y_labels = labels[y]
    fitted = clone(estimator).set_params(random_state=0).fit(X, y_labels)
    np.testing.assert_array_equal(fitted.classes_, np.sort(labels))
    predictions = fitted.predict(X)
    assert set(predictions) <= set(labels.tolist())
    assert predictions.dtype == y_labels.dtype
    assert fitted.score(X, y_labels) > 0.8


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_ten_classes(estimator, digits_data):
    X, y = digits_data
    fitted = clone(estimator).set_params(random_state=0).fit(X, y)
    assert all(t.n_outputs == 10 for t in topologies(fitted))
    probabilities = fitted.predict_proba(X)
    assert probabilities.shape == (len(X), 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert fitted.score(X, y) > 0.5


def _bad_inputs():
    rng = np.random.RandomState(0)
    X = rng.rand(20, 3)
    y = np.array([0, 1] * 10)
    with_nan, with_inf = X.copy(), X.copy()
    with_nan[3, 1] = np.nan
    with_inf[5, 0] = np.inf
    huge = X.copy()
    huge[0, 0] = 1e300
    strings = X.astype(object)
    strings[0, 0] = "a"
    return [
        ("nan", with_nan, y, ValueError, "NaN"),
        ("inf", with_inf, y, ValueError, "infinity"),
        ("1d", X[:, 0], y, ValueError, "Expected 2D array"),
        ("3d", X[:, :, None], y, ValueError, "dim 3"),
        ("one_class", X, np.zeros(20), ValueError, "class"),
        ("sparse", sp.csr_matrix(X), y, TypeError, "[Ss]parse"),
        ("empty", X[:0], y[:0], ValueError, "0 sample"),
        ("lengths", X, y[:-1], ValueError, "inconsistent numbers of samples"),
        ("regression_target", X, rng.rand(20), ValueError, "Unknown label type"),
        ("too_large_for_float32", huge, y, ValueError, "too large for float32"),
        ("strings", strings, y, ValueError, "could not convert|argument must be"),
    ]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
@pytest.mark.parametrize(
    "case, X, y, error, message", _bad_inputs(), ids=[c[0] for c in _bad_inputs()]
)
def test_bad_fit_input_is_a_clear_error(estimator, case, X, y, error, message):
    with pytest.raises(error, match=message):
        clone(estimator).fit(X, y)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_bad_predict_input_is_a_clear_error(estimator, binary_data):
    X, y = binary_data
    fitted = clone(estimator).set_params(random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="expecting 6 features"):
        fitted.predict(X[:, :4])
    with pytest.raises(ValueError, match="NaN"):
        fitted.predict(np.full_like(X, np.nan))
    with pytest.raises(ValueError, match="Expected 2D array"):
        fitted.predict(X[0])


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_fit_does_not_modify_input(estimator, binary_data):
    X, y = binary_data
    X_before, y_before = X.copy(), y.copy()
    clone(estimator).set_params(random_state=0).fit(X, y)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_cuda_request_without_cuda_is_a_clear_error(estimator, binary_data):
    X, y = binary_data
    with pytest.raises(ValueError, match="CUDA is not available"):
        clone(estimator).set_params(device="cuda").fit(X, y)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_feature_names_are_recorded(estimator, binary_data):
    pd = pytest.importorskip("pandas")
    X, y = binary_data
    frame = pd.DataFrame(X, columns=[f"col{i}" for i in range(X.shape[1])])
    fitted = clone(estimator).set_params(random_state=0).fit(frame, y)
    np.testing.assert_array_equal(fitted.feature_names_in_, frame.columns)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("estimator", SINGLE_NETWORK, ids=SINGLE_NETWORK_IDS)
def test_cuda_fit_matches_cpu_and_predicts_on_cpu(estimator, binary_data):
    X, y = binary_data
    on_gpu = clone(estimator).set_params(device="cuda", random_state=0).fit(X, y)
    on_cpu = clone(estimator).set_params(device="cpu", random_state=0).fit(X, y)
    assert next(on_gpu.module_.parameters()).device.type == "cpu"
    assert on_gpu.topology_.n_params == on_cpu.topology_.n_params
    agreement = (on_gpu.predict(X) == on_cpu.predict(X)).mean()
    assert agreement > 0.95
    restored = pickle.loads(pickle.dumps(on_gpu))
    np.testing.assert_array_equal(restored.predict(X), on_gpu.predict(X))


@pytest.mark.parametrize("estimator", SINGLE_NETWORK, ids=SINGLE_NETWORK_IDS)
def test_to_torch_gives_a_plain_module_with_the_same_predictions(
    estimator, binary_data
):
    X, y = binary_data
    fitted = clone(estimator).set_params(random_state=0).fit(X, y)
    module = fitted.to_torch()
    assert isinstance(module, torch.nn.Sequential) and not module.training
    assert module is not fitted.module_
    with torch.no_grad():
        logits = module(torch.as_tensor(X, dtype=torch.float32))
    np.testing.assert_allclose(
        torch.softmax(logits.double(), dim=1).numpy(),
        fitted.predict_proba(X),
        atol=1e-5,
    )
    # The copy is independent: changing it leaves the estimator as it was.
    before = fitted.predict_proba(X)
    with torch.no_grad():
        next(module.parameters()).add_(1.0)
    np.testing.assert_array_equal(fitted.predict_proba(X), before)


def test_to_torch_of_unstructured_pruning_is_plain(binary_data):
    X, y = binary_data
    fitted = make_small(
        MagnitudePruningClassifier, structured=False, random_state=0
    ).fit(X, y)
    module = fitted.to_torch()
    linears = [m for m in module if isinstance(m, torch.nn.Linear)]
    assert all(not m._forward_pre_hooks for m in linears)
    assert {name for name, _ in module.named_parameters()} == {
        f"{i}.{p}" for i in range(0, len(module), 2) for p in ("weight", "bias")
    }
    zeros = sum(int((m.weight == 0).sum()) for m in linears)
    assert zeros > 0
