"""The rows a training reads: on its device, split for validation, in batches.

Batches are sliced from tensors built once per epoch (:class:`TensorBatchIterator`)
instead of going through ``torch.utils.data.DataLoader``'s per-sample collation,
and shuffling draws from a ``torch.Generator`` owned by the fit, never from
torch's global random state.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from skorch.utils import to_numpy

from .._tensors import as_tensor
from .._weights import mean_one


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


def split_batch(X_batch):
    """``(X, sample_weight or None)`` of a batch from :class:`TensorBatchIterator`."""
    if isinstance(X_batch, dict):
        return X_batch["X"], X_batch["sample_weight"]
    return X_batch, None


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


def validation_split(X, y, fraction, seed, sample_weight=None, stratify=True):
    """Hold out ``fraction`` of the rows, stratified by ``y`` where it can be.

    ``stratify=False`` (a regression target) splits the rows at random.

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
            rows,
            test_size=fraction,
            stratify=to_numpy(y) if stratify else None,
            random_state=seed,
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


def with_weights(X, weights):
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
