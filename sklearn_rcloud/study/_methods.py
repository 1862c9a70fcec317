"""Methods a study compares: how to build each one's estimator for one run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sklearn.base import BaseEstimator, clone

from ..estimators import (
    DenseMLPClassifier,
    MagnitudePruningClassifier,
    NASWOTSearchClassifier,
    RandomCloudClassifier,
    RandomPruningClassifier,
)
from ..presets import PAPER_DATASETS, paper_params
from ..recipe import TRAINING_PARAMETERS

TRAINING_PARAMETER_NAMES = tuple(p.name for p in TRAINING_PARAMETERS)

__all__ = [
    "Method",
    "MethodContext",
    "PAPER_METHOD_NAMES",
    "SEARCH_METHOD_NAMES",
    "default_methods",
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
    """

    dataset: str
    seed: int
    reference: dict | None = None


@dataclass(frozen=True)
class Method:
    """A named way to build an unfitted classifier for one run.

    Parameters
    ----------
    name : str
    make : callable
        ``make(context: MethodContext) -> estimator``.
    needs_reference : bool, default=False
        Whether ``make`` needs the reference method's result (run after it).
    """

    name: str
    make: Callable[[MethodContext], BaseEstimator]
    needs_reference: bool = False


def as_method(name, spec):
    """A :class:`Method` from a Method or any scikit-learn classifier.

    A classifier is cloned for every run, its ``random_state`` (if it has one)
    set to the run's seed.
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

    return Method(name, make)


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

    return [
        Method(FULL_METHOD, full),
        Method(REFERENCE_METHOD, lambda c: RandomCloudClassifier(**preset(c))),
        Method("magnitude", pruning(MagnitudePruningClassifier), True),
        Method("random", pruning(RandomPruningClassifier), True),
        Method("naswot", search("sample")),
        Method("area", search("area")),
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


def default_methods(**random_cloud_params):
    """The same six methods with the library's default recipe.

    Every estimator keeps its defaults (one hidden layer of 100 ReLU units,
    the library's training recipe); the baselines prune the
    full network to the topology Random Cloud found in the same run; NASWOT
    and AREA search their default space (1 to 3 layers of 8 to 64 units).

    Parameters
    ----------
    **random_cloud_params
        Parameters of :class:`~sklearn_rcloud.RandomCloudClassifier` that
        replace its defaults (``hidden_layer_sizes`` applies to every method).
    """
    hidden = random_cloud_params.get(
        "hidden_layer_sizes", RandomCloudClassifier().hidden_layer_sizes
    )

    def pruning(estimator_class):
        def make(context):
            target = _pruning_target(context.reference, hidden)
            return estimator_class(
                hidden_layer_sizes=hidden, random_state=context.seed, **target
            )

        return make

    return [
        Method(
            FULL_METHOD,
            lambda c: DenseMLPClassifier(
                hidden_layer_sizes=hidden, random_state=c.seed
            ),
        ),
        Method(
            REFERENCE_METHOD,
            lambda c: RandomCloudClassifier(random_state=c.seed, **random_cloud_params),
        ),
        Method("magnitude", pruning(MagnitudePruningClassifier), True),
        Method("random", pruning(RandomPruningClassifier), True),
        Method("naswot", lambda c: NASWOTSearchClassifier(random_state=c.seed)),
        Method(
            "area",
            lambda c: NASWOTSearchClassifier(strategy="area", random_state=c.seed),
        ),
    ]
