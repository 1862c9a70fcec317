"""Training-free scores of untrained networks (zero-cost proxies).

Every scorer in the registries :data:`PROXIES` (classification) and
:data:`REGRESSION_PROXIES` has the same faces:

* ``scorer(module, X, y) -> float`` on one ``torch.nn.Sequential`` of
  ``Linear`` and activation layers (higher is better);
* ``scorer.score_stack(stack, X, y) -> ndarray`` on a
  :class:`StackedNetworks`, every network of the stack in one batched pass
  (one backward pass for the gradient proxies);
* the forward scores (``train_accuracy``, ``readout``; for regression also
  ``train_r2`` and ``train_loss``) also score every truncation of a cloud in
  one pass (``score_prefixes``), which is how
  :class:`~sklearn_rcloud.RandomCloudClassifier` searches fastest. The other
  scores are called once per candidate there.

For classification ``y`` holds class indices. For regression it is a float
target of shape ``(n_samples, n_outputs)`` (1-D: one output), standardised by
the estimator, that the network's identity output layer predicts;
``get_proxy(name, task="regression")`` builds the regression scorer of a
name. A user-supplied scorer is any callable with the plain-module signature.

==================  ======  ==============  =======================================
name                labels  task            score
==================  ======  ==============  =======================================
``train_accuracy``  yes     classification  training accuracy of the untrained
                                            network (Random Cloud's)
``train_r2``        yes     regression      training R² of the untrained network
                                            (Random Cloud's accuracy, for
                                            regression)
``train_loss``      yes     both            minus the training cross-entropy
                                            (classification) or half the mean
                                            squared error (regression) of the
                                            untrained network (random search
                                            over sparse sub-networks)
``readout``         yes     both            leave-one-out accuracy
                                            (classification) or R² (regression)
                                            of a closed-form ridge output layer
                                            on the random hidden features
``readout_train``   yes     both            the same read-out's training
                                            accuracy or R²
``naswot``          no      both            log-determinant of the Hamming kernel
                                            of hidden-unit codes (Mellor et al.,
                                            2021)
``synflow``         no      both            synaptic flow (data-free; Tanaka et
                                            al., 2020)
``snip``            yes     both            connection sensitivity
                                            ``sum |W dL/dW|``, ``L`` the
                                            cross-entropy or the squared error
``grad_norm``       yes     both            sum of the layers' gradient norms of
                                            the same loss
``jacob_cov``       no      both            spread of the input Jacobians'
                                            correlation spectrum (NASWOT's first
                                            version)
==================  ======  ==============  =======================================

R² is ``sklearn.metrics.r2_score``'s (uniform average over outputs, weighted
by ``sample_weight``); a constant target column scores 1 if predicted exactly
and 0 otherwise, and overflowing activations score ``-inf``.
"""

from __future__ import annotations

import inspect
from functools import partial

import numpy as np

from .._weights import mean_one
from ._forward import (
    ReadoutProxy,
    RegressionReadoutProxy,
    TrainAccuracyProxy,
    TrainLossProxy,
    TrainR2Proxy,
    TrainSquaredErrorProxy,
)
from ._gradient import (
    GradNormProxy,
    JacobCovProxy,
    SNIPProxy,
    SynFlowProxy,
    grad_norm_score,
    jacob_cov_score,
    snip_score,
    synflow_score,
)
from ._naswot import NASWOTProxy, SingularKernelWarning, naswot_score
from ._prefix import (
    prefix_accuracy,
    prefix_r2,
    prefix_squared_errors,
    r2_from_squared_errors,
    total_sum_of_squares,
)
from ._stack import TASKS, StackedNetworks, check_task, select_batch

__all__ = [
    "PROXIES",
    "PROXIES_BY_TASK",
    "REGRESSION_PROXIES",
    "TASKS",
    "GradNormProxy",
    "JacobCovProxy",
    "NASWOTProxy",
    "ReadoutProxy",
    "RegressionReadoutProxy",
    "SNIPProxy",
    "SingularKernelWarning",
    "StackedNetworks",
    "SynFlowProxy",
    "TrainAccuracyProxy",
    "TrainLossProxy",
    "TrainR2Proxy",
    "TrainSquaredErrorProxy",
    "evaluate_networks",
    "get_proxy",
    "score_networks",
    "grad_norm_score",
    "jacob_cov_score",
    "naswot_score",
    "prefix_accuracy",
    "prefix_r2",
    "prefix_squared_errors",
    "proxy_name",
    "r2_from_squared_errors",
    "readout_score",
    "select_batch",
    "snip_score",
    "synflow_score",
    "total_sum_of_squares",
    "train_accuracy_score",
    "weight_options",
]

train_accuracy_score = TrainAccuracyProxy()
readout_score = ReadoutProxy()

#: Scorer factories by task, then by name: the one table :func:`get_proxy`
#: reads. A name absent from a task's table does not apply to that task.
PROXIES_BY_TASK = {
    "classification": {
        "train_accuracy": TrainAccuracyProxy,
        "train_loss": TrainLossProxy,
        "readout": ReadoutProxy,
        "readout_train": partial(ReadoutProxy, leave_one_out=False),
        "naswot": NASWOTProxy,
        "synflow": SynFlowProxy,
        "snip": SNIPProxy,
        "grad_norm": GradNormProxy,
        "jacob_cov": JacobCovProxy,
    },
    "regression": {
        "train_r2": TrainR2Proxy,
        "train_loss": TrainSquaredErrorProxy,
        "readout": RegressionReadoutProxy,
        "readout_train": partial(RegressionReadoutProxy, leave_one_out=False),
        "naswot": NASWOTProxy,
        "synflow": SynFlowProxy,
        "snip": partial(SNIPProxy, task="regression"),
        "grad_norm": partial(GradNormProxy, task="regression"),
        "jacob_cov": JacobCovProxy,
    },
}

#: Scorer factories by name, for classification (the default task).
PROXIES = PROXIES_BY_TASK["classification"]

#: Scorer factories by name, for regression.
REGRESSION_PROXIES = PROXIES_BY_TASK["regression"]

# What to use instead of a name that does not apply to a task.
_COUNTERPARTS = {"train_accuracy": "train_r2", "train_r2": "train_accuracy"}


def get_proxy(proxy, task="classification", **options):
    """A proxy object from a registry name or a callable.

    Parameters
    ----------
    proxy : str or callable
        A name in the ``task``'s registry (:data:`PROXIES` for
        classification, :data:`REGRESSION_PROXIES` for regression), or
        ``callable(module, X, y) -> float``.
    task : {'classification', 'regression'}, default='classification'
        What ``y`` holds: class indices, or continuous targets of shape
        ``(n_samples, n_outputs)`` that the network's identity output layer
        predicts. It picks the scorer a name stands for
        (:data:`PROXIES_BY_TASK`): e.g. ``'readout'`` is a leave-one-out
        accuracy for classification and a leave-one-out R² for regression.
    **options
        Keyword arguments for a named proxy's constructor, each passed only
        to the proxies that take it: e.g. ``random_state`` (the batch the
        NASWOT and gradient proxies draw) and ``batch_size``. A callable is
        returned unchanged.

    Returns
    -------
    proxy
        A built-in proxy instance, or the callable unchanged (whatever the
        task).

    Raises
    ------
    ValueError
        For an unknown ``task`` or name, or a name that does not apply to
        ``task`` (``'train_accuracy'`` for regression, ``'train_r2'`` for
        classification).

    Examples
    --------
    >>> from sklearn_rcloud.proxies import get_proxy
    >>> get_proxy("readout", task="regression")
    RegressionReadoutProxy(alpha=0.001, leave_one_out=True)
    >>> get_proxy("snip", task="regression", random_state=3)
    SNIPProxy(batch_size=128, random_state=3, task='regression')
    """
    check_task(task)
    if isinstance(proxy, str):
        table = PROXIES_BY_TASK[task]
        if proxy not in table:
            _refuse(proxy, task, table)
        factory = table[proxy]
        accepted = inspect.signature(factory).parameters
        return factory(**{k: v for k, v in options.items() if k in accepted})
    if callable(proxy):
        return proxy
    raise TypeError(f"proxy must be a string or a callable, got {type(proxy)}.")


def _refuse(proxy, task, table):
    """The ``ValueError`` for a name ``task``'s registry ``table`` lacks."""
    others = [other for other in TASKS if proxy in PROXIES_BY_TASK[other]]
    if others:
        instead = _COUNTERPARTS.get(proxy)
        hint = f"; use {instead!r} instead" if instead in table else ""
        raise ValueError(
            f"The proxy {proxy!r} scores {' and '.join(others)} only, not {task}{hint}."
        )
    raise ValueError(
        f"Unknown proxy {proxy!r}; choose one of {sorted(table)} "
        "or pass a callable(module, X, y) -> float."
    )


def proxy_name(proxy):
    """How messages name a proxy: ``'readout'``, or ``callable my_score``.

    Parameters
    ----------
    proxy : str, proxy object or callable

    Returns
    -------
    name : str

    Examples
    --------
    >>> from sklearn_rcloud.proxies import proxy_name
    >>> def my_score(module, X, y):
    ...     return 0.0
    >>> proxy_name("readout"), proxy_name(my_score)
    ("'readout'", 'callable my_score')
    """
    if isinstance(proxy, str):
        return repr(proxy)
    name = getattr(proxy, "name", None)
    if isinstance(name, str):
        return repr(name)
    name = getattr(proxy, "__qualname__", None) or getattr(proxy, "__name__", None)
    return f"callable {name}" if name else f"callable {proxy!r}"


def weight_options(proxy, sample_weight):
    """``{"sample_weight": w}`` for a proxy that averages over rows, else ``{}``.

    The forward scores (``train_accuracy``, ``train_r2``, ``train_loss``,
    ``readout``) are averages over the training rows and weigh them; the
    others (NASWOT's kernel, the gradient proxies, callables) see every row
    once.
    """
    if sample_weight is None or not getattr(proxy, "supports_sample_weight", False):
        return {}
    # Scaled as the engine scales them (in float64, before any float32
    # cast): an average weighs rows the same whatever their scale.
    return {"sample_weight": mean_one(sample_weight)}


def score_networks(scorer, stack, X, y, sample_weight=None):
    """Scores of every network of ``stack``, batched when the scorer can.

    Parameters
    ----------
    scorer : proxy object or callable(module, X, y)
    stack : StackedNetworks
    X : Tensor of shape (n_samples, n_features)
    y : Tensor of shape (n_samples,) of class indices, or of shape \
            (n_samples, n_outputs) of float targets for a regression scorer
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Used by the proxies that average over rows (:func:`weight_options`).

    Returns
    -------
    scores : ndarray of shape (n_networks,), float64
    """
    options = weight_options(scorer, sample_weight)
    if hasattr(scorer, "score_stack"):
        return np.asarray(scorer.score_stack(stack, X, y, **options), dtype=np.float64)
    return np.array([_call(scorer, module, X, y) for module in stack.to_modules()])


def _call(proxy, module, X, y):
    """A callable proxy's score of ``module`` as a float, or a clear error."""
    score = proxy(module, X, y)
    try:
        return float(score)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"The proxy {proxy_name(proxy)} returned {score!r}; a proxy must "
            "return one float (higher is better)."
        ) from error


def evaluate_networks(scorer, stack, X, y, sample_weight=None):
    """Scores of every network of ``stack`` and whether each was flagged.

    Returns
    -------
    scores : ndarray of shape (n_networks,), float64
    singular : ndarray of bool, shape (n_networks,)
        Whether the scorer regularised a singular kernel (NASWOT); all False
        for scorers that flag nothing.
    """
    if hasattr(scorer, "evaluate"):
        scores, singular = scorer.evaluate(stack, X)
        return np.asarray(scores, dtype=np.float64), np.asarray(singular, dtype=bool)
    scores = score_networks(scorer, stack, X, y, sample_weight)
    return scores, np.zeros(stack.n_networks, bool)
