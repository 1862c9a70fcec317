"""Regularised (aging) evolution over architectures (Real et al., 2019)."""

from __future__ import annotations

from collections import deque

import numpy as np

__all__ = ["fittest", "regularized_evolution"]


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
