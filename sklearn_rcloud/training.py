"""The training engine: the one place that builds and fits a skorch network.

Every estimator of the library trains its network here, so "full training",
"fine-tuning" and "training the winner" all follow one recipe: the same loss,
optimiser, batching, stopping rule and seeding.

The default recipe depends on the number of training rows ``n``, and its
``'auto'`` settings are resolved here, in one place: full-batch L-BFGS on
every row up to :data:`LBFGS_MAX_SAMPLES` rows, else Adam on mini-batches
with early stopping on a validation split; an L2 penalty ``alpha / n`` on the
weights; an epoch budget that is also a budget in optimiser steps. The user
guide's "Training recipe" says why.

Batches are sliced from tensors built once per epoch (:class:`TensorBatchIterator`)
instead of going through ``torch.utils.data.DataLoader``'s per-sample collation,
and shuffling draws from a ``torch.Generator`` owned by the fit, never from
torch's global random state.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import inspect
import time
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from skorch import NeuralNetClassifier
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
from skorch.history import History
from skorch.utils import to_numpy, to_tensor
from torch import nn

from ._parallel import step_threads, torch_threads
from ._tensors import as_tensor
from ._weights import mean_one, weight_sum
from .exceptions import TrainingDivergedError
from .fast_step import make_step
from .init import seeded_generator
from .outputs import normalised_sigmoid
from .recipe import recipe_defaults

__all__ = [
    "AUTO_EPOCHS",
    "AUTO_EPOCHS_VALIDATED",
    "AUTO_MIN_STEPS",
    "LBFGS_MAX_SAMPLES",
    "MLPNetClassifier",
    "SigmoidMSELoss",
    "StopOnDivergence",
    "StopTraining",
    "TensorBatchIterator",
    "TrainingConfig",
    "continue_network",
    "training_copy",
    "flushes_denormals",
    "flushing_denormals",
    "planned_max_iter",
    "resolve_batch_size",
    "resolve_device",
    "resolve_early_stopping",
    "resolve_max_iter",
    "resolve_solver",
    "train_network",
    "training_curve",
    "weight_sum",
    "validation_split",
]


_FLOAT32_MAX = float(np.finfo(np.float32).max)


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
#: ``optimizer='auto'``: full-batch L-BFGS up to this many training rows, else Adam.
LBFGS_MAX_SAMPLES = 2000
#: ``max_epochs='auto'`` without a validation split: this many epochs, or
#: more where those are fewer than ``AUTO_MIN_STEPS`` optimiser steps.
AUTO_EPOCHS = 200
#: ``max_epochs='auto'`` without a validation split: at least this many steps.
AUTO_MIN_STEPS = 500
#: ``max_epochs='auto'`` with a validation split, which decides when to stop.
AUTO_EPOCHS_VALIDATED = 1000


class SigmoidMSELoss(nn.Module):
    """``0.5 * ||sigmoid(logits) - onehot(y)||^2``, averaged over the batch
    (``reduction='mean'``) or per sample (``reduction='none'``).

    The Random Cloud paper's loss: sigmoid output units trained towards one-hot
    targets by squared error.
    """

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, logits, target):
        onehot = nn.functional.one_hot(target.long(), logits.shape[1])
        error = torch.sigmoid(logits) - onehot.to(logits.dtype)
        losses = 0.5 * error.pow(2).sum(dim=1)
        return losses if self.reduction == "none" else losses.mean()


class TensorBatchIterator:
    """Mini-batches sliced from in-memory tensors (a fast ``DataLoader`` stand-in).

    skorch builds one iterator per epoch as ``iterator(dataset, **kwargs)``.

    The batches are slices of ``dataset``'s tensors on their own device, so
    data that :func:`train_network` put on the training device stays there:
    no epoch copies it (only the permutation of a shuffle is drawn on the
    CPU, from ``generator``, so that a seed shuffles alike on every device).

    Parameters
    ----------
    dataset : skorch.dataset.Dataset
        Holds ``X`` and optionally ``y`` as arrays or tensors; ``X`` may be a
        dict ``{"X": X, "sample_weight": w}`` (see :func:`train_network`),
        whose batches are dicts alike.
    batch_size : int
    shuffle : bool, default=False
    generator : torch.Generator or None, default=None
        Source of the shuffling permutation.
    """

    def __init__(self, dataset, batch_size=128, shuffle=False, generator=None, **_):
        X = dataset.X
        weights = None
        if isinstance(X, dict):
            X, weights = X["X"], X["sample_weight"]
        self.X = as_tensor(X)
        device = self.X.device
        self.sample_weight = (
            None if weights is None else torch.as_tensor(weights, device=device)
        )
        y = dataset.y
        self.y = (
            torch.zeros(len(self.X), device=device)
            if y is None
            else torch.as_tensor(
                y if torch.is_tensor(y) else np.asarray(y), device=device
            )
        )
        self.batch_size = max(1, int(batch_size))
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self):
        return -(-len(self.X) // self.batch_size)

    def __iter__(self):
        n_samples = len(self.X)
        X, y, weights = self.X, self.y, self.sample_weight
        if self.shuffle and self.batch_size < n_samples:
            order = torch.randperm(n_samples, generator=self.generator)
            order = order.to(X.device)
            X, y = X[order], y[order]
            weights = None if weights is None else weights[order]
        for start in range(0, n_samples, self.batch_size):
            stop = start + self.batch_size
            if weights is None:
                yield X[start:stop], y[start:stop]
            else:
                batch = {"X": X[start:stop], "sample_weight": weights[start:stop]}
                yield batch, y[start:stop]


def _split_batch(X_batch):
    """``(X, sample_weight or None)`` of a batch from :class:`TensorBatchIterator`."""
    if isinstance(X_batch, dict):
        return X_batch["X"], X_batch["sample_weight"]
    return X_batch, None


class MLPNetClassifier(NeuralNetClassifier):
    """skorch's ``NeuralNetClassifier`` with a fast training epoch for plain MLPs.

    When the module, loss and optimiser allow it (:func:`make_step`), a
    training epoch runs :class:`~sklearn_rcloud.fast_step.MLPStep` on every
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
        # Validation accuracy is weighted by the rows' sample weights: the
        # engine adds its own "valid_acc" (see train_network).
        return [
            ("epoch_timer", EpochTimer()),
            ("train_loss", _EpochMean(name="train_loss", on_train=True)),
            ("valid_loss", _EpochMean(name="valid_loss")),
            ("print_log", PrintLog()),
        ]

    def infer(self, x, **fit_params):
        # A batch with sample weights is a dict; the network takes only X.
        x, _ = _split_batch(x)
        return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        # The criterion returns per-sample losses (reduction='none'), so that
        # sample weights apply before the mean.
        losses = self.criterion_(y_pred, to_tensor(y_true, device=self.device))
        _, weights = _split_batch(X)
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
            X_batch, weights = _split_batch(batch)
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


def _config_from_estimator(cls, estimator, **overrides):
    """Read the training fields from an estimator's parameters.

    Fields given in ``overrides`` replace the estimator's (or stand in for
    parameters it does not have).
    """
    return cls(
        **{
            name: overrides[name] if name in overrides else getattr(estimator, name)
            for name in cls.__dataclass_fields__
            if name in overrides or hasattr(estimator, name)
        }
    )


#: How a network is trained: the fields are the training parameters of
#: :data:`~sklearn_rcloud.recipe.TRAINING_PARAMETERS` that the engine reads,
#: with the same defaults, and ``fast_step`` (use
#: :class:`~sklearn_rcloud.fast_step.MLPStep` where it is exact).
TrainingConfig = dataclasses.make_dataclass(
    "TrainingConfig",
    [
        *(
            (name, object, dataclasses.field(default=default))
            for name, default in recipe_defaults().items()
        ),
        ("fast_step", bool, dataclasses.field(default=True)),
    ],
    namespace={"from_estimator": classmethod(_config_from_estimator)},
)
TrainingConfig.__module__ = __name__
TrainingConfig.__doc__ = (
    "How a network is trained: the training parameters of the recipe "
    "(:data:`sklearn_rcloud.recipe.TRAINING_PARAMETERS`) that the engine "
    "reads, with the same names and defaults, and ``fast_step``."
)


@contextlib.contextmanager
def flushing_denormals():
    """Flush subnormal floats to zero on the CPU for the duration, then restore.

    Adam's moment estimates of weights whose gradient is zero (a dead ReLU
    unit, a constant input column) decay geometrically into the subnormal
    range, where every CPU operation on them is many times slower: an epoch
    took 3x longer after a few thousand steps. Flushing changes only values
    below 1.2e-38.

    The setting is the calling thread's (the CPU's floating-point control
    register), so fits in other threads neither see nor undo it.
    """
    was_flushing = flushes_denormals()
    supported = torch.set_flush_denormal(True)
    try:
        yield
    finally:
        if supported and not was_flushing:
            torch.set_flush_denormal(False)


def flushes_denormals():
    """Whether the CPU flushes subnormal floats to zero right now."""
    subnormal = torch.tensor([1e-39], dtype=torch.float32)
    return bool((subnormal * 1.0).item() == 0.0)


def resolve_device(device):
    """``'auto'`` becomes ``'cuda'`` when available, else ``'cpu'``."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was requested but CUDA is not available.")
    return device


def resolve_solver(solver, n_samples):
    """The solver that trains ``n_samples`` rows; ``'auto'`` picks by size.

    ``'auto'`` is full-batch L-BFGS up to :data:`LBFGS_MAX_SAMPLES` training
    rows, where a quasi-Newton method converges in a few hundred cheap
    iterations, and Adam on mini-batches above, where a full-batch step costs
    more than many stochastic ones.
    """
    if solver != "auto":
        return solver
    return "lbfgs" if n_samples <= LBFGS_MAX_SAMPLES else "adam"


def resolve_early_stopping(early_stopping, n_samples):
    """Whether to stop on a validation split; ``'auto'``: above 2,000 rows.

    Above :data:`LBFGS_MAX_SAMPLES` rows a tenth of them is a validation set
    large enough to stop on and cheap to hold out; below, it is too few rows
    to judge an epoch by, and training uses every row, regularised by
    ``alpha``.
    """
    if early_stopping == "auto":
        return n_samples > LBFGS_MAX_SAMPLES
    return bool(early_stopping)


def resolve_max_iter(max_iter, n_samples, batch_size, early_stopping):
    """The epoch budget; ``'auto'`` depends on the stopping rule.

    With a validation split the validation loss decides when to stop, and
    ``'auto'`` only caps a run at :data:`AUTO_EPOCHS_VALIDATED` epochs. Without
    one, ``'auto'`` is :data:`AUTO_EPOCHS` epochs, or more where those are
    fewer than :data:`AUTO_MIN_STEPS` optimiser steps: a full-batch method
    (L-BFGS, or any optimiser on at most one batch of rows) takes one step per
    epoch, and 200 steps do not bring a small data set to convergence.
    """
    if max_iter != "auto":
        return int(max_iter)
    if early_stopping:
        return AUTO_EPOCHS_VALIDATED
    steps_per_epoch = -(-n_samples // batch_size)
    min_epochs = -(-AUTO_MIN_STEPS // steps_per_epoch)
    return max(AUTO_EPOCHS, min_epochs)


def resolve_batch_size(batch_size, n_samples, solver):
    """Rows per optimiser step; ``'auto'`` is ``min(200, n_samples)``.

    L-BFGS always takes the whole training set: its curvature pairs assume
    one fixed objective.
    """
    if solver == "lbfgs":
        return n_samples
    if batch_size == "auto":
        return min(200, n_samples)
    return min(int(batch_size), n_samples)


def planned_max_iter(config, n_samples):
    """The epoch budget :func:`train_network` resolves for ``n_samples`` rows."""
    solver = resolve_solver(config.solver, n_samples)
    early_stopping = resolve_early_stopping(config.early_stopping, n_samples)
    n_train = n_samples
    if early_stopping:
        # train_test_split holds out ceil(fraction * n) rows.
        n_train = n_samples - int(np.ceil(config.validation_fraction * n_samples))
    return _batching(config, solver, early_stopping, n_train)[1]


def _batching(config, solver, early_stopping, n_train):
    """``(batch_size, max_iter)`` resolved for ``n_train`` training rows."""
    batch_size = resolve_batch_size(config.batch_size, n_train, solver)
    return batch_size, resolve_max_iter(
        config.max_iter, n_train, batch_size, early_stopping
    )


def _penalty(alpha, n_rows, sample_weight):
    """The L2 strength ``alpha / n``, ``n`` the (weighted) number of rows.

    As in MLPClassifier's full-batch objective: every mini-batch estimates
    the same objective, whatever its size. Computed in float64; a strength
    that float32, in which the network trains, cannot hold raises a
    ``ValueError`` naming ``alpha`` and the weights' sum.
    """
    n_weighted = n_rows if sample_weight is None else weight_sum(sample_weight)
    strength = alpha / n_weighted if n_weighted > 0 else np.inf
    if not strength <= _FLOAT32_MAX:
        if sample_weight is None:
            cause = f"lower alpha (alpha={alpha:.3g}, over {n_rows} rows)"
        else:
            cause = (
                f"the sample weights sum to {n_weighted:.3g}: scale sample_weight "
                "up (e.g. to mean one), since the penalty is alpha divided by "
                f"their sum as in MLPClassifier, or lower alpha={alpha:.3g}"
            )
        raise ValueError(
            f"The L2 penalty's strength alpha / (weighted rows) = {strength:.3g} "
            f"is beyond the range of float32 ({_FLOAT32_MAX:.3g}), in which the "
            f"network trains: {cause}."
        )
    return strength


def to_device(X, y, device):
    """``X`` and ``y`` as tensors on ``device``, copied only if they are not there.

    On the CPU a float32 array becomes a tensor that shares its memory. An
    estimator converts its data once per ``fit`` and hands the tensors to the
    search and to :func:`train_network` alike.
    """
    return as_tensor(X, device=device), as_tensor(y, device=device)


def _take(values, rows):
    """``values[rows]`` for an array or a tensor (indexed on its own device)."""
    if torch.is_tensor(values):
        return values[torch.as_tensor(rows, device=values.device)]
    return values[rows]


def validation_split(X, y, fraction, seed, sample_weight=None):
    """Hold out ``fraction`` of the rows, stratified by ``y`` where it can be.

    ``X`` and ``y`` may be arrays or tensors; each part keeps their type and
    device (the split itself is drawn on the CPU, the same on every device).

    Returns
    -------
    X_fit, X_valid, y_fit, y_valid : ndarray or Tensor
    w_fit, w_valid : ndarray or None
        The sample weights of either part (None when ``sample_weight`` is).
    """
    rows = np.arange(len(y))
    try:
        fit, valid = train_test_split(
            rows, test_size=fraction, stratify=to_numpy(y), random_state=seed
        )
    except ValueError:
        # Too few samples per class to stratify: split without stratification.
        fit, valid = train_test_split(rows, test_size=fraction, random_state=seed)
    if sample_weight is None:
        w_fit = w_valid = None
    else:
        w_fit, w_valid = sample_weight[fit], sample_weight[valid]
    return (
        _take(X, fit),
        _take(X, valid),
        _take(y, fit),
        _take(y, valid),
        w_fit,
        w_valid,
    )


def _with_weights(X, weights):
    """``X`` as the engine's training data: a dict when rows are weighted.

    Weights are scaled to average one, so that a batch's mean weighted loss
    estimates the weighted average loss whatever the batch size; weights that
    are all equal leave ``X`` unweighted (the same computation as no weights).
    """
    if weights is None:
        return X
    weights = mean_one(weights).astype(np.float32)
    if np.all(weights == 1.0):
        return X
    if torch.is_tensor(X):
        weights = torch.as_tensor(weights, device=X.device)
    return {"X": X, "sample_weight": weights}


def _weighted_accuracy(net, dataset, y):
    """Validation accuracy, weighted by the validation rows' sample weights."""
    predicted = net.predict(dataset)
    correct = (predicted == to_numpy(y)).astype(np.float64)
    _, weights = _split_batch(dataset.X)
    if weights is None:
        return float(correct.mean())
    return float(np.average(correct, weights=to_numpy(weights).astype(np.float64)))


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


def train_network(
    module, X, y, config, seed, sample_weight=None, callbacks=(), check=True
):
    """Train ``module`` in place through skorch.

    Parameters
    ----------
    module : torch.nn.Sequential
        The network with its initial weights, e.g.
        ``topology.to_module(weights)``; it may carry
        :mod:`torch.nn.utils.prune` masks, which stay in force.
    X : ndarray or Tensor of shape (n_samples, n_features), float32
        Moved to the training device once (:func:`to_device`; no copy when
        it is already there), where every epoch reads it.
    y : ndarray or Tensor of shape (n_samples,), int64 class indices
    config : TrainingConfig
    seed : int
        Seeds the shuffling generator and the validation split.
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Weights of the rows in the training loss and in the validation loss
        and accuracy; the validation split takes each row's weight with it.
    callbacks : sequence of (str, skorch.callbacks.Callback), default=()
        More skorch callbacks, e.g. progress reporting.
    check : bool, default=True
        Check the trained network (:func:`check_trained`: non-finite
        weights raise, a stopping rule that never fired warns). False leaves
        it to whoever uses the network, e.g. a population's member, checked
        when its net is built (:func:`~sklearn_rcloud.population.member_net`).

    Returns
    -------
    net : skorch.NeuralNetClassifier
        The fitted net; ``net.module_`` is the trained ``torch.nn.Sequential``.
    train_time : float
        Seconds spent in ``net.fit``.
    """
    device = resolve_device(config.device)
    X, y = to_device(X, y, device)
    solver = resolve_solver(config.solver, len(X))
    net, X, y, sample_weight = _engine_net(
        module, X, y, config, solver, seed, sample_weight, device, callbacks
    )
    start = time.perf_counter()
    with flushing_denormals(), torch_threads(_step_threads(net, len(X))):
        net.fit(_with_weights(X, sample_weight), y)
    train_time = time.perf_counter() - start
    if callbacks:
        # They served this fit (e.g. progress reporting) and may hold what
        # does not pickle or outlive it.
        extra = {name for name, _ in callbacks}
        net.callbacks = [entry for entry in net.callbacks if entry[0] not in extra]
        net.initialize_callbacks()
    net.module_.cpu()
    if check:
        check_trained(net)
    return net, train_time


def _engine_net(
    module, X, y, config, solver, seed, sample_weight, device, callbacks=()
):
    """The skorch net that trains ``module`` on ``X`` (a tensor on ``device``).

    Returns the unfitted net and the rows it fits (the validation split made
    when ``early_stopping`` holds out one): ``(net, X, y, sample_weight)``.
    """
    early_stopping = resolve_early_stopping(config.early_stopping, len(X))
    train_split = None
    if early_stopping:
        X, X_valid, y, y_valid, sample_weight, w_valid = validation_split(
            X, y, config.validation_fraction, seed, sample_weight
        )
        train_split = predefined_split(
            Dataset(_with_weights(X_valid, w_valid), y_valid)
        )
    batch_size, max_epochs = _batching(config, solver, early_stopping, len(X))
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
                "valid_acc",
                EpochScoring(
                    _weighted_accuracy,
                    lower_is_better=False,
                    on_train=False,
                    name="valid_acc",
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

    criterion = (
        nn.CrossEntropyLoss if config.loss == "cross_entropy" else SigmoidMSELoss
    )
    net = MLPNetClassifier(
        module=module,
        criterion=criterion,
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
        classes=np.arange(_n_outputs(module)),
        predict_nonlinearity=(
            "auto" if config.loss == "cross_entropy" else normalised_sigmoid
        ),
        device=device,
        verbose=int(verbose_table),
        **skorch_options,
    )
    net.l2 = _penalty(config.alpha, len(X), sample_weight)
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


def check_trained(net):
    """Raise or warn, as a solo training does, about a fitted net's outcome.

    Non-finite weights raise :class:`TrainingDivergedError`; a cross-entropy
    far worse than the uniform guess warns, and so does a stopping rule that
    never fired (``ConvergenceWarning``).
    """
    config = net.config_
    if not all(torch.isfinite(p).all() for p in net.module_.parameters()):
        raise TrainingDivergedError(
            f"Training diverged: the network's weights contain NaN or inf. "
            f"{divergence_advice(net.l2)}"
        )
    if config.loss == "cross_entropy":
        _warn_if_far_worse_than_a_uniform_guess(net)
    if config.n_iter_no_change is not None and len(net.history) >= net.max_epochs:
        _warn_not_converged(net.max_epochs, net.solver_)


def _step_threads(net, n_rows):
    """The thread policy's setting for ``net``'s steps on ``n_rows`` rows."""
    module = getattr(net, "module_", net.module)
    n_params = sum(p.numel() for p in module.parameters())
    return step_threads(min(n_rows, net.batch_size) * n_params)


def training_copy(net):
    """A copy of a fitted net that trains further without changing ``net``.

    What training changes is copied: the module and the fast step's state
    (together, so that the step updates the copied parameters), the
    optimiser (built anew for the copied parameters, then given the
    original's state: torch's optimisers do not all deep-copy, L-BFGS
    loses its parameters), and the history, a new list of the same epochs.
    The rest (data-free settings, callbacks without state outside ``fit``)
    is shared.
    """
    copied = object.__new__(type(net))
    copied.__dict__.update(net.__dict__)
    trained = {
        name: net.__dict__[name]
        for name in ("module_", "mlp_step_")
        if name in net.__dict__
    }
    copied.__dict__.update(copy.deepcopy(trained))
    if "optimizer_" in net.__dict__:
        copied.initialize_optimizer()
        state = copy.deepcopy(net.optimizer_.state_dict())
        copied.optimizer_.load_state_dict(state)
    copied.history_ = History(net.history_)
    return copied


def continue_network(net, X, y, sample_weight=None):
    """Train a fitted net from :func:`train_network` one more epoch, on new data.

    The optimiser's state (Adam's moments, SGD's momentum) carries over, as
    in MLPClassifier's ``partial_fit``; the L2 penalty and the batch size
    follow the new data. No validation split is made.

    Returns
    -------
    train_time : float
        Seconds spent training.
    """
    config = net.config_
    net.l2 = _penalty(config.alpha, len(X), sample_weight)
    # The net keeps the optimiser it was built with, whatever 'auto' would
    # pick for these rows.
    net.batch_size = resolve_batch_size(config.batch_size, len(X), net.solver_)
    if net.fast_step_setting is not None:
        loss, solver_name, lr, _, options = net.fast_step_setting
        net.fast_step_setting = (loss, solver_name, lr, net.l2, options)
        if getattr(net, "mlp_step_", None) is not None:
            net.mlp_step_.l2 = net.l2
    net.module_.to(net.device)
    X, y = to_device(X, y, net.device)
    start = time.perf_counter()
    with flushing_denormals(), torch_threads(_step_threads(net, len(X))):
        net.partial_fit(_with_weights(X, sample_weight), y, epochs=1)
    train_time = time.perf_counter() - start
    net.module_.cpu()
    return train_time


def _warn_not_converged(max_iter, solver):
    """Warn, as MLPClassifier does, when the stopping rule never fired."""
    unit = "iterations" if solver == "lbfgs" else "epochs"
    warnings.warn(
        f"Training ran its maximum of {max_iter} {unit} ({solver}) and the "
        "optimisation has not converged yet: the loss was still improving by "
        "more than `tol`. Raise `max_iter`, or accept the network as it is.",
        ConvergenceWarning,
        stacklevel=3,
    )


# A mean cross-entropy 10x that of the uniform guess (log K) means the network
# puts under 1/K**10 of its probability on the true class on average: it has
# not fit the training data, whatever the cause (huge inputs, huge lr).
_USELESS_LOSS_FACTOR = 10


def _warn_if_far_worse_than_a_uniform_guess(net):
    """Warn when training ended with a finite but useless cross-entropy.

    Divergence that stays finite (e.g. a huge learning rate on unscaled
    features) leaves a network whose predictions are garbage although no NaN
    was ever seen; the last epoch's training loss reveals it.
    """
    final_loss = net.history[-1, "train_loss"]
    n_classes = len(net.classes)
    uniform_loss = float(np.log(n_classes))
    if final_loss > _USELESS_LOSS_FACTOR * uniform_loss:
        warnings.warn(
            f"Training ended with a training loss of {final_loss:.3g}, more "
            f"than {_USELESS_LOSS_FACTOR}x the loss of a uniform guess over the "
            f"{n_classes} classes ({uniform_loss:.3g}): the network has not fit "
            f"the training data and its predictions are unreliable. "
            f"{divergence_advice(net.l2)}",
            ConvergenceWarning,
            stacklevel=2,
        )


def training_curve(net):
    """The per-epoch training curve of a fitted skorch net, as arrays.

    Parameters
    ----------
    net : skorch.NeuralNet
        A fitted net, e.g. from :func:`train_network`.

    Returns
    -------
    curve : dict of ndarray
        ``epoch`` (from 1) and ``train_loss``; with a validation split also
        ``valid_loss`` and ``valid_acc``. ``pandas.DataFrame(curve)`` works.
    """
    history = net.history
    curve = {"epoch": np.arange(1, len(history) + 1, dtype=np.int64)}
    for key in ("train_loss", "valid_loss", "valid_acc"):
        if len(history) and key in history[-1]:
            curve[key] = np.asarray(
                [epoch.get(key, np.nan) for epoch in history], dtype=float
            )
    return curve


def _n_outputs(module):
    return [m for m in module if isinstance(m, nn.Linear)][-1].out_features


def _silent(*_args, **_kwargs):
    return None
