"""Training one network: fit, continue, copy, check, and read the curve.

Every estimator of the library trains its network here, so "full training",
"fine-tuning" and "training the winner" all follow one recipe: the same loss,
optimiser, batching, stopping rule and seeding.
"""

from __future__ import annotations

import contextlib
import copy
import time
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from skorch.history import History

from .._parallel import step_threads, torch_threads
from ..exceptions import TrainingDivergedError
from ._config import penalty, resolve_batch_size, resolve_device, resolve_solver
from ._data import to_device, with_weights
from ._net import build_net, divergence_advice


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
    y : ndarray or Tensor of shape (n_samples,) or (n_samples, n_outputs)
        int64 class indices, or float32 target values for a regression loss.
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
        when its net is built (:func:`~sklearn_rcloud.engine.member_net`).

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
    net, X, y, sample_weight = build_net(
        module, X, y, config, solver, seed, sample_weight, device, callbacks
    )
    start = time.perf_counter()
    with flushing_denormals(), torch_threads(_step_threads(net, len(X))):
        net.fit(with_weights(X, sample_weight), y)
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
    net.l2 = penalty(config.alpha, len(X), sample_weight)
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
        net.partial_fit(with_weights(X, sample_weight), y, epochs=1)
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
        ``valid_loss`` and the validation score, ``valid_acc`` (accuracy) or
        ``valid_r2`` (R², regression). ``pandas.DataFrame(curve)`` works.
    """
    history = net.history
    curve = {"epoch": np.arange(1, len(history) + 1, dtype=np.int64)}
    for key in ("train_loss", "valid_loss", "valid_acc", "valid_r2"):
        if len(history) and key in history[-1]:
            curve[key] = np.asarray(
                [epoch.get(key, np.nan) for epoch in history], dtype=float
            )
    return curve
