"""The study's datasets: rows, labels, categorical columns and official splits."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.datasets import load_breast_cancer, load_iris, load_wine

from .. import datasets as bundled

__all__ = ["STUDY_DATASETS", "StudyDataset", "load_study_dataset"]


@dataclass(frozen=True, eq=False)
class StudyDataset:
    """One dataset as the study runs it.

    Parameters
    ----------
    name : str
    X : ndarray of shape (n_samples, n_features)
        Float, or object where some columns are categorical.
    y : ndarray of shape (n_samples,)
    categorical : tuple of int
        Indices of the categorical columns (one-hot encoded in each run's
        pipeline).
    official_split : tuple of two ndarrays or None
        ``(train_indices, test_indices)`` where the dataset comes with a
        published split (Adult, Optical Digits).
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    categorical: tuple = ()
    official_split: tuple | None = field(default=None, repr=False)

    @property
    def n_samples(self):
        return len(self.y)


def _from_sklearn(loader):
    return lambda: loader(return_X_y=True)


def _with_official_split(loader):
    """Rows of the published train then test subset, complete rows only."""

    def load():
        parts = [loader(subset=subset) for subset in ("train", "test")]
        X_parts, y_parts = [], []
        for bunch in parts:
            keep = _complete_rows(bunch.data)
            X_parts.append(bunch.data[keep])
            y_parts.append(bunch.target[keep])
        n_train = len(y_parts[0])
        n = n_train + len(y_parts[1])
        split = (np.arange(n_train), np.arange(n_train, n))
        categorical = tuple(
            list(parts[0].feature_names).index(name)
            for name in parts[0].categorical_features
        )
        return np.concatenate(X_parts), np.concatenate(y_parts), categorical, split

    return load


def _complete_rows(X):
    """Rows without a missing cell (NaN); the paper drops Adult's incomplete rows."""
    if X.dtype != object:
        return ~np.isnan(X).any(axis=1)
    return np.array([not any(v != v for v in row) for row in X])


_LOADERS = {
    "breast_cancer": _from_sklearn(load_breast_cancer),
    "sonar": _from_sklearn(bundled.load_sonar),
    "ionosphere": _from_sklearn(bundled.load_ionosphere),
    "adult": _with_official_split(bundled.load_adult),
    "iris": _from_sklearn(load_iris),
    "wine": _from_sklearn(load_wine),
    "optdigits": _with_official_split(bundled.load_optdigits),
    "pima_diabetes": _from_sklearn(bundled.load_pima_diabetes),
    "banknote": _from_sklearn(bundled.load_banknote),
}

#: Names :func:`load_study_dataset` accepts. The first seven are the Random
#: Cloud paper's benchmarks.
STUDY_DATASETS = tuple(_LOADERS)


def load_study_dataset(name):
    """Load one of :data:`STUDY_DATASETS` as a :class:`StudyDataset`.

    Adult keeps its 30,162 / 15,060 complete rows of the published
    train / test files, as in the paper; Optical Digits its official
    3,823 / 1,797 split.
    """
    if name not in _LOADERS:
        raise ValueError(
            f"Unknown study dataset {name!r}; choose from {list(STUDY_DATASETS)}."
        )
    loaded = _LOADERS[name]()
    if len(loaded) == 2:
        X, y = loaded
        return StudyDataset(name, np.asarray(X), np.asarray(y))
    X, y, categorical, split = loaded
    return StudyDataset(name, X, y, categorical, split)
