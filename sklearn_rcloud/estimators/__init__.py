"""scikit-learn estimators of the library."""

from ._base import BaseNetworkClassifier
from ._dense import DenseMLPClassifier
from ._random_cloud import RandomCloudClassifier

__all__ = ["BaseNetworkClassifier", "DenseMLPClassifier", "RandomCloudClassifier"]
