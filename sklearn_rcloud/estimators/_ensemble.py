"""Bases of the estimators that end with an ensemble of trained networks."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ..ensemble import mix
from ..outputs import ProbabilityMixture
from ._base import BaseClassifier, BaseRegressor

__all__ = ["BaseEnsembleClassifier", "BaseEnsembleRegressor", "PredictionMixture"]


class _Ensemble:
    """What every ensemble estimator shares, classifier or regressor: its
    members, their weights and the summary of a fit."""

    def _set_members(self, members, weights):
        """Record the fitted ``members`` and their mixture ``weights``."""
        self.estimators_ = list(members)
        self.weights_ = np.asarray(weights, dtype=float)
        self.topologies_ = [member.topology_ for member in self.estimators_]
        self.n_params_ = int(sum(t.n_params for t in self.topologies_))
        self.n_iter_ = max(member.n_iter_ for member in self.estimators_)

    def _summary(self):
        layouts = ", ".join(t.layout for t in self.topologies_)
        return (
            f"kept {len(self.estimators_)} members ({layouts}; "
            f"{self.n_params_:,} parameters); fit in {self.fit_time_:.2f} s"
        )

    def _export_module(self):
        """The mixture, as it predicts, for :mod:`sklearn_rcloud.export`."""
        return self.to_torch()


class BaseEnsembleClassifier(_Ensemble, BaseClassifier):
    """Base class of the classifiers whose model is a weighted mixture of networks.

    A subclass's :meth:`_fit` chooses the members (fitted estimators of this
    library) and their weights and records them with :meth:`_set_members`;
    this base predicts with the mixture of the members' probabilities and
    exports it. Shared with the single-network estimators: the validation,
    the sample weights, the callbacks and ``to_onnx``.

    Warning: this class should not be used directly. Use derived classes
    instead.
    """

    def _probabilities(self, X, log):
        n_classes = len(self.classes_)
        probas = [member_proba(member, X, n_classes) for member in self.estimators_]
        proba = mix(probas, self.weights_)
        if not log:
            return proba
        with np.errstate(divide="ignore"):
            return np.log(proba)

    def to_torch(self):
        """The ensemble as one plain ``torch.nn.Module``.

        It holds every member's network with its probabilities (copies, on
        the CPU, in evaluation mode) and the mixture weights. Input contract
        as for the members'
        :meth:`~sklearn_rcloud.DenseMLPClassifier.to_torch`: a float32 tensor
        of the features as ``fit`` received them. Unlike a single network it
        outputs *probabilities* (rows summing to one, columns in the order of
        ``classes_``), the mixture :meth:`predict_proba` returns.

        Returns
        -------
        module : torch.nn.Module
        """
        check_is_fitted(self)
        return ProbabilityMixture(
            [member._export_module() for member in self.estimators_],
            self.weights_,
            [
                np.asarray(member.classes_, dtype=np.int64)
                for member in self.estimators_
            ],
            len(self.classes_),
        ).eval()


class BaseEnsembleRegressor(_Ensemble, BaseRegressor):
    """Base class of the regressors whose model is a weighted mixture of networks.

    The regressor twin of :class:`BaseEnsembleClassifier`: a subclass's
    :meth:`_fit` records fitted regressors of this library and their weights
    with :meth:`_set_members`; the ensemble predicts the weighted mean of the
    members' predictions (each in the target's units) and exports it.

    Warning: this class should not be used directly. Use derived classes
    instead.
    """

    def _set_members(self, members, weights):
        super()._set_members(members, weights)
        self.n_outputs_ = len(self.target_mean_)

    def _outputs(self, X):
        predictions = [
            member_outputs(member, X, self.target_mean_, self.target_scale_)
            for member in self.estimators_
        ]
        return mix(predictions, self.weights_)

    def to_torch(self):
        """The ensemble as one plain ``torch.nn.Module``.

        It holds every member's network (copies, on the CPU, in evaluation
        mode, each predicting in the target's units as the members'
        :meth:`~sklearn_rcloud.DenseMLPRegressor.to_torch`) and the mixture
        weights, and outputs the weighted mean of their outputs: the
        predictions of :meth:`predict`, of shape ``(n_samples, n_outputs_)``
        (two-dimensional for one output too). Input contract as for the
        members': a float32 tensor of the features as ``fit`` received them.

        Returns
        -------
        module : torch.nn.Module
        """
        check_is_fitted(self)
        return PredictionMixture(
            [member._export_module() for member in self.estimators_],
            self.weights_,
        ).eval()


class PredictionMixture(nn.Module):
    """Regression networks' outputs mixed with fixed weights.

    Parameters
    ----------
    members : list of torch.nn.Module
        Each outputs predictions of shape ``(n_samples, n_outputs)``.
    weights : array-like of shape (n_members,)
        Non-negative; normalised to sum to one.
    """

    def __init__(self, members, weights):
        super().__init__()
        self.members = nn.ModuleList(members)
        weights = torch.as_tensor(np.asarray(weights, dtype=np.float32))
        self.register_buffer("weights", weights / weights.sum())

    def forward(self, X):
        mixed = None
        for index, member in enumerate(self.members):
            term = self.weights[index] * member(X)
            mixed = term if mixed is None else mixed + term
        return mixed


def member_proba(member, X, n_classes):
    """A member's probabilities over all ``n_classes`` (a member fitted on a
    split may have seen fewer classes; the missing ones get probability 0)."""
    proba = np.zeros((len(X), n_classes))
    proba[:, np.asarray(member.classes_, dtype=np.int64)] = member.predict_proba(X)
    return proba


def member_outputs(member, X, mean, scale):
    """A regression member's predictions, standardised by the ensemble's target
    scaling (``mean``, ``scale``), of shape ``(n_samples, n_outputs)``."""
    predictions = np.asarray(member.predict(X), dtype=np.float64)
    return (predictions.reshape(len(X), -1) - mean) / scale
