"""From a network's outputs to its predictions, in one place.

The networks of the library output logits; their loss says what the
probabilities are: the softmax for cross-entropy, the sigmoids normalised to
sum to one for the paper's squared error. A regression network's outputs
(``loss='squared_error'``) are its predictions as they are. Training (skorch's
``predict_nonlinearity``), prediction, export and the ensemble's mixture all
call these functions and modules.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import special
from torch import nn

from ._tensors import as_tensor
from .activations import activation_of
from .topology import n_outputs

__all__ = [
    "ProbabilityMixture",
    "ProbabilityNetwork",
    "logits_to_proba",
    "normalised_sigmoid",
    "predict_module",
    "predict_proba_module",
]


def normalised_sigmoid(logits):
    """Sigmoids of the logits, normalised to sum to one over the classes."""
    probabilities = torch.sigmoid(logits)
    return probabilities / probabilities.sum(dim=1, keepdim=True)


def logits_to_proba(logits, loss="cross_entropy"):
    """Class probabilities from a network's logits, as the loss defines them.

    Parameters
    ----------
    logits : torch.Tensor of shape (n_samples, n_classes)
    loss : {'cross_entropy', 'mse'}
        ``'cross_entropy'``: softmax; ``'mse'``: sigmoids normalised to sum to one.

    Returns
    -------
    probabilities : torch.Tensor of shape (n_samples, n_classes)
    """
    if loss == "mse":
        return normalised_sigmoid(logits)
    if loss == "squared_error":
        return logits
    return torch.softmax(logits, dim=1)


def predict_proba_module(module, X, loss="cross_entropy", batch_size=4096, log=False):
    """Class probabilities of a plain module, evaluated in float64 on the CPU.

    Evaluating in float64 makes every row's output independent of how rows are
    batched, so predictions on a subset equal the same rows of a full call.
    A ``Sequential`` of ``Linear`` layers and the library's activations
    (:data:`~sklearn_rcloud.activations.ACTIVATIONS`) is evaluated with NumPy
    on its weights as they are now (read without a copy), as scikit-learn's
    ``MLPClassifier`` evaluates its own: a one-row prediction then costs
    microseconds, not a round of torch dispatch; any other module is evaluated
    by torch.

    Parameters
    ----------
    module : torch.nn.Sequential
    X : ndarray of shape (n_samples, n_features)
    loss : {'cross_entropy', 'mse'}
        ``'cross_entropy'``: softmax of the logits; ``'mse'``: sigmoid outputs
        normalised to sum to one.
    batch_size : int, default=4096
    log : bool, default=False
        Return the logarithm of the probabilities, computed without taking
        the log of a rounded probability (``log_softmax`` for cross-entropy).

    Returns
    -------
    probabilities : ndarray of shape (n_samples, n_outputs), float64
    """
    layers = _numpy_layers(module)
    if layers is None:
        return _predict_proba_torch(module, X, loss, batch_size, log)
    parts = []
    for start in range(0, len(X), batch_size):
        hidden = np.array(X[start : start + batch_size], dtype=np.float64)
        for layer in layers:
            if isinstance(layer, tuple):
                weight, bias = layer
                # In float64 on both sides NumPy calls BLAS's (threaded)
                # dgemm; float32 weights would take its slower mixed loop.
                hidden = hidden @ weight.T.astype(np.float64)
                hidden += bias
            else:
                hidden = layer(hidden)
        parts.append(_numpy_probabilities(hidden, loss, log))
    if not parts:
        return np.empty((0, n_outputs(module)))
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


def predict_module(module, X, batch_size=4096):
    """A regression network's outputs, evaluated in float64 on the CPU.

    As :func:`predict_proba_module`, for ``loss='squared_error'``: the
    outputs are the predictions.

    Parameters
    ----------
    module : torch.nn.Sequential
    X : ndarray of shape (n_samples, n_features)
    batch_size : int, default=4096

    Returns
    -------
    outputs : ndarray of shape (n_samples, n_outputs), float64
    """
    return predict_proba_module(module, X, "squared_error", batch_size)


class _LayerCache:
    """A module's NumPy layers, kept on the module itself, with what they were
    read from. A copy or pickle of the module starts with an empty one.

    On the module rather than in a ``weakref.WeakKeyDictionary``: that
    dictionary's Python callback runs whenever a module is collected, in the
    middle of a fit too, and an interrupt (Ctrl-C) that lands inside a
    callback is printed and dropped by Python instead of ending the fit.
    """

    __slots__ = ("signature", "objects", "layers")

    def __init__(self):
        self.signature = self.objects = self.layers = None

    def __reduce__(self):
        return (_LayerCache, ())

    def __deepcopy__(self, memo):
        return _LayerCache()


_CACHE = "_sklearn_rcloud_numpy_layers"


def _numpy_layers(module):
    """Per layer, ``(weight, bias)`` NumPy views or an activation function;
    None unless ``module`` is a CPU ``Sequential`` NumPy can evaluate.

    The views are kept per module while its layers, and the tensors and
    memory of their weights and biases, stay the ones they were read from
    (in-place updates keep them; a replaced parameter, a moved or converted
    module, a pruning mask's recomputed weight do not).
    """
    if not isinstance(module, nn.Sequential):
        return None
    children = tuple(module._modules.values())
    tensors = tuple(_linear_tensors(layer) for layer in children)
    # Identities and addresses, compared as integers (comparing tensors with
    # == would compare their values); the cache holds the objects, so that
    # no other object can take one of their identities meanwhile.
    signature = (
        tuple(map(id, children)),
        tuple(None if t is None else (id(t[0]), t[1], id(t[2]), t[3]) for t in tensors),
    )
    cache = module.__dict__.get(_CACHE)
    if cache is not None and cache.signature == signature:
        return cache.layers
    layers = []
    for layer, linear in zip(children, tensors):
        if linear is not None:
            weight, bias = linear[0], linear[2]
            if weight.device.type != "cpu" or bias is None:
                return None
            layers.append((weight.detach().numpy(), bias.detach().numpy()))
        elif activation_of(layer) is not None:
            layers.append(activation_of(layer).numpy)
        else:
            return None
    if cache is None:
        # Beside nn.Module's own attributes, not one of them: no parameter,
        # buffer or submodule, and absent from its state_dict.
        cache = module.__dict__[_CACHE] = _LayerCache()
    cache.signature, cache.objects, cache.layers = (
        signature,
        (children, tensors),
        layers,
    )
    return layers


def _linear_tensors(layer):
    """``(weight, its address, bias, its address)`` of a ``Linear``, else None."""
    if type(layer) is not nn.Linear:
        return None
    # A pruned layer's weight is a plain attribute its hook recomputes.
    weight = layer._parameters.get("weight")
    if weight is None:
        weight = layer.__dict__.get("weight")
    bias = layer._parameters.get("bias")
    if weight is None:
        return None
    return (
        weight,
        weight.data_ptr(),
        bias,
        None if bias is None else bias.data_ptr(),
    )


def _numpy_probabilities(logits, loss, log):
    """Probabilities (or their log) from float64 logits, in place where it can.

    The softmax is written out: scipy's costs more than the rest of a one-row
    prediction.
    """
    if loss == "cross_entropy":
        logits -= logits.max(axis=1, keepdims=True)
        if log:
            logits -= np.log(np.exp(logits).sum(axis=1, keepdims=True))
            return logits
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        return logits
    if loss == "squared_error":
        return logits
    probabilities = special.expit(logits)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    return np.log(probabilities) if log else probabilities


def _predict_proba_torch(module, X, loss, batch_size, log):
    """:func:`predict_proba_module` by torch, for modules NumPy cannot evaluate."""
    parts = []
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            hidden = as_tensor(X[start : start + batch_size], dtype=torch.float64)
            for layer in module:
                if isinstance(layer, nn.Linear):
                    hidden = nn.functional.linear(
                        hidden,
                        layer.weight.detach().cpu().double(),
                        layer.bias.detach().cpu().double(),
                    )
                else:
                    hidden = layer(hidden)
            if log and loss == "cross_entropy":
                parts.append(torch.log_softmax(hidden, dim=1))
            elif log:
                parts.append(torch.log(logits_to_proba(hidden, loss)))
            else:
                parts.append(logits_to_proba(hidden, loss))
    return torch.cat(parts).numpy()


class ProbabilityNetwork(nn.Module):
    """A logits network followed by the probabilities its loss defines.

    Parameters
    ----------
    network : torch.nn.Module
        Outputs logits of shape ``(n_samples, n_classes)``.
    loss : {'cross_entropy', 'mse'}, default='cross_entropy'
        Softmax of the logits, or sigmoids normalised to sum to one.
    """

    def __init__(self, network, loss="cross_entropy"):
        super().__init__()
        self.network = network
        self.loss = loss

    def forward(self, X):
        return logits_to_proba(self.network(X), self.loss)


class ProbabilityMixture(nn.Module):
    """Networks' class probabilities mixed with fixed weights.

    Parameters
    ----------
    members : list of torch.nn.Module
        Each outputs probabilities over the classes it was trained on (e.g.
        a :class:`ProbabilityNetwork`).
    weights : array-like of shape (n_members,)
    columns : list of array of int
        For each member, the ensemble's class index of each of its outputs.
    n_classes : int
    """

    def __init__(self, members, weights, columns, n_classes):
        super().__init__()
        self.members = nn.ModuleList(members)
        weights = torch.as_tensor(np.asarray(weights, dtype=np.float32))
        self.register_buffer("weights", weights / weights.sum())
        for index, column in enumerate(columns):
            self.register_buffer(f"columns_{index}", torch.as_tensor(column))
        self.n_classes = int(n_classes)

    def forward(self, X):
        proba = X.new_zeros((X.shape[0], self.n_classes))
        for index, member in enumerate(self.members):
            columns = getattr(self, f"columns_{index}")
            proba[:, columns] += self.weights[index] * member(X)
        return proba
