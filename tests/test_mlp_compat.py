"""The estimators as drop-ins for scikit-learn's MLPClassifier.

Its parameter names and meanings, sample and class weights (with metadata
routing), its fitted attributes, warm starts, partial_fit and scikit-learn's
callbacks, on every public estimator.
"""

import inspect
import re

import numpy as np
import pytest
import sklearn
from sklearn.callback import ProgressBar, ScoringMonitor
from sklearn.datasets import load_iris, make_classification
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from small_estimators import (
    ESTIMATOR_IDS,
    ESTIMATORS,
    SINGLE_NETWORK,
    SINGLE_NETWORK_IDS,
    topologies,
)

from sklearn_rcloud import (
    DenseMLPClassifier,
    RandomCloudClassifier,
    SAEPEnsembleClassifier,
)
from sklearn_rcloud.engine import TrainingConfig
from sklearn_rcloud.recipe import TRAINING_PARAMETERS

#: MLPClassifier's training parameters that every estimator takes, with the
#: same meaning.
MLP_TRAINING_NAMES = (
    "activation",
    "solver",
    "alpha",
    "batch_size",
    "learning_rate_init",
    "max_iter",
    "shuffle",
    "tol",
    "momentum",
    "nesterovs_momentum",
    "early_stopping",
    "validation_fraction",
    "beta_1",
    "beta_2",
    "epsilon",
    "n_iter_no_change",
    "random_state",
    "verbose",
)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return MinMaxScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def imbalanced():
    X, y = make_classification(
        n_samples=600,
        n_features=8,
        n_informative=4,
        weights=[0.9, 0.1],
        class_sep=0.6,
        flip_y=0.02,
        random_state=3,
    )
    X = MinMaxScaler().fit_transform(X)
    return train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)


def test_mlpclassifier_names_are_the_table_names():
    mlp = set(inspect.signature(MLPClassifier).parameters)
    table = {p.name for p in TRAINING_PARAMETERS}
    assert set(MLP_TRAINING_NAMES) <= mlp
    assert set(MLP_TRAINING_NAMES) <= table
    # Every field of the engine's configuration is a parameter of the table.
    engine = set(TrainingConfig.__dataclass_fields__) - {"fast_step"}
    assert engine <= table


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_every_estimator_takes_mlpclassifiers_training_parameters(estimator):
    params = estimator.get_params()
    missing = [name for name in MLP_TRAINING_NAMES if name not in params]
    assert not missing
    # The docstring documents each of them.
    for name in MLP_TRAINING_NAMES:
        assert re.search(rf"^\s+{name} : ", type(estimator).__doc__, re.M), name


#: A grid written for MLPClassifier's training parameters.
MLP_GRID = {
    "activation": ["identity", "logistic", "tanh"],
    "solver": ["adam", "sgd", "lbfgs"],
    "learning_rate_init": [0.01],
    "alpha": [1e-4],
    "batch_size": [16],
    "max_iter": [15],
    "momentum": [0.8],
    "nesterovs_momentum": [False],
    "beta_1": [0.8],
    "early_stopping": [True],
    "validation_fraction": [0.2],
    "n_iter_no_change": [3],
    "tol": [1e-3],
    "shuffle": [False],
}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_a_grid_written_for_mlpclassifier_runs_unchanged(estimator, iris):
    X, y = iris
    # One parameter varies at a time (the others at their first value), so
    # that every value meets every estimator without a full product.
    grid = [
        {**{k: v[:1] for k, v in MLP_GRID.items()}, name: values}
        for name, values in MLP_GRID.items()
        if len(values) > 1
    ]
    search = GridSearchCV(estimator, grid, cv=2, error_score="raise").fit(X, y)
    assert search.best_score_ > 0.5
    reference = GridSearchCV(
        MLPClassifier(hidden_layer_sizes=(8,)), grid, cv=2, error_score="raise"
    )
    assert reference.get_params()["param_grid"] == search.get_params()["param_grid"]


# ---------------------------------------------------------------- weights
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_weighting_one_class_up_raises_its_recall(estimator, imbalanced):
    X_train, X_test, y_train, y_test = imbalanced
    plain = sklearn.clone(estimator).set_params(random_state=0).fit(X_train, y_train)
    weights = np.where(y_train == 1, 9.0, 1.0)
    weighted = sklearn.clone(estimator).set_params(random_state=0)
    weighted.fit(X_train, y_train, sample_weight=weights)
    assert recall_score(y_test, weighted.predict(X_test)) > recall_score(
        y_test, plain.predict(X_test)
    )


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_class_weight_balanced_raises_balanced_accuracy(estimator, imbalanced):
    X_train, X_test, y_train, y_test = imbalanced
    plain = sklearn.clone(estimator).set_params(random_state=0).fit(X_train, y_train)
    balanced = sklearn.clone(estimator).set_params(
        random_state=0, class_weight="balanced"
    )
    balanced.fit(X_train, y_train)
    assert balanced_accuracy_score(
        y_test, balanced.predict(X_test)
    ) > balanced_accuracy_score(y_test, plain.predict(X_test))


def test_class_weight_dict_equals_the_same_sample_weights(iris):
    X, y = iris
    weights = {0: 1.0, 1: 3.0, 2: 0.5}
    by_class = DenseMLPClassifier(hidden_layer_sizes=(8,), class_weight=weights)
    by_row = DenseMLPClassifier(hidden_layer_sizes=(8,))
    by_class.set_params(random_state=0).fit(X, y)
    by_row.set_params(random_state=0).fit(
        X, y, sample_weight=np.vectorize(weights.get)(y)
    )
    np.testing.assert_allclose(by_class.predict_proba(X), by_row.predict_proba(X))


@pytest.mark.parametrize(
    "estimator",
    [
        DenseMLPClassifier(hidden_layer_sizes=(8,), random_state=0),
        RandomCloudClassifier(
            hidden_layer_sizes=(8,),
            n_networks=5,
            proxy="train_accuracy",
            random_state=0,
        ),
        RandomCloudClassifier(
            hidden_layer_sizes=(8,), n_networks=5, proxy="readout", random_state=0
        ),
    ],
    ids=["dense", "random_cloud_accuracy", "random_cloud_readout"],
)
def test_zero_weights_act_as_dropped_rows(estimator, iris):
    # Full-batch L-BFGS on both: the same objective gives the same network.
    X, y = iris
    keep = np.arange(len(y)) % 3 != 0
    dropped = sklearn.clone(estimator).fit(X[keep], y[keep])
    zeroed = sklearn.clone(estimator).fit(X, y, sample_weight=keep.astype(float))
    assert zeroed.topology_ == dropped.topology_
    # float32 rounding differs between the two sums, and hundreds of L-BFGS
    # iterations carry it to the third decimal, no further.
    np.testing.assert_allclose(
        zeroed.predict_proba(X), dropped.predict_proba(X), atol=1e-2
    )
    agree = np.mean(zeroed.predict(X) == dropped.predict(X))
    assert agree >= 0.99


def test_sample_weight_reaches_a_pipeline_step_by_metadata_routing(iris):
    X, y = iris
    weights = np.where(y == 2, 5.0, 1.0)
    direct = DenseMLPClassifier(hidden_layer_sizes=(8,), random_state=0).fit(
        X, y, sample_weight=weights
    )
    with sklearn.config_context(enable_metadata_routing=True):
        step = DenseMLPClassifier(hidden_layer_sizes=(8,), random_state=0)
        routed = make_pipeline(
            MinMaxScaler(), step.set_fit_request(sample_weight=True)
        ).fit(X, y, sample_weight=weights)
        weighted = (
            DenseMLPClassifier(hidden_layer_sizes=(8,), random_state=0)
            .set_fit_request(sample_weight=True)
            .set_score_request(sample_weight=True)
        )
        search = GridSearchCV(weighted, {"alpha": [1.0]}, cv=2)
        search.fit(X, y, sample_weight=weights)
    # The data are already in [0, 1], so the scaler changes nothing.
    np.testing.assert_allclose(
        routed.predict_proba(X), direct.predict_proba(X), atol=1e-6
    )
    assert search.best_estimator_.n_iter_ == direct.n_iter_


def test_negative_or_all_zero_weights_are_refused(iris):
    X, y = iris
    clf = DenseMLPClassifier(hidden_layer_sizes=(4,), max_iter=2)
    with pytest.raises(ValueError, match="[Nn]egative"):
        clf.fit(X, y, sample_weight=np.full(len(y), -1.0))
    with pytest.raises(ValueError, match="non-zero|sum to zero"):
        clf.fit(X, y, sample_weight=np.zeros(len(y)))


# ------------------------------------------------------ fitted attributes
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("n_classes", [2, 3])
def test_fitted_attributes_have_mlpclassifiers_shapes(n_classes, iris):
    X, y = iris
    if n_classes == 2:
        X, y = X[y < 2], y[y < 2]
    ours = DenseMLPClassifier(hidden_layer_sizes=(7, 5), random_state=0).fit(X, y)
    theirs = MLPClassifier(hidden_layer_sizes=(7, 5), max_iter=20, random_state=0)
    theirs.fit(X, y)
    assert [c.shape for c in ours.coefs_] == [c.shape for c in theirs.coefs_]
    assert [b.shape for b in ours.intercepts_] == [b.shape for b in theirs.intercepts_]
    assert ours.out_activation_ == theirs.out_activation_
    assert ours.n_layers_ == theirs.n_layers_
    assert ours.n_outputs_ == theirs.n_outputs_
    assert isinstance(ours.loss_curve_, list) and len(ours.loss_curve_) == ours.n_iter_
    assert ours.best_loss_ == min(ours.loss_curve_)
    assert ours.validation_scores_ is None and ours.best_validation_score_ is None
    assert ours.t_ == ours.n_iter_ * len(X)
    # The arrays are the network: MLPClassifier's forward pass on them gives
    # the estimator's probabilities.
    hidden = X
    for coef, intercept in zip(ours.coefs_[:-1], ours.intercepts_[:-1]):
        hidden = np.maximum(hidden @ coef + intercept, 0)
    logits = hidden @ ours.coefs_[-1] + ours.intercepts_[-1]
    if n_classes == 2:
        positive = 1 / (1 + np.exp(-logits[:, 0]))
        proba = np.column_stack([1 - positive, positive])
    else:
        proba = np.exp(logits - logits.max(axis=1, keepdims=True))
        proba /= proba.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(proba, ours.predict_proba(X), atol=1e-5)


def test_validation_attributes_with_early_stopping(iris):
    X, y = iris
    clf = DenseMLPClassifier(
        hidden_layer_sizes=(8,),
        solver="adam",
        learning_rate_init=0.01,
        early_stopping=True,
        random_state=0,
    ).fit(X, y)
    assert clf.best_loss_ is None
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert all(0.0 <= s <= 1.0 for s in clf.validation_scores_)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_predict_log_proba_is_the_log_of_predict_proba(estimator, iris):
    X, y = iris
    fitted = sklearn.clone(estimator).set_params(random_state=0).fit(X, y)
    with np.errstate(divide="ignore"):
        expected = np.log(fitted.predict_proba(X))
    np.testing.assert_allclose(
        fitted.predict_log_proba(X), expected, rtol=1e-6, atol=1e-8
    )


# --------------------------------------------- warm starts and partial_fit
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("estimator", SINGLE_NETWORK, ids=SINGLE_NETWORK_IDS)
def test_warm_start_continues_the_found_network(estimator, iris):
    X, y = iris
    clf = sklearn.clone(estimator).set_params(warm_start=True, random_state=0)
    clf.fit(X, y)
    topology, n_iter, curve = clf.topology_, clf.n_iter_, list(clf.loss_curve_)
    history = getattr(clf, "search_history_", None)
    clf.fit(X, y)
    assert clf.topology_ == topology
    assert getattr(clf, "search_history_", None) is history  # no new search
    assert clf.n_iter_ > n_iter
    assert clf.loss_curve_[: len(curve)] == curve
    # Training went on from where it stopped, not from a new initialisation.
    assert clf.loss_curve_[n_iter] <= curve[0]


def test_warm_start_refuses_new_classes(iris):
    X, y = iris
    clf = DenseMLPClassifier(hidden_layer_sizes=(4,), max_iter=5, warm_start=True)
    clf.fit(X[y < 2], y[y < 2])
    with pytest.raises(ValueError, match="labels \\[np.int64\\(2\\)\\]|labels \\[2\\]"):
        clf.fit(X, y)


def test_partial_fit_trains_one_epoch_per_call(iris):
    X, y = iris
    clf = DenseMLPClassifier(
        hidden_layer_sizes=(16,), learning_rate_init=0.05, random_state=0
    )
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    for call in range(1, 31):
        clf.partial_fit(X, y, classes=np.unique(y))
        assert clf.n_iter_ == call
    assert clf.t_ == 30 * len(X)
    assert clf.score(X, y) > 0.8
    # The loss fell over the calls: the optimiser's state carried over.
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_partial_fit_needs_a_stochastic_solver():
    assert not hasattr(DenseMLPClassifier(solver="lbfgs"), "partial_fit")
    assert hasattr(DenseMLPClassifier(), "partial_fit")


# -------------------------------------------------------------- callbacks
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_scoring_monitor_scores_every_epoch(estimator, iris):
    X, y = iris
    monitor = ScoringMonitor(scoring="accuracy")
    clf = sklearn.clone(estimator).set_params(random_state=0)
    clf.set_callbacks(monitor).fit(X, y)
    rows = monitor.get_logs().data
    # A network is scored after every epoch; the ensemble after every round
    # (its members are estimators of their own).
    step = "round" if isinstance(clf, SAEPEnsembleClassifier) else "epoch"
    steps = [row for row in rows if row["task_name"].startswith(step)]
    assert steps, f"no {step} was scored"
    assert all(0.0 <= row["accuracy"] <= 1.0 for row in steps)
    # The last step's score is the fitted estimator's.
    assert steps[-1]["accuracy"] == pytest.approx(clf.score(X, y))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_progress_bar_runs_alone_and_inside_a_grid_search(estimator, iris):
    X, y = iris
    sklearn.clone(estimator).set_callbacks(ProgressBar()).fit(X, y)
    search = GridSearchCV(sklearn.clone(estimator), {"alpha": [0.1, 1.0]}, cv=2)
    search.set_callbacks(ProgressBar()).fit(X, y)
    assert hasattr(search, "best_estimator_")


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_verbose_ends_with_one_plain_summary_line(estimator, iris, capsys):
    X, y = iris
    clf = sklearn.clone(estimator).set_params(verbose=1, random_state=0).fit(X, y)
    out = capsys.readouterr()
    lines = out.out.strip().splitlines()
    assert lines[-1].startswith(type(clf).__name__ + ": ")
    assert all(t.layout in lines[-1] for t in topologies(clf))
    # Not a terminal: no progress line, no escape codes.
    assert "\x1b" not in out.out + out.err and "\r" not in out.err
