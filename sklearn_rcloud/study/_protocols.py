"""Protocols: which train/test splits and seeds every method of a study runs on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import (
    RepeatedKFold,
    RepeatedStratifiedKFold,
    train_test_split,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder

__all__ = ["PAPER_SEEDS", "CVProtocol", "PaperProtocol", "Run", "get_protocol"]

#: The ten initialisation seeds of the Random Cloud paper's significance study.
PAPER_SEEDS = (42, 123, 256, 314, 501, 667, 789, 888, 1024, 1337)


@dataclass(frozen=True)
class Run:
    """One training of one method: a split and an initialisation seed."""

    split: int
    seed: int
    train: np.ndarray
    test: np.ndarray

    @property
    def key(self):
        return (self.split, self.seed)


def preprocessor(categorical=()):
    """Min-max scaling to [0, 1], after one-hot encoding categorical columns.

    Fitted on the training part of each run, inside the run's ``Pipeline``.
    """
    if not categorical:
        return MinMaxScaler()
    return ColumnTransformer(
        [
            (
                "onehot",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                list(categorical),
            )
        ],
        remainder=MinMaxScaler(),
    )


class PaperProtocol:
    """The Random Cloud paper's protocol.

    One fixed stratified train/test split (or the dataset's official split)
    and one run per initialisation seed. A regression dataset's split is
    not stratified. Baselines that need a target
    topology take the one the reference method found at ``reference_seed``.

    Parameters
    ----------
    seeds : sequence of int, default=PAPER_SEEDS
    test_size : float, default=0.2
    split_seed : int, default=42
    reference_seed : int or None, default=None
        Seed whose reference topology the baselines prune to; None means
        42 when it is among ``seeds``, else the first seed.
    """

    name = "paper"

    def __init__(
        self, seeds=PAPER_SEEDS, test_size=0.2, split_seed=42, reference_seed=None
    ):
        self.seeds = tuple(int(s) for s in seeds)
        if not self.seeds:
            raise ValueError("seeds must not be empty.")
        self.test_size = test_size
        self.split_seed = split_seed
        if reference_seed is None:
            reference_seed = 42 if 42 in self.seeds else self.seeds[0]
        if reference_seed not in self.seeds:
            raise ValueError(f"reference_seed {reference_seed} is not among seeds.")
        self.reference_seed = int(reference_seed)

    def runs(self, dataset):
        """The runs on ``dataset`` (a :class:`StudyDataset`)."""
        if dataset.official_split is not None:
            train, test = dataset.official_split
        else:
            train, test = train_test_split(
                np.arange(dataset.n_samples),
                test_size=self.test_size,
                stratify=dataset.y if _is_classification(dataset) else None,
                random_state=self.split_seed,
            )
        return [Run(0, seed, train, test) for seed in self.seeds]

    def reference_key(self, run):
        """Key of the run whose reference topology ``run``'s baselines use."""
        return (0, self.reference_seed)

    def __repr__(self):
        return f"PaperProtocol(seeds={self.seeds}, test_size={self.test_size})"


class CVProtocol:
    """Repeated stratified k-fold, a fresh initialisation seed per fold.

    Official splits are ignored: every row takes part in the folds. A
    regression dataset's folds are plain (not stratified) repeated k-fold.
    Baselines that need a target topology take the one the reference method
    found in the same fold, so every comparison is paired.

    Parameters
    ----------
    n_splits : int, default=5
    n_repeats : int, default=2
    random_state : int, default=0
        Seeds the folds and, through them, the initialisation seeds.
    """

    name = "cv"

    def __init__(self, n_splits=5, n_repeats=2, random_state=0):
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.random_state = random_state

    def runs(self, dataset):
        kind = RepeatedStratifiedKFold if _is_classification(dataset) else RepeatedKFold
        folds = kind(
            n_splits=self.n_splits,
            n_repeats=self.n_repeats,
            random_state=self.random_state,
        )
        seeds = np.random.default_rng(self.random_state).integers(
            0, 2**31 - 1, size=self.n_splits * self.n_repeats
        )
        return [
            Run(index, int(seed), train, test)
            for index, ((train, test), seed) in enumerate(
                zip(folds.split(np.zeros(dataset.n_samples), dataset.y), seeds)
            )
        ]

    def reference_key(self, run):
        return run.key

    def __repr__(self):
        return (
            f"CVProtocol(n_splits={self.n_splits}, n_repeats={self.n_repeats}, "
            f"random_state={self.random_state})"
        )


def _is_classification(dataset):
    return getattr(dataset, "task", "classification") == "classification"


def get_protocol(protocol, quick=False):
    """A protocol object from its name ('paper', 'cv') or the object itself."""
    if not isinstance(protocol, str):
        return protocol
    if protocol == "paper":
        return PaperProtocol(seeds=PAPER_SEEDS[:3] if quick else PAPER_SEEDS)
    if protocol == "cv":
        return CVProtocol(n_splits=3, n_repeats=1) if quick else CVProtocol()
    raise ValueError(f"protocol must be 'paper' or 'cv', got {protocol!r}.")


def prepared_split(dataset, run):
    """A run's arrays, preprocessed (fitted on its training part).

    Returns
    -------
    X_train, y_train, X_test, y_test, n_classes
        float32 features and int64 class indices (over all of the dataset's
        classes).

    Raises
    ------
    ValueError
        For a regression dataset: the experiments that read these splits
        (proxies, sparsity, SAEP) compare classifiers.
    """
    if not _is_classification(dataset):
        raise ValueError(
            f"{dataset.name!r} is a regression dataset; the proxy, sparsity "
            "and SAEP studies take classification datasets only."
        )
    prep = preprocessor(dataset.categorical)
    X_train = prep.fit_transform(dataset.X[run.train]).astype(np.float32)
    X_test = prep.transform(dataset.X[run.test]).astype(np.float32)
    classes, y_all = np.unique(dataset.y, return_inverse=True)
    y_all = y_all.astype(np.int64)
    return X_train, y_all[run.train], X_test, y_all[run.test], len(classes)


def make_pipeline(dataset, estimator):
    """The run's pipeline: the dataset's preprocessing, then ``estimator``.

    The same preprocessing for both tasks (the features one-hot encoded and
    min-max scaled); a regression target is left as it is, the library's
    regressors standardise it themselves.
    """
    step = "classifier" if _is_classification(dataset) else "regressor"
    return Pipeline(
        [("preprocess", preprocessor(dataset.categorical)), (step, estimator)]
    )
