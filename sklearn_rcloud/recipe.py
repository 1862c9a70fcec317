"""The training recipe's parameters, declared once.

Every network estimator of the library takes these parameters, with
scikit-learn's ``MLPClassifier`` names and meanings wherever the concept is
the same; :class:`~sklearn_rcloud.engine.TrainingConfig` (what the training
engine reads) is made of the subset that drives training, and the estimators'
``__init__``, parameter constraints and docstrings are generated from the same
table (:mod:`sklearn_rcloud.estimators._parameters`).

A :class:`Parameter` holds everything said about one parameter: its name,
default, constraints (scikit-learn's declarative form) and documentation.
"""

from __future__ import annotations

import dataclasses
from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

from .activations import ACTIVATIONS
from .init import INITS

__all__ = [
    "LOSSES",
    "REGRESSION_LOSS",
    "REGRESSION_LOSSES",
    "SOLVERS",
    "TRAINING_PARAMETERS",
    "Parameter",
    "recipe_defaults",
]

#: The classifiers' losses, and the regressors'.
LOSSES = ("cross_entropy", "mse")
REGRESSION_LOSSES = ("squared_error",)
SOLVERS = ("lbfgs", "adam", "sgd")


@dataclasses.dataclass(frozen=True)
class Parameter:
    """One estimator parameter: name, default, constraints and documentation.

    Parameters
    ----------
    name : str
    default : object
        An immutable value (it is shared by every instance).
    constraints : tuple
        scikit-learn parameter constraints, as in ``_parameter_constraints``.
    kind : str
        The numpydoc type, e.g. ``"float"`` or ``"{'auto', 'lbfgs'}"``.
    doc : str
        The description, one paragraph (wrapped when rendered).
    trains : bool, default=False
        Whether the training engine reads it (a field of ``TrainingConfig``).
    """

    name: str
    default: object
    constraints: tuple
    kind: str
    doc: str
    trains: bool = False

    def replace(self, **changes):
        """A copy with some fields changed (e.g. another default or doc)."""
        return dataclasses.replace(self, **changes)


_PENALTY = (
    "L2 penalty on the weights: ``0.5 * alpha * ||W||^2 / n`` is added to "
    "the mean training loss, ``n`` the (weighted) number of training rows, "
    "as in MLPClassifier's full-batch objective; ``alpha=1`` is the MAP "
    "estimate under a standard normal prior on every weight."
)

#: The training parameters every network estimator takes, in signature order.
TRAINING_PARAMETERS = (
    Parameter(
        "activation",
        "relu",
        (StrOptions(set(ACTIVATIONS)),),
        "{'identity', 'logistic', 'tanh', 'relu'}",
        "Activation of the hidden layers, as in MLPClassifier; the output "
        "layer emits logits and ``loss`` applies the output non-linearity.",
    ),
    Parameter(
        "solver",
        "auto",
        (StrOptions({"auto", *SOLVERS}),),
        "{'auto', 'lbfgs', 'adam', 'sgd'}",
        "The optimiser. 'auto' is full-batch L-BFGS up to 2,000 training "
        "rows, where a quasi-Newton method converges in a few hundred cheap "
        "iterations, and Adam on mini-batches above (the user guide's "
        '"Training recipe" says why).',
        trains=True,
    ),
    Parameter(
        "alpha",
        1.0,
        (Interval(Real, 0, None, closed="left"),),
        "float",
        _PENALTY,
        trains=True,
    ),
    Parameter(
        "batch_size",
        "auto",
        (StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")),
        "int or 'auto'",
        "Rows per optimiser step of Adam and SGD; 'auto' is "
        "``min(200, n_samples)``. L-BFGS always takes every row.",
        trains=True,
    ),
    Parameter(
        "learning_rate_init",
        1e-3,
        (Interval(Real, 0, None, closed="neither"),),
        "float",
        "Step size of Adam and SGD; L-BFGS sets its steps by line search.",
        trains=True,
    ),
    Parameter(
        "max_iter",
        "auto",
        (Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})),
        "int or 'auto'",
        "Maximum training epochs (passes over the data) of Adam and SGD, "
        "iterations of L-BFGS, as in MLPClassifier. 'auto' is 1,000 with a "
        "validation split, which decides when to stop, else 200 epochs or 500 "
        "optimiser steps, whichever is more.",
        trains=True,
    ),
    Parameter(
        "shuffle",
        True,
        ("boolean",),
        "bool",
        "Whether to shuffle the rows before every epoch of Adam and SGD.",
        trains=True,
    ),
    Parameter(
        "tol",
        1e-4,
        (Interval(Real, 0, None, closed="left"),),
        "float",
        "Minimum improvement of the monitored loss (the validation loss with "
        "``early_stopping``, else the training loss) that resets the "
        "``n_iter_no_change`` count.",
        trains=True,
    ),
    Parameter(
        "momentum",
        0.9,
        (Interval(Real, 0, 1, closed="both"),),
        "float",
        "Momentum of SGD, in [0, 1].",
        trains=True,
    ),
    Parameter(
        "nesterovs_momentum",
        True,
        ("boolean",),
        "bool",
        "Whether SGD uses Nesterov's momentum (when ``momentum > 0``).",
        trains=True,
    ),
    Parameter(
        "early_stopping",
        "auto",
        ("boolean", StrOptions({"auto"})),
        "bool or 'auto'",
        "Hold out ``validation_fraction`` of the training data (stratified) "
        "and stop when the validation loss has not improved by ``tol`` for "
        "``n_iter_no_change`` epochs, restoring the best epoch's weights. "
        "When False, stop when the training loss stops improving. 'auto' is "
        "True above 2,000 training rows, False below.",
        trains=True,
    ),
    Parameter(
        "validation_fraction",
        0.1,
        (Interval(Real, 0, 1, closed="neither"),),
        "float",
        "Share of the training data held out when ``early_stopping`` is on.",
        trains=True,
    ),
    Parameter(
        "beta_1",
        0.9,
        (Interval(Real, 0, 1, closed="left"),),
        "float",
        "Adam's decay rate of the first moment estimates, in [0, 1).",
        trains=True,
    ),
    Parameter(
        "beta_2",
        0.999,
        (Interval(Real, 0, 1, closed="left"),),
        "float",
        "Adam's decay rate of the second moment estimates, in [0, 1).",
        trains=True,
    ),
    Parameter(
        "epsilon",
        1e-8,
        (Interval(Real, 0, None, closed="neither"),),
        "float",
        "Adam's term for numerical stability.",
        trains=True,
    ),
    Parameter(
        "n_iter_no_change",
        10,
        (Interval(Integral, 1, None, closed="left"), None),
        "int or None",
        "Epochs without an improvement of at least ``tol`` before training "
        "stops; None always trains ``max_iter`` epochs.",
        trains=True,
    ),
    Parameter(
        "class_weight",
        None,
        (dict, StrOptions({"balanced"}), None),
        "dict, 'balanced' or None",
        "Weights of the classes, multiplied into ``sample_weight``, as in "
        "LogisticRegression: a dict ``{class_label: weight}``; 'balanced' "
        "weighs every class by ``n_samples / (n_classes * np.bincount(y))``; "
        "None weighs every class one.",
    ),
    Parameter(
        "warm_start",
        False,
        ("boolean",),
        "bool",
        "When True, a call to ``fit`` continues training the network of the "
        "previous call (no new search), as MLPClassifier continues its own.",
    ),
    Parameter(
        "init",
        "kaiming",
        (StrOptions(set(INITS)),),
        "{'kaiming', 'uniform', 'glorot'}",
        "Initial weight distribution: 'kaiming' is He-uniform scaled to the "
        "activation; 'uniform' is the Random Cloud paper's U[-1, 1] for "
        "weights and biases; 'glorot' is MLPClassifier's rule.",
    ),
    Parameter(
        "loss",
        "cross_entropy",
        (StrOptions(set(LOSSES)),),
        "{'cross_entropy', 'mse'}",
        "'cross_entropy' on softmax outputs, as MLPClassifier; 'mse' is the "
        "Random Cloud paper's ``0.5 * ||sigmoid(out) - onehot(y)||^2``.",
        trains=True,
    ),
    Parameter(
        "device",
        "cpu",
        (StrOptions({"cpu", "cuda", "auto"}),),
        "{'cpu', 'cuda', 'auto'}",
        "Where networks are scored and trained; 'auto' uses CUDA when available.",
        trains=True,
    ),
    Parameter(
        "random_state",
        None,
        ("random_state",),
        "int, RandomState instance or None",
        "Seeds every random choice of ``fit`` (initial weights, search, "
        "shuffles, validation split); torch's global random state is never "
        "used. Pass an int for reproducible results across calls.",
    ),
    Parameter(
        "verbose",
        0,
        ("verbose",),
        "int",
        "0 is silent; 1 shows a progress bar over the search steps and the "
        "training epochs (on a terminal) and ends with one line naming the "
        "network chosen; 2 also prints skorch's table of every epoch.",
        trains=True,
    ),
)


#: The regressors' ``loss``, in place of the classifiers'.
REGRESSION_LOSS = Parameter(
    "loss",
    "squared_error",
    (StrOptions(set(REGRESSION_LOSSES)),),
    "{'squared_error'}",
    "'squared_error', as MLPRegressor: ``0.5 * (output - y)^2`` averaged "
    "over the rows and the outputs, on the target standardised inside ``fit``.",
    trains=True,
)


def recipe_defaults():
    """``{name: default}`` of the training parameters the engine reads."""
    return {p.name: p.default for p in TRAINING_PARAMETERS if p.trains}
