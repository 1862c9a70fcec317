"""The datasets the library's defaults are chosen on, and their protocol.

The training recipe (``select_recipe.py``) and Random Cloud's finalists
(``finalists.py``) are chosen on the same twelve datasets: the study's
seven small ones, scikit-learn's digits, Optical Digits, a 10,000-row
stratified sample of Adult and two synthetic problems (5,000 and 20,000
rows). Each runs repeated stratified 5-fold cross-validation, twice below
:data:`LARGE` rows and once at or above it.
"""

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.model_selection import train_test_split

from sklearn_rcloud.study import CVProtocol, StudyDataset, load_study_dataset

__all__ = ["ADULT_ROWS", "DATASETS", "LARGE", "load", "protocol_for"]

#: Adult is subsampled (stratified) to this many rows to keep the sweep short.
ADULT_ROWS = 10_000
#: Datasets at least this large run 5 folds once instead of twice.
LARGE = 3_000


def _digits():
    X, y = load_digits(return_X_y=True)
    return StudyDataset("digits", X, y)


def _synthetic(name, n_samples, n_features, n_classes):
    X, y = make_classification(
        n_samples,
        n_features,
        n_informative=n_features // 2,
        n_redundant=n_features // 4,
        n_classes=n_classes,
        n_clusters_per_class=2,
        flip_y=0.03,
        random_state=0,
    )
    return StudyDataset(name, X, y)


def _adult():
    full = load_study_dataset("adult")
    keep, _ = train_test_split(
        np.arange(full.n_samples),
        train_size=ADULT_ROWS,
        stratify=full.y,
        random_state=0,
    )
    return StudyDataset("adult_10k", full.X[keep], full.y[keep], full.categorical)


#: Name -> loader, smallest problems first.
DATASETS = {
    "iris": lambda: load_study_dataset("iris"),
    "wine": lambda: load_study_dataset("wine"),
    "sonar": lambda: load_study_dataset("sonar"),
    "ionosphere": lambda: load_study_dataset("ionosphere"),
    "breast_cancer": lambda: load_study_dataset("breast_cancer"),
    "pima_diabetes": lambda: load_study_dataset("pima_diabetes"),
    "banknote": lambda: load_study_dataset("banknote"),
    "digits": _digits,
    "optdigits": lambda: load_study_dataset("optdigits"),
    "synthetic_5k": lambda: _synthetic("synthetic_5k", 5_000, 20, 5),
    "adult_10k": _adult,
    "synthetic_20k": lambda: _synthetic("synthetic_20k", 20_000, 40, 10),
}


def load(name):
    """The :class:`~sklearn_rcloud.study.StudyDataset` called ``name``."""
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; choose from {list(DATASETS)}.")
    return DATASETS[name]()


def protocol_for(dataset):
    """Stratified 5-fold, repeated twice below :data:`LARGE` rows, else once."""
    n_repeats = 1 if dataset.n_samples >= LARGE else 2
    return CVProtocol(n_splits=5, n_repeats=n_repeats, random_state=0)
