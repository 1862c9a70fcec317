"""Find small feedforward networks for tabular data, scikit-learn style.

The estimators search for a small MLP with cheap, training-free scores and
train only the network they select. Networks are trained through skorch.
"""

from ._version import __version__
from .estimators import (
    DenseMLPClassifier,
    DenseMLPRegressor,
    MagnitudePruningClassifier,
    MagnitudePruningRegressor,
    NASWOTSearchClassifier,
    NASWOTSearchRegressor,
    RandomCloudClassifier,
    RandomCloudRegressor,
    RandomPruningClassifier,
    RandomPruningRegressor,
    RandomSearchSparseClassifier,
    RandomSearchSparseRegressor,
    RandomSparseClassifier,
    RandomSparseRegressor,
    SAEPEnsembleClassifier,
    SAEPEnsembleRegressor,
    fit_together,
)
from .presets import PAPER_DATASETS, paper_params
from .topology import Topology

__all__ = [
    "DenseMLPClassifier",
    "DenseMLPRegressor",
    "MagnitudePruningClassifier",
    "MagnitudePruningRegressor",
    "NASWOTSearchClassifier",
    "NASWOTSearchRegressor",
    "PAPER_DATASETS",
    "RandomCloudClassifier",
    "RandomCloudRegressor",
    "RandomPruningClassifier",
    "RandomPruningRegressor",
    "RandomSearchSparseClassifier",
    "RandomSearchSparseRegressor",
    "RandomSparseClassifier",
    "RandomSparseRegressor",
    "SAEPEnsembleClassifier",
    "SAEPEnsembleRegressor",
    "Topology",
    "__version__",
    "fit_together",
    "paper_params",
]
