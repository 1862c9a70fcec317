"""The recipe resolved for one training: solver, batches, budget and penalty.

The default recipe depends on the number of training rows ``n``, and its
``'auto'`` settings are resolved here, in one place: full-batch L-BFGS on
every row up to :data:`LBFGS_MAX_SAMPLES` rows, else Adam on mini-batches
with early stopping on a validation split; an L2 penalty ``alpha / n`` on the
weights; an epoch budget that is also a budget in optimiser steps. The user
guide's "Training recipe" says why.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from .._weights import weight_sum
from ..recipe import recipe_defaults

FLOAT32_MAX = float(np.finfo(np.float32).max)
#: ``optimizer='auto'``: full-batch L-BFGS up to this many training rows, else Adam.
LBFGS_MAX_SAMPLES = 2000
#: ``max_epochs='auto'`` without a validation split: this many epochs, or
#: more where those are fewer than ``AUTO_MIN_STEPS`` optimiser steps.
AUTO_EPOCHS = 200
#: ``max_epochs='auto'`` without a validation split: at least this many steps.
AUTO_MIN_STEPS = 500
#: ``max_epochs='auto'`` with a validation split, which decides when to stop.
AUTO_EPOCHS_VALIDATED = 1000


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
#: :class:`~sklearn_rcloud.engine.MLPStep` where it is exact).
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
TrainingConfig.__module__ = "sklearn_rcloud.engine"
TrainingConfig.__doc__ = (
    "How a network is trained: the training parameters of the recipe "
    "(:data:`sklearn_rcloud.recipe.TRAINING_PARAMETERS`) that the engine "
    "reads, with the same names and defaults, and ``fast_step``."
)


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
    return batching(config, solver, early_stopping, n_train)[1]


def batching(config, solver, early_stopping, n_train):
    """``(batch_size, max_iter)`` resolved for ``n_train`` training rows."""
    batch_size = resolve_batch_size(config.batch_size, n_train, solver)
    return batch_size, resolve_max_iter(
        config.max_iter, n_train, batch_size, early_stopping
    )


def penalty(alpha, n_rows, sample_weight):
    """The L2 strength ``alpha / n``, ``n`` the (weighted) number of rows.

    As in MLPClassifier's full-batch objective: every mini-batch estimates
    the same objective, whatever its size. Computed in float64; a strength
    that float32, in which the network trains, cannot hold raises a
    ``ValueError`` naming ``alpha`` and the weights' sum.
    """
    n_weighted = n_rows if sample_weight is None else weight_sum(sample_weight)
    strength = alpha / n_weighted if n_weighted > 0 else np.inf
    if not strength <= FLOAT32_MAX:
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
            f"is beyond the range of float32 ({FLOAT32_MAX:.3g}), in which the "
            f"network trains: {cause}."
        )
    return strength
