"""The dense reference network: the full topology, trained once."""

from __future__ import annotations

import time

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._available_if import available_if

from ..init import init_weights, seeded_generator
from ..training import continue_network
from ._base import BaseNetworkClassifier
from ._parameters import (
    HIDDEN_LAYER_SIZES,
    TRAINING_PARAMETERS,
)

__all__ = ["DenseMLPClassifier"]


class DenseMLPClassifier(BaseNetworkClassifier):
    """A fully connected MLP trained once, with the library's training recipe.

    This is "full training" in every comparison of the library: the same
    initialisation schemes, loss, optimiser, batching and stopping rule as the
    network a search selects, applied to the whole topology.

    {parameters}

    {network_attributes}
    train_time_, fit_time_ : float
        Seconds in training and in the whole ``fit``.
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

    _parameters = (HIDDEN_LAYER_SIZES, *TRAINING_PARAMETERS)
    _attribute_docs = dict(
        topology="The trained topology.",
        initial_topology="The same as ``topology_``: no reduction happens "
        "(``reduction_`` is 0).",
    )

    def _fit(self, X, y, sample_weight, progress):
        init_seed, train_seed = self._random_seeds(2)
        topology, weights = self._initial_network(X.shape[1], init_seed)
        self._train(topology, weights, X, y, train_seed, sample_weight, progress)

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

    @available_if(_check_partial_fit_solver)
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
        start = time.perf_counter()
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
        solver = "adam" if self.solver == "auto" else self.solver
        if first_call:
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
        else:
            self.train_time_ = continue_network(self.net_, X, y, sample_weight)
            # The net's history holds every call's epoch.
            self._set_network(self.net_, self.topology_)
        self._finish_fit()
        self.fit_time_ = time.perf_counter() - start
        return self
