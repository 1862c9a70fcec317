"""NASWOT: choose an MLP topology by a training-free score; AREA refines it."""

from __future__ import annotations

import collections
import time
import warnings
from numbers import Integral

import numpy as np
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import Interval, StrOptions

from .._memory import (
    SAMPLE_BYTES,
    check_memory,
    setting,
)
from ..engine import (
    TrainingConfig,
    resolve_device,
    to_device,
    train_population,
    validation_split,
)
from ..outputs import predict_proba_module
from ..proxies import get_proxy, proxy_name
from ..recipe import Parameter
from ..search import (
    MLPSearchSpace,
    architecture_seed,
    assisted_evolution,
    best_distinct,
    fittest,
    initial_weights,
    score_architectures,
)
from ..topology import Topology
from ._base import BaseNetworkClassifier, BaseNetworkRegressor
from ._parameters import (
    N_CANDIDATES,
    PROXY,
    TRAINING_PARAMETERS,
    for_regression,
)

__all__ = ["NASWOTSearchClassifier", "NASWOTSearchRegressor"]


_PARAMETERS = (
    Parameter(
        "depth_range",
        (1, 3),
        (tuple, list),
        "(int, int)",
        "Fewest and most hidden layers, both included: a pair of "
        "integers with ``1 <= min_depth <= max_depth``.",
    ),
    Parameter(
        "width_choices",
        (8, 16, 32, 64),
        ("array-like",),
        "tuple of int",
        "Widths a hidden layer can take: a non-empty sequence of positive integers.",
    ),
    Parameter(
        "strategy",
        "sample",
        (StrOptions({"sample", "area"}),),
        "{'sample', 'area'}",
        "Keep the best-scoring sample, or refine by regularised evolution.",
    ),
    N_CANDIDATES.replace(
        doc="Topologies sampled and scored untrained (the paper's N; with "
        "replacement, uniform over depths then widths).",
    ),
    PROXY.replace(default="naswot"),
    Parameter(
        "population_size",
        10,
        (Interval(Integral, 1, None, closed="left"),),
        "int",
        "AREA: size of the evolving population (the paper's P = 10).",
    ),
    Parameter(
        "n_cycles",
        30,
        (Interval(Integral, 0, None, closed="left"),),
        "int",
        "AREA: mutations, each trained for ``fitness_max_iter`` epochs.",
    ),
    Parameter(
        "tournament_size",
        3,
        (Interval(Integral, 1, None, closed="left"),),
        "int",
        "AREA: members drawn per cycle; the fittest is the parent.",
    ),
    Parameter(
        "fitness_max_iter",
        20,
        (Interval(Integral, 1, None, closed="left"),),
        "int",
        "AREA: training epochs before a topology's validation accuracy is read.",
    ),
    *TRAINING_PARAMETERS,
)

_ATTRIBUTE_DOCS = dict(
    topology="The topology the search chose, trained.",
    initial_topology="The largest topology of the search space (the "
    "reference for ``reduction_``).",
)


class _NASWOTSearch:
    """NASWOT's sampling and AREA's evolution, shared by the classifier and
    the regressor."""

    def _fit(self, X, y, sample_weight, progress):
        space = MLPSearchSpace(self.depth_range, self.width_choices)
        self._check_memory(space, X)
        (
            sample_seed,
            weight_seed,
            evolution_seed,
            train_seed,
            proxy_seed,
        ) = self._random_seeds(5)
        device = resolve_device(self.device)
        # One conversion per fit: the search and the training read these.
        X_device, y_device = to_device(X, y, device)
        n_features, n_outputs = X.shape[1], self._n_outputs()
        self.initial_topology_ = Topology(
            n_features, space.largest, n_outputs, self.activation
        )
        search_start = time.perf_counter()
        with progress.task("search", self.n_candidates) as search:
            rng = np.random.default_rng(sample_seed)
            sampled = [space.sample(rng) for _ in range(self.n_candidates)]
            scores, singular = score_architectures(
                sampled,
                n_features,
                n_outputs,
                self.activation,
                self.init,
                weight_seed,
                get_proxy(self.proxy, task=self._task, random_state=proxy_seed),
                X_device,
                y_device,
                sample_weight=sample_weight,
            )
            progress.step(search, "score", self.n_candidates)
        history = _SearchHistory(sampled, scores, singular)
        if not np.isfinite(scores).any():
            warnings.warn(
                f"The proxy {proxy_name(self.proxy)} returned a non-finite score "
                "for every sampled topology; training the first one sampled.",
                UserWarning,
                stacklevel=3,
            )
        if self.strategy == "sample":
            selected = int(np.argmax(np.nan_to_num(scores, nan=-np.inf)))
            self.search_score_ = float(scores[selected])
        else:
            selected = self._evolve(
                space,
                history,
                X,
                y,
                sample_weight,
                weight_seed,
                evolution_seed,
                progress,
            )
            self.search_score_ = float(history.rows["fitness"][selected])
        self.search_history_ = history.as_dict(n_features, n_outputs, self.activation)
        self.selected_index_ = selected
        self.search_time_ = time.perf_counter() - search_start

        hidden = history.rows["hidden_layer_sizes"][selected]
        topology = Topology(n_features, hidden, n_outputs, self.activation)
        weights = initial_weights(
            topology, self.init, architecture_seed(weight_seed, hidden)
        )
        self._train(
            topology, weights, X_device, y_device, train_seed, sample_weight, progress
        )

    def _check_memory(self, space, X):
        """Refuse a search space whose largest topology, or a number of
        candidates whose records, cannot fit in memory."""
        self._check_network_memory(X, ("depth_range", "width_choices"), space.largest)
        check_memory(
            self.n_candidates * SAMPLE_BYTES,
            setting(self, ("n_candidates",)),
            "the sampled topologies and their records",
        )

    def _evolve(
        self, space, history, X, y, sample_weight, weight_seed, evolution_seed, progress
    ):
        """AREA: seed a population with the best-scoring samples, then evolve."""
        X_fit, X_valid, y_fit, y_valid, w_fit, w_valid = validation_split(
            X,
            y,
            self.validation_fraction,
            evolution_seed,
            sample_weight,
            stratify=self._task == "classification",
        )
        # Every fitness training reads the same rows: put them on the device once.
        X_fit, y_fit = to_device(X_fit, y_fit, resolve_device(self.device))
        n_outputs = self._n_outputs()
        fitness_cache = {}
        recipe = dict(
            max_iter=self.fitness_max_iter,
            n_iter_no_change=None,
            early_stopping=False,
            verbose=0,
        )

        def network(hidden):
            topology = Topology(X.shape[1], hidden, n_outputs, self.activation)
            weights = initial_weights(
                topology, self.init, architecture_seed(weight_seed, hidden)
            )
            return topology, weights

        def record(hidden, module):
            outputs = predict_proba_module(module, X_valid, self.loss)
            fitness_cache[hidden] = self._fitness(outputs, y_valid, w_valid)

        def fitness(hidden):
            if hidden not in fitness_cache:
                topology, weights = network(hidden)
                net, _ = self._fit_module(
                    topology.to_module(weights),
                    X_fit,
                    y_fit,
                    evolution_seed,
                    w_fit,
                    **recipe,
                )
                record(hidden, net.module_)
            return fitness_cache[hidden]

        def train_together(architectures):
            """The first population's fitness: its topologies trained as one
            population per depth (one by one under L-BFGS)."""
            config = TrainingConfig.from_estimator(self, **recipe)
            depths = collections.Counter(len(hidden) for hidden in architectures)
            # A depth's only topology trains alone, by fitness(), as every
            # child does.
            shared = [h for h in architectures if depths[len(h)] > 1]
            members = train_population(
                [network(hidden) for hidden in shared],
                X_fit,
                y_fit,
                config,
                [evolution_seed] * len(shared),
                w_fit,
            )
            for hidden, member in zip(shared, members):
                record(hidden, member.module)

        evaluations = []

        def report(cycle, individual):
            evaluations.append(cycle)
            progress.step(evolution, "fitness", len(evaluations))

        # Every evaluation (the first population's, then one per cycle) is
        # a step of the evolution task.
        architectures = list(history.rows["hidden_layer_sizes"])
        scores = list(history.rows["score"])
        first = best_distinct(architectures, scores, self.population_size)
        train_together([architectures[i] for i in first])
        with progress.task("evolution", len(first) + self.n_cycles) as evolution:
            seeds, evolved = assisted_evolution(
                architectures,
                scores,
                fitness,
                space.mutate,
                self.population_size,
                self.n_cycles,
                self.tournament_size,
                np.random.default_rng(evolution_seed),
                callback=report,
            )
        return history.add_evolution(seeds, evolved, fittest(evolved))

    def _fitness(self, outputs, y_valid, w_valid):
        """AREA's fitness of a network's validation outputs: accuracy, or R²."""
        if self._task == "regression":
            return float(r2_score(y_valid, outputs, sample_weight=w_valid))
        correct = outputs.argmax(axis=1) == y_valid
        return float(np.average(correct, weights=w_valid))


class NASWOTSearchClassifier(_NASWOTSearch, BaseNetworkClassifier):
    """Neural architecture search without training, over MLP topologies.

    ``n_candidates`` topologies are drawn from a search space (a depth in
    ``depth_range``, then a width from ``width_choices`` per layer), each is
    initialised and scored untrained with ``proxy``, and:

    * ``strategy='sample'`` (NASWOT): the best-scoring topology is trained,
      from the weights it was scored with;
    * ``strategy='area'`` (assisted regularised evolution): the
      ``population_size`` best-scoring topologies seed an aging-evolution
      population; ``n_cycles`` times, the fittest of ``tournament_size``
      random members is mutated (one width changed, or a layer added or
      removed), the child is trained for ``fitness_max_iter`` epochs and scored
      by its accuracy on a held-out ``validation_fraction`` of the training
      data, and the oldest member leaves. The fittest topology ever seen is
      then trained on all the training data.

    Method from Mellor, Turner, Storkey and Crowley, "Neural Architecture
    Search without Training" (ICML 2021), which evaluated it on image cell
    spaces only. With ``n_candidates=1`` the search is a randomly chosen
    topology, the paper's "random" baseline.

    Read more in the :ref:`User Guide <naswot>`.

    {parameters}

    {network_attributes}
    search_score_ : float
        Training-free score of the selected topology (its fitness for AREA).
    search_history_ : dict of ndarray
        One entry per sampled topology, then per AREA child:
        ``hidden_layer_sizes``, ``n_params``, ``score`` (NaN for children),
        ``singular`` (NASWOT kernel regularised), ``fitness`` (NaN where not
        trained), ``cycle`` (-1 outside the evolution, 0 for the initial
        population), ``age`` (cycles spent in the population, -1 outside the
        evolution) and ``parent`` (row of the parent, -1 for none).
        ``pandas.DataFrame(search_history_)`` works.
    selected_index_ : int
        Row of ``search_history_`` that was trained.
    search_time_, train_time_, fit_time_ : float
        Seconds searching (scoring, and fitness training for AREA), in the
        final training, and in the whole ``fit``.
    {training_attributes}
    {data_attributes}

    See Also
    --------
    RandomCloudClassifier : reduce random networks by forward passes instead
        of sampling topologies.

    Notes
    -----
    On MLPs the NASWOT kernel ``K_H`` has rank at most (hidden units + 1), so
    with fewer hidden units than the batch (128) it is singular; it is then
    scored as ``log det(K_H + 1e-6 I)`` and flagged in ``search_history_``
    (see :class:`~sklearn_rcloud.proxies.NASWOTProxy`). Such a score ranks
    first by the kernel's rank, which grows with the number of units.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn_rcloud import NASWOTSearchClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> search = NASWOTSearchClassifier(n_candidates=20, random_state=0)
    >>> bool(cross_val_score(search, X, y, cv=3).mean() > 0.9)
    True
    """

    _parameters = _PARAMETERS
    _attribute_docs = _ATTRIBUTE_DOCS


class NASWOTSearchRegressor(_NASWOTSearch, BaseNetworkRegressor):
    """Neural architecture search without training, for regression.

    The regressor twin of :class:`NASWOTSearchClassifier`: the same search
    space, NASWOT score (label-free) and AREA evolution, whose fitness is
    the validation R² after ``fitness_max_iter`` epochs. The target is
    standardised inside ``fit`` and predictions are mapped back.

    {parameters}

    {network_attributes}
    search_score_ : float
        Training-free score of the selected topology (its fitness for AREA).
    search_history_ : dict of ndarray
        One entry per sampled topology, then per AREA child, as
        :class:`NASWOTSearchClassifier`'s (``fitness`` is an R²).
    selected_index_ : int
        Row of ``search_history_`` that was trained.
    search_time_, train_time_, fit_time_ : float
        Seconds spent searching, training, and in the whole ``fit``.
    {training_attributes}
    {data_attributes}

    See Also
    --------
    RandomCloudRegressor : reduce random networks by forward passes instead.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_rcloud import NASWOTSearchRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> search = make_pipeline(
    ...     StandardScaler(), NASWOTSearchRegressor(n_candidates=10, random_state=0)
    ... )
    >>> bool(search.fit(X, y).score(X, y) > 0.3)
    True
    """

    _parameters = for_regression(
        _PARAMETERS,
        fitness_max_iter="AREA: training epochs before a topology's "
        "validation R² is read.",
    )
    _attribute_docs = _ATTRIBUTE_DOCS


class _SearchHistory:
    """Rows of the search: sampled topologies, then evolution children."""

    def __init__(self, sampled, scores, singular):
        n = len(sampled)
        self.rows = {
            "hidden_layer_sizes": list(sampled),
            "score": list(scores),
            "singular": list(singular),
            "fitness": [np.nan] * n,
            "cycle": [-1] * n,
            "age": [-1] * n,
            "parent": [-1] * n,
        }

    def add_evolution(self, seed_rows, evolved, best):
        """Record an evolution run; return the history row of individual ``best``."""
        row_of = list(seed_rows)
        for index, individual in enumerate(evolved):
            if index < len(seed_rows):
                row = seed_rows[index]
            else:
                row = len(self.rows["score"])
                self.rows["hidden_layer_sizes"].append(individual["hidden"])
                self.rows["score"].append(np.nan)
                self.rows["singular"].append(False)
                for name in ("fitness", "cycle", "age", "parent"):
                    self.rows[name].append(None)
                row_of.append(row)
            self.rows["fitness"][row] = individual["fitness"]
            self.rows["cycle"][row] = individual["cycle"]
            self.rows["age"][row] = individual["age"]
            parent = individual["parent"]
            self.rows["parent"][row] = row_of[parent] if parent >= 0 else -1
        return row_of[best]

    def as_dict(self, n_features, n_outputs, activation):
        hidden = np.empty(len(self.rows["score"]), dtype=object)
        hidden[:] = self.rows["hidden_layer_sizes"]
        n_params = [
            Topology(n_features, h, n_outputs, activation).n_params for h in hidden
        ]
        return {
            "hidden_layer_sizes": hidden,
            "n_params": np.asarray(n_params, dtype=np.int64),
            "score": np.asarray(self.rows["score"], dtype=float),
            "singular": np.asarray(self.rows["singular"], dtype=bool),
            "fitness": np.asarray(self.rows["fitness"], dtype=float),
            "cycle": np.asarray(self.rows["cycle"], dtype=np.int64),
            "age": np.asarray(self.rows["age"], dtype=np.int64),
            "parent": np.asarray(self.rows["parent"], dtype=np.int64),
        }
