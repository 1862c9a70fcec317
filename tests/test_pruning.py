import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_rcloud import (
    MagnitudePruningClassifier,
    RandomPruningClassifier,
    Topology,
)
from sklearn_rcloud.init import init_weights
from sklearn_rcloud.pruning import (
    count_nonzero_parameters,
    geometric_schedule,
    hidden_sizes_for_sparsity,
    magnitude_keep,
    make_pruning_permanent,
    neuron_importance,
    prune_weights,
    random_keep,
)

FAST = dict(
    hidden_layer_sizes=(16,), pretrain_max_iter=20, max_iter=10, learning_rate_init=0.01
)


def hand_set_weights():
    """4 inputs, 5 hidden neurons with known incoming norms, 2 outputs."""
    incoming = torch.tensor(
        [
            [3.0, 0.0, 0.0, 0.0],  # l2 3.0, l1 3.0
            [1.0, 1.0, 1.0, 1.0],  # l2 2.0, l1 4.0
            [0.0, 0.0, 0.0, 0.5],  # l2 0.5, l1 0.5
            [2.5, 0.0, 0.0, 0.0],  # l2 2.5, l1 2.5
            [0.0, 1.0, 0.0, 0.0],  # l2 1.0, l1 1.0
        ]
    )
    outgoing = torch.tensor([[0.1, 5.0, 0.2, 0.0, 3.0], [0.0, 0.0, 0.0, 0.1, 0.0]])
    return [(incoming, torch.zeros(5)), (outgoing, torch.zeros(2))]


@pytest.mark.parametrize(
    "criterion, expected",
    [("l2", [0, 1, 3]), ("l1", [0, 1, 3]), ("outgoing", [1, 4])],
)
def test_magnitude_keeps_exactly_the_strongest_neurons(criterion, expected):
    weights = hand_set_weights()
    keep = magnitude_keep(weights, (len(expected),), criterion)
    assert keep[0].tolist() == expected


def test_l1_and_l2_rank_differently():
    weights = hand_set_weights()
    # Neuron 1 has the largest l1 norm (4.0) but only the third-largest l2 (2.0).
    assert neuron_importance(weights, 0, "l1").argmax() == 1
    assert neuron_importance(weights, 0, "l2").argmax() == 0
    assert magnitude_keep(weights, (1,), "l1")[0].tolist() == [1]


def test_structured_pruning_equals_the_masked_network_before_finetuning():
    topology = Topology(6, (10, 7), 3, "tanh")
    generator = torch.Generator().manual_seed(0)
    weights = init_weights(topology, "kaiming", generator, dtype=torch.float64)
    keep = magnitude_keep(weights, (4, 3), "l2")
    compact_topology, compact = topology.keep_neurons(weights, keep)
    # Masked full network: removed neurons' outgoing weights zeroed.
    masked = [(w.clone(), b.clone()) for w, b in weights]
    for layer, kept in enumerate(keep):
        mask = torch.zeros(topology.hidden_layer_sizes[layer], dtype=torch.bool)
        mask[kept] = True
        masked[layer + 1][0][:, ~mask] = 0.0
    X = torch.rand(20, 6, dtype=torch.float64)
    torch.testing.assert_close(
        compact_topology.to_module(compact, dtype=torch.float64)(X),
        topology.to_module(masked, dtype=torch.float64)(X),
    )
    assert compact_topology.n_params < topology.n_params


@pytest.mark.parametrize("sparsity", [0.0, 0.3, 0.5, 0.8, 0.95])
@pytest.mark.parametrize("hidden", [(32,), (16, 8), (20, 10, 5)], ids=str)
def test_sparsity_target_is_met_within_one_neuron(sparsity, hidden):
    topology = Topology(30, hidden, 3)
    pruned = topology.with_hidden(hidden_sizes_for_sparsity(topology, sparsity))
    target = (1 - sparsity) * topology.n_params
    # One neuron of the widest layer: its incoming, bias and outgoing weights.
    sizes = topology.layer_sizes
    one_neuron = max(sizes[i - 1] + 1 + sizes[i + 1] for i in range(1, len(sizes) - 1))
    assert abs(pruned.n_params - target) <= one_neuron


def test_geometric_schedule_ends_on_target():
    assert geometric_schedule(32, 4, 3) == [16, 8, 4]
    assert geometric_schedule(10, 10, 2) == [10, 10]


def test_random_keep_depends_on_the_generator():
    first = random_keep((32,), (8,), torch.Generator().manual_seed(0))
    again = random_keep((32,), (8,), torch.Generator().manual_seed(0))
    other = random_keep((32,), (8,), torch.Generator().manual_seed(1))
    assert first[0].tolist() == again[0].tolist()
    assert first[0].tolist() != other[0].tolist()
    assert first[0].tolist() == sorted(set(first[0].tolist()))


@pytest.mark.parametrize("method", ["magnitude", "random"])
def test_unstructured_pruning_keeps_exactly_n_weights(method):
    topology = Topology(6, (10,), 3)
    generator = torch.Generator().manual_seed(0)
    module = topology.to_module(init_weights(topology, "kaiming", generator))
    n_weights = 6 * 10 + 10 * 3
    prune_weights(module, 40, method, generator)
    prune_weights(module, 25, method, generator)  # a second round prunes further
    nonzero = sum(int((m.weight != 0).sum()) for m in module if hasattr(m, "weight"))
    assert nonzero == 25 < n_weights
    make_pruning_permanent(module)
    assert count_nonzero_parameters(module) == 25 + 10 + 3
    assert not any("mask" in name for name, _ in module.named_buffers())


def _small_module():
    """A 3-2-2 network whose weights' magnitudes are all distinct."""
    return Topology(3, (2,), 2).to_module(
        [
            (torch.tensor([[0.1, -5.0, 0.2], [3.0, -0.05, 1.0]]), torch.zeros(2)),
            (torch.tensor([[0.3, -4.0], [0.01, 2.0]]), torch.zeros(2)),
        ]
    )


def test_unstructured_magnitude_removes_the_smallest_weights():
    module = _small_module()
    prune_weights(module, 5, "magnitude")
    make_pruning_permanent(module)
    kept = sorted(
        abs(v)
        for m in module
        if hasattr(m, "weight")
        for v in m.weight.flatten().tolist()
        if v != 0
    )
    assert kept == pytest.approx([1.0, 2.0, 3.0, 4.0, 5.0])


def test_pruning_again_ranks_the_masked_weights_as_they_are_now():
    module = _small_module()
    prune_weights(module, 8, "magnitude")  # masks attached, weights computed
    with torch.no_grad():  # a training step, with no forward pass after it
        module[0].weight_orig.mul_(1e-3)
        module[2].weight_orig.mul_(1e3)
    prune_weights(module, 3, "magnitude")
    make_pruning_permanent(module)
    assert int((module[0].weight != 0).sum()) == 0
    assert sorted(abs(module[2].weight[module[2].weight != 0]).tolist()) == (
        pytest.approx([300.0, 2000.0, 4000.0])
    )


# --------------------------------------------------------------- estimators
@pytest.mark.parametrize("cls", [MagnitudePruningClassifier, RandomPruningClassifier])
def test_one_target_at_most_and_half_the_parameters_by_default(cls, cancer):
    X, y = cancer
    default = cls(**FAST).fit(X, y)
    full = default.initial_topology_
    assert default.topology_.hidden_layer_sizes == tuple(
        hidden_sizes_for_sparsity(full, 0.5)
    )
    with pytest.raises(ValueError, match="not both"):
        cls(target_hidden_layer_sizes=(4,), sparsity=0.5, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="at most the full width"):
        cls(target_hidden_layer_sizes=(40,), **FAST).fit(X, y)


@pytest.mark.parametrize("cls", [MagnitudePruningClassifier, RandomPruningClassifier])
@pytest.mark.parametrize("schedule", ["one-shot", "iterative"])
def test_structured_pruning_reaches_the_target_topology(cls, schedule, cancer):
    X, y = cancer
    clf = cls(target_hidden_layer_sizes=(3,), schedule=schedule, random_state=0, **FAST)
    clf.fit(X, y)
    assert clf.topology_ == Topology(30, (3,), 2, "relu")
    assert clf.n_params_ == clf.topology_.n_params == 101
    assert clf.initial_topology_.hidden_layer_sizes == (16,)
    assert len(clf.kept_neurons_[0]) == 3
    if cls is MagnitudePruningClassifier:
        # Random pruning may keep dead units; only magnitude must stay accurate.
        assert clf.score(X, y) > 0.85
    assert clf.train_time_ == pytest.approx(clf.pretrain_time_ + clf.finetune_time_)


def test_magnitude_estimator_keeps_the_strongest_neurons_of_the_trained_net(cancer):
    X, y = cancer
    params = dict(target_hidden_layer_sizes=(4,), random_state=5, **FAST)
    clf = MagnitudePruningClassifier(**params).fit(X, y)
    # Re-run the pre-training alone (same seeds) and rank its neurons.
    dense = MagnitudePruningClassifier(**params)
    dense._validate_fit_data(X, y)
    init_seed, pretrain_seed, _, _ = dense._random_seeds(4)
    topology = Topology(30, (16,), 2, "relu")
    module = topology.to_module(
        init_weights(topology, "kaiming", torch.Generator().manual_seed(init_seed))
    )
    net, _ = dense._fit_module(
        module, X.astype(np.float32), y, pretrain_seed, max_iter=20
    )
    norms = net.module_[0].weight.detach().norm(dim=1)
    expected = sorted(torch.argsort(norms, descending=True)[:4].tolist())
    assert clf.kept_neurons_[0].tolist() == expected


def test_random_pruning_seeds_remove_different_neurons(cancer):
    X, y = cancer
    kept = [
        RandomPruningClassifier(sparsity=0.5, random_state=seed, **FAST)
        .fit(X, y)
        .kept_neurons_[0]
        .tolist()
        for seed in (0, 1)
    ]
    assert kept[0] != kept[1]


@pytest.mark.parametrize("cls", [MagnitudePruningClassifier, RandomPruningClassifier])
def test_unstructured_estimator_reports_nonzero_weights(cls, cancer):
    X, y = cancer
    clf = cls(sparsity=0.8, structured=False, random_state=0, **FAST).fit(X, y)
    assert clf.topology_ == clf.initial_topology_
    assert clf.n_params_ == count_nonzero_parameters(clf.module_)
    assert clf.n_params_ == pytest.approx(0.2 * clf.initial_topology_.n_params, abs=1)
    assert clf.reduction_ == pytest.approx(0.8, abs=0.01)
    assert clf.kept_neurons_ is None


def test_pretrain_epochs_zero_prunes_at_initialisation(cancer):
    X, y = cancer
    clf = MagnitudePruningClassifier(
        sparsity=0.5, random_state=0, **{**FAST, "pretrain_max_iter": 0}
    ).fit(X, y)
    assert clf.pretrain_time_ == 0.0
    assert clf.topology_.hidden_layer_sizes == (8,)


def test_grid_search_over_pruning_targets(cancer):
    X, y = cancer
    search = GridSearchCV(
        make_pipeline(
            MinMaxScaler(), MagnitudePruningClassifier(random_state=0, **FAST)
        ),
        {"magnitudepruningclassifier__sparsity": [0.5, 0.9]},
        cv=2,
    ).fit(X, y)
    assert search.best_estimator_[-1].reduction_ > 0.4
