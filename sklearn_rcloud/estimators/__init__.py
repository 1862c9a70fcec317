"""scikit-learn estimators of the library."""

from ._base import BaseNetworkClassifier
from ._dense import DenseMLPClassifier
from ._naswot import NASWOTSearchClassifier
from ._pruning import (
    BasePruningClassifier,
    MagnitudePruningClassifier,
    RandomPruningClassifier,
)
from ._random_cloud import RandomCloudClassifier

__all__ = [
    "BaseNetworkClassifier",
    "BasePruningClassifier",
    "DenseMLPClassifier",
    "MagnitudePruningClassifier",
    "NASWOTSearchClassifier",
    "RandomCloudClassifier",
    "RandomPruningClassifier",
]
