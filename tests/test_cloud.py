import numpy as np
import pytest
import torch
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.preprocessing import minmax_scale

from sklearn_rcloud import Topology
from sklearn_rcloud.cloud import RandomCloud
from sklearn_rcloud.proxies import (
    ReadoutProxy,
    TrainAccuracyProxy,
    get_proxy,
    prefix_accuracy,
)
from sklearn_rcloud.search import (
    SearchResult,
    progressive_reduction,
    reduction_stages,
    select_candidate,
)


def _generator(seed):
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return torch.as_tensor(minmax_scale(X)), torch.as_tensor(y)


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    return torch.as_tensor(minmax_scale(X)), torch.as_tensor(y)


def test_reduction_stages_follow_the_sequential_policy():
    stages = reduction_stages((5, 4), step=2)
    assert [(depth, list(widths)) for depth, widths in stages] == [
        (2, [4, 2]),
        (1, [5, 3, 1]),
    ]


def _reference_scores(cloud, X, y, scorer, candidates):
    """Score every candidate one at a time through Topology.to_module()."""
    scores = np.empty((cloud.n_networks, len(candidates)))
    for index in range(cloud.n_networks):
        for column, hidden in enumerate(candidates):
            topology, weights = cloud.sub_network(index, hidden)
            module = topology.to_module(weights, dtype=cloud.dtype)
            scores[index, column] = scorer(module, X, y)
    return scores


@pytest.mark.parametrize("scorer_name", ["train_accuracy", "readout", "readout_train"])
@pytest.mark.parametrize("activation", ["identity", "logistic", "relu", "tanh"])
@pytest.mark.parametrize(
    "hidden, step", [((8,), 1), ((6, 5), 2), ((4, 3, 3), 1)], ids=str
)
def test_batched_scores_equal_one_at_a_time(
    wine, scorer_name, activation, hidden, step
):
    X, y = wine
    topology = Topology(X.shape[1], hidden, 3, activation)
    cloud = RandomCloud(topology, 6, "uniform", _generator(3), dtype=torch.float64)
    scorer = get_proxy(scorer_name)
    batched = progressive_reduction(cloud, X, y, scorer, step=step)
    reference = _reference_scores(cloud, X, y, scorer, batched.candidates)
    np.testing.assert_array_equal(batched.scores, reference)
    # The plain-callable path of the search is the same loop.
    as_callable = progressive_reduction(
        cloud, X, y, lambda m, X, y: scorer(m, X, y), step=step
    )
    np.testing.assert_array_equal(as_callable.scores, reference)


def test_float32_cloud_matches_its_reference(cancer):
    X, y = cancer
    topology = Topology(X.shape[1], (8,), 2, "logistic")
    cloud = RandomCloud(topology, 10, "uniform", _generator(42))
    X32 = X.float()
    for scorer in (TrainAccuracyProxy(), ReadoutProxy()):
        batched = progressive_reduction(cloud, X32, y, scorer)
        reference = _reference_scores(cloud, X32, y, scorer, batched.candidates)
        np.testing.assert_allclose(batched.scores, reference, atol=1.5 / len(y))


def test_blocks_and_threads_do_not_change_scores(cancer, monkeypatch):
    X, y = cancer
    topology = Topology(X.shape[1], (8, 4), 2, "relu")
    cloud = RandomCloud(topology, 9, "kaiming", _generator(0), dtype=torch.float64)
    whole = progressive_reduction(cloud, X, y, ReadoutProxy())
    original = RandomCloud.block_slices
    monkeypatch.setattr(
        RandomCloud, "block_slices", lambda self, n, max_bytes=0: original(self, n, 1)
    )
    assert len(cloud.block_slices(len(X))) == 9
    blocked = progressive_reduction(cloud, X, y, ReadoutProxy(), n_jobs=2)
    np.testing.assert_array_equal(blocked.scores, whole.scores)


def test_sub_network_slices_the_stacked_weights():
    topology = Topology(4, (5, 3), 2)
    cloud = RandomCloud(topology, 3, "uniform", _generator(1))
    small, weights = cloud.sub_network(2, (5, 2))
    assert small.hidden_layer_sizes == (5, 2)
    torch.testing.assert_close(weights[1][0], cloud.weights[1][0][2, :2])
    torch.testing.assert_close(weights[2][0], cloud.weights[2][0][2, :, :2])
    # A shallower candidate ends in its depth's bridge, not the deleted layer.
    shallow, weights = cloud.sub_network(1, (3,))
    assert shallow.hidden_layer_sizes == (3,)
    torch.testing.assert_close(weights[1][0], cloud.bridges[1][0][1, :, :3])


def test_cloud_is_reproducible_from_its_generator():
    topology = Topology(4, (5,), 2)
    first = RandomCloud(topology, 3, "kaiming", _generator(5))
    second = RandomCloud(topology, 3, "kaiming", _generator(5))
    other = RandomCloud(topology, 3, "kaiming", _generator(6))
    torch.testing.assert_close(first.weights[0][0], second.weights[0][0])
    assert not torch.equal(first.weights[0][0], other.weights[0][0])


def test_prefix_accuracy_equals_a_loop():
    rng = torch.Generator().manual_seed(0)
    features = torch.randn(3, 40, 5, generator=rng, dtype=torch.float64)
    coefs = torch.randn(3, 5, 4, generator=rng, dtype=torch.float64)
    intercept = torch.randn(3, 4, generator=rng, dtype=torch.float64)
    y = torch.randint(0, 4, (40,), generator=rng)
    widths = np.array([5, 3, 1])
    got = prefix_accuracy(features, coefs, intercept, y, widths)
    for net in range(3):
        for column, width in enumerate(widths):
            logits = features[net, :, :width] @ coefs[net, :width] + intercept[net]
            expected = (logits.argmax(1) == y).double().mean()
            assert got[net, column] == pytest.approx(float(expected))


def test_readout_leave_one_out_equals_refitting_without_each_sample(wine):
    X, y = wine
    X, y = X[::4], y[::4]  # 45 samples: brute force stays cheap
    topology = Topology(X.shape[1], (6,), 3, "tanh")
    cloud = RandomCloud(topology, 1, "uniform", _generator(0), dtype=torch.float64)
    _, weights = cloud.sub_network(0, (6,))
    module = topology.to_module(weights, dtype=torch.float64)
    scorer = ReadoutProxy(alpha=1e-2)
    with torch.no_grad():
        hidden = module[:-1](X)
    features = torch.cat([torch.ones(len(X), 1, dtype=torch.float64), hidden], 1)
    targets = torch.nn.functional.one_hot(y, 3).double()
    # The penalty depends only on the full data's column norms (kept fixed here).
    penalty = scorer.alpha * ((features**2).sum(0) + len(X))
    hits = 0
    for i in range(len(X)):
        rest = torch.arange(len(X)) != i
        A, T = features[rest], targets[rest]
        coef = torch.linalg.solve(A.T @ A + torch.diag(penalty), A.T @ T)
        hits += int((features[i] @ coef).argmax() == y[i])
    assert scorer(module, X, y) == pytest.approx(hits / len(X))


def _result(scores, n_params):
    candidates = [(k,) for k in range(len(n_params), 0, -1)]
    return SearchResult(candidates, np.asarray(n_params), np.asarray(scores, float))


def test_best_selection_is_a_strict_first_wins_argmax():
    result = _result([[0.5, 0.8, 0.8], [0.8, 0.7, 0.6]], [30, 20, 10])
    network, hidden, score = select_candidate(result, threshold=0.5, selection="best")
    assert (network, hidden, score) == (0, (2,), 0.8)


def test_smallest_selection_trades_score_for_size():
    result = _result([[0.90, 0.89, 0.80], [0.91, 0.85, 0.90]], [30, 20, 10])
    assert select_candidate(result, 0.0, "smallest", tolerance=0.0)[:2] == (1, (3,))
    # Within 0.02 of the best: (1, (1,)) scores 0.90, the smallest such.
    assert select_candidate(result, 0.0, "smallest", tolerance=0.02)[:2] == (1, (1,))
    # Within 0.1 every size qualifies; equal size goes to the higher score.
    assert select_candidate(result, 0.0, "smallest", tolerance=0.1)[:2] == (1, (1,))


def test_threshold_filters_and_reports_failure():
    result = _result([[0.5, 0.6], [0.55, 0.4]], [20, 10])
    assert select_candidate(result, 0.55, "best")[:2] == (0, (1,))
    network, hidden, best = select_candidate(result, 0.6, "best")
    assert network is None and hidden is None and best == 0.6
