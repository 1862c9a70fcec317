"""An estimator's parameters from one table: ``__init__``, constraints, docs.

Each estimator lists its :class:`~sklearn_rcloud.recipe.Parameter` entries
(its own, then the shared training recipe's) once, as ``_parameters``, and
the base class turns the list into the three places scikit-learn looks for
them when the class is defined (``BaseClassifier.__init_subclass__``)::

    _parameter_constraints = constraints_of(_parameters)
    __init__ = init_from(_parameters)
    __doc__ = documented(__doc__, _parameters, **_attribute_docs)

The generated ``__init__`` is an ordinary keyword-only constructor (its
signature, which ``get_params``, ``clone`` and ``help`` read, lists every
parameter with its default) that stores the values unchanged.
"""

from __future__ import annotations

import inspect
import textwrap
from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

from .._docstrings import DATA_ATTRIBUTES, REGRESSION_DATA_ATTRIBUTES, fill
from ..proxies import PROXIES
from ..recipe import REGRESSION_LOSS, TRAINING_PARAMETERS, Parameter

__all__ = [
    "HIDDEN_LAYER_SIZES",
    "MLP_PARAMETERS_NOT_HERE",
    "MissingParametersMixin",
    "N_CANDIDATES",
    "PROXY",
    "SELECTION_TOLERANCE",
    "TRAINING_ATTRIBUTES",
    "TRAINING_PARAMETERS",
    "constraints_of",
    "documented",
    "for_regression",
    "init_from",
    "replaced",
    "without",
]

HIDDEN_LAYER_SIZES = Parameter(
    "hidden_layer_sizes",
    (100,),
    ("array-like", Interval(Integral, 1, None, closed="left")),
    "array-like of shape (n_layers,)",
    "Hidden widths of the full network, as in MLPClassifier.",
)

PROXY = Parameter(
    "proxy",
    "readout",
    (StrOptions(set(PROXIES)), callable),
    "str or callable",
    "Training-free score of a candidate network, higher is better: a name "
    "from :data:`sklearn_rcloud.proxies.PROXIES` or a callable "
    "``proxy(module, X, y) -> float`` that receives the candidate as a "
    "``torch.nn.Sequential`` with the float32 training data and class "
    "indices (slower: one call per candidate). The proxies that score a "
    "batch of rows (NASWOT, the gradient proxies) draw it from "
    "``random_state``. See :ref:`proxies`.",
)


N_CANDIDATES = Parameter(
    "n_candidates",
    100,
    (Interval(Integral, 1, None, closed="left"),),
    "int",
    "Candidate networks drawn and scored untrained.",
)


SELECTION_TOLERANCE = Parameter(
    "selection_tolerance",
    0.01,
    (Interval(Real, 0, None, closed="left"),),
    "float",
    "Score margin of ``selection='smallest'``: the smallest candidate "
    "scoring at least the best score minus this margin is selected.",
)


#: The fitted attributes of every single-network estimator, MLPClassifier's
#: among them; a line ``{training_attributes}`` in a docstring stands for them.
TRAINING_ATTRIBUTES = """\
net_ : skorch.NeuralNetClassifier
    The skorch net that trained the network (its ``history`` holds every
    epoch); skorch's own settings are reachable there.
module_ : torch.nn.Sequential
    The trained network; it outputs logits.
loss_curve_ : list of float
    Mean training loss of every epoch, the L2 penalty included, over all
    (warm-started) fits.
best_loss_ : float or None
    The smallest of ``loss_curve_``; None with a validation split, as in
    MLPClassifier.
validation_scores_ : list of float or None
    Validation accuracy (weighted by the sample weights) after every epoch
    when a validation split is held out, else None.
best_validation_score_ : float or None
    The largest of ``validation_scores_``.
n_iter_ : int
    Training epochs run (L-BFGS: iterations), the length of ``loss_curve_``.
t_ : int
    Training rows the solver went through.
coefs_ : list of ndarray
    Weight matrices of the trained network, ``coefs_[i]`` shaped
    ``(fan_in, fan_out)`` as in MLPClassifier (numpy copies). A two-class
    cross-entropy network's last layer is given as one logistic unit.
intercepts_ : list of ndarray
    Bias vectors, ``intercepts_[i]`` shaped ``(fan_out,)``.
n_layers_ : int
    Layers, input and output included.
n_outputs_ : int
    Output units of ``coefs_[-1]``.
out_activation_ : str
    'softmax', 'logistic' (two classes) or 'normalised_logistic'
    (``loss='mse'``: sigmoids normalised to sum to one).
history_ : dict of ndarray
    The training curve of the last fit: ``epoch``, ``train_loss`` and, with
    a validation split, ``valid_loss`` and ``valid_acc``
    (``pandas.DataFrame(history_)`` works)."""


#: The parameters of scikit-learn's ``MLPClassifier`` that an estimator of
#: this library may lack, each with why and what to use instead; passing one
#: (to the constructor or ``set_params``, e.g. from a grid written for
#: MLPClassifier) raises an error that says so.
MLP_PARAMETERS_NOT_HERE = {
    "learning_rate": (
        "in MLPClassifier it selects the step-size schedule of solver='sgd' "
        "('constant', 'invscaling', 'adaptive'); here the step size of SGD and "
        "Adam is constant. Tune 'learning_rate_init' instead (the user guide's "
        "training recipe says which solver and step size each data size gets)."
    ),
    "power_t": (
        "in MLPClassifier it is the exponent of learning_rate='invscaling'; "
        "here the step size is constant. Tune 'learning_rate_init' instead."
    ),
    "max_fun": (
        "in MLPClassifier it bounds L-BFGS's loss evaluations; here L-BFGS is "
        "bounded by its iterations only. Use 'max_iter'."
    ),
    "hidden_layer_sizes": (
        "it does not train one network of a given topology. "
        "NASWOTSearchClassifier searches topologies (set 'depth_range' and "
        "'width_choices'); SAEPEnsembleClassifier grows an ensemble of members "
        "(set 'candidate_search' or 'width')."
    ),
    "warm_start": "it grows its ensemble anew at every fit.",
}


def _missing_parameter_error(estimator, name, error=ValueError):
    """The error for ``name``, an MLPClassifier parameter ``estimator`` lacks."""
    cls = type(estimator).__name__
    reason = MLP_PARAMETERS_NOT_HERE[name]
    if getattr(estimator, "_task", "") == "regression":
        reason = reason.replace("MLPClassifier", "MLPRegressor")
        reason = reason.replace("Classifier", "Regressor")
    return error(f"{cls} has no parameter {name!r}: {reason}")


class MissingParametersMixin:
    """Say why, when a parameter of MLPClassifier that the estimator lacks is set.

    A grid written for ``MLPClassifier`` (e.g. with ``learning_rate``) would
    otherwise fail with scikit-learn's generic "Invalid parameter" error.
    ``set_params`` raises a ``ValueError`` naming the parameter, what it did
    in MLPClassifier and what to use here instead
    (:data:`MLP_PARAMETERS_NOT_HERE`); every other name behaves as
    :meth:`sklearn.base.BaseEstimator.set_params` does.
    """

    def set_params(self, **params):
        """Set the parameters of this estimator (see ``BaseEstimator.set_params``).

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance

        Raises
        ------
        ValueError
            For a parameter of ``MLPClassifier`` this estimator does not
            have, saying why and what to use instead; for any other unknown
            name, scikit-learn's own error.
        """
        if params:
            own = self.get_params(deep=False)
            for key in params:
                name = key.partition("__")[0]
                if name not in own and name in MLP_PARAMETERS_NOT_HERE:
                    raise _missing_parameter_error(self, name)
        return super().set_params(**params)


def without(parameters, *names):
    """``parameters`` less the entries named ``names``."""
    unknown = set(names) - {p.name for p in parameters}
    if unknown:
        raise ValueError(f"No parameters named {sorted(unknown)}.")
    return tuple(p for p in parameters if p.name not in names)


def replaced(parameters, name, **changes):
    """``parameters`` with the entry ``name`` changed (default, doc, ...)."""
    if name not in {p.name for p in parameters}:
        raise ValueError(f"No parameter named {name!r}.")
    return tuple(p.replace(**changes) if p.name == name else p for p in parameters)


def for_regression(parameters, **docs):
    """A classifier's parameters as its regressor twin declares them.

    The same table less ``class_weight``, with the regressors' ``loss``
    (:data:`~sklearn_rcloud.recipe.REGRESSION_LOSS`) and, for a ``proxy``,
    the names of the proxies that score a continuous target
    (:data:`~sklearn_rcloud.proxies.REGRESSION_PROXIES`). ``docs`` replace
    the documentation of the parameters they name.
    """
    twins = []
    for parameter in parameters:
        if parameter.name == "class_weight":
            continue
        if parameter.name == "loss":
            parameter = REGRESSION_LOSS
        elif parameter.name == "proxy":
            from ..proxies import REGRESSION_PROXIES

            parameter = parameter.replace(
                constraints=(StrOptions(set(REGRESSION_PROXIES)), callable)
            )
        if parameter.name in docs:
            parameter = parameter.replace(doc=docs[parameter.name])
        twins.append(parameter)
    return tuple(twins)


def constraints_of(parameters):
    """scikit-learn's ``_parameter_constraints`` of the table."""
    return {p.name: list(p.constraints) for p in parameters}


def init_from(parameters):
    """A keyword-only ``__init__`` storing every parameter of the table."""
    names = [p.name for p in parameters]
    if len(set(names)) != len(names):
        raise ValueError(f"Parameters declared twice in {names}.")
    signature = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [
            inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, default=p.default)
            for p in parameters
        ]
    )

    def __init__(self, **params):
        for name in params:
            if name not in names and name in MLP_PARAMETERS_NOT_HERE:
                raise _missing_parameter_error(self, name, TypeError)
        bound = signature.bind(self, **params)
        bound.apply_defaults()
        for name in names:
            setattr(self, name, bound.arguments[name])

    __init__.__signature__ = signature
    return __init__


#: :data:`TRAINING_ATTRIBUTES` as a regressor has them.
REGRESSION_TRAINING_ATTRIBUTES = (
    TRAINING_ATTRIBUTES.replace(
        "net_ : skorch.NeuralNetClassifier", "net_ : skorch.NeuralNetRegressor"
    )
    .replace(
        "    The trained network; it outputs logits.",
        "    The trained network; it outputs the standardised target.",
    )
    .replace(
        "    Mean training loss of every epoch, the L2 penalty included, over all\n"
        "    (warm-started) fits.",
        "    Mean training loss of every epoch (half the squared error on the\n"
        "    standardised target), the L2 penalty included, over all\n"
        "    (warm-started) fits.",
    )
    .replace(
        "    Validation accuracy (weighted by the sample weights) after every epoch",
        "    Validation R² (weighted by the sample weights) after every epoch",
    )
    .replace(
        "``(fan_in, fan_out)`` as in MLPClassifier (numpy copies). A two-class\n"
        "    cross-entropy network's last layer is given as one logistic unit.",
        "``(fan_in, fan_out)`` as in MLPRegressor (numpy copies), the target's\n"
        "    standardisation folded into the last layer: a forward pass through\n"
        "    them predicts.",
    )
    .replace(
        "    'softmax', 'logistic' (two classes) or 'normalised_logistic'\n"
        "    (``loss='mse'``: sigmoids normalised to sum to one).",
        "    'identity', as in MLPRegressor.",
    )
    .replace("``valid_loss`` and ``valid_acc``", "``valid_loss`` and ``valid_r2``")
)


def documented(docstring, parameters, task="classification", **network):
    """``docstring`` with its shared sections filled in (:func:`~.._docstrings.fill`).

    ``{parameters}`` becomes the numpydoc Parameters section of the table;
    ``{training_attributes}`` :data:`TRAINING_ATTRIBUTES`; ``{data_attributes}``
    :data:`~.._docstrings.DATA_ATTRIBUTES` (for ``task='regression'``,
    their regression versions); ``{network_attributes}`` the
    Attributes heading and the entries every network estimator shares
    (``topology_``, ``initial_topology_``, ``n_params_``, ``reduction_``),
    described by the keywords ``topology``, ``initial_topology`` and
    optionally ``n_params``.
    """
    entries = "\n".join(_entry(p) for p in parameters)
    sections = {"parameters": f"Parameters\n----------\n{entries}"}
    regression = task == "regression"
    for name, text in (
        (
            "training_attributes",
            REGRESSION_TRAINING_ATTRIBUTES if regression else TRAINING_ATTRIBUTES,
        ),
        (
            "data_attributes",
            REGRESSION_DATA_ATTRIBUTES if regression else DATA_ATTRIBUTES,
        ),
    ):
        if "{" + name + "}" in docstring:
            sections[name] = text
    if network:
        sections["network_attributes"] = _network_attributes(**network)
    return fill(docstring, **sections)


def _network_attributes(
    topology, initial_topology, n_params="Parameters of ``topology_``."
):
    entries = [
        ("topology_ : Topology", topology),
        ("initial_topology_ : Topology", initial_topology),
        ("n_params_ : int", n_params),
        ("reduction_ : float", "``1 - n_params_ / initial_topology_.n_params``."),
    ]
    lines = ["Attributes", "----------"]
    for header, text in entries:
        lines.append(header)
        lines.append(
            textwrap.fill(
                text, width=75, initial_indent="    ", subsequent_indent="    "
            )
        )
    return "\n".join(lines)


def _entry(parameter):
    header = f"{parameter.name} : {parameter.kind}, default={parameter.default!r}"
    body = textwrap.fill(
        parameter.doc,
        width=75,
        initial_indent="    ",
        subsequent_indent="    ",
        break_on_hyphens=False,
        break_long_words=False,
    )
    return f"{header}\n{body}"
