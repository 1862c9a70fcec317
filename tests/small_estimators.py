"""The public estimators at small settings, shared by the test modules.

The checks run on these test the API, not the accuracy of the defaults (the
defaults have their own checks in ``test_common.py``).
"""

from sklearn_rcloud import (
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
)
from sklearn_rcloud.estimators import BaseNetworkClassifier, BaseNetworkRegressor

_SMALL_PRUNING = dict(
    hidden_layer_sizes=(8,),
    sparsity=0.5,
    pretrain_max_iter=30,
    max_iter=20,
    learning_rate_init=0.01,
)
SMALL_PARAMS = {
    RandomCloudClassifier: dict(
        n_networks=5, hidden_layer_sizes=(8,), max_iter=50, learning_rate_init=0.01
    ),
    DenseMLPClassifier: dict(
        hidden_layer_sizes=(8,), max_iter=50, learning_rate_init=0.01
    ),
    MagnitudePruningClassifier: _SMALL_PRUNING,
    NASWOTSearchClassifier: dict(
        n_candidates=5,
        width_choices=(4, 8),
        depth_range=(1, 2),
        max_iter=50,
        learning_rate_init=0.01,
    ),
    RandomPruningClassifier: _SMALL_PRUNING,
    RandomSearchSparseClassifier: dict(
        hidden_layer_sizes=(16,),
        sparsity=0.5,
        n_candidates=5,
        max_iter=100,
        learning_rate_init=0.01,
    ),
    RandomSparseClassifier: dict(
        hidden_layer_sizes=(16,), sparsity=0.5, max_iter=100, learning_rate_init=0.01
    ),
    SAEPEnsembleClassifier: dict(
        n_rounds=3, width=8, max_iter=50, learning_rate_init=0.01
    ),
}


#: The regressor twins at their classifiers' small settings.
SMALL_REGRESSOR_PARAMS = {
    DenseMLPRegressor: SMALL_PARAMS[DenseMLPClassifier],
    RandomCloudRegressor: SMALL_PARAMS[RandomCloudClassifier],
    MagnitudePruningRegressor: SMALL_PARAMS[MagnitudePruningClassifier],
    RandomPruningRegressor: SMALL_PARAMS[RandomPruningClassifier],
    NASWOTSearchRegressor: SMALL_PARAMS[NASWOTSearchClassifier],
    RandomSearchSparseRegressor: SMALL_PARAMS[RandomSearchSparseClassifier],
    RandomSparseRegressor: SMALL_PARAMS[RandomSparseClassifier],
    SAEPEnsembleRegressor: SMALL_PARAMS[SAEPEnsembleClassifier],
}


def make_small(estimator_class, **params):
    small = {**SMALL_PARAMS, **SMALL_REGRESSOR_PARAMS}[estimator_class]
    return estimator_class(**{**small, **params})


ESTIMATORS = [make_small(cls) for cls in SMALL_PARAMS]
ESTIMATOR_IDS = [type(est).__name__ for est in ESTIMATORS]
# Estimators that end with one trained network (``module_``, one ``topology_``);
# the ensemble's own attributes are tested in test_saep.py.
SINGLE_NETWORK = [est for est in ESTIMATORS if isinstance(est, BaseNetworkClassifier)]
SINGLE_NETWORK_IDS = [type(est).__name__ for est in SINGLE_NETWORK]
REGRESSORS = [make_small(cls) for cls in SMALL_REGRESSOR_PARAMS]
REGRESSOR_IDS = [type(est).__name__ for est in REGRESSORS]
SINGLE_NETWORK_REGRESSORS = [
    est for est in REGRESSORS if isinstance(est, BaseNetworkRegressor)
]
SINGLE_NETWORK_REGRESSOR_IDS = [type(est).__name__ for est in SINGLE_NETWORK_REGRESSORS]


def topologies(fitted):
    """Every network a fitted estimator holds: one, or an ensemble's members."""
    return getattr(fitted, "topologies_", None) or [fitted.topology_]
