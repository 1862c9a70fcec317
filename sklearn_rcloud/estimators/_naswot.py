"""NASWOT: choose an MLP topology by a training-free score; AREA refines it."""

from __future__ import annotations

import time
import warnings
from numbers import Integral

import numpy as np
import torch
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from ..proxies import SCORERS, get_scorer
from ..search import (
    MLPSearchSpace,
    architecture_seed,
    fittest,
    initial_weights,
    regularized_evolution,
    score_architectures,
)
from ..topology import Topology
from ..training import _validation_split, predict_proba_module, resolve_device
from ._base import BaseNetworkClassifier

__all__ = ["NASWOTSearchClassifier"]


class NASWOTSearchClassifier(BaseNetworkClassifier):
    """Neural architecture search without training, over MLP topologies.

    ``n_samples`` topologies are drawn from a search space (a depth in
    ``depth_range``, then a width from ``width_choices`` per layer), each is
    initialised and scored untrained with ``scorer``, and:

    * ``strategy='sample'`` (NASWOT): the best-scoring topology is trained,
      from the weights it was scored with;
    * ``strategy='area'`` (assisted regularised evolution): the
      ``population_size`` best-scoring topologies seed an aging-evolution
      population; ``n_cycles`` times, the fittest of ``tournament_size``
      random members is mutated (one width changed, or a layer added or
      removed), the child is trained for ``fitness_epochs`` epochs and scored
      by its accuracy on a held-out ``validation_fraction`` of the training
      data, and the oldest member leaves. The fittest topology ever seen is
      then trained on all the training data.

    Method from Mellor, Turner, Storkey and Crowley, "Neural Architecture
    Search without Training" (ICML 2021), which evaluated it on image cell
    spaces only. With ``n_samples=1`` the search is a randomly chosen
    topology, the paper's "random" baseline.

    Read more in the :ref:`User Guide <naswot>`.

    Parameters
    ----------
    depth_range : (int, int), default=(1, 3)
        Fewest and most hidden layers, both included.
    width_choices : tuple of int, default=(8, 16, 32, 64)
        Widths a hidden layer can take.
    strategy : {'sample', 'area'}, default='sample'
        Keep the best-scoring sample, or refine by regularised evolution.
    n_samples : int, default=100
        Topologies sampled and scored untrained (the paper's N; with
        replacement, uniform over depths then widths).
    scorer : str or callable, default='naswot'
        Training-free score, a name from :data:`sklearn_rcloud.proxies.SCORERS`
        or ``callable(module, X, y) -> float``; higher is better.
    population_size : int, default=10
        AREA: size of the evolving population (the paper's P = 10).
    n_cycles : int, default=30
        AREA: mutations, each trained for ``fitness_epochs``.
    tournament_size : int, default=3
        AREA: members drawn per cycle; the fittest is the parent.
    fitness_epochs : int, default=20
        AREA: training epochs before a topology's validation accuracy is read.
    activation : {'relu', 'sigmoid', 'tanh'}, default='relu'
    init : {'kaiming', 'uniform', 'glorot'}, default='kaiming'
        Initial weights, drawn per topology from ``random_state``: a topology
        sampled twice gets the same weights.
    loss : {'cross_entropy', 'mse'}, default='cross_entropy'
    optimizer : {'auto', 'lbfgs', 'adam', 'sgd'}, default='auto'
        'auto': full-batch L-BFGS up to 2,000 training rows, Adam above
        (the user guide's "Training recipe" says why).
    lr : float, default=1e-3
        Learning rate of Adam and SGD; L-BFGS sets its steps by line search.
    alpha : float, default=1.0
        L2 penalty on the weights: ``0.5 * alpha * ||W||^2 / n_samples`` is
        added to the mean training loss (``alpha=1`` is the MAP estimate
        under a standard normal prior on every weight).
    batch_size : int or 'auto', default='auto'
        'auto' is ``min(200, n_samples)``; L-BFGS always takes every row.
    max_epochs : int or 'auto', default='auto'
        Epochs of the final training; an L-BFGS epoch is one iteration. 'auto'
        is 1,000 with a validation split (which decides when to stop), else 200
        epochs or 500 optimiser steps, whichever is more.
    early_stopping : bool or 'auto', default='auto'
        Hold out ``validation_fraction`` in the final training, see
        :class:`~sklearn_rcloud.RandomCloudClassifier`.
        'auto' is True above 2,000 training rows, False below.
    validation_fraction : float, default=0.1
        Held-out share of the training data (AREA fitness; early stopping).
    n_iter_no_change : int or None, default=10
    tol : float, default=1e-4
    device : {'cpu', 'cuda', 'auto'}, default='cpu'
    random_state : int, RandomState instance or None, default=None
        Seeds the sampling, the weights, the mutations and the training.
    verbose : int, default=0
        0 is silent; 1 reports the search and every training epoch.

    Attributes
    ----------
    topology_ : Topology
        The selected (and trained) topology.
    initial_topology_ : Topology
        The largest topology of the search space (the reference for
        ``reduction_``).
    n_params_ : int
    reduction_ : float
        ``1 - n_params_ / initial_topology_.n_params``.
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
    net_ : skorch.NeuralNetClassifier
    module_ : torch.nn.Sequential
    n_iter_ : int
    history_ : dict of ndarray
        The training curve of the final training: ``epoch``, ``train_loss`` and, with
        ``early_stopping=True``, ``valid_loss`` and ``valid_acc``.
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    See Also
    --------
    RandomCloudClassifier : reduce random networks by forward passes instead
        of sampling topologies.

    Notes
    -----
    On MLPs the NASWOT kernel ``K_H`` has rank at most (hidden units + 1), so
    with fewer hidden units than the batch (128) it is singular; it is then
    scored as ``log det(K_H + 1e-6 I)`` and flagged in ``search_history_``
    (see :class:`~sklearn_rcloud.proxies.NASWOTScorer`). Such a score ranks
    first by the kernel's rank, which grows with the number of units.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> from sklearn_rcloud import NASWOTSearchClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> search = NASWOTSearchClassifier(n_samples=20, random_state=0)
    >>> clf = make_pipeline(MinMaxScaler(), search).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """

    _parameter_constraints: dict = {
        **{
            name: constraint
            for name, constraint in BaseNetworkClassifier._parameter_constraints.items()
            if name != "hidden_layer_sizes"
        },
        "depth_range": [tuple, list],
        "width_choices": ["array-like"],
        "strategy": [StrOptions({"sample", "area"})],
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "scorer": [StrOptions(set(SCORERS)), callable],
        "population_size": [Interval(Integral, 1, None, closed="left")],
        "n_cycles": [Interval(Integral, 0, None, closed="left")],
        "tournament_size": [Interval(Integral, 1, None, closed="left")],
        "fitness_epochs": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        depth_range=(1, 3),
        width_choices=(8, 16, 32, 64),
        strategy="sample",
        n_samples=100,
        scorer="naswot",
        population_size=10,
        n_cycles=30,
        tournament_size=3,
        fitness_epochs=20,
        activation="relu",
        init="kaiming",
        loss="cross_entropy",
        optimizer="auto",
        lr=1e-3,
        alpha=1.0,
        batch_size="auto",
        max_epochs="auto",
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.depth_range = depth_range
        self.width_choices = width_choices
        self.strategy = strategy
        self.n_samples = n_samples
        self.scorer = scorer
        self.population_size = population_size
        self.n_cycles = n_cycles
        self.tournament_size = tournament_size
        self.fitness_epochs = fitness_epochs
        self.activation = activation
        self.init = init
        self.loss = loss
        self.optimizer = optimizer
        self.lr = lr
        self.alpha = alpha
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Search the space, then train the selected topology.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; scale the features (e.g. ``MinMaxScaler`` in a
            ``Pipeline``).
        y : array-like of shape (n_samples,)
            Target labels, of any type.

        Returns
        -------
        self : NASWOTSearchClassifier
            The fitted estimator.
        """
        start = time.perf_counter()
        X, y = self._validate_fit_data(X, y)
        space = MLPSearchSpace(tuple(self.depth_range), tuple(self.width_choices))
        sample_seed, weight_seed, evolution_seed, train_seed = self._random_seeds(4)
        device = resolve_device(self.device)
        n_features, n_outputs = X.shape[1], len(self.classes_)
        self.initial_topology_ = Topology(
            n_features, space.largest, n_outputs, self.activation
        )

        rng = np.random.default_rng(sample_seed)
        sampled = [space.sample(rng) for _ in range(self.n_samples)]
        scores, singular = score_architectures(
            sampled,
            n_features,
            n_outputs,
            self.activation,
            self.init,
            weight_seed,
            get_scorer(self.scorer),
            torch.as_tensor(X, device=device),
            torch.as_tensor(y, device=device),
        )
        history = _SearchHistory(sampled, scores, singular)
        if not np.isfinite(scores).any():
            warnings.warn(
                f"No sampled topology got a finite {self.scorer!r} score; "
                "training the first one sampled.",
                UserWarning,
                stacklevel=2,
            )
        if self.strategy == "sample":
            selected = int(np.argmax(np.nan_to_num(scores, nan=-np.inf)))
            self.search_score_ = float(scores[selected])
        else:
            selected = self._evolve(space, history, X, y, weight_seed, evolution_seed)
            self.search_score_ = float(history.rows["fitness"][selected])
        self.search_history_ = history.as_dict(n_features, n_outputs, self.activation)
        self.selected_index_ = selected
        self.search_time_ = time.perf_counter() - start

        hidden = history.rows["hidden_layer_sizes"][selected]
        topology = Topology(n_features, hidden, n_outputs, self.activation)
        weights = initial_weights(
            topology, self.init, architecture_seed(weight_seed, hidden)
        )
        self._train(topology, weights, X, y, train_seed)
        self.reduction_ = 1.0 - self.n_params_ / self.initial_topology_.n_params
        self.fit_time_ = time.perf_counter() - start
        return self

    def _evolve(self, space, history, X, y, weight_seed, evolution_seed):
        """AREA: seed a population with the best-scoring samples, then evolve."""
        X_fit, X_valid, y_fit, y_valid = _validation_split(
            X, y, self.validation_fraction, evolution_seed
        )
        n_outputs = len(self.classes_)
        fitness_cache = {}

        def fitness(hidden):
            if hidden not in fitness_cache:
                topology = Topology(X.shape[1], hidden, n_outputs, self.activation)
                weights = initial_weights(
                    topology, self.init, architecture_seed(weight_seed, hidden)
                )
                net, _ = self._fit_module(
                    topology.to_module(weights),
                    X_fit,
                    y_fit,
                    evolution_seed,
                    max_epochs=self.fitness_epochs,
                    n_iter_no_change=None,
                    early_stopping=False,
                    verbose=0,
                )
                proba = predict_proba_module(net.module_, X_valid, self.loss)
                fitness_cache[hidden] = float(np.mean(proba.argmax(axis=1) == y_valid))
            return fitness_cache[hidden]

        def report(cycle, individual):
            if self.verbose:
                print(
                    f"[AREA] cycle {cycle}: {individual['hidden']} "
                    f"fitness {individual['fitness']:.4f}"
                )

        # The best-scoring distinct samples, best first then oldest first.
        order = np.argsort(
            -np.nan_to_num(history.rows["score"], nan=-np.inf), kind="stable"
        )
        seeds, seen = [], set()
        for row in order:
            hidden = history.rows["hidden_layer_sizes"][row]
            if hidden not in seen:
                seen.add(hidden)
                seeds.append(int(row))
            if len(seeds) == self.population_size:
                break
        evolved = regularized_evolution(
            [history.rows["hidden_layer_sizes"][row] for row in seeds],
            fitness,
            space.mutate,
            self.n_cycles,
            self.tournament_size,
            np.random.default_rng(evolution_seed),
            callback=report,
        )
        return history.add_evolution(seeds, evolved, fittest(evolved))


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
