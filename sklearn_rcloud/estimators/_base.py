"""Shared base of the library's network classifiers.

Subclasses decide *which* network to train (its topology and initial weights);
this base validates the data, encodes labels, trains the network through the
training engine and predicts. The split mirrors scikit-learn's
``BaseMultilayerPerceptron``.
"""

from __future__ import annotations

import contextlib
import copy
from abc import ABCMeta
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..init import INITS
from ..topology import ACTIVATIONS, Topology
from ..training import (
    LOSSES,
    OPTIMIZERS,
    TrainingConfig,
    predict_proba_module,
    train_network,
    training_curve,
)

_FLOAT32_MAX = float(np.finfo(np.float32).max)
# Stands in for ``module_`` in a pickled estimator: the module is ``net_.module_``.
_SHARED_WITH_NET = "<net_.module_>"


class BaseNetworkClassifier(ClassifierMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class of the classifiers that end by training one MLP.

    Warning: this class should not be used directly. Use derived classes
    instead.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "init": [StrOptions(set(INITS))],
        "loss": [StrOptions(set(LOSSES))],
        "optimizer": [StrOptions({"auto", *OPTIMIZERS})],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "max_epochs": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="left")],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # ------------------------------------------------------------ validation
    def _validate_fit_data(self, X, y):
        """Validate ``X``, ``y``; set ``classes_``; return float32 X and codes."""
        _check_no_missing_labels(y)
        with _naming_non_numeric_columns(X, self):
            X, y = validate_data(
                self, X, y, dtype=(np.float64, np.float32), ensure_min_samples=2
            )
        try:
            check_classification_targets(y)
        except TypeError as error:
            # numpy cannot sort labels of mixed types, e.g. str and int.
            raise TypeError(
                f"The labels in y cannot be compared with each other ({error}); "
                "use labels of one type, e.g. all str or all int."
            ) from error
        encoder = LabelEncoder()
        codes = encoder.fit_transform(y).astype(np.int64)
        self.classes_ = encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in "
                f"the data; got 1 class: {self.classes_[0]!r}."
            )
        return _to_float32(X), codes

    def _validate_predict_data(self, X):
        check_is_fitted(self)
        with _naming_non_numeric_columns(X, self):
            X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        return _to_float32(X)

    def _full_topology(self, n_features):
        """The network of ``hidden_layer_sizes`` on this data, before any reduction."""
        return Topology(
            n_features,
            check_hidden_layer_sizes(self.hidden_layer_sizes),
            len(self.classes_),
            self.activation,
        )

    def _random_seeds(self, n_seeds):
        """``n_seeds`` integers drawn from ``random_state``, one per random task."""
        rng = check_random_state(self.random_state)
        return [int(s) for s in rng.randint(np.iinfo(np.int32).max, size=n_seeds)]

    # -------------------------------------------------------------- training
    def _fit_module(self, module, X, y, seed, **overrides):
        """Train ``module`` with this estimator's recipe; return (net, seconds)."""
        config = TrainingConfig.from_estimator(self, **overrides)
        return train_network(module, X, y, config, seed)

    def _set_network(self, net, topology):
        """Record a trained skorch net and its topology as fitted attributes."""
        self.net_ = net
        self.module_ = net.module_
        self.topology_ = topology
        self.n_params_ = topology.n_params
        self.n_iter_ = len(net.history)
        self.history_ = training_curve(net)

    def _train(self, topology, weights, X, y, seed):
        """Train ``topology`` from ``weights`` and set the fitted attributes."""
        net, self.train_time_ = self._fit_module(
            topology.to_module(weights), X, y, seed
        )
        self._set_network(net, topology)
        return self

    # ------------------------------------------------------------- pickling
    def __getstate__(self):
        state = super().__getstate__()
        # ``module_`` is ``net_.module_``: pickle it once, inside the skorch
        # net, whose own pickling maps CUDA tensors to the CPU on machines
        # without CUDA.
        net = state.get("net_")
        if net is not None and state.get("module_") is getattr(net, "module_", None):
            state = {**state, "module_": _SHARED_WITH_NET}
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if isinstance(self.__dict__.get("module_"), str):
            self.module_ = self.net_.module_

    # ---------------------------------------------------------------- export
    def to_torch(self):
        """The trained network as a plain ``torch.nn.Sequential``.

        A copy on the CPU, in evaluation mode, independent of the estimator
        (and of skorch). Its input contract: a float32 tensor of shape
        ``(n_samples, n_features_in_)`` holding the features exactly as
        ``fit`` received them, so any preprocessing of a ``Pipeline`` (e.g.
        ``MinMaxScaler``) must be applied first. It outputs logits, one column
        per class in the order of ``classes_``: ``softmax`` of them equals
        :meth:`predict_proba` for ``loss='cross_entropy'``, and
        ``sigmoid`` normalised to sum to one for ``loss='mse'``.

        Returns
        -------
        module : torch.nn.Sequential
        """
        check_is_fitted(self)
        return copy.deepcopy(self.module_).cpu().eval()

    def to_onnx(self, path=None, *, opset_version=None):
        """Export :meth:`predict_proba` as an ONNX model.

        See :func:`sklearn_rcloud.export.to_onnx`, which this calls; it needs
        the ``onnx`` extra (``pip install "sklearn-rcloud[onnx]"``).

        Parameters
        ----------
        path : str or path-like, default=None
            Where to save the model; None only returns it.
        opset_version : int, default=None

        Returns
        -------
        model : onnx.ModelProto
        """
        from ..export import to_onnx

        return to_onnx(self, path, opset_version=opset_version)

    # ------------------------------------------------------------ prediction
    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The class probabilities, columns ordered as ``classes_``.
        """
        X = self._validate_predict_data(X)
        return predict_proba_module(self.module_, X, self.loss)

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            The predicted classes.
        """
        probabilities = self.predict_proba(X)
        return self.classes_[np.argmax(probabilities, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


def _check_no_missing_labels(y):
    """Reject missing labels (NaN, None, pandas NA) that validation would miss.

    numpy turns a list such as ``['a', nan]`` into the strings ``['a', 'nan']``,
    silently making the missing label a class; in an object array, NaN or None
    among str labels would fail as labels that cannot be sorted.
    """
    dtype = getattr(y, "dtype", None)
    if y is None or (isinstance(dtype, np.dtype) and dtype.kind != "O"):
        return  # validation checks numeric arrays for NaN; str arrays have none
    try:
        labels = np.asarray(y, dtype=object).ravel()
    except (TypeError, ValueError):
        return  # not array-like: validation says so
    if any(_is_missing(label) for label in labels):
        raise ValueError("Input y contains missing labels (NaN, None or NA).")


def _is_missing(value):
    return (
        value is None
        or (isinstance(value, float) and value != value)
        or type(value).__name__ in ("NAType", "NaTType")
    )


@contextlib.contextmanager
def _naming_non_numeric_columns(X, estimator):
    """Turn a failed conversion of a DataFrame ``X`` into an error naming the
    columns that hold no numbers (else let the error through unchanged)."""
    try:
        yield
    except (TypeError, ValueError) as error:
        columns = _non_numeric_columns(X)
        if not columns:
            raise
        raise ValueError(
            f"X has non-numeric columns {columns}; {type(estimator).__name__} "
            "takes numbers only. Encode them first, e.g. with OneHotEncoder or "
            "OrdinalEncoder in a ColumnTransformer."
        ) from error


def _non_numeric_columns(X):
    """Names of the columns of a DataFrame ``X`` that do not convert to float."""
    if not (hasattr(X, "columns") and hasattr(X, "iloc")):
        return []
    names = []
    for index, name in enumerate(X.columns):
        try:
            X.iloc[:, index].to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            names.append(name)
    return names


def _to_float32(X):
    if X.dtype != np.float32:
        if np.abs(X).max(initial=0.0) > _FLOAT32_MAX:
            raise ValueError(
                "Input X contains values too large for float32 "
                f"(|x| > {_FLOAT32_MAX:.3g}); rescale the features."
            )
        X = X.astype(np.float32)
    return np.ascontiguousarray(X)


def torch_generator(seed, device):
    """A ``torch.Generator`` on ``device`` seeded with ``seed``."""
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    return generator


def check_hidden_layer_sizes(hidden_layer_sizes):
    """Validate ``hidden_layer_sizes`` and return it as a tuple of ints."""
    hidden = np.atleast_1d(np.asarray(hidden_layer_sizes))
    if (
        hidden.ndim != 1
        or hidden.size == 0
        or not np.issubdtype(hidden.dtype, np.integer)
    ):
        raise ValueError(
            "hidden_layer_sizes must be a non-empty sequence of integers, got "
            f"{hidden_layer_sizes!r}."
        )
    if (hidden < 1).any():
        raise ValueError(
            f"hidden_layer_sizes must be >= 1 everywhere, got {hidden_layer_sizes!r}."
        )
    return tuple(int(h) for h in hidden)
