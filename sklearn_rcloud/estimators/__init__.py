"""scikit-learn estimators of the library."""

from ._base import (
    BaseClassifier,
    BaseNetworkClassifier,
    BaseNetworkRegressor,
    BaseRegressor,
)
from ._dense import DenseMLPClassifier, DenseMLPRegressor
from ._ensemble import BaseEnsembleClassifier, BaseEnsembleRegressor
from ._naswot import NASWOTSearchClassifier, NASWOTSearchRegressor
from ._pruning import (
    BasePruningClassifier,
    BasePruningRegressor,
    MagnitudePruningClassifier,
    MagnitudePruningRegressor,
    RandomPruningClassifier,
    RandomPruningRegressor,
)
from ._random_cloud import RandomCloudClassifier, RandomCloudRegressor
from ._saep import SAEPEnsembleClassifier, SAEPEnsembleRegressor
from ._sparse import (
    BaseSparseSubnetworkClassifier,
    BaseSparseSubnetworkRegressor,
    RandomSearchSparseClassifier,
    RandomSearchSparseRegressor,
    RandomSparseClassifier,
    RandomSparseRegressor,
)
from ._together import fit_together

__all__ = [
    "BaseClassifier",
    "BaseEnsembleClassifier",
    "BaseEnsembleRegressor",
    "BaseNetworkClassifier",
    "BaseNetworkRegressor",
    "BaseRegressor",
    "BasePruningClassifier",
    "BasePruningRegressor",
    "BaseSparseSubnetworkClassifier",
    "BaseSparseSubnetworkRegressor",
    "DenseMLPClassifier",
    "DenseMLPRegressor",
    "MagnitudePruningClassifier",
    "MagnitudePruningRegressor",
    "NASWOTSearchClassifier",
    "NASWOTSearchRegressor",
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
    "fit_together",
]
