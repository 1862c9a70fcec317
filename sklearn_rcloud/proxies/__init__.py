"""Training-free scores of untrained networks (zero-cost proxies).

Every scorer in the registry :data:`PROXIES` has the same faces:

* ``scorer(module, X, y) -> float`` on one ``torch.nn.Sequential`` of
  ``Linear`` and activation layers (higher is better);
* ``scorer.score_stack(stack, X, y) -> ndarray`` on a
  :class:`StackedNetworks`, every network of the stack in one batched pass
  (one backward pass for the gradient proxies);
* the forward scores (``train_accuracy``, ``readout``) also score every
  truncation of a cloud in one pass (``score_prefixes``), which is how
  :class:`~sklearn_rcloud.RandomCloudClassifier` searches fastest. The other
  scores are called once per candidate there.

A user-supplied scorer is any callable with the plain-module signature.

==================  ======  ======================================================
name                labels  score
==================  ======  ======================================================
``train_accuracy``  yes     training accuracy of the untrained network (Random
                            Cloud's)
``train_loss``      yes     minus the training cross-entropy of the untrained
                            network (random search over sparse sub-networks)
``readout``         yes     leave-one-out accuracy of a closed-form ridge output
                            layer on the random hidden features
``readout_train``   yes     the same read-out's training accuracy
``naswot``          no      log-determinant of the Hamming kernel of hidden-unit
                            codes (Mellor et al., 2021)
``synflow``         no      synaptic flow (data-free; Tanaka et al., 2020)
``snip``            yes     connection sensitivity ``sum |W dL/dW|``
``grad_norm``       yes     sum of the layers' gradient norms
``jacob_cov``       no      spread of the input Jacobians' correlation spectrum
                            (NASWOT's first version)
==================  ======  ======================================================
"""

from __future__ import annotations

import inspect
from functools import partial

import numpy as np

from .._weights import mean_one
from ._forward import ReadoutProxy, TrainAccuracyProxy, TrainLossProxy
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
from ._prefix import prefix_accuracy
from ._stack import StackedNetworks, select_batch

__all__ = [
    "PROXIES",
    "GradNormProxy",
    "JacobCovProxy",
    "NASWOTProxy",
    "ReadoutProxy",
    "SNIPProxy",
    "SingularKernelWarning",
    "StackedNetworks",
    "SynFlowProxy",
    "TrainAccuracyProxy",
    "TrainLossProxy",
    "evaluate_networks",
    "get_proxy",
    "score_networks",
    "grad_norm_score",
    "jacob_cov_score",
    "naswot_score",
    "prefix_accuracy",
    "proxy_name",
    "readout_score",
    "select_batch",
    "snip_score",
    "synflow_score",
    "train_accuracy_score",
    "weight_options",
]

train_accuracy_score = TrainAccuracyProxy()
readout_score = ReadoutProxy()

#: Scorer factories by name.
PROXIES = {
    "train_accuracy": TrainAccuracyProxy,
    "train_loss": TrainLossProxy,
    "readout": ReadoutProxy,
    "readout_train": partial(ReadoutProxy, leave_one_out=False),
    "naswot": NASWOTProxy,
    "synflow": SynFlowProxy,
    "snip": SNIPProxy,
    "grad_norm": GradNormProxy,
    "jacob_cov": JacobCovProxy,
}


def get_proxy(proxy, **options):
    """A proxy object from a registry name or a callable.

    Parameters
    ----------
    proxy : str or callable
        A name in :data:`PROXIES`, or ``callable(module, X, y) -> float``.
    **options
        Keyword arguments for a named proxy's constructor, each passed only
        to the proxies that take it: e.g. ``random_state`` (the batch the
        NASWOT and gradient proxies draw) and ``batch_size``. A callable is
        returned unchanged.

    Returns
    -------
    proxy
        A built-in proxy instance, or the callable unchanged.
    """
    if isinstance(proxy, str):
        if proxy not in PROXIES:
            raise ValueError(
                f"Unknown proxy {proxy!r}; choose one of {sorted(PROXIES)} "
                "or pass a callable(module, X, y) -> float."
            )
        factory = PROXIES[proxy]
        accepted = inspect.signature(factory).parameters
        return factory(**{k: v for k, v in options.items() if k in accepted})
    if callable(proxy):
        return proxy
    raise TypeError(f"proxy must be a string or a callable, got {type(proxy)}.")


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

    The forward scores (``train_accuracy``, ``train_loss``, ``readout``) are
    averages over the training rows and weigh them; the others (NASWOT's
    kernel, the gradient proxies, callables) see every row once.
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
    y : Tensor of shape (n_samples,) of class indices
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
