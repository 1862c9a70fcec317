"""Several estimators fitted on one dataset, their final networks trained together.

:func:`fit_together` fits each estimator as ``fit`` does, except that the
estimators which end their fit by training one network (the dense network,
the sparse networks, Random Cloud, NASWOT) leave that training to it: it
trains them as populations (:func:`~sklearn_rcloud.population.
train_population`), one per recipe, depth and dataset, and hands each
estimator its network as if it had trained it alone.
"""

from __future__ import annotations

import contextvars
import hashlib
import time
from dataclasses import dataclass

import numpy as np
import torch

from ..population import DEFAULT_MEMORY_BUDGET, member_net, train_population
from ..training import TrainingConfig

__all__ = ["fit_together"]

#: The trainings left to the :func:`fit_together` running in this context.
_PENDING = contextvars.ContextVar("sklearn_rcloud_pending_trainings", default=None)


@dataclass
class _PendingTraining:
    estimator: object
    topology: object
    weights: list
    X: object
    y: object
    seed: int
    sample_weight: object
    config: object

    def group_key(self):
        """Trainings with one key can share a population."""
        return (
            repr(self.config),
            self.topology.n_features,
            self.topology.n_outputs,
            len(self.topology.hidden_layer_sizes),
            self.topology.activation,
            _digest(self.X),
            _digest(self.y),
            _digest(self.sample_weight),
        )


def defer_training(estimator, topology, weights, X, y, seed, sample_weight):
    """Leave a training to the running :func:`fit_together`; False if none runs."""
    pending = _PENDING.get()
    if pending is None:
        return False
    config = TrainingConfig.from_estimator(estimator)
    pending.append(
        _PendingTraining(
            estimator, topology, weights, X, y, seed, sample_weight, config
        )
    )
    return True


def fit_together(
    estimators, X, y, sample_weight=None, *, memory_budget=DEFAULT_MEMORY_BUDGET
):
    """Fit several estimators on one dataset, training their networks together.

    Each estimator is fitted as its ``fit`` would fit it: its search, its
    seeds, its recipe. The estimators that end their fit by training one
    network (:class:`DenseMLPClassifier`, :class:`RandomSparseClassifier`,
    :class:`RandomSearchSparseClassifier`, :class:`RandomCloudClassifier`,
    :class:`NASWOTSearchClassifier`, also inside a ``Pipeline``) do not train it
    alone: the networks of one recipe, one depth and one training set are
    trained as one population, where each trains as it would alone, with
    its own shuffling, validation split and stopping rule. Many seeds of one
    estimator, or several sparsities of one parent, so cost about what their
    arithmetic costs rather than one dispatch-bound training each.

    A network trained in a population matches its solo training up to
    float32 rounding (the stacked products add in another order; measured
    within 1e-6 after 20 epochs, and the drift grows with the epochs), so a
    fit here may differ from the same estimator's ``fit`` in the last digits
    and, rarely, in its stopping epoch. Estimators that train several
    networks, or that are watched (``verbose``, callbacks), are fitted as
    usual. ``warm_start`` later continues with a fresh optimiser state.

    Parameters
    ----------
    estimators : list of estimators
        Unfitted or fitted; each is refitted. Any scikit-learn estimator may
        be in the list; the others are simply fitted.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    sample_weight : array-like of shape (n_samples,) or None, default=None
        Passed to every ``fit`` that is given one.
    memory_budget : int, default=256 MiB
        Bound on one population's working memory, in bytes
        (:func:`~sklearn_rcloud.population.train_population`).

    Returns
    -------
    estimators : list
        The same estimators, fitted. Each one's ``train_time_`` is its share
        of its population's training time.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_rcloud import DenseMLPClassifier, fit_together
    >>> X, y = load_iris(return_X_y=True)
    >>> seeds = [DenseMLPClassifier(random_state=s) for s in range(4)]
    >>> fitted = fit_together(seeds, X / X.max(axis=0), y)
    >>> len({round(model.score(X / X.max(axis=0), y), 2) >= 0.9 for model in fitted})
    1
    """
    estimators = list(estimators)
    pending = []
    token = _PENDING.set(pending)
    try:
        for estimator in estimators:
            if sample_weight is None:
                estimator.fit(X, y)
            else:
                estimator.fit(X, y, sample_weight=sample_weight)
    finally:
        _PENDING.reset(token)
    groups = {}
    for training in pending:
        groups.setdefault(training.group_key(), []).append(training)
    for group in groups.values():
        _train_group(group, memory_budget)
    return estimators


def _train_group(group, memory_budget):
    first = group[0]
    start = time.perf_counter()
    members = train_population(
        [(t.topology, t.weights) for t in group],
        first.X,
        first.y,
        first.config,
        [t.seed for t in group],
        first.sample_weight,
        memory_budget=memory_budget,
    )
    share = (time.perf_counter() - start) / len(group)
    for training, member in zip(group, members):
        net = member_net(
            member,
            training.X,
            training.y,
            training.config,
            training.seed,
            training.sample_weight,
        )
        estimator = training.estimator
        estimator._set_network(net, training.topology)
        estimator.train_time_ = share
        estimator.fit_time_ += share


def _digest(values):
    """A digest of an array's or tensor's contents (None for None)."""
    if values is None:
        return None
    if torch.is_tensor(values):
        values = values.detach().cpu().numpy()
    values = np.ascontiguousarray(values)
    return (values.dtype.str, values.shape, hashlib.blake2b(values.data).hexdigest())
