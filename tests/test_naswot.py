"""NASWOT search: the space, the evolution and the estimator."""

from collections import Counter

import numpy as np
import pytest
import torch

from sklearn_rcloud import NASWOTSearchClassifier, Topology
from sklearn_rcloud.proxies import PROXIES, naswot_score
from sklearn_rcloud.search import (
    MLPSearchSpace,
    architecture_seed,
    assisted_evolution,
    best_distinct,
    initial_weights,
    regularized_evolution,
    score_architectures,
)


def small(**params):
    defaults = dict(
        n_candidates=8,
        depth_range=(1, 2),
        width_choices=(4, 8, 16),
        max_iter=30,
        learning_rate_init=0.01,
        random_state=0,
    )
    return NASWOTSearchClassifier(**{**defaults, **params})


def test_space_samples_depths_uniformly_and_stays_inside():
    space = MLPSearchSpace((1, 3), (4, 8, 16, 32))
    rng = np.random.default_rng(0)
    samples = [space.sample(rng) for _ in range(3000)]
    depths = Counter(len(s) for s in samples)
    assert set(depths) == {1, 2, 3}
    assert all(abs(count / 3000 - 1 / 3) < 0.04 for count in depths.values())
    assert all(set(s) <= {4, 8, 16, 32} for s in samples)
    assert space.size == 4 + 16 + 64
    assert space.largest == (32, 32, 32)


def _is_neighbour(a, b):
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    if len(longer) != len(shorter) + 1:
        return False
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def test_mutation_moves_to_a_neighbour_inside_the_space():
    space = MLPSearchSpace((1, 3), (4, 8, 16))
    rng = np.random.default_rng(1)
    moves = Counter()
    for _ in range(500):
        parent = space.sample(rng)
        child = space.mutate(parent, rng)
        assert _is_neighbour(parent, child), (parent, child)
        assert 1 <= len(child) <= 3 and set(child) <= {4, 8, 16}
        moves[len(child) - len(parent)] += 1
    assert set(moves) == {-1, 0, 1}


@pytest.mark.parametrize(
    "depth_range, widths",
    [((0, 2), (4,)), ((3, 2), (4,)), ((1, 2), ()), ((1, 2), (0, 4))],
)
def test_invalid_spaces_are_named(wine, depth_range, widths):
    X, y = wine
    with pytest.raises(ValueError, match="depth_range|width_choices"):
        small(depth_range=depth_range, width_choices=widths).fit(X, y)


def test_regularized_evolution_keeps_the_population_and_ages_it():
    space = MLPSearchSpace((1, 3), (1, 2, 3, 4, 5))
    rng = np.random.default_rng(0)
    initial = [space.sample(rng) for _ in range(6)]
    history = regularized_evolution(
        initial, lambda h: float(sum(h)), space.mutate, 40, 6, rng
    )
    assert len(history) == 6 + 40
    # Aging: the k-th initial member leaves at cycle k + 1, every child after
    # exactly 6 cycles, and the last 6 children are alive at the end.
    ages = [i["age"] for i in history]
    assert ages[:6] == [1, 2, 3, 4, 5, 6]
    assert ages[6:-6] == [6] * 34
    assert ages[-6:] == [40 - c for c in range(35, 41)]
    for index, individual in enumerate(history[6:], start=6):
        cycle = individual["cycle"]
        members = history[index - 6 : index]  # the population the parent came from
        parent = history[individual["parent"]]
        # Tournament over the whole population: the parent is its fittest.
        assert parent in members
        assert parent["fitness"] == max(m["fitness"] for m in members)
        assert cycle == index - 5
    assert max(i["fitness"] for i in history) > max(sum(h) for h in initial)


def test_architectures_score_as_their_own_modules(wine):
    X, y = wine
    X = torch.as_tensor(X, dtype=torch.float32)
    architectures = [(8,), (16, 4), (8,)]
    scores, singular = score_architectures(
        architectures,
        13,
        3,
        "relu",
        "kaiming",
        7,
        PROXIES["naswot"](),
        X,
        torch.as_tensor(y),
    )
    assert scores[0] == scores[2]
    topology = Topology(13, (16, 4), 3, "relu")
    weights = initial_weights(topology, "kaiming", architecture_seed(7, (16, 4)))
    with pytest.warns(Warning) if singular[1] else _no_warning():
        expected = naswot_score(topology.to_module(weights), X)
    assert scores[1] == pytest.approx(expected)


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False


def test_sample_strategy_trains_the_best_scoring_topology(wine):
    X, y = wine
    clf = small(n_candidates=12).fit(X, y)
    history = clf.search_history_
    assert len(history["score"]) == 12
    best = int(np.argmax(history["score"]))
    assert clf.selected_index_ == best
    assert clf.topology_.hidden_layer_sizes == history["hidden_layer_sizes"][best]
    assert clf.search_score_ == history["score"][best]
    assert clf.initial_topology_.hidden_layer_sizes == (16, 16)
    assert np.all(np.isnan(history["fitness"])) and np.all(history["cycle"] == -1)
    assert clf.score(X, y) > 0.9


def test_one_sample_is_a_random_topology(wine):
    X, y = wine
    chosen = {
        small(n_candidates=1, random_state=s).fit(X, y).topology_ for s in range(6)
    }
    assert len(chosen) > 1


def test_area_evolves_from_the_best_scoring_samples(wine):
    X, y = wine
    clf = small(
        strategy="area",
        n_candidates=10,
        population_size=4,
        n_cycles=6,
        tournament_size=2,
        fitness_max_iter=5,
    ).fit(X, y)
    history = clf.search_history_
    assert len(history["score"]) == 10 + 6
    sampled, children = slice(0, 10), slice(10, None)
    in_population = history["cycle"][sampled] == 0
    assert in_population.sum() == 4
    # The initial population: the best-scoring distinct samples.
    seeded = set(history["hidden_layer_sizes"][sampled][in_population])
    ranked = sorted(
        set(history["hidden_layer_sizes"][sampled]),
        key=lambda h: (
            -max(
                s
                for s, g in zip(history["score"][:10], history["hidden_layer_sizes"])
                if g == h
            )
        ),
    )
    assert seeded == set(ranked[:4])
    assert np.all(np.isnan(history["score"][children]))
    assert history["cycle"][children].tolist() == [1, 2, 3, 4, 5, 6]
    fitness = history["fitness"]
    trained = ~np.isnan(fitness)
    assert trained.sum() == 10 and np.all(
        (fitness[trained] >= 0) & (fitness[trained] <= 1)
    )
    assert clf.search_score_ == np.nanmax(fitness)
    assert (
        history["hidden_layer_sizes"][clf.selected_index_]
        == clf.topology_.hidden_layer_sizes
    )
    assert np.all(history["parent"][children] >= 0)


@pytest.mark.parametrize("strategy", ["sample", "area"])
def test_same_random_state_same_search_and_predictions(wine, strategy):
    X, y = wine
    params = dict(strategy=strategy, n_cycles=3, fitness_max_iter=3, population_size=3)
    first = small(**params).fit(X, y)
    second = small(**params).fit(X, y)
    other = small(**params, random_state=1).fit(X, y)
    for key, column in first.search_history_.items():
        np.testing.assert_array_equal(column, second.search_history_[key], err_msg=key)
    assert first.topology_ == second.topology_
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    assert list(other.search_history_["hidden_layer_sizes"]) != list(
        first.search_history_["hidden_layer_sizes"]
    )


@pytest.mark.parametrize("proxy", sorted(PROXIES))
def test_every_registered_proxy_drives_the_search(wine, proxy):
    X, y = wine
    clf = small(proxy=proxy, max_iter=5).fit(X, y)
    scores = clf.search_history_["score"]
    assert clf.search_score_ == np.nanmax(scores)


def test_area_seeds_are_the_best_distinct_architectures():
    architectures = [(4,), (8,), (4,), (16,), (2,), (32,)]
    scores = [0.5, np.nan, 0.9, 0.9, 0.1, 0.7]
    # (4,) scored 0.5 and again 0.9: it counts once, at its first row; ties
    # go to the earlier row; NaN ranks last.
    assert best_distinct(architectures, scores, 3) == [2, 3, 5]
    assert best_distinct(architectures, scores, 10) == [2, 3, 5, 4, 1]
    seeds, history = assisted_evolution(
        architectures,
        scores,
        fitness=lambda hidden: float(hidden[0]),
        mutate=lambda hidden, rng: (hidden[0] * 2,),
        population_size=2,
        n_cycles=3,
        tournament_size=2,
        rng=np.random.default_rng(0),
    )
    assert seeds == [2, 3]
    assert [h["hidden"] for h in history[:2]] == [(4,), (16,)]
    assert [h["cycle"] for h in history] == [0, 0, 1, 2, 3]
