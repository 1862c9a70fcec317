"""The training engine: every network of the library is trained here.

One recipe for every training ("full training", "fine-tuning", "training the
winner", a population of finalists): the same loss, optimiser, batching,
stopping rule and seeding, resolved from the estimator's parameters in one
place.

* :mod:`._config`: :class:`TrainingConfig` and the resolution of its
  ``'auto'`` settings for the rows at hand (solver, batch size, budget,
  validation split, L2 penalty).
* :mod:`._data`: the rows on the training device, the validation split and
  the batches.
* :mod:`._losses`: the losses as one table (classification's cross-entropy
  and sigmoid squared error, regression's squared error), their gradients
  and the validation score (accuracy or R²).
* :mod:`._step`: one explicit-gradient step of a plain MLP (Adam, SGD with
  momentum and Nesterov, an L-BFGS iteration), without autograd.
* :mod:`._lbfgs`: L-BFGS on a flat float64 vector, one iteration per call.
* :mod:`._net`: the skorch net whose epoch runs that step, its losses,
  optimisers and stopping rules.
* :mod:`._train`: training one network, continuing it, copying it, checking
  and reading its outcome.
* :mod:`._population`: many networks trained as stacked tensors, each as it
  would train alone.

The thread policy for tiny steps lives in :mod:`sklearn_rcloud._parallel`,
shared with the search's parallel scoring.
"""

from .._weights import mean_one, weight_sum
from ._config import (
    AUTO_EPOCHS,
    AUTO_EPOCHS_VALIDATED,
    AUTO_MIN_STEPS,
    FLOAT32_MAX,
    LBFGS_MAX_SAMPLES,
    TrainingConfig,
    penalty,
    planned_max_iter,
    resolve_batch_size,
    resolve_device,
    resolve_early_stopping,
    resolve_max_iter,
    resolve_solver,
)
from ._data import TensorBatchIterator, to_device, validation_split
from ._lbfgs import FlatLBFGS
from ._losses import (
    LOSSES,
    SigmoidMSELoss,
    SquaredErrorLoss,
    task_of,
    validation_scores,
)
from ._net import MLPNetClassifier, MLPNetRegressor, StopOnDivergence, StopTraining
from ._population import (
    DEFAULT_MEMORY_BUDGET,
    TrainedMember,
    member_net,
    train_population,
)
from ._step import MLPStep, make_step
from ._train import (
    check_trained,
    continue_network,
    flushes_denormals,
    flushing_denormals,
    train_network,
    training_copy,
    training_curve,
)

__all__ = [
    "AUTO_EPOCHS",
    "AUTO_EPOCHS_VALIDATED",
    "AUTO_MIN_STEPS",
    "DEFAULT_MEMORY_BUDGET",
    "FLOAT32_MAX",
    "FlatLBFGS",
    "LBFGS_MAX_SAMPLES",
    "LOSSES",
    "MLPNetClassifier",
    "MLPNetRegressor",
    "MLPStep",
    "SigmoidMSELoss",
    "SquaredErrorLoss",
    "StopOnDivergence",
    "StopTraining",
    "TensorBatchIterator",
    "TrainedMember",
    "TrainingConfig",
    "check_trained",
    "continue_network",
    "flushes_denormals",
    "flushing_denormals",
    "make_step",
    "mean_one",
    "member_net",
    "penalty",
    "planned_max_iter",
    "resolve_batch_size",
    "resolve_device",
    "resolve_early_stopping",
    "resolve_max_iter",
    "resolve_solver",
    "task_of",
    "to_device",
    "train_network",
    "train_population",
    "training_copy",
    "training_curve",
    "validation_scores",
    "validation_split",
    "weight_sum",
]
