"""Random search over node masks: the masks, the batched scoring, the estimators."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.preprocessing import MinMaxScaler
from torch import nn

from sklearn_rcloud import (
    RandomCloudClassifier,
    RandomSearchSparseClassifier,
    RandomSparseClassifier,
    Topology,
)
from sklearn_rcloud.cloud import RandomCloud
from sklearn_rcloud.proxies import PROXIES, get_proxy
from sklearn_rcloud.search import (
    SearchResult,
    nodes_kept,
    random_node_search,
    sample_node_masks,
    select_candidate,
)
from sklearn_rcloud.topology import module_weights


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    return MinMaxScaler().fit_transform(X).astype(np.float32), y


def small(estimator_class=RandomSearchSparseClassifier, **params):
    defaults = dict(
        hidden_layer_sizes=(20, 10),
        sparsity=0.5,
        max_iter=30,
        learning_rate_init=0.01,
        random_state=0,
    )
    if estimator_class is RandomSearchSparseClassifier:
        defaults["n_candidates"] = 8
    return estimator_class(**{**defaults, **params})


def _cloud(hidden=(20, 10), n_features=13, n_outputs=3, seed=0):
    topology = Topology(n_features, hidden, n_outputs, "relu")
    generator = torch.Generator().manual_seed(seed)
    return RandomCloud(topology, 1, init="kaiming", generator=generator)


# ------------------------------------------------------------------ the masks
@pytest.mark.parametrize(
    "sparsity, expected",
    [(0.0, (128, 10, 1)), (0.5, (64, 5, 1)), (0.75, (32, 2, 1)), (0.95, (6, 1, 1))],
)
def test_nodes_kept_rounds_per_layer_and_keeps_one(sparsity, expected):
    assert nodes_kept((128, 10, 1), sparsity) == expected


@pytest.mark.parametrize("sparsity", [-0.1, 1.0, 1.5])
def test_sparsity_outside_zero_one_is_rejected(sparsity):
    with pytest.raises(ValueError, match="sparsity"):
        nodes_kept((8,), sparsity)


def test_masks_are_sorted_distinct_uniform_and_prefix_stable():
    kept = sample_node_masks((10, 6), (3, 2), 3000, seed=7)
    assert [k.shape for k in kept] == [(3000, 3), (3000, 2)]
    for layer, width in zip(kept, (10, 6)):
        assert (np.diff(layer, axis=1) > 0).all()
        assert layer.min() >= 0 and layer.max() < width
        # Every node is kept by k / width of the masks (binomial sd ~0.008).
        frequency = np.bincount(layer.ravel(), minlength=width) / len(layer)
        np.testing.assert_allclose(frequency, layer.shape[1] / width, atol=0.04)
    first = sample_node_masks((10, 6), (3, 2), 1, seed=7)
    assert all((a[:1] == b).all() for a, b in zip(kept, first))
    other = sample_node_masks((10, 6), (3, 2), 1, seed=8)
    assert any((a[:1] != b).any() for a, b in zip(kept, other))


def test_node_stack_equals_keeping_the_neurons_of_each_mask(wine):
    X, _ = wine
    cloud = _cloud()
    kept = sample_node_masks((20, 10), (7, 4), 5, seed=1)
    stack = cloud.node_stack([torch.as_tensor(k) for k in kept])
    parent = [(w[0], b[0]) for w, b in cloud.weights]
    for mask in range(5):
        topology, weights = cloud.topology.keep_neurons(parent, [k[mask] for k in kept])
        assert topology.hidden_layer_sizes == (7, 4)
        for (w, b), (sw, sb) in zip(weights, stack):
            torch.testing.assert_close(sw[mask], w, rtol=0, atol=0)
            torch.testing.assert_close(sb[mask], b, rtol=0, atol=0)


def test_keeping_every_node_gives_the_parent_back():
    cloud = _cloud()
    kept = sample_node_masks((20, 10), (20, 10), 2, seed=3)
    for (w, b), (sw, sb) in zip(cloud.weights, cloud.node_stack(kept)):
        torch.testing.assert_close(sw, w.expand_as(sw), rtol=0, atol=0)
        torch.testing.assert_close(sb, b.expand_as(sb), rtol=0, atol=0)


def test_node_stack_needs_a_mask_per_hidden_layer():
    with pytest.raises(ValueError, match="one index tensor per hidden layer"):
        _cloud().node_stack([np.zeros((1, 2), dtype=np.int64)])


@pytest.mark.parametrize("name", ["train_loss", "train_accuracy", "readout", "naswot"])
def test_batched_search_scores_equal_one_module_at_a_time(wine, name):
    X, y = wine
    cloud = _cloud()
    X_t, y_t = torch.as_tensor(X), torch.as_tensor(y)
    result = random_node_search(cloud, (5, 3), 6, get_proxy(name), X_t, y_t, seed=2)
    parent = [(w[0], b[0]) for w, b in cloud.weights]
    for mask in range(6):
        topology, weights = cloud.topology.keep_neurons(parent, result.mask(mask))
        direct = get_proxy(name)(topology.to_module(weights), X_t, y_t)
        assert result.scores[mask] == pytest.approx(direct, rel=1e-5, abs=1e-9)
    assert result.best() == int(np.argmax(result.scores))


def test_search_blocks_do_not_change_scores(wine, monkeypatch):
    import sklearn_rcloud.search._node_masks as node_masks

    X, y = wine
    X_t, y_t = torch.as_tensor(X), torch.as_tensor(y)
    scorer = get_proxy("train_loss")
    whole = random_node_search(_cloud(), (5, 3), 9, scorer, X_t, y_t, seed=2)
    monkeypatch.setattr(node_masks, "BLOCK_BYTES", 4 * len(X) * 8 * 2)
    blocked = random_node_search(_cloud(), (5, 3), 9, scorer, X_t, y_t, seed=2)
    np.testing.assert_allclose(blocked.scores, whole.scores, rtol=1e-6)


# -------------------------------------------------------------- the estimators
def test_selected_mask_is_the_best_scored_and_trained_from_the_parent(wine):
    X, y = wine
    # A learning rate of 1e-30 leaves the inherited weights as they were.
    clf = small(
        solver="sgd", learning_rate_init=1e-30, max_iter=1, n_iter_no_change=None
    )
    clf.fit(X, y)
    assert clf.selected_candidate_ == int(np.argmax(clf.candidate_scores_))
    assert clf.search_score_ == clf.candidate_scores_.max()
    with torch.no_grad():
        logits = clf.module_(torch.as_tensor(X))
    loss = nn.functional.cross_entropy(logits.double(), torch.as_tensor(y))
    assert -float(loss) == pytest.approx(clf.search_score_, rel=1e-5)
    assert clf.topology_ == Topology(13, (10, 5), 3, "relu")
    assert [len(k) for k in clf.kept_nodes_] == [10, 5]
    assert clf.initial_topology_ == Topology(13, (20, 10), 3, "relu")


def test_sparsities_are_counted_from_the_topologies(wine):
    X, y = wine
    clf = small(sparsity=0.7).fit(X, y)
    # 13-20-10-3 keeps 13-6-3-3: nodes 9 of 30; weights 78+18+9 of 260+200+30.
    assert clf.topology_.hidden_layer_sizes == (6, 3)
    assert clf.node_sparsity_ == pytest.approx(1 - 9 / 30)
    assert clf.weight_sparsity_ == pytest.approx(1 - 105 / 490)
    # Parameters: 84 + 21 + 12 of 280 + 210 + 33.
    assert clf.n_params_ == 117
    assert clf.reduction_ == pytest.approx(1 - 117 / 523)


def test_one_trial_is_the_random_sparse_baseline(wine):
    X, y = wine
    search = small(n_candidates=1).fit(X, y)
    baseline = small(RandomSparseClassifier).fit(X, y)
    for a, b in zip(search.kept_nodes_, baseline.kept_nodes_):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(search.predict_proba(X), baseline.predict_proba(X))
    assert np.isnan(
        baseline.candidate_scores_
    ).all() and baseline.candidate_scores_.shape == (1,)
    # The baseline is the search's first trial.
    wider = small(n_candidates=8).fit(X, y)
    assert wider.candidate_scores_[0] == search.candidate_scores_[0]


def test_more_trials_never_choose_a_worse_scored_mask(wine):
    X, y = wine
    few = small(n_candidates=4).fit(X, y)
    many = small(n_candidates=16).fit(X, y)
    np.testing.assert_array_equal(many.candidate_scores_[:4], few.candidate_scores_)
    assert many.search_score_ >= few.search_score_


def test_zero_sparsity_trains_the_dense_parent(wine):
    X, y = wine
    clf = small(sparsity=0.0).fit(X, y)
    assert clf.topology_ == clf.initial_topology_
    assert clf.reduction_ == 0.0 and clf.weight_sparsity_ == 0.0
    assert len(set(clf.candidate_scores_)) == 1


def test_same_random_state_same_masks_and_predictions(wine):
    X, y = wine
    a, b = small().fit(X, y), small().fit(X, y)
    for ka, kb in zip(a.kept_nodes_, b.kept_nodes_):
        np.testing.assert_array_equal(ka, kb)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    c = small(random_state=1).fit(X, y)
    assert any((ka != kc).any() for ka, kc in zip(a.kept_nodes_, c.kept_nodes_))


def test_training_curve_records_validation_for_convergence(wine):
    X, y = wine
    clf = small(early_stopping=True, n_iter_no_change=None, max_iter=12).fit(X, y)
    history = clf.history_
    assert set(history) == {"epoch", "train_loss", "valid_loss", "valid_acc"}
    np.testing.assert_array_equal(history["epoch"], np.arange(1, 13))
    assert ((history["valid_acc"] >= 0) & (history["valid_acc"] <= 1)).all()
    plain = small(max_iter=5, n_iter_no_change=None).fit(X, y)
    assert set(plain.history_) == {"epoch", "train_loss"}
    assert len(plain.history_["train_loss"]) == 5


@pytest.mark.parametrize("proxy", sorted(PROXIES))
def test_every_registered_scorer_drives_the_search(wine, proxy):
    X, y = wine
    clf = small(proxy=proxy, max_iter=2).fit(X, y)
    assert clf.candidate_scores_.shape == (8,)
    assert clf.search_history_["singular"].dtype == bool


def test_callable_scorer_matches_the_builtin(wine):
    X, y = wine
    builtin = small(proxy="train_accuracy").fit(X, y)
    custom = small(proxy=get_proxy("train_accuracy").__call__).fit(X, y)
    np.testing.assert_allclose(custom.candidate_scores_, builtin.candidate_scores_)
    assert custom.selected_candidate_ == builtin.selected_candidate_


def test_search_beats_a_mask_scored_worst_on_its_own_score():
    # Not a claim about accuracy after training: the selected mask has the
    # lowest initial loss of the trials, so it is the best-positioned start.
    X, y = load_breast_cancer(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    clf = RandomSearchSparseClassifier(
        sparsity=0.9, n_candidates=30, max_iter=1, random_state=0
    ).fit(X, y)
    assert clf.search_score_ > np.median(clf.candidate_scores_)


# ---------------------------------------------- Random Cloud under a budget
def test_select_candidate_respects_a_parameter_budget():
    result = SearchResult(
        [(3,), (2,), (1,)], np.array([30, 20, 10]), np.array([[0.9, 0.8, 0.7]])
    )
    assert select_candidate(result, 0.0, "best", max_params=25)[1] == (2,)
    assert select_candidate(result, 0.0, "best", max_params=10)[1] == (1,)
    assert select_candidate(result, 0.0, "best", max_params=9)[0] is None
    assert select_candidate(result, 0.0, "best", min_params=15)[1] == (3,)
    window = select_candidate(result, 0.0, "best", max_params=25, min_params=15)
    assert window[1] == (2,)


def test_random_cloud_max_params_caps_the_selected_size(wine):
    X, y = wine
    params = dict(
        hidden_layer_sizes=(16, 8), n_networks=6, max_iter=5, learning_rate_init=0.01
    )
    free = RandomCloudClassifier(selection="best", random_state=0, **params)
    capped = RandomCloudClassifier(
        selection="best", max_params=150, random_state=0, **params
    )
    assert free.fit(X, y).n_params_ > 150
    assert capped.fit(X, y).n_params_ <= 150
    with pytest.raises(ValueError, match="max_params=10 parameters; on this data"):
        RandomCloudClassifier(max_params=10, **params).fit(X, y)
    # A window pins the size: (16, 1) is the only candidate of 224 + 17 + 6.
    pinned = RandomCloudClassifier(
        selection="best", min_params=247, max_params=247, random_state=0, **params
    ).fit(X, y)
    assert pinned.topology_.hidden_layer_sizes == (16, 1)
    with pytest.raises(ValueError, match="min_params=249 and max_params=250"):
        RandomCloudClassifier(min_params=249, max_params=250, **params).fit(X, y)


def test_training_curve_of_the_winner_matches_its_skorch_history(wine):
    X, y = wine
    clf = small().fit(X, y)
    np.testing.assert_allclose(
        clf.history_["train_loss"], clf.net_.history[:, "train_loss"]
    )
    assert module_weights(clf.module_)[0][0].shape == (10, 13)
