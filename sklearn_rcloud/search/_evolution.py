"""Regularised (aging) evolution over architectures (Real et al., 2019), and AREA.

AREA (assisted regularised evolution, Mellor et al., 2021) seeds the
evolution's first population with the architectures a training-free score
ranks best (:func:`assisted_evolution`).
"""

from __future__ import annotations

from collections import deque

import numpy as np

__all__ = [
    "assisted_evolution",
    "best_distinct",
    "fittest",
    "regularized_evolution",
]


def regularized_evolution(
    initial_population, fitness, mutate, n_cycles, tournament_size, rng, callback=None
):
    """Evolve architectures by tournament selection, removing the oldest.

    Each cycle draws ``tournament_size`` members of the population at random
    (without replacement), mutates the fittest of them (ties: the older), adds
    the child and removes the oldest member, so good architectures must keep
    being rediscovered to stay (the "aging" that regularises the search).

    Parameters
    ----------
    initial_population : list of tuple of int
        Architectures of the first population, oldest first.
    fitness : callable(hidden) -> float
        Higher is better (validation accuracy after a short training).
    mutate : callable(hidden, rng) -> tuple of int
    n_cycles : int
    tournament_size : int
        Capped at the population size.
    rng : numpy.random.Generator
    callback : callable(cycle, individual) or None
        Called after every evaluation (progress reports).

    Returns
    -------
    history : list of dict
        Every individual in order of birth: ``hidden``, ``fitness``,
        ``cycle`` (0 for the initial population, ``c`` for the child of cycle
        ``c``), ``parent`` (index in ``history`` or -1) and ``age`` (cycles it
        spent in the population by the end of the search).
    """
    history = []

    def add(hidden, cycle, parent):
        individual = {
            "hidden": tuple(hidden),
            "fitness": float(fitness(tuple(hidden))),
            "cycle": cycle,
            "parent": parent,
            "death": None,
        }
        history.append(individual)
        if callback is not None:
            callback(cycle, individual)
        return len(history) - 1

    population = deque(add(hidden, 0, -1) for hidden in initial_population)
    for cycle in range(1, n_cycles + 1):
        size = min(tournament_size, len(population))
        contestants = sorted(rng.choice(len(population), size=size, replace=False))
        # Sorted positions: the first of equally fit contestants is the older.
        parent = max(
            (population[p] for p in contestants), key=lambda i: history[i]["fitness"]
        )
        child = mutate(history[parent]["hidden"], rng)
        population.append(add(child, cycle, parent))
        history[population.popleft()]["death"] = cycle
    for individual in history:
        death = individual.pop("death")
        individual["age"] = (n_cycles if death is None else death) - individual["cycle"]
    return history


def fittest(history):
    """Index of the fittest individual of a history (ties: the earliest)."""
    return int(np.argmax([individual["fitness"] for individual in history]))


def best_distinct(architectures, scores, n):
    """Indices of the ``n`` best-scoring distinct architectures.

    Best first, the earliest first among equal scores; NaN scores rank last
    and a repeated architecture counts once (its first occurrence).

    Parameters
    ----------
    architectures : list of tuple of int
    scores : array-like of float, one per architecture
    n : int

    Returns
    -------
    rows : list of int
    """
    order = np.argsort(
        -np.nan_to_num(np.asarray(scores, float), nan=-np.inf), kind="stable"
    )
    rows, seen = [], set()
    for row in order:
        hidden = tuple(architectures[row])
        if hidden not in seen:
            seen.add(hidden)
            rows.append(int(row))
        if len(rows) == n:
            break
    return rows


def assisted_evolution(
    architectures,
    scores,
    fitness,
    mutate,
    population_size,
    n_cycles,
    tournament_size,
    rng,
    callback=None,
):
    """AREA: regularised evolution seeded with the best-scoring architectures.

    Parameters
    ----------
    architectures : list of tuple of int
        The architectures sampled and scored without training.
    scores : array-like of float
        Their training-free scores (higher is better).
    fitness, mutate, n_cycles, tournament_size, rng, callback
        As for :func:`regularized_evolution`.
    population_size : int
        Architectures of the first population: the best-scoring distinct ones
        (:func:`best_distinct`).

    Returns
    -------
    seed_rows : list of int
        Indices in ``architectures`` of the first population, oldest first.
    history : list of dict
        :func:`regularized_evolution`'s history.
    """
    seed_rows = best_distinct(architectures, scores, population_size)
    history = regularized_evolution(
        [tuple(architectures[row]) for row in seed_rows],
        fitness,
        mutate,
        n_cycles,
        tournament_size,
        rng,
        callback=callback,
    )
    return seed_rows, history
