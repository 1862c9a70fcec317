import numpy as np
import pytest
import torch
from sklearn.datasets import load_iris
from sklearn.preprocessing import minmax_scale

from sklearn_rcloud import RandomCloudClassifier, Topology, paper_params
from sklearn_rcloud.cloud import RandomCloud
from sklearn_rcloud.proxies import train_accuracy_score


def small(**params):
    defaults = dict(
        n_networks=8, hidden_layer_sizes=(8,), max_iter=30, learning_rate_init=0.01
    )
    return RandomCloudClassifier(**{**defaults, **params})


def test_search_history_lists_every_candidate(cancer):
    X, y = cancer
    clf = small(hidden_layer_sizes=(6, 4), step=2, random_state=0).fit(X, y)
    history = clf.search_history_
    # Per network: (6, 4), (6, 2), (6,), (4,), (2,)
    assert len(history["score"]) == 8 * 5
    assert list(history["hidden_layer_sizes"][:5]) == [(6, 4), (6, 2), (6,), (4,), (2,)]
    np.testing.assert_array_equal(history["network"][:5], 0)
    rows = [
        i
        for i, (network, hidden) in enumerate(
            zip(history["network"], history["hidden_layer_sizes"])
        )
        if network == clf.selected_network_
        and hidden == clf.topology_.hidden_layer_sizes
    ]
    assert len(rows) == 1
    assert history["score"][rows[0]] == clf.search_score_
    assert clf.search_score_ > clf.threshold_
    assert clf.initial_topology_ == Topology(30, (6, 4), 2, "relu")


def test_winner_starts_from_its_cloud_weights(cancer):
    X, y = cancer
    clf = small(
        weights="inherit",
        solver="sgd",
        learning_rate_init=1e-30,
        max_iter=1,
        n_iter_no_change=None,
        random_state=3,
    ).fit(X, y)
    cloud_seed = clf._random_seeds(3)[0]
    generator = torch.Generator().manual_seed(cloud_seed)
    cloud = RandomCloud(clf.initial_topology_, 8, "kaiming", generator)
    _, expected = cloud.sub_network(
        clf.selected_network_, clf.topology_.hidden_layer_sizes
    )
    trained = [m for m in clf.module_ if isinstance(m, torch.nn.Linear)]
    for layer, (weight, bias) in zip(trained, expected):
        torch.testing.assert_close(layer.weight.detach(), weight)
        torch.testing.assert_close(layer.bias.detach(), bias)


def test_reinit_draws_fresh_weights(cancer):
    X, y = cancer
    common = dict(
        solver="sgd",
        learning_rate_init=1e-30,
        max_iter=1,
        n_iter_no_change=None,
        random_state=3,
    )
    inherit = small(weights="inherit", **common).fit(X, y)
    reinit = small(weights="reinit", **common).fit(X, y)
    assert inherit.topology_ == reinit.topology_
    assert not torch.equal(inherit.module_[0].weight, reinit.module_[0].weight)


def test_smallest_selection_is_never_larger_than_best(cancer):
    X, y = cancer
    best = small(selection="best", random_state=1).fit(X, y)
    smallest = small(selection="smallest", selection_tolerance=0.0, random_state=1).fit(
        X, y
    )
    assert smallest.n_params_ <= best.n_params_
    assert smallest.search_score_ == best.search_score_


def test_callable_scorer_matches_the_builtin(cancer):
    X, y = cancer
    builtin = small(proxy="train_accuracy", random_state=2).fit(X, y)
    custom = small(proxy=train_accuracy_score.__call__, random_state=2).fit(X, y)
    assert custom.topology_ == builtin.topology_
    np.testing.assert_allclose(
        custom.search_history_["score"], builtin.search_history_["score"]
    )


def test_explicit_threshold_nobody_reaches_is_a_clear_error(cancer):
    X, y = cancer
    with pytest.raises(ValueError, match="No candidate network scored above threshold"):
        small(threshold=0.9999, proxy="train_accuracy", random_state=0).fit(X, y)


def test_no_signal_falls_back_with_a_warning():
    rng = np.random.RandomState(0)
    X, y = rng.rand(60, 4), np.array([0] * 45 + [1] * 15)  # majority rate 0.75
    with pytest.warns(UserWarning, match="beat the majority-class rate"):
        clf = small(n_networks=2, hidden_layer_sizes=(2,), random_state=0).fit(X, y)
    assert clf.threshold_ == -np.inf


def test_mse_loss_gives_probabilities(cancer):
    X, y = cancer
    clf = small(
        loss="mse", activation="logistic", learning_rate_init=0.05, random_state=0
    ).fit(X, y)
    probabilities = clf.predict_proba(X)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert clf.score(X, y) > 0.85


def test_multi_layer_cloud_can_drop_a_layer():
    X, y = load_iris(return_X_y=True)
    clf = small(
        hidden_layer_sizes=(8, 8),
        selection="smallest",
        selection_tolerance=1.0,
        random_state=0,
    ).fit(minmax_scale(X), y)
    # A tolerance of 1 admits every candidate above threshold: the smallest is
    # one layer of one neuron.
    assert clf.topology_.hidden_layer_sizes == (1,)


def test_paper_params_preset():
    params = paper_params("sonar", random_state=42)
    clf = RandomCloudClassifier(**params)
    assert clf.get_params()["threshold"] == 0.55
    assert (clf.activation, clf.init, clf.proxy, clf.selection) == (
        "logistic",
        "uniform",
        "train_accuracy",
        "best",
    )
    assert (clf.loss, clf.solver, clf.learning_rate_init, clf.batch_size) == (
        "mse",
        "sgd",
        0.1,
        1,
    )
    assert clf.momentum == 0.0  # plain SGD, as in the paper
    assert paper_params(max_iter=5)["max_iter"] == 5
    with pytest.raises(ValueError, match="Unknown dataset"):
        paper_params("mnist")


def test_paper_preset_runs_quickly_with_few_epochs(cancer):
    X, y = cancer
    clf = RandomCloudClassifier(
        **paper_params("breast_cancer", max_iter=2, random_state=42)
    ).fit(X, y)
    assert clf.topology_.n_params <= clf.initial_topology_.n_params
    assert clf.search_score_ > 0.7
    assert clf.n_iter_ == 2


@pytest.mark.parametrize(
    "hidden, message", [((), "non-empty"), ((3, 0), ">= 1"), ((2.5,), "integers")]
)
def test_invalid_hidden_layer_sizes(cancer, hidden, message):
    X, y = cancer
    with pytest.raises(ValueError, match=message):
        small(hidden_layer_sizes=hidden).fit(X, y)


@pytest.mark.parametrize("proxy", ["readout", "readout_train"])
def test_overflowing_activations_are_a_clear_error(proxy):
    rng = np.random.RandomState(0)
    X, y = rng.rand(60, 4) * 1e30, np.array([0, 1] * 30)
    with pytest.raises(ValueError, match="Scale the features"):
        small(proxy=proxy, random_state=0).fit(X, y)
