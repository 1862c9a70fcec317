"""Methods a study compares: how to build each one's estimator for one run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sklearn.base import BaseEstimator, clone, is_classifier, is_regressor
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neural_network import MLPClassifier, MLPRegressor

from ..estimators import (
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
)
from ..presets import PAPER_DATASETS, paper_params
from ..recipe import TRAINING_PARAMETERS
from ._data import TASKS

try:
    from ..estimators import SAEPEnsembleRegressor
except ImportError:  # not exported (yet): the module may still define it
    try:
        from ..estimators._saep import SAEPEnsembleRegressor
    except ImportError:
        SAEPEnsembleRegressor = None

TRAINING_PARAMETER_NAMES = tuple(p.name for p in TRAINING_PARAMETERS)

__all__ = [
    "BASELINE_METHOD_NAMES",
    "LIBRARY_METHOD_NAMES",
    "Method",
    "MethodContext",
    "PAPER_METHOD_NAMES",
    "SEARCH_METHOD_NAMES",
    "baseline_methods",
    "default_methods",
    "library_methods",
    "paper_methods",
]

#: The method whose found topology the pruning baselines prune to.
REFERENCE_METHOD = "random_cloud"
#: The method every cost is divided by: the full network trained once.
FULL_METHOD = "full"
#: The methods of the Random Cloud paper; ``--quick`` studies run only these.
PAPER_METHOD_NAMES = (FULL_METHOD, REFERENCE_METHOD, "magnitude", "random")
#: Topology searches without training (NASWOT) and with it (AREA).
SEARCH_METHOD_NAMES = ("naswot", "area")


@dataclass(frozen=True)
class MethodContext:
    """What a method may know when its estimator is built for one run.

    Attributes
    ----------
    dataset : str
    seed : int
        The run's initialisation seed.
    reference : dict or None
        For methods with ``needs_reference``: the reference method's result
        in the reference run (``hidden_layer_sizes``, ``n_params``,
        ``initial_n_params``).
    task : {'classification', 'regression'}, default='classification'
        The dataset's task: whether to build a classifier or a regressor.
    """

    dataset: str
    seed: int
    reference: dict | None = None
    task: str = "classification"


@dataclass(frozen=True)
class Method:
    """A named way to build an unfitted estimator for one run.

    Parameters
    ----------
    name : str
    make : callable
        ``make(context: MethodContext) -> estimator``: a classifier for a
        classification dataset, a regressor for a regression one
        (``context.task`` says which).
    needs_reference : bool, default=False
        Whether ``make`` needs the reference method's result (run after it).
    tasks : tuple of str or None, default=None
        The tasks ``make`` builds estimators for; a study refuses, before
        running anything, a dataset of another task. None leaves it
        undeclared: the estimator built for a run must then be a classifier
        for a classification dataset and a regressor for a regression one
        (where it says which it is).
    """

    name: str
    make: Callable[[MethodContext], BaseEstimator]
    needs_reference: bool = False
    tasks: tuple | None = None

    def __post_init__(self):
        if self.tasks is not None:
            tasks = (self.tasks,) if isinstance(self.tasks, str) else self.tasks
            object.__setattr__(self, "tasks", tuple(tasks))
            unknown = [t for t in self.tasks if t not in TASKS]
            if unknown:
                raise ValueError(
                    f"Method {self.name!r}: unknown tasks {unknown}; "
                    f"choose from {list(TASKS)}."
                )

    def fits(self, task):
        """Whether the method may run on a dataset of ``task``."""
        return self.tasks is None or task in self.tasks


def estimator_task(estimator):
    """'classification', 'regression', or None where the estimator does not say."""
    if is_classifier(estimator):
        return "classification"
    if is_regressor(estimator):
        return "regression"
    return None


def as_method(name, spec):
    """A :class:`Method` from a Method or any scikit-learn estimator.

    An estimator is cloned for every run, its ``random_state`` (if it has
    one) set to the run's seed; a classifier runs on classification
    datasets only, a regressor on regression datasets only.
    """
    if isinstance(spec, Method):
        return spec
    if not hasattr(spec, "fit") or not hasattr(spec, "get_params"):
        raise TypeError(
            f"Method {name!r} must be a Method or a scikit-learn estimator, "
            f"got {type(spec).__name__}."
        )

    def make(context):
        estimator = clone(spec)
        if "random_state" in estimator.get_params(deep=False):
            estimator.set_params(random_state=context.seed)
        return estimator

    task = estimator_task(spec)
    return Method(name, make, tasks=None if task is None else (task,))


def _twins(classifier, regressor, **params):
    """A ``make`` building ``classifier`` or ``regressor`` (by the run's task)
    with ``params`` and the run's seed."""

    def make(context):
        estimator_class = classifier if context.task == "classification" else regressor
        return estimator_class(random_state=context.seed, **params)

    return make


def _pruning_target(reference, hidden_layer_sizes):
    """Target parameters that prune the full network to the reference's size.

    Structured pruning cannot remove a whole layer, which the search can: then
    prune to the same number of parameters (unstructured) instead.
    """
    target = tuple(reference["hidden_layer_sizes"])
    if len(target) == len(hidden_layer_sizes) and all(target):
        return {"target_hidden_layer_sizes": target}
    return {
        "sparsity": 1.0 - reference["n_params"] / reference["initial_n_params"],
        "structured": False,
    }


def paper_methods():
    """Full training, Random Cloud, the pruning baselines, NASWOT and AREA.

    Every network uses the paper's recipe for its dataset (sigmoid units,
    U[-1, 1] initialisation, per-sample SGD with learning rate 0.1 on a
    squared error, E epochs): full training E epochs; Random Cloud
    :func:`~sklearn_rcloud.paper_params`; the baselines E epochs of training,
    pruning to the topology Random Cloud found, then E epochs of fine-tuning;
    NASWOT and AREA search depths 1 to the paper's depth and widths up to
    its widest layer (powers of two), train the found topology E epochs, and
    AREA trains 10 + 20 candidates for E / 10 epochs each.
    Defined for the datasets of :data:`~sklearn_rcloud.PAPER_DATASETS`.
    """

    def preset(context):
        if context.dataset not in PAPER_DATASETS:
            raise ValueError(
                f"The paper's methods have no setting for {context.dataset!r}; "
                f"they cover {sorted(PAPER_DATASETS)}. Use the 'cv' protocol "
                "with default_methods() for other datasets."
            )
        return paper_params(context.dataset, random_state=context.seed)

    def recipe(context):
        # The preset's training parameters (every method trains with them)
        # and its epochs; the rest of it is Random Cloud's search.
        params = preset(context)
        common = {
            name: params[name]
            for name in ("hidden_layer_sizes", *TRAINING_PARAMETER_NAMES)
            if name in params and name != "max_iter"
        }
        return common, params["max_iter"]

    def full(context):
        common, epochs = recipe(context)
        return DenseMLPClassifier(max_iter=epochs, **common)

    def pruning(estimator_class):
        def make(context):
            common, epochs = recipe(context)
            target = _pruning_target(context.reference, common["hidden_layer_sizes"])
            return estimator_class(
                pretrain_max_iter=epochs, max_iter=epochs, **common, **target
            )

        return make

    def search(strategy):
        def make(context):
            common, epochs = recipe(context)
            hidden = common.pop("hidden_layer_sizes")
            return NASWOTSearchClassifier(
                **_space_under(hidden),
                strategy=strategy,
                max_iter=epochs,
                **_area_budget(epochs),
                **common,
            )

        return make

    paper = ("classification",)  # the paper's settings are for its datasets
    return [
        Method(FULL_METHOD, full, tasks=paper),
        Method(
            REFERENCE_METHOD, lambda c: RandomCloudClassifier(**preset(c)), tasks=paper
        ),
        Method("magnitude", pruning(MagnitudePruningClassifier), True, paper),
        Method("random", pruning(RandomPruningClassifier), True, paper),
        Method("naswot", search("sample"), tasks=paper),
        Method("area", search("area"), tasks=paper),
    ]


def _space_under(hidden_layer_sizes):
    """A NASWOT search space whose largest topology is ``hidden_layer_sizes``.

    Depths 1 to its depth; widths the powers of two below its widest layer,
    and that width.
    """
    widest = max(hidden_layer_sizes)
    widths = {2**k for k in range(1, widest.bit_length()) if 2**k < widest}
    return {
        "depth_range": (1, len(hidden_layer_sizes)),
        "width_choices": tuple(sorted(widths | {widest})),
    }


def _area_budget(epochs):
    """AREA settings costing about three full trainings of ``epochs`` epochs.

    10 seeds plus 20 children, each trained for a tenth of the epochs.
    """
    return {"n_cycles": 20, "fitness_max_iter": max(1, epochs // 10)}


#: The methods of :func:`library_methods`: :func:`default_methods`' six,
#: then the sparse sub-network search, its random-mask baseline and SAEP.
LIBRARY_METHOD_NAMES = (
    *PAPER_METHOD_NAMES,
    *SEARCH_METHOD_NAMES,
    "sparse_search",
    "random_sparse",
    "saep",
)
#: scikit-learn's baselines (:func:`baseline_methods`).
BASELINE_METHOD_NAMES = ("sklearn_mlp", "linear", "hist_gradient_boosting")
_BOTH = TASKS


def default_methods(**random_cloud_params):
    """The same six methods with the library's default recipe, for both tasks.

    Every estimator keeps its defaults (one hidden layer of 100 ReLU units,
    the library's training recipe); the baselines prune the
    full network to the topology Random Cloud found in the same run; NASWOT
    and AREA search their default space (1 to 3 layers of 8 to 64 units).
    Each method builds the library's classifier on a classification dataset
    and its regressor twin (:class:`~sklearn_rcloud.DenseMLPRegressor`,
    :class:`~sklearn_rcloud.RandomCloudRegressor`, ...) on a regression one.

    Parameters
    ----------
    **random_cloud_params
        Parameters of :class:`~sklearn_rcloud.RandomCloudClassifier` (and of
        :class:`~sklearn_rcloud.RandomCloudRegressor`) that replace its
        defaults (``hidden_layer_sizes`` applies to every method).
    """
    hidden = random_cloud_params.get(
        "hidden_layer_sizes", RandomCloudClassifier().hidden_layer_sizes
    )

    def pruning(classifier, regressor):
        def make(context):
            target = _pruning_target(context.reference, hidden)
            return _twins(classifier, regressor, hidden_layer_sizes=hidden, **target)(
                context
            )

        return make

    return [
        Method(
            FULL_METHOD,
            _twins(DenseMLPClassifier, DenseMLPRegressor, hidden_layer_sizes=hidden),
            tasks=_BOTH,
        ),
        Method(
            REFERENCE_METHOD,
            _twins(RandomCloudClassifier, RandomCloudRegressor, **random_cloud_params),
            tasks=_BOTH,
        ),
        Method(
            "magnitude",
            pruning(MagnitudePruningClassifier, MagnitudePruningRegressor),
            True,
            _BOTH,
        ),
        Method(
            "random",
            pruning(RandomPruningClassifier, RandomPruningRegressor),
            True,
            _BOTH,
        ),
        Method(
            "naswot",
            _twins(NASWOTSearchClassifier, NASWOTSearchRegressor),
            tasks=_BOTH,
        ),
        Method(
            "area",
            _twins(NASWOTSearchClassifier, NASWOTSearchRegressor, strategy="area"),
            tasks=_BOTH,
        ),
    ]


def library_methods(**random_cloud_params):
    """Every method of the library: :func:`default_methods`, then three more.

    ``sparse_search`` (:class:`~sklearn_rcloud.RandomSearchSparseClassifier`:
    the best of many scored node masks of a dense parent), ``random_sparse``
    (:class:`~sklearn_rcloud.RandomSparseClassifier`: one random mask) and
    ``saep`` (:class:`~sklearn_rcloud.SAEPEnsembleClassifier`), each with its
    defaults and its regressor twin on regression datasets. ``saep`` covers
    regression only where the library has ``SAEPEnsembleRegressor``.

    Parameters
    ----------
    **random_cloud_params
        As :func:`default_methods`; an explicit ``hidden_layer_sizes`` is
        also the sparse methods' dense parent.
    """
    parent = {}
    if "hidden_layer_sizes" in random_cloud_params:
        parent["hidden_layer_sizes"] = random_cloud_params["hidden_layer_sizes"]
    saep_tasks = _BOTH if SAEPEnsembleRegressor is not None else ("classification",)
    return [
        *default_methods(**random_cloud_params),
        Method(
            "sparse_search",
            _twins(RandomSearchSparseClassifier, RandomSearchSparseRegressor, **parent),
            tasks=_BOTH,
        ),
        Method(
            "random_sparse",
            _twins(RandomSparseClassifier, RandomSparseRegressor, **parent),
            tasks=_BOTH,
        ),
        Method(
            "saep",
            _twins(SAEPEnsembleClassifier, SAEPEnsembleRegressor),
            tasks=saep_tasks,
        ),
    ]


def baseline_methods():
    """scikit-learn's estimators as baselines, for both tasks.

    ``sklearn_mlp`` (:class:`~sklearn.neural_network.MLPClassifier` /
    :class:`~sklearn.neural_network.MLPRegressor`), ``linear``
    (:class:`~sklearn.linear_model.LogisticRegression` with ``max_iter=1000``
    / :class:`~sklearn.linear_model.Ridge`) and ``hist_gradient_boosting``
    (:class:`~sklearn.ensemble.HistGradientBoostingClassifier` /
    :class:`~sklearn.ensemble.HistGradientBoostingRegressor`), with their
    defaults and the run's seed.
    """

    def linear(context):
        if context.task == "classification":
            return LogisticRegression(max_iter=1000, random_state=context.seed)
        return Ridge(random_state=context.seed)  # used by its sag solvers only

    return [
        Method("sklearn_mlp", _twins(MLPClassifier, MLPRegressor), tasks=_BOTH),
        Method("linear", linear, tasks=_BOTH),
        Method(
            "hist_gradient_boosting",
            _twins(HistGradientBoostingClassifier, HistGradientBoostingRegressor),
            tasks=_BOTH,
        ),
    ]
