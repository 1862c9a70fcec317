"""Shared base of the library's network classifiers.

Subclasses decide *which* network to train (its topology and initial weights);
this base validates the data, encodes labels, trains the network through the
training engine and predicts. The split mirrors scikit-learn's
``BaseMultilayerPerceptron``.
"""

from __future__ import annotations

import contextlib
import copy
import time
from abc import ABCMeta, abstractmethod
from numbers import Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.callback import CallbackSupportMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)
from torch import nn

from .._memory import ROWS_PER_PASS, check_networks
from ..cloud import RandomCloud
from ..engine import (
    FLOAT32_MAX,
    LOSSES,
    TrainingConfig,
    penalty,
    planned_max_iter,
    train_network,
    training_curve,
)
from ..init import seeded_generator
from ..outputs import ProbabilityNetwork, predict_module, predict_proba_module
from ..topology import Topology
from ._parameters import (
    MissingParametersMixin,
    constraints_of,
    documented,
    init_from,
)
from ._progress import FitProgress
from ._together import train_with_others
from ._transaction import transactional

# Stands in for ``module_`` in a pickled estimator: the module is ``net_.module_``.
_SHARED_WITH_NET = "<net_.module_>"


class BaseTaskEstimator(
    MissingParametersMixin,
    CallbackSupportMixin,
    BaseEstimator,
    metaclass=ABCMeta,
):
    """Base class of every estimator of the library, classifier or regressor.

    One :meth:`fit` for all of them: validate the data and the sample
    weights, open the callbacks' task tree, then either continue training
    (``warm_start``, where an estimator has it) or call the subclass's
    :meth:`_fit`. :class:`BaseClassifier` and :class:`BaseRegressor` say what
    the target is (class labels, or values standardised inside ``fit``);
    :class:`BaseNetworkClassifier` and :class:`BaseNetworkRegressor` end by
    training one MLP, :class:`~sklearn_rcloud.estimators.BaseEnsembleClassifier`
    by mixing several.

    Warning: this class should not be used directly. Use derived classes
    instead.
    """

    #: The task, as the engine's losses name it (``'classification'`` or
    #: ``'regression'``); set by :class:`BaseClassifier` and
    #: :class:`BaseRegressor`.
    _task: str = ""

    #: The estimator's parameters (see ``_parameters.py``); set by subclasses.
    _parameters: tuple = ()

    def __init_subclass__(cls, **kwargs):
        # An estimator declares its parameters once, in ``_parameters``:
        # its __init__, constraints and docs follow (``_parameters.py``).
        super().__init_subclass__(**kwargs)
        parameters = cls.__dict__.get("_parameters")
        if parameters is not None:
            cls._parameter_constraints = constraints_of(parameters)
            cls.__init__ = init_from(parameters)
            docs = cls.__dict__.get("_attribute_docs", {})
            cls.__doc__ = documented(cls.__doc__, parameters, cls._task, **docs)

    @transactional(keeps_fitted=lambda self: self._continues_training())
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to the data: select the network(s), then train.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data. Scale the features (e.g. ``MinMaxScaler`` or
            ``StandardScaler`` in a ``Pipeline``): untrained networks see
            them as they are.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target labels of any type (a classifier), or target values (a
            regressor: one column per output).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows, in the training and validation losses and
            in the training-free scores that are averages over the rows. A
            weight of zero drops the row; None weighs every row one.

        Returns
        -------
        self : object
            The fitted estimator.

        Notes
        -----
        A fit is all or nothing: if it raises (``KeyboardInterrupt``
        included), the estimator is left as it was before the call, unfitted
        or with its previous model. A refit keeps no fitted attribute of the
        previous fit that it does not set again.
        """
        start = time.perf_counter()
        # A refit's transaction has cleared the previous fit's attributes.
        warm = self._continues_training()
        X, y, sample_weight = self._validate_fit_data(
            X, y, sample_weight, reset=not warm
        )
        progress = FitProgress(
            self, X, self._user_target(y), sample_weight, n_tasks=None
        )
        if warm:
            self._continue_training(X, y, sample_weight, progress)
        else:
            self._fit(X, y, sample_weight, progress)
        self._finish_fit()
        self.fit_time_ = time.perf_counter() - start
        progress.end(self._summary)
        return self

    @abstractmethod
    def _fit(self, X, y, sample_weight, progress):
        """Select a network and train it; set the fitted attributes.

        ``X`` is float32, ``y`` holds class indices into ``classes_`` (a
        classifier) or the standardised float32 target of shape
        ``(n_samples, n_outputs_)`` (a regressor), ``sample_weight`` is a
        float64 array or None; ``progress`` is the fit's
        :class:`~sklearn_rcloud.estimators._progress.FitProgress`.
        """

    def _continues_training(self):
        """Whether this fit continues the previous one (``warm_start``)."""
        return False

    def _finish_fit(self):
        """Attributes recorded after :meth:`_fit`, e.g. from the network's size."""

    @abstractmethod
    def _summary(self):
        """The closing line of ``verbose >= 1``."""

    @abstractmethod
    def _validate_fit_data(self, X, y, sample_weight=None, reset=True):
        """Validate the data; return float32 X, the target as trained on, weights."""

    @abstractmethod
    def _user_target(self, y):
        """The target ``y`` of :meth:`_validate_fit_data` as the user gave it."""

    @abstractmethod
    def _n_outputs(self):
        """Output units of the networks on the data of this fit."""

    def _validate_X(self, X, y="no_validation", reset=True, **options):
        """``validate_data`` of ``X`` (and ``y``), naming non-numeric columns.

        Without ``y``: ``X`` alone, as prediction validates it. With it
        (None included: scikit-learn says that ``fit`` requires ``y``): both,
        with at least two rows, ``options`` for ``y``.
        """
        with _naming_non_numeric_columns(X, self):
            if isinstance(y, str) and y == "no_validation":
                return validate_data(
                    self, X, dtype=(np.float64, np.float32), reset=reset
                )
            return validate_data(
                self,
                X,
                y,
                dtype=(np.float64, np.float32),
                ensure_min_samples=2,
                reset=reset,
                **options,
            )

    def _row_weights(self, X, y, sample_weight):
        """``sample_weight`` times the weights of ``class_weight``, or None."""
        class_weight = getattr(self, "class_weight", None)
        if sample_weight is None and class_weight is None:
            penalty(self.alpha, len(X), None)
            return None
        weights = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        if class_weight is not None:
            _check_class_weight(class_weight)
            with np.errstate(over="ignore"):
                weights = weights * compute_sample_weight(class_weight, y)
        if not np.isfinite(weights).all():
            raise ValueError(
                "sample_weight times class_weight overflows float64 for some "
                "rows; scale the weights down."
            )
        if not weights.max(initial=0.0) > 0:
            raise ValueError(
                "The sample weights (times class_weight) are all zero: no row "
                "would count in training. Give some rows a positive weight."
            )
        penalty(self.alpha, len(X), weights)
        return weights

    def _validate_predict_data(self, X):
        check_is_fitted(self)
        return _to_float32(self._validate_X(X, reset=False))

    def _check_network_memory(self, X, names, hidden_layer_sizes, **sizes):
        """Refuse, before any work, networks of ``hidden_layer_sizes`` on ``X``
        that cannot fit in memory (:func:`~sklearn_rcloud._memory.check_networks`,
        naming the parameters ``names``); ``sizes``: its ``n_networks`` and
        ``n_rows`` (default: one forward pass of at most
        :data:`~sklearn_rcloud._memory.ROWS_PER_PASS` rows)."""
        sizes.setdefault("n_rows", min(len(X), ROWS_PER_PASS))
        check_networks(
            self,
            names,
            X.shape[1],
            hidden_layer_sizes,
            self._n_outputs(),
            **sizes,
        )

    def _random_seeds(self, n_seeds):
        """``n_seeds`` integers drawn from ``random_state``, one per random task."""
        rng = check_random_state(self.random_state)
        return [int(s) for s in rng.randint(np.iinfo(np.int32).max, size=n_seeds)]

    def to_onnx(self, path=None, *, opset_version=None):
        """Export :meth:`predict_proba` (a regressor: :meth:`predict`) as an
        ONNX model.

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


class BaseClassifier(ClassifierMixin, BaseTaskEstimator):
    """Base class of every classifier of the library: the target is class
    labels, of any type, encoded as indices into ``classes_``.

    Warning: this class should not be used directly. Use derived classes
    instead.
    """

    _task = "classification"

    @abstractmethod
    def _probabilities(self, X, log):
        """Probabilities (or their log, ``log=True``) of validated float32 ``X``."""

    def _user_target(self, y):
        return self.classes_[y]

    def _n_outputs(self):
        return len(self.classes_)

    def _validate_fit_data(self, X, y, sample_weight=None, reset=True, classes=None):
        """Validate the data; set ``classes_``; return float32 X, codes, weights.

        ``reset=False`` keeps the classes and features of the previous fit;
        ``classes`` sets the classes instead of reading them from ``y``. The
        weights combine ``sample_weight`` and ``class_weight``; they are None
        when neither is given.
        """
        _check_no_missing_labels(y)
        X, y = self._validate_X(X, y, reset=reset)
        try:
            check_classification_targets(y)
        except TypeError as error:
            # numpy cannot sort labels of mixed types, e.g. str and int.
            raise TypeError(
                f"The labels in y cannot be compared with each other ({error}); "
                "use labels of one type, e.g. all str or all int."
            ) from error
        if reset and classes is None:
            encoder = LabelEncoder()
            codes = encoder.fit_transform(y).astype(np.int64)
            self.classes_ = encoder.classes_
        else:
            if reset:
                self.classes_ = np.unique(np.asarray(classes))
            codes = self._codes_of_known_labels(y)
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in "
                f"the data; got 1 class: {self.classes_[0]!r}."
            )
        return _to_float32(X), codes, self._row_weights(X, y, sample_weight)

    def _codes_of_known_labels(self, y):
        """Class indices of ``y`` in ``classes_`` (continued training's labels)."""
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if len(unknown):
            raise ValueError(
                f"y has labels {list(unknown)} outside the classes "
                f"{list(self.classes_)} of the network being trained (those of "
                "the first fit with warm_start=True, or partial_fit's "
                "`classes`). Fit anew to change the classes."
            )
        return np.searchsorted(self.classes_, y).astype(np.int64)

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The class probabilities, columns ordered as ``classes_`` (an
            ensemble's: its members' mixed by ``weights_``).
        """
        return self._probabilities(self._validate_predict_data(X), log=False)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, without rounding to zero first.

        A single network's log-probabilities come from its logits
        (``log_softmax``), so a probability too small for float64 keeps its
        rank; an ensemble's are the log of its mixture.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        return self._probabilities(self._validate_predict_data(X), log=True)

    def predict(self, X):
        """Predict class labels.

        Each row gets the class of its largest :meth:`predict_proba`, ties
        to the first in ``classes_``.

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


class BaseRegressor(RegressorMixin, BaseTaskEstimator):
    """Base class of every regressor of the library: the target is one or
    more columns of values, standardised inside ``fit``.

    Each output column is centred on its (weighted) mean and divided by its
    (weighted) standard deviation over the training rows before anything
    sees it (the search's scores and the training alike), and predictions
    are mapped back: a target in the thousands trains as one in units, where
    ``MLPRegressor`` fits the raw values. The networks' losses
    (``loss_curve_``, ``best_loss_``) are in standardised units.

    Warning: this class should not be used directly. Use derived classes
    instead.
    """

    _task = "regression"

    @abstractmethod
    def _outputs(self, X):
        """Standardised predictions of validated float32 ``X``, one column
        per output."""

    def _n_outputs(self):
        return len(self.target_mean_)

    def _user_target(self, y):
        values = y * self.target_scale_ + self.target_mean_
        return values.ravel() if values.shape[1] == 1 else values

    def _validate_fit_data(self, X, y, sample_weight=None, reset=True):
        """Validate the data; learn the target's scaling (``reset``); return
        float32 X, the standardised float32 target of shape
        ``(n_samples, n_outputs)`` and the sample weights (or None)."""
        X, y = self._validate_X(X, y, reset=reset, multi_output=True, y_numeric=True)
        target = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        weights = self._row_weights(X, None, sample_weight)
        if reset:
            self.target_mean_, self.target_scale_ = _target_scaling(target, weights)
        elif target.shape[1] != len(self.target_mean_):
            raise ValueError(
                f"y has {target.shape[1]} output columns; the network being "
                f"trained has {len(self.target_mean_)} (from the first fit with "
                "warm_start=True). Fit anew to change the outputs."
            )
        standardised = (target - self.target_mean_) / self.target_scale_
        if not np.all(np.abs(standardised) <= FLOAT32_MAX):
            raise ValueError(
                "y holds values too far from its mean for float32 once "
                "standardised; rescale or clip the target."
            )
        return _to_float32(X), standardised.astype(np.float32), weights

    def predict(self, X):
        """Predict using the fitted model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values, in the target's units (one column per
            output; 1-d with one output, as ``MLPRegressor``'s).
        """
        outputs = self._outputs(self._validate_predict_data(X))
        return self._user_target(outputs)

    def score(self, X, y, sample_weight=None):
        """The coefficient of determination R² of :meth:`predict` on ``X``.

        As every scikit-learn regressor's ``score``:
        ``sklearn.metrics.r2_score(y, self.predict(X),
        sample_weight=sample_weight)``, averaged uniformly over the outputs;
        1 is a perfect prediction, 0 that of the mean of ``y``, and it can be
        negative.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True values of ``X``.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        return super().score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _target_scaling(target, weights):
    """Per output column, the (weighted) mean and standard deviation; a
    constant column gets the scale 1 (its standardised values are all 0)."""
    mean = np.average(target, axis=0, weights=weights)
    scale = np.sqrt(np.average((target - mean) ** 2, axis=0, weights=weights))
    tiny = 10 * np.finfo(np.float64).eps * np.maximum(1.0, np.abs(mean))
    scale = np.where((scale > tiny) & np.isfinite(scale), scale, 1.0)
    return mean, scale


class _NetworkEstimator:
    """What every estimator that ends by training one MLP shares, classifier
    or regressor.

    A subclass's :meth:`_fit` selects a topology and its initial weights and
    trains them through :meth:`_train`; this records the network
    (``topology_``, ``net_``, ``module_``, MLPClassifier's training
    attributes), continues training it (``warm_start``) and exports it.
    The split mirrors scikit-learn's ``BaseMultilayerPerceptron``.
    """

    def _continues_training(self):
        return bool(getattr(self, "warm_start", False)) and hasattr(self, "module_")

    def _finish_fit(self):
        self.reduction_ = 1.0 - self.n_params_ / self.initial_topology_.n_params

    def _continue_training(self, X, y, sample_weight, progress):
        """``warm_start``: train the fitted network further, without a search."""
        (seed,) = self._random_seeds(1)
        module = self._module_to_continue()
        net, self.train_time_ = self._fit_module(
            module, X, y, seed, sample_weight, progress
        )
        self._set_network(net, self.topology_, continued=True)

    def _module_to_continue(self):
        """A copy of the fitted network to train further (``warm_start``)."""
        return copy.deepcopy(self.module_)

    def _full_topology(self, n_features):
        """The network of ``hidden_layer_sizes`` on this data, before any reduction."""
        return Topology(
            n_features,
            check_hidden_layer_sizes(self.hidden_layer_sizes),
            self._n_outputs(),
            self.activation,
        )

    def _random_cloud(self, topology, n_networks, seed, device):
        """``n_networks`` networks of ``topology`` drawn by ``init`` from ``seed``."""
        return RandomCloud(
            topology,
            n_networks,
            init=self.init,
            generator=seeded_generator(seed, device),
            device=device,
        )

    def _fit_module(
        self,
        module,
        X,
        y,
        seed,
        sample_weight=None,
        progress=None,
        task="training",
        **overrides,
    ):
        """Train ``module`` with this estimator's recipe; return (net, seconds).

        With ``progress``, the training is the task ``task`` of the fit, and
        every epoch one of its leaves.
        """
        config = TrainingConfig.from_estimator(self, **overrides)
        if progress is None or not progress.watches_epochs:
            # Inside fit_together an unwatched training waits for the others.
            shared = train_with_others(module, X, y, config, seed, sample_weight)
            if shared is not None:
                return shared
        if progress is None:
            return train_network(module, X, y, config, seed, sample_weight)
        n_epochs = planned_max_iter(config, len(X))
        with progress.task(task, n_epochs) as context:
            return train_network(
                module,
                X,
                y,
                config,
                seed,
                sample_weight,
                callbacks=progress.training_callbacks(context),
            )

    def _train(self, topology, weights, X, y, seed, sample_weight, progress):
        """Train ``topology`` from ``weights`` and set the fitted attributes."""
        net, self.train_time_ = self._fit_module(
            topology.to_module(weights), X, y, seed, sample_weight, progress
        )
        self._set_network(net, topology)
        return self

    def _set_network(self, net, topology, continued=False):
        """Record a trained skorch net and its topology as fitted attributes.

        ``continued``: the net trained further the network of a previous fit
        (``warm_start``), whose curves it extends.
        """
        self.net_ = net
        self.module_ = net.module_
        self.topology_ = topology
        self.n_params_ = topology.n_params
        curve = training_curve(net)
        losses = [float(v) for v in curve["train_loss"]]
        score_name = LOSSES[self.loss].score_name
        scores = [float(v) for v in curve[score_name]] if score_name in curve else None
        samples_seen = _samples_seen(net)
        if continued:
            losses = self.loss_curve_ + losses
            if scores is not None and self.validation_scores_ is not None:
                scores = self.validation_scores_ + scores
            samples_seen += self.t_
        self.history_ = curve
        self.loss_curve_ = losses
        self.best_loss_ = None if scores is not None else min(losses)
        self.validation_scores_ = scores
        self.best_validation_score_ = None if scores is None else max(scores)
        self.n_iter_ = len(losses)
        self.t_ = samples_seen
        self.coefs_, self.intercepts_, self.out_activation_ = _network_arrays(
            self._predicting_module(net.module_), self.loss
        )
        self.n_layers_ = len(self.coefs_) + 1
        self.n_outputs_ = self.coefs_[-1].shape[1]

    def _summary(self):
        """The closing line of ``verbose >= 1``."""
        reduction = getattr(self, "reduction_", 0.0)
        initial = getattr(self, "initial_topology_", self.topology_)
        size = f"{self.n_params_:,} parameters"
        if reduction > 0:
            size += f", {reduction:.0%} fewer than {initial.layout}"
        return (
            f"chose {self.topology_.layout} ({size}); trained "
            f"{self.n_iter_} epochs; fit in {self.fit_time_:.2f} s"
        )

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

    def _predicting_module(self, module):
        """``module`` as it predicts, outside the estimator (its outputs in the
        target's units); the module itself where they are the same."""
        return module

    def to_torch(self):
        """The trained network as a plain ``torch.nn.Sequential``.

        A copy on the CPU, in evaluation mode, independent of the estimator
        (and of skorch). Its input contract: a float32 tensor of shape
        ``(n_samples, n_features_in_)`` holding the features exactly as
        ``fit`` received them, so any preprocessing of a ``Pipeline`` (e.g.
        ``MinMaxScaler``) must be applied first. A classifier's network
        outputs logits, one column per class in the order of ``classes_``:
        ``softmax`` of them equals :meth:`predict_proba` for
        ``loss='cross_entropy'``, and ``sigmoid`` normalised to sum to one
        for ``loss='mse'``. A regressor's outputs are its predictions, in the
        target's units (the target's standardisation is folded into the last
        layer), one column per output.

        Returns
        -------
        module : torch.nn.Sequential
        """
        check_is_fitted(self)
        return self._predicting_module(copy.deepcopy(self.module_).cpu().eval())


class BaseNetworkClassifier(_NetworkEstimator, BaseClassifier):
    """Base class of the classifiers that end by training one MLP.

    Warning: this class should not be used directly. Use derived classes
    instead.
    """

    def _probabilities(self, X, log):
        return predict_proba_module(self.module_, X, self.loss, log=log)

    def _export_module(self):
        """The network with its probabilities, for :mod:`sklearn_rcloud.export`."""
        return ProbabilityNetwork(self.to_torch(), self.loss).eval()


class BaseNetworkRegressor(_NetworkEstimator, BaseRegressor):
    """Base class of the regressors that end by training one MLP.

    Its network is trained on the standardised target
    (:class:`BaseRegressor`); ``coefs_``, ``intercepts_`` and
    :meth:`to_torch` give the network with the standardisation folded into
    its last layer, which predicts in the target's units as
    ``MLPRegressor``'s ``coefs_`` do.

    Warning: this class should not be used directly. Use derived classes
    instead.
    """

    def _outputs(self, X):
        return predict_module(self.module_, X)

    def _predicting_module(self, module):
        return with_target_scaling(module, self.target_mean_, self.target_scale_)

    def _export_module(self):
        """The network predicting in the target's units, for export."""
        return self.to_torch()


def with_target_scaling(module, mean, scale):
    """A copy of ``module`` whose outputs are ``outputs * scale + mean``.

    The affine map is folded into the last ``Linear`` layer (its weights and
    bias scaled per output), so the copy is a plain network of the same
    shape.
    """
    module = copy.deepcopy(module)
    last = [m for m in module if isinstance(m, nn.Linear)][-1]
    with torch.no_grad():
        scale_t = torch.as_tensor(scale, dtype=last.weight.dtype)
        mean_t = torch.as_tensor(mean, dtype=last.bias.dtype)
        last.weight.mul_(scale_t[:, None])
        last.bias.mul_(scale_t).add_(mean_t)
    return module


def _check_class_weight(class_weight):
    """Refuse a ``class_weight`` dict whose weights are not finite numbers >= 0."""
    if not isinstance(class_weight, dict):
        return  # 'balanced': computed, always valid
    for label, weight in class_weight.items():
        if isinstance(weight, (bool, np.bool_)) or not isinstance(
            weight, (Real, np.number)
        ):
            raise TypeError(
                f"class_weight must map classes to numbers; got {weight!r} "
                f"for class {label!r}."
            )
        if not (np.isfinite(weight) and weight >= 0):
            raise ValueError(
                f"class_weight must map classes to finite weights >= 0; got "
                f"{weight!r} for class {label!r}."
            )


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
        if np.abs(X).max(initial=0.0) > FLOAT32_MAX:
            raise ValueError(
                "Input X contains values too large for float32 "
                f"(|x| > {FLOAT32_MAX:.3g}); rescale the features."
            )
        X = X.astype(np.float32)
    return np.ascontiguousarray(X)


def _samples_seen(net):
    """Training rows the solver went through in ``net``'s fit (MLPClassifier's t_)."""
    return int(
        sum(
            batch.get("train_batch_size", 0)
            for epoch in net.history
            for batch in epoch["batches"]
        )
    )


def _network_arrays(module, loss):
    """``coefs_``, ``intercepts_`` and ``out_activation_`` as MLPClassifier's.

    ``coefs_[i]`` is shaped ``(fan_in, fan_out)``. A two-class network
    trained with cross-entropy has two output logits whose softmax is the
    logistic function of their difference, so its last layer is given as
    MLPClassifier's single logistic unit (the difference of the two rows),
    which predicts exactly the same probabilities.
    """
    linears = [m for m in module if isinstance(m, nn.Linear)]
    coefs = [m.weight.detach().cpu().numpy().T.copy() for m in linears]
    intercepts = [m.bias.detach().cpu().numpy().copy() for m in linears]
    if loss == "squared_error":
        return coefs, intercepts, "identity"
    if loss != "cross_entropy":
        return coefs, intercepts, "normalised_logistic"
    if coefs[-1].shape[1] == 2:
        coefs[-1] = coefs[-1][:, 1:] - coefs[-1][:, :1]
        intercepts[-1] = intercepts[-1][1:] - intercepts[-1][:1]
        return coefs, intercepts, "logistic"
    return coefs, intercepts, "softmax"


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
