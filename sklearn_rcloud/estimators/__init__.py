"""scikit-learn estimators of the library."""

from ._base import BaseClassifier, BaseNetworkClassifier
from ._dense import DenseMLPClassifier
from ._ensemble import BaseEnsembleClassifier
from ._naswot import NASWOTSearchClassifier
from ._pruning import (
    BasePruningClassifier,
    MagnitudePruningClassifier,
    RandomPruningClassifier,
)
from ._random_cloud import RandomCloudClassifier
from ._saep import SAEPEnsembleClassifier
from ._sparse import (
    BaseSparseSubnetworkClassifier,
    RandomSearchSparseClassifier,
    RandomSparseClassifier,
)
from ._together import fit_together

__all__ = [
    "BaseClassifier",
    "BaseEnsembleClassifier",
    "BaseNetworkClassifier",
    "BasePruningClassifier",
    "BaseSparseSubnetworkClassifier",
    "DenseMLPClassifier",
    "MagnitudePruningClassifier",
    "NASWOTSearchClassifier",
    "RandomCloudClassifier",
    "RandomPruningClassifier",
    "RandomSearchSparseClassifier",
    "RandomSparseClassifier",
    "SAEPEnsembleClassifier",
    "fit_together",
]
