"""The skorch net that trains a network: its epoch, losses, optimisers and rules.

:class:`MLPNetClassifier` is skorch's ``NeuralNetClassifier`` whose training
epoch runs the explicit-gradient step (:mod:`._step`) where it is exact;
the stopping rules raise :class:`StopTraining`, so that any other
``KeyboardInterrupt`` leaves ``fit`` as itself. :func:`build_net` builds the
net of one training from the resolved recipe.
"""

from __future__ import annotations

import copy
import functools
import inspect
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.callbacks import (
    Callback,
    EarlyStopping,
    EpochScoring,
    EpochTimer,
    PassthroughScoring,
    PrintLog,
)
from skorch.dataset import Dataset
from skorch.helper import predefined_split
from skorch.utils import to_numpy, to_tensor
from torch import nn

from ..exceptions import TrainingDivergedError
from ..init import seeded_generator
from ..outputs import normalised_sigmoid
from ..topology import n_outputs
from ._config import batching, penalty, resolve_early_stopping
from ._data import TensorBatchIterator, split_batch, validation_split, with_weights
from ._losses import LOSSES, validation_scores
from ._step import make_step


#: The torch optimiser of every solver.
def _undecorated(name):
    """``torch.optim.Optimizer``'s method ``name`` without its dynamo guard.

    torch wraps ``add_param_group`` and ``zero_grad`` in
    ``torch._disable_dynamo``, whose first call imports ``torch._dynamo``
    (with sympy: about 2 s of a fresh process's first fit). Nothing the
    engine builds is compiled, so the undecorated methods serve.
    """
    method = getattr(torch.optim.Optimizer, name)
    return getattr(method, "__wrapped__", method)


def _step_without_graph_breaks(optimizer_class):
    """``optimizer_class.step`` in the grad mode torch gives it, without dynamo.

    torch wraps ``Adam.step`` and ``SGD.step`` in a guard that imports
    ``torch._dynamo`` on every call to mark graph breaks around the update;
    this runs the same update in the same grad mode (where the fast step
    does not apply, e.g. ``fast_step=False``).
    """
    update = inspect.unwrap(optimizer_class.step)

    @functools.wraps(update)
    def step(self, closure=None):
        with torch.set_grad_enabled(self.defaults["differentiable"]):
            return update(self, closure)

    return step


class Adam(torch.optim.Adam):
    """``torch.optim.Adam`` that does not import ``torch._dynamo``."""

    add_param_group = _undecorated("add_param_group")
    zero_grad = _undecorated("zero_grad")
    step = _step_without_graph_breaks(torch.optim.Adam)


class SGD(torch.optim.SGD):
    """``torch.optim.SGD`` that does not import ``torch._dynamo``."""

    add_param_group = _undecorated("add_param_group")
    zero_grad = _undecorated("zero_grad")
    step = _step_without_graph_breaks(torch.optim.SGD)


class LBFGS(torch.optim.LBFGS):
    """``torch.optim.LBFGS`` that does not import ``torch._dynamo``."""

    add_param_group = _undecorated("add_param_group")
    zero_grad = _undecorated("zero_grad")


OPTIMIZERS = {"adam": Adam, "sgd": SGD, "lbfgs": LBFGS}


class _FastEpoch:
    """A skorch net's training epoch run by the explicit-gradient step.

    When the module, loss and optimiser allow it (:func:`make_step`), a
    training epoch runs :class:`~sklearn_rcloud.engine.MLPStep` on every
    batch instead of autograd and ``torch.optim``. Everything else is skorch's:
    the history (one batch entry per epoch holding the epoch's mean loss, so
    ``train_loss`` is the same as skorch would compute), epoch callbacks,
    early stopping, validation. Per-batch callbacks are not called on the fast
    path. Set ``fast_step_setting = None`` for skorch's own epoch.
    """

    #: ``(loss, optimizer, lr, l2, options)`` for :func:`make_step`, or None
    #: for autograd.
    fast_step_setting = None
    #: ``0.5 * l2 * sum(||W||^2)`` is added to every training batch's mean loss.
    l2 = 0.0

    @property
    def _default_callbacks(self):
        # The validation score is weighted by the rows' sample weights: the
        # engine adds its own "valid_acc" or "valid_r2" (see build_net).
        return [
            ("epoch_timer", EpochTimer()),
            ("train_loss", _EpochMean(name="train_loss", on_train=True)),
            ("valid_loss", _EpochMean(name="valid_loss")),
            ("print_log", PrintLog()),
        ]

    def infer(self, x, **fit_params):
        # A batch with sample weights is a dict; the network takes only X.
        x, _ = split_batch(x)
        return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        # The criterion returns per-sample losses (reduction='none'), so that
        # sample weights apply before the mean.
        losses = self.criterion_(y_pred, to_tensor(y_true, device=self.device))
        _, weights = split_batch(X)
        if weights is not None:
            losses = losses * to_tensor(weights, device=self.device)
        loss = losses.mean()
        if training and self.l2:
            weights = [m.weight for m in self.module_ if isinstance(m, nn.Linear)]
            squared_norm = sum(w.square().sum() for w in weights)
            loss = loss + 0.5 * self.l2 * squared_norm
        return loss

    def _mlp_step(self):
        if self.fast_step_setting is None:
            return None
        cached = getattr(self, "mlp_step_", None)
        if cached is not None and cached.matches(self.module_):
            return cached
        loss, optimizer, lr, l2, options = self.fast_step_setting
        self.mlp_step_ = make_step(self.module_, loss, optimizer, lr, l2, **options)
        return self.mlp_step_

    def __getstate__(self):
        state = super().__getstate__()
        # A cache rebuilt on demand; its optimiser buffers may live on CUDA,
        # which would make the pickle unloadable on a CPU-only machine.
        state.pop("mlp_step_", None)
        return state

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        # skorch's partial_fit, except that only StopTraining, the signal of
        # the library's stopping rules, ends training quietly: skorch's
        # swallows any KeyboardInterrupt (its early stopping raises one), so
        # a user's Ctrl-C would leave fit as a model trained a few epochs.
        if not self.initialized_:
            self.initialize()
        self.notify("on_train_begin", X=X, y=y)
        try:
            self.fit_loop(X, y, **fit_params)
        except StopTraining:
            pass
        self.notify("on_train_end", X=X, y=y)
        return self

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        step = self._mlp_step() if training else None
        if step is None:
            return super().run_single_epoch(
                iterator, training, prefix, step_fn, **fit_params
            )
        if not self.module_.training:  # a recursive walk over every layer
            self.module_.train()
        losses = []
        for batch, y_batch in iterator:
            X_batch, weights = split_batch(batch)
            X_batch = X_batch.to(self.device, non_blocking=True)
            y_batch = y_batch.to(self.device, non_blocking=True)
            if weights is not None:
                weights = weights.to(self.device, non_blocking=True)
            losses.append(step(X_batch, y_batch, weights))
        # Per-sample losses, reduced once per epoch rather than once per step.
        per_sample = torch.cat(losses)
        self.history.new_batch()
        self.history.record_batch(prefix + "_loss", float(per_sample.double().mean()))
        self.history.record_batch(prefix + "_batch_size", len(per_sample))
        self.history.record(prefix + "_batch_count", len(losses))


class MLPNetClassifier(_FastEpoch, NeuralNetClassifier):
    """skorch's ``NeuralNetClassifier`` with a fast training epoch for plain
    MLPs (see :class:`_FastEpoch`)."""


class MLPNetRegressor(_FastEpoch, NeuralNetRegressor):
    """skorch's ``NeuralNetRegressor`` with a fast training epoch for plain
    MLPs (see :class:`_FastEpoch`); its target has one column per output."""


class _EpochMean(PassthroughScoring):
    """skorch's ``PassthroughScoring``, averaging the epoch's batches in Python.

    The same record (the batch-size weighted mean of a batch score, and
    whether it is the best so far); skorch's reads the history through its
    slicing syntax and ``np.average``, about as long as an L-BFGS iteration
    of a tiny network takes.
    """

    def on_epoch_end(self, net, **kwargs):
        size_key = "train_batch_size" if self.on_train else "valid_batch_size"
        # An epoch's training and validation batches share one list.
        batches = [b for b in net.history[-1]["batches"] if self.name in b]
        if not batches:
            return  # no such score this epoch (e.g. no validation data)
        total = sum(batch[size_key] for batch in batches)
        score = sum(batch[self.name] * batch[size_key] for batch in batches) / total
        is_best = self._is_best_score(score)
        if is_best:
            self.best_score_ = score
        net.history.record(self.name, score)
        if is_best is not None:
            net.history.record(self.name + "_best", bool(is_best))


class StopTraining(KeyboardInterrupt):
    """Raised by a stopping rule to end training; the network trained so far stands.

    skorch ends training without an error on a ``KeyboardInterrupt`` (its
    early stopping raises one), so the library's stopping rules raise this
    subclass, and every other ``KeyboardInterrupt`` (Ctrl-C) leaves ``fit``
    as itself.
    """


class _EarlyStopping(EarlyStopping):
    """skorch's ``EarlyStopping`` that stops with :class:`StopTraining`.

    Its ``on_epoch_end`` is skorch's, raising :class:`StopTraining` where
    skorch raises ``KeyboardInterrupt``: converting skorch's interrupt
    afterwards would also convert a user's Ctrl-C landing in the same call.
    """

    def on_epoch_end(self, net, **kwargs):
        current_score = net.history[-1, self.monitor]
        if not self._is_score_improved(current_score):
            self.misses_ += 1
        else:
            self.misses_ = 0
            self.dynamic_threshold_ = self._calc_new_threshold(current_score)
            self.best_epoch_ = net.history[-1, "epoch"]
            if self.load_best:
                self.best_model_weights_ = copy.deepcopy(net.module_.state_dict())
        if self.misses_ == self.patience:
            if net.verbose:
                self._sink(
                    f"Stopping since {self.monitor} has not improved in the "
                    f"last {self.patience} epochs.",
                    verbose=net.verbose,
                )
            raise StopTraining


class StopOnDivergence(Callback):
    """Stop training with :class:`TrainingDivergedError` once the loss is not finite.

    Checked after every epoch on the epoch's mean training (and validation)
    loss: a NaN or infinite loss never recovers, so the remaining epochs would
    only spend time on a network that predicts garbage.

    Parameters
    ----------
    line_search : bool, default=False
        The solver sets its own steps (L-BFGS): a non-finite loss there is a
        line search that stepped out of float32's range (seen on tiny,
        degenerate data with deep networks), not a learning rate too large.
        Training then stops at the last epoch with a finite loss, restoring
        its weights, with a ``ConvergenceWarning``.
    """

    def __init__(self, line_search=False):
        self.line_search = line_search

    def on_train_begin(self, net, **kwargs):
        self.has_finite_ = False
        if self.line_search:
            # Two buffers, swapped rather than reallocated: one foreach copy
            # per epoch.
            self.params_ = list(net.module_.parameters())
            self.epoch_start_ = [torch.empty_like(p) for p in self.params_]
            self.last_finite_ = [torch.empty_like(p) for p in self.params_]

    def on_epoch_begin(self, net, **kwargs):
        if self.line_search:
            # An epoch's training loss is that of the weights it starts from.
            with torch.no_grad():
                torch._foreach_copy_(self.epoch_start_, self.params_)

    def on_epoch_end(self, net, **kwargs):
        epoch = net.history[-1]
        for key in ("train_loss", "valid_loss"):
            value = epoch.get(key)
            if value is not None and not np.isfinite(value):
                if self.line_search and self.has_finite_:
                    self._restore_last_finite(net, epoch["epoch"])
                raise TrainingDivergedError(
                    f"Training diverged at epoch {epoch['epoch']}: the {key} is "
                    f"{value}. {divergence_advice(getattr(net, 'l2', 0.0))}"
                )
        if self.line_search:
            self.last_finite_, self.epoch_start_ = self.epoch_start_, self.last_finite_
            self.has_finite_ = True

    def _restore_last_finite(self, net, epoch):
        # The weights whose loss the previous epoch recorded.
        with torch.no_grad():
            torch._foreach_copy_(self.params_, self.last_finite_)
        net.history.pop()
        warnings.warn(
            f"L-BFGS's line search left float32's range at iteration {epoch}; "
            f"training stopped at iteration {epoch - 1}, the last with a finite "
            "loss. Scale the features, or use a shallower network.",
            ConvergenceWarning,
            stacklevel=2,
        )
        raise StopTraining


_DIVERGENCE_ADVICE = (
    "Scale the features (e.g. with StandardScaler or MinMaxScaler in a "
    "Pipeline) or lower `learning_rate_init`."
)
#: An L2 strength past which the penalty, not the data, may be what diverged.
_STRONG_PENALTY = 1e6


def divergence_advice(l2):
    """What to change after a diverged training whose L2 strength was ``l2``."""
    if l2 > _STRONG_PENALTY:
        return (
            f"The L2 penalty's strength alpha / (weighted rows) was {l2:.3g}, "
            "which swamps the loss: lower alpha, or scale sample_weight up (the "
            "penalty is alpha divided by the weights' sum, as in MLPClassifier)."
        )
    return _DIVERGENCE_ADVICE


def _weighted_score(net, dataset, y):
    """The validation score (accuracy, or R²), weighted by the validation
    rows' sample weights."""
    outputs = torch.as_tensor(net.forward(dataset), dtype=torch.float64)
    target = torch.as_tensor(to_numpy(y))
    _, weights = split_batch(dataset.X)
    if weights is not None:
        weights = torch.as_tensor(to_numpy(weights))[None, :]
    loss = net.config_.loss
    if LOSSES[loss].class_targets:
        target = target[None, :]
    else:
        target = target.reshape(len(outputs), -1).T[None]
    return float(validation_scores(loss, outputs.T[None], target, weights)[0])


def _optimizer_options(solver, config):
    """skorch ``optimizer__*`` options and the fast step's, for ``solver``."""
    if solver == "lbfgs":
        skorch_options = {
            "optimizer__line_search_fn": "strong_wolfe",
            # One iteration per epoch, so that epochs count iterations (as
            # MLPClassifier's max_iter does for L-BFGS) and the stopping rule
            # sees every one.
            "optimizer__max_iter": 1,
            # torch's default (1.25 x max_iter) would leave a one-iteration
            # step no evaluations for its line search.
            "optimizer__max_eval": 26,
            "optimizer__history_size": 10,
        }
        return skorch_options, {}
    if solver == "adam":
        step_options = {
            "betas": (float(config.beta_1), float(config.beta_2)),
            "eps": float(config.epsilon),
        }
    else:
        momentum = float(config.momentum)
        step_options = {
            "momentum": momentum,
            # torch refuses Nesterov without momentum; it is plain SGD then.
            "nesterov": bool(config.nesterovs_momentum) and momentum > 0,
        }
    return {f"optimizer__{k}": v for k, v in step_options.items()}, step_options


def build_net(module, X, y, config, solver, seed, sample_weight, device, callbacks=()):
    """The skorch net that trains ``module`` on ``X`` (a tensor on ``device``).

    Returns the unfitted net and the rows it fits (the validation split made
    when ``early_stopping`` holds out one): ``(net, X, y, sample_weight)``.
    """
    early_stopping = resolve_early_stopping(config.early_stopping, len(X))
    loss = LOSSES[config.loss]
    train_split = None
    if early_stopping:
        X, X_valid, y, y_valid, sample_weight, w_valid = validation_split(
            X,
            y,
            config.validation_fraction,
            seed,
            sample_weight,
            stratify=loss.class_targets,
        )
        train_split = predefined_split(Dataset(with_weights(X_valid, w_valid), y_valid))
    batch_size, max_epochs = batching(config, solver, early_stopping, len(X))
    # A quasi-Newton step has its own scale: the line search sets it.
    lr = 1.0 if solver == "lbfgs" else config.learning_rate_init
    skorch_options, step_options = _optimizer_options(solver, config)
    verbose_table = config.verbose >= 2

    # The caller's callbacks see every epoch before a stopping rule ends
    # training.
    net_callbacks = [
        ("stop_on_divergence", StopOnDivergence(line_search=solver == "lbfgs")),
        *callbacks,
    ]
    if train_split is not None:
        net_callbacks.append(
            (
                loss.score_name,
                EpochScoring(
                    _weighted_score,
                    lower_is_better=False,
                    on_train=False,
                    name=loss.score_name,
                ),
            )
        )
    if config.n_iter_no_change is not None:
        net_callbacks.append(
            (
                "early_stopping",
                _EarlyStopping(
                    monitor="valid_loss" if early_stopping else "train_loss",
                    patience=config.n_iter_no_change,
                    threshold=config.tol,
                    threshold_mode="abs",
                    load_best=early_stopping,
                    sink=print if verbose_table else _silent,
                ),
            )
        )

    if loss.class_targets:
        net_class = MLPNetClassifier
        task_options = dict(
            classes=np.arange(n_outputs(module)),
            predict_nonlinearity=(
                "auto" if config.loss == "cross_entropy" else normalised_sigmoid
            ),
        )
    else:
        net_class, task_options = MLPNetRegressor, {}
    net = net_class(
        module=module,
        criterion=loss.criterion,
        criterion__reduction="none",
        optimizer=OPTIMIZERS[solver],
        lr=lr,
        max_epochs=max_epochs,
        batch_size=batch_size,
        train_split=train_split,
        iterator_train=TensorBatchIterator,
        iterator_valid=TensorBatchIterator,
        iterator_train__shuffle=bool(config.shuffle),
        iterator_train__generator=seeded_generator(seed),
        callbacks=net_callbacks,
        **task_options,
        device=device,
        verbose=int(verbose_table),
        **skorch_options,
    )
    net.l2 = penalty(config.alpha, len(X), sample_weight)
    # What continue_network needs: the recipe and the solver resolved here.
    net.config_, net.solver_ = config, solver
    unused_callbacks = {}
    if not verbose_table:
        # PrintLog formats a table every epoch even when it prints nothing.
        unused_callbacks["callbacks__print_log"] = None
    if train_split is None:
        unused_callbacks["callbacks__valid_loss"] = None
    net.set_params(**unused_callbacks)
    if config.fast_step:
        net.fast_step_setting = (config.loss, solver, lr, net.l2, step_options)
    return net, X, y, sample_weight


def _silent(*_args, **_kwargs):
    return None
