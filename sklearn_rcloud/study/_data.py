"""The study's datasets: rows, targets, categorical columns and official splits.

Two registries: :data:`STUDY_DATASETS`, the classification datasets (the
published records cover every one of them), and
:data:`REGRESSION_DATASETS`. :func:`load_study_dataset` loads a name of
either, with its task.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine

from .. import datasets as bundled

__all__ = [
    "REGRESSION_DATASETS",
    "STUDY_DATASETS",
    "TASKS",
    "StudyDataset",
    "load_study_dataset",
]

#: The tasks a study dataset may have.
TASKS = ("classification", "regression")


@dataclass(frozen=True, eq=False)
class StudyDataset:
    """One dataset as the study runs it.

    Parameters
    ----------
    name : str
    X : ndarray of shape (n_samples, n_features)
        Float, or object where some columns are categorical.
    y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        Class labels, or a float target for regression (2-D for several
        outputs).
    categorical : tuple of int
        Indices of the categorical columns (one-hot encoded in each run's
        pipeline).
    official_split : tuple of two ndarrays or None
        ``(train_indices, test_indices)`` where the dataset comes with a
        published split (Adult, Optical Digits).
    task : {'classification', 'regression'}, default='classification'
        What the methods predict. Regression datasets are split without
        stratification, and their runs are scored by R² and RMSE instead of
        accuracy and macro-F1.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    categorical: tuple = ()
    official_split: tuple | None = field(default=None, repr=False)
    task: str = "classification"

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(
                f"The task of study dataset {self.name!r} must be one of "
                f"{list(TASKS)}, got {self.task!r}."
            )

    @property
    def n_samples(self):
        return len(self.y)

    def subsample(self, n_samples, random_state=0):
        """A dataset of ``n_samples`` rows drawn without replacement.

        For quick studies. The rows keep their order; an official split is
        dropped (the rows drawn no longer follow it).

        Parameters
        ----------
        n_samples : int
            At most :attr:`n_samples`; more gives the dataset itself.
        random_state : int, default=0

        Returns
        -------
        StudyDataset
        """
        if n_samples >= self.n_samples:
            return self
        rows = np.sort(
            np.random.default_rng(random_state).choice(
                self.n_samples, size=n_samples, replace=False
            )
        )
        return StudyDataset(
            self.name, self.X[rows], self.y[rows], self.categorical, None, self.task
        )


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


def _bundled_regression(loader):
    """A bundled regression dataset with the indices of its categorical columns."""

    def load():
        bunch = loader()
        names = list(bunch.feature_names)
        categorical = tuple(names.index(c) for c in bunch.categorical_features)
        return bunch.data, bunch.target, categorical, None

    return load


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

_REGRESSION_LOADERS = {
    "concrete": _bundled_regression(bundled.load_concrete),
    "energy_efficiency": _bundled_regression(bundled.load_energy_efficiency),
    "airfoil_self_noise": _bundled_regression(bundled.load_airfoil_self_noise),
    "abalone": _bundled_regression(bundled.load_abalone),
    "wine_quality_red": _bundled_regression(bundled.load_wine_quality_red),
    "diabetes": _from_sklearn(load_diabetes),
}

#: The classification datasets :func:`load_study_dataset` accepts. The first
#: seven are the Random Cloud paper's benchmarks. (The published ``cv``
#: records cover every one of them; regression datasets have a registry of
#: their own, :data:`REGRESSION_DATASETS`.)
STUDY_DATASETS = tuple(_LOADERS)

#: The regression datasets :func:`load_study_dataset` accepts: the library's
#: bundled ones (Abalone with its categorical ``sex`` column) and
#: scikit-learn's diabetes.
REGRESSION_DATASETS = tuple(_REGRESSION_LOADERS)


def dataset_task(name):
    """The task of a registered study dataset's name; None for other names."""
    if name in _LOADERS:
        return "classification"
    if name in _REGRESSION_LOADERS:
        return "regression"
    return None


def load_study_dataset(name):
    """Load one of :data:`STUDY_DATASETS` or :data:`REGRESSION_DATASETS`.

    Adult keeps its 30,162 / 15,060 complete rows of the published
    train / test files, as in the paper; Optical Digits its official
    3,823 / 1,797 split. Regression datasets have a float64 target and
    ``task='regression'``.

    Returns
    -------
    StudyDataset
    """
    task = dataset_task(name)
    if task is None:
        raise ValueError(
            f"Unknown study dataset {name!r}; choose from {list(STUDY_DATASETS)} "
            f"(classification) or {list(REGRESSION_DATASETS)} (regression)."
        )
    loaded = (_LOADERS if task == "classification" else _REGRESSION_LOADERS)[name]()
    if len(loaded) == 2:
        X, y = loaded
        return StudyDataset(name, np.asarray(X), np.asarray(y), task=task)
    X, y, categorical, split = loaded
    return StudyDataset(name, X, y, categorical, split, task)
