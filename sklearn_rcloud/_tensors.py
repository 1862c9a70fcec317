"""Tensors that share the memory of the arrays they come from."""

import warnings

import numpy as np
import torch

__all__ = ["as_tensor"]


def as_tensor(values, **kwargs):
    """``torch.as_tensor(values, **kwargs)``, quiet about read-only arrays.

    joblib hands its workers large arrays as read-only memory maps (e.g. in
    ``GridSearchCV(n_jobs=2)``), and torch warns that a tensor sharing such
    memory must not be written to. The library never writes to its inputs,
    so sharing is safe and the warning would only reach the user.
    """
    if isinstance(values, np.ndarray) and not values.flags.writeable:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="The given NumPy array is not writable"
            )
            return torch.as_tensor(values, **kwargs)
    return torch.as_tensor(values, **kwargs)
