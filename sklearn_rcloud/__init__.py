"""Find small feedforward networks for tabular classification, scikit-learn style.

The estimators search for a small MLP with cheap, training-free scores and
train only the network they select. Networks are trained through skorch.
"""

from ._version import __version__
from .estimators import (
    DenseMLPClassifier,
    MagnitudePruningClassifier,
    NASWOTSearchClassifier,
    RandomCloudClassifier,
    RandomPruningClassifier,
    RandomSearchSparseClassifier,
    RandomSparseClassifier,
    SAEPEnsembleClassifier,
    fit_together,
)
from .presets import PAPER_DATASETS, paper_params
from .topology import Topology

__all__ = [
    "DenseMLPClassifier",
    "MagnitudePruningClassifier",
    "NASWOTSearchClassifier",
    "PAPER_DATASETS",
    "RandomCloudClassifier",
    "RandomPruningClassifier",
    "RandomSearchSparseClassifier",
    "RandomSparseClassifier",
    "SAEPEnsembleClassifier",
    "Topology",
    "__version__",
    "fit_together",
    "paper_params",
]
