"""Population training: every member equals its solo twin.

A member trained in a population must stop at the same epoch as the same
network trained alone by the engine with the same seed and recipe, with
weights equal within 1e-5 (float32 on the CPU; the stacked matrix products
add in another order).
"""

import numpy as np
import pytest
import torch
from torch.nn.utils import prune

from sklearn_rcloud.engine import (
    DEFAULT_MEMORY_BUDGET,
    TrainingConfig,
    train_network,
    train_population,
)
from sklearn_rcloud.engine._population import _groups
from sklearn_rcloud.init import init_weights, seeded_generator
from sklearn_rcloud.pruning import masked_weight
from sklearn_rcloud.topology import Topology

ADAM = dict(
    solver="adam",
    learning_rate_init=0.01,
    batch_size=64,
    max_iter=20,
    n_iter_no_change=5,
    early_stopping=False,
)


@pytest.fixture(scope="module")
def data(cancer):
    X, y = cancer
    return X.astype(np.float32), y


def _networks(hidden_sizes, n_features, activation="relu", n_outputs=2):
    networks = []
    for index, hidden in enumerate(hidden_sizes):
        topology = Topology(n_features, hidden, n_outputs, activation)
        generator = seeded_generator(100 + index)
        networks.append((topology, init_weights(topology, "kaiming", generator)))
    return networks


def _assert_twins(networks, X, y, config, sample_weight=None, **options):
    """Train the population and every member alone; compare them."""
    seeds = [11 + index for index in range(len(networks))]
    members = train_population(networks, X, y, config, seeds, sample_weight, **options)
    for (topology, weights), seed, member in zip(networks, seeds, members):
        net, _ = train_network(
            topology.to_module(weights), X, y, config, seed, sample_weight
        )
        assert member.n_iter == len(net.history), topology
        assert member.train_loss == pytest.approx(
            list(net.history[:, "train_loss"]), rel=1e-5
        )
        for alone, together in zip(
            net.module_.parameters(), member.module.parameters()
        ):
            assert alone.shape == together.shape
            torch.testing.assert_close(together, alone, rtol=0, atol=1e-5)
    return members


def test_members_of_different_widths_equal_their_solo_twins(data):
    X, y = data
    members = _assert_twins(
        _networks([(8,), (4,), (16,)], X.shape[1]), X, y, TrainingConfig(**ADAM)
    )
    assert [m.n_iter for m in members] == [20, 20, 20]


def test_each_member_stops_at_its_own_epoch_and_stays_stopped(data):
    X, y = data
    config = TrainingConfig(
        **{**ADAM, "max_iter": 60, "n_iter_no_change": 3, "tol": 1e-3}
    )
    members = _assert_twins(
        _networks([(8, 8), (4, 2), (16, 3)], X.shape[1]), X, y, config
    )
    # Different stopping epochs, all before the budget: the members that
    # stopped first kept their weights while the others trained on.
    assert len({m.n_iter for m in members}) == 3
    assert all(m.converged and m.n_iter < 60 for m in members)


def test_validation_stopping_restores_each_members_best_epoch(data):
    X, y = data
    config = TrainingConfig(
        **{
            **ADAM,
            "early_stopping": True,
            "max_iter": 300,
            "learning_rate_init": 0.05,
            "n_iter_no_change": 4,
            "alpha": 0.0,
        }
    )
    members = _assert_twins(_networks([(32,), (16,), (64,)], X.shape[1]), X, y, config)
    assert len({m.n_iter for m in members}) > 1
    for member in members:
        assert member.best_epoch < member.n_iter
        assert len(member.valid_loss) == member.n_iter
        # The best epoch is the last that improved by more than tol.
        assert member.valid_loss[member.best_epoch - 1] <= min(member.valid_loss) + 1e-4


@pytest.mark.parametrize("nesterov", [True, False])
def test_sgd_with_momentum_equals_its_solo_twins(data, nesterov):
    X, y = data
    config = TrainingConfig(
        **{**ADAM, "solver": "sgd", "learning_rate_init": 0.1},
        nesterovs_momentum=nesterov,
    )
    _assert_twins(_networks([(8,), (4,)], X.shape[1]), X, y, config)


@pytest.mark.parametrize("activation", ["logistic", "tanh", "identity"])
def test_padded_units_of_every_activation_stay_out_of_the_way(data, activation):
    # A padded logistic unit outputs 0.5, not 0: its outgoing weights must
    # stay exactly zero for the member to equal its twin.
    X, y = data
    networks = _networks([(8, 4), (3, 6)], X.shape[1], activation)
    _assert_twins(networks, X, y, TrainingConfig(**ADAM))


def test_sample_weights_and_mse_loss_as_alone(data):
    X, y = data
    weights = np.random.default_rng(0).uniform(0.2, 2.0, len(y))
    config = TrainingConfig(**{**ADAM, "early_stopping": True})
    _assert_twins(_networks([(8,), (4,)], X.shape[1]), X, y, config, weights)
    config = TrainingConfig(**{**ADAM, "loss": "mse"})
    _assert_twins(_networks([(8,), (4,)], X.shape[1]), X, y, config)


def test_a_small_memory_budget_trains_in_groups_to_the_same_result(data):
    X, y = data
    networks = _networks([(8,), (4,), (16,)], X.shape[1])
    config = TrainingConfig(**ADAM)
    together = train_population(networks, X, y, config, [1, 2, 3])
    one_by_one = train_population(networks, X, y, config, [1, 2, 3], memory_budget=1)
    for a, b in zip(together, one_by_one):
        assert a.n_iter == b.n_iter
        for p, q in zip(a.module.parameters(), b.module.parameters()):
            torch.testing.assert_close(p, q, rtol=0, atol=1e-6)


def test_members_are_grouped_by_size_and_returned_in_order(data):
    X, y = data
    networks = _networks([(6, 6), (128, 128), (64, 64), (120, 120), (13, 13)], 64)
    groups = _groups(networks, 1000, TrainingConfig(**ADAM), DEFAULT_MEMORY_BUDGET)
    # Padding doubles no member's parameters, and the two small members
    # would cost their dispatch alone anyway.
    assert groups == [[1, 3], [2], [4, 0]]
    X = np.tile(X, (1, 3))[:, :64]
    members = _assert_twins(networks, X, y, TrainingConfig(**{**ADAM, "max_iter": 3}))
    assert [m.module[0].out_features for m in members] == [6, 128, 64, 120, 13]


def test_lbfgs_trains_members_one_by_one(data):
    X, y = data
    config = TrainingConfig(**{**ADAM, "solver": "lbfgs", "max_iter": 15})
    _assert_twins(_networks([(8,), (4,)], X.shape[1]), X, y, config)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_member_pruned_in_some_layers_trains_as_alone(data, solver):
    # None for a layer that is not pruned: alone, that layer carries no mask,
    # which under L-BFGS keeps torch's order of the parameters (a pruned
    # layer's weight is re-registered after its bias), so the twin is exact.
    X, y = data
    config = TrainingConfig(**{**ADAM, "solver": solver})
    networks = _networks([(8,), (8,)], X.shape[1])
    generator = torch.Generator().manual_seed(0)
    first = (torch.rand(8, X.shape[1], generator=generator) > 0.4).float()
    masks = [None, [first, None]]
    members = train_population(networks, X, y, config, [11, 12], weight_masks=masks)
    topology, weights = networks[1]
    module = topology.to_module(weights)
    prune.custom_from_mask(module[0], "weight", first)
    net, _ = train_network(module, X, y, config, 12)
    assert members[1].n_iter == len(net.history)
    tolerance = 0 if solver == "lbfgs" else 1e-5
    expected = [masked_weight(module[0]), module[2].weight]
    for alone, together in zip(expected, list(members[1].module)[::2]):
        torch.testing.assert_close(together.weight, alone, rtol=0, atol=tolerance)
    assert bool((members[1].module[0].weight[first == 0] == 0).all())
    assert not prune.is_pruned(members[1].module)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_pruned_members_equal_their_solo_twins_carrying_the_masks(data, solver):
    X, y = data
    config = TrainingConfig(**{**ADAM, "solver": solver})
    networks = _networks([(8,), (6,), (8,)], X.shape[1])
    generator = torch.Generator().manual_seed(0)
    masks = [None] + [
        [(torch.rand(w.shape, generator=generator) > 0.4).float() for w, _ in weights]
        for _, weights in networks[1:]
    ]
    seeds = [11, 12, 13]
    members = train_population(networks, X, y, config, seeds, weight_masks=masks)
    for (topology, weights), seed, mask, member in zip(networks, seeds, masks, members):
        module = topology.to_module(weights)
        linears = [layer for layer in module if isinstance(layer, torch.nn.Linear)]
        for linear, layer_mask in zip(linears, mask or []):
            prune.custom_from_mask(linear, "weight", layer_mask)
        net, _ = train_network(module, X, y, config, seed)
        assert member.n_iter == len(net.history)
        trained = list(member.module)[::2]
        for index, (alone, together) in enumerate(zip(linears, trained)):
            expected = alone.weight_orig * alone.weight_mask if mask else alone.weight
            torch.testing.assert_close(together.weight, expected, rtol=0, atol=1e-5)
            torch.testing.assert_close(together.bias, alone.bias, rtol=0, atol=1e-5)
            if mask:
                assert bool((together.weight[mask[index] == 0] == 0).all())


def test_members_of_several_depths_train_in_one_population_per_depth(data):
    X, y = data
    config = TrainingConfig(**ADAM)
    networks = _networks([(8,), (4, 4), (6,), (3, 5)], X.shape[1])
    groups = _groups(networks, len(X), config, DEFAULT_MEMORY_BUDGET)
    assert sorted(map(sorted, groups)) == [[0, 2], [1, 3]]
    members = _assert_twins(networks, X, y, config)
    assert [m.module[0].out_features for m in members] == [8, 4, 6, 3]


def test_a_population_is_one_family_and_one_seed_per_member(data):
    X, y = data
    config = TrainingConfig(**ADAM)
    networks = _networks([(8,)], X.shape[1]) + _networks([(4,)], X.shape[1] - 1)
    with pytest.raises(ValueError, match="shares the input and output sizes"):
        train_population(networks, X, y, config, [1, 2])
    with pytest.raises(ValueError, match="one seed each"):
        train_population(_networks([(8,), (4,)], X.shape[1]), X, y, config, [1])
    assert train_population([], X, y, config, []) == []


# ------------------------------------------------------------------ n_init
def test_n_init_keeps_the_best_initialisation_and_one_is_the_default(data):
    from sklearn_rcloud import DenseMLPClassifier

    X, y = data
    params = dict(hidden_layer_sizes=(8,), solver="adam", max_iter=60, random_state=0)
    default = DenseMLPClassifier(**params).fit(X, y)
    one = DenseMLPClassifier(n_init=1, **params).fit(X, y)
    np.testing.assert_array_equal(one.predict_proba(X), default.predict_proba(X))
    assert not hasattr(one, "init_scores_")

    best = DenseMLPClassifier(n_init=5, **params).fit(X, y)
    assert best.init_scores_.shape == (5,)
    assert best.best_init_ == int(np.argmin(best.init_scores_))
    # Candidate 0 is the network n_init=1 trains, and the kept one is
    # trained again alone: its last training loss is its population score.
    assert best.init_scores_[0] == pytest.approx(default.loss_curve_[-1], rel=1e-4)
    assert best.loss_curve_[-1] == pytest.approx(
        best.init_scores_[best.best_init_], rel=1e-4
    )
    assert best.loss_curve_[-1] <= default.loss_curve_[-1] + 1e-6
    again = DenseMLPClassifier(n_init=5, **params).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X), best.predict_proba(X))


def test_n_init_ranks_by_validation_loss_with_a_validation_split(data):
    from sklearn_rcloud import DenseMLPClassifier

    X, y = data
    clf = DenseMLPClassifier(
        hidden_layer_sizes=(8,),
        solver="adam",
        early_stopping=True,
        n_iter_no_change=5,
        max_iter=200,
        n_init=4,
        random_state=0,
    ).fit(X, y)
    kept = clf.init_scores_[clf.best_init_]
    assert kept == clf.init_scores_.min()
    # The kept network, trained alone, reaches the same best validation loss
    # (its best epoch is the last to improve by more than tol = 1e-4).
    assert min(clf.history_["valid_loss"]) == pytest.approx(kept, abs=1e-4)


def test_area_trains_its_first_population_together_as_it_would_alone(monkeypatch):
    from sklearn.datasets import make_classification

    from sklearn_rcloud import NASWOTSearchClassifier
    from sklearn_rcloud.engine import TrainedMember
    from sklearn_rcloud.estimators import _naswot

    def one_by_one(networks, X, y, config, seeds, sample_weight=None):
        members = []
        for (topology, weights), seed in zip(networks, seeds):
            net, _ = train_network(
                topology.to_module(weights), X, y, config, seed, sample_weight
            )
            members.append(TrainedMember(net.module_, [], None, None, 0, 0, False))
        return members

    # Above 2,000 rows the recipe's solver is Adam, which a population runs.
    X, y = make_classification(n_samples=2100, n_features=8, random_state=0)
    params = dict(
        strategy="area",
        n_candidates=12,
        population_size=6,
        n_cycles=3,
        fitness_max_iter=5,
        max_iter=5,
        random_state=0,
    )
    sizes = []

    def counted(networks, *args, **kwargs):
        sizes.append(len(networks))
        return train_population(networks, *args, **kwargs)

    monkeypatch.setattr(_naswot, "train_population", counted)
    together = NASWOTSearchClassifier(**params).fit(X, y)
    assert sizes and max(sizes) >= 2
    monkeypatch.setattr(_naswot, "train_population", one_by_one)
    alone = NASWOTSearchClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(
        together.search_history_["fitness"], alone.search_history_["fitness"]
    )
    assert together.topology_ == alone.topology_
