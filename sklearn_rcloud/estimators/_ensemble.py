"""Base of the classifiers that end with an ensemble of trained networks."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..ensemble import mix
from ..outputs import ProbabilityMixture
from ._base import BaseClassifier

__all__ = ["BaseEnsembleClassifier"]


class BaseEnsembleClassifier(BaseClassifier):
    """Base class of the classifiers whose model is a weighted mixture of networks.

    A subclass's :meth:`_fit` chooses the members (fitted estimators of this
    library) and their weights and records them with :meth:`_set_members`;
    this base predicts with the mixture of the members' probabilities and
    exports it. Shared with the single-network estimators: the validation,
    the sample weights, the callbacks and ``to_onnx``.

    Warning: this class should not be used directly. Use derived classes
    instead.
    """

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

    def _export_module(self):
        """The mixture, already probabilities, for :mod:`sklearn_rcloud.export`."""
        return self.to_torch()


def member_proba(member, X, n_classes):
    """A member's probabilities over all ``n_classes`` (a member fitted on a
    split may have seen fewer classes; the missing ones get probability 0)."""
    proba = np.zeros((len(X), n_classes))
    proba[:, np.asarray(member.classes_, dtype=np.int64)] = member.predict_proba(X)
    return proba
