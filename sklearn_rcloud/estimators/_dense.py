"""The dense reference network: the full topology, trained once."""

from __future__ import annotations

import time
from numbers import Integral

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval

from ..engine import (
    TrainingConfig,
    continue_network,
    resolve_device,
    to_device,
    train_population,
    training_copy,
)
from ..init import init_weights, seeded_generator
from ..recipe import Parameter
from ._base import (
    BaseNetworkClassifier,
    BaseNetworkRegressor,
    check_hidden_layer_sizes,
)
from ._parameters import (
    HIDDEN_LAYER_SIZES,
    TRAINING_PARAMETERS,
    for_regression,
)
from ._transaction import transactional

__all__ = ["DenseMLPClassifier", "DenseMLPRegressor"]

_PARAMETERS = (
    HIDDEN_LAYER_SIZES,
    Parameter(
        "n_init",
        1,
        (Interval(Integral, 1, None, closed="left"),),
        "int",
        "Initialisations tried: ``n_init`` networks, each with its own "
        "initial weights, shuffles and validation split, are trained "
        "together as one population "
        "(:func:`~sklearn_rcloud.engine.train_population`), and the "
        "one with the best validation loss (the best training loss "
        "without ``early_stopping``) is trained again alone, so that the "
        "fitted network is exactly the one its seed gives. 1 trains one "
        "network. Not MLPClassifier's.",
    ),
    *TRAINING_PARAMETERS,
)
_ATTRIBUTE_DOCS = dict(
    topology="The trained topology.",
    initial_topology="The same as ``topology_``: no reduction happens "
    "(``reduction_`` is 0).",
)


class _DenseMLP:
    """The dense network's selection (none: the full topology) and its
    ``partial_fit``, shared by the classifier and the regressor."""

    def _fit(self, X, y, sample_weight, progress):
        # n_init networks train as one population.
        self._check_network_memory(
            X,
            ("hidden_layer_sizes", "n_init"),
            check_hidden_layer_sizes(self.hidden_layer_sizes),
            n_networks=self.n_init,
        )
        init_seed, train_seed = self._random_seeds(2)
        topology, weights = self._initial_network(X.shape[1], init_seed)
        if self.n_init > 1:
            # The population and the final training read one conversion.
            X, y = to_device(X, y, resolve_device(self.device))
            weights, train_seed = self._best_initialisation(
                topology, (weights, init_seed, train_seed), X, y, sample_weight
            )
        self._train(topology, weights, X, y, train_seed, sample_weight, progress)

    def _best_initialisation(self, topology, first, X, y, sample_weight):
        """``(weights, train_seed)`` of the best of ``n_init`` trained together.

        The first candidate is the network ``n_init=1`` trains; the others'
        seeds are drawn from its seed, so that the first stays the same.
        """
        weights, init_seed, train_seed = first
        rng = np.random.default_rng([init_seed, train_seed])
        seeds = [(init_seed, train_seed)] + [
            tuple(int(s) for s in rng.integers(np.iinfo(np.int32).max, size=2))
            for _ in range(self.n_init - 1)
        ]
        networks = [(topology, weights)] + [
            (topology, init_weights(topology, self.init, seeded_generator(s, "cpu")))
            for s, _ in seeds[1:]
        ]
        members = train_population(
            networks,
            X,
            y,
            TrainingConfig.from_estimator(self),
            [t for _, t in seeds],
            sample_weight,
        )
        self.init_scores_ = np.array([_init_score(m) for m in members])
        self.best_init_ = int(np.nanargmin(self.init_scores_))
        return networks[self.best_init_][1], seeds[self.best_init_][1]

    def _initial_network(self, n_features, seed):
        """The full topology and its initial weights; no reduction happens."""
        topology = self._full_topology(n_features)
        self.initial_topology_ = topology
        return topology, init_weights(
            topology, self.init, seeded_generator(seed, "cpu")
        )

    def _check_partial_fit_solver(self):
        if self.solver == "lbfgs":
            raise AttributeError(
                "partial_fit is only available for stochastic solvers: "
                f"solver={self.solver!r} is not one ('auto' takes Adam here)."
            )
        return True

    def _partial_fit(self, X, y, sample_weight, first_call):
        """One epoch over validated data: the first builds the network."""
        start = time.perf_counter()
        if first_call:
            self._first_partial_fit(X, y, sample_weight)
        else:
            # The fitted net stays as it is until this call succeeds.
            net = training_copy(self.net_)
            self.train_time_ = continue_network(net, X, y, sample_weight)
            # The net's history holds every call's epoch.
            self._set_network(net, self.topology_)
        self._finish_fit()
        self.fit_time_ = time.perf_counter() - start
        return self

    def _first_partial_fit(self, X, y, sample_weight):
        """Build the network and train it one epoch with the stochastic solver."""
        self._check_network_memory(
            X,
            ("hidden_layer_sizes",),
            check_hidden_layer_sizes(self.hidden_layer_sizes),
        )
        solver = "adam" if self.solver == "auto" else self.solver
        init_seed, train_seed = self._random_seeds(2)
        topology, weights = self._initial_network(X.shape[1], init_seed)
        net, self.train_time_ = self._fit_module(
            topology.to_module(weights),
            X,
            y,
            train_seed,
            sample_weight,
            solver=solver,
            max_iter=1,
            early_stopping=False,
            n_iter_no_change=None,
        )
        self._set_network(net, topology)


class DenseMLPClassifier(_DenseMLP, BaseNetworkClassifier):
    """A fully connected MLP trained once, with the library's training recipe.

    This is "full training" in every comparison of the library: the same
    initialisation schemes, loss, optimiser, batching and stopping rule as the
    network a search selects, applied to the whole topology.

    {parameters}

    {network_attributes}
    train_time_, fit_time_ : float
        Seconds in training and in the whole ``fit``.
    init_scores_ : ndarray of shape (n_init,)
        With ``n_init > 1``: each initialisation's score after training
        together, its best validation loss or, without a validation split,
        its last training loss (lower is better).
    best_init_ : int
        The initialisation that was kept (0 is the one ``n_init=1`` trains).
    {training_attributes}
    {data_attributes}

    See Also
    --------
    RandomCloudClassifier : search for a smaller network first.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_rcloud import DenseMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = DenseMLPClassifier(hidden_layer_sizes=(8,), random_state=0).fit(X, y)
    >>> clf.topology_
    Topology(4-8-3, relu, 67 params)
    """

    _parameters = _PARAMETERS
    _attribute_docs = _ATTRIBUTE_DOCS

    @available_if(_DenseMLP._check_partial_fit_solver)
    @transactional(keeps_fitted=lambda self: True)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the network with one epoch over the given data.

        As MLPClassifier's ``partial_fit``: the first call builds the network
        and needs ``classes``; every call trains one pass over ``X`` with the
        stochastic solver (Adam for ``solver='auto'``), keeping the
        optimiser's state between calls, without a validation split.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            Every class of the whole data; required on the first call only.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : DenseMLPClassifier
        """
        first_call = not hasattr(self, "net_")
        if first_call and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if (
            not first_call
            and classes is not None
            and not np.array_equal(np.unique(np.asarray(classes)), self.classes_)
        ):
            raise ValueError(
                f"classes={list(np.unique(classes))} differs from the classes of "
                f"the first call to partial_fit, {list(self.classes_)}."
            )
        X, y, sample_weight = self._validate_fit_data(
            X, y, sample_weight, reset=first_call, classes=classes
        )
        return self._partial_fit(X, y, sample_weight, first_call)


class DenseMLPRegressor(_DenseMLP, BaseNetworkRegressor):
    """A fully connected MLP regressor trained once, with the library's recipe.

    The regressor twin of :class:`DenseMLPClassifier`, with
    ``MLPRegressor``'s names: "full training" in every regression comparison
    of the library. The target is standardised inside ``fit`` (each output
    column centred and scaled by its training rows' mean and standard
    deviation) and predictions are mapped back, so a target in the thousands
    trains as one in units.

    {parameters}

    {network_attributes}
    train_time_, fit_time_ : float
        Seconds in training and in the whole ``fit``.
    init_scores_ : ndarray of shape (n_init,)
        With ``n_init > 1``: each initialisation's score after training
        together (lower is better).
    best_init_ : int
        The initialisation that was kept.
    {training_attributes}
    {data_attributes}

    See Also
    --------
    sklearn.neural_network.MLPRegressor : the same network, trained on the
        raw target.
    RandomCloudRegressor : search for a smaller network first.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_rcloud import DenseMLPRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = make_pipeline(StandardScaler(), DenseMLPRegressor(random_state=0))
    >>> reg.fit(X, y).score(X, y) > 0.5
    True
    """

    _parameters = for_regression(_PARAMETERS)
    _attribute_docs = _ATTRIBUTE_DOCS

    @available_if(_DenseMLP._check_partial_fit_solver)
    @transactional(keeps_fitted=lambda self: True)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the network with one epoch over the given data.

        As MLPRegressor's ``partial_fit``: every call trains one pass over
        ``X`` with the stochastic solver (Adam for ``solver='auto'``),
        keeping the optimiser's state between calls, without a validation
        split. The target's standardisation is learnt from the first call's
        rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : DenseMLPRegressor
        """
        first_call = not hasattr(self, "net_")
        X, y, sample_weight = self._validate_fit_data(
            X, y, sample_weight, reset=first_call
        )
        return self._partial_fit(X, y, sample_weight, first_call)


def _init_score(member):
    """An initialisation's score, lower is better: its best validation loss,
    else its last training loss (NaN, a diverged member, ranks last)."""
    if member.valid_loss is not None:
        score = member.valid_loss[member.best_epoch - 1]
    else:
        score = member.train_loss[-1]
    return float(score) if np.isfinite(score) else np.inf
