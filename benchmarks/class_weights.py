"""``class_weight='balanced'`` against no weights on imbalanced held-out data.

Every estimator at its defaults (only ``random_state`` and ``class_weight``
set) in a min-max pipeline, on the same 5 stratified folds: Pima (65/35) and
a synthetic 90/10 problem. Prints the mean balanced accuracy and the minority
class's recall, without and with the weights.

    python benchmarks/class_weights.py
"""

import warnings

import numpy as np
import torch
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_rcloud import (
    DenseMLPClassifier,
    MagnitudePruningClassifier,
    RandomCloudClassifier,
)
from sklearn_rcloud.datasets import load_pima_diabetes

ESTIMATORS = (DenseMLPClassifier, RandomCloudClassifier, MagnitudePruningClassifier)


def datasets():
    yield "pima", load_pima_diabetes(return_X_y=True)
    yield (
        "synthetic_90_10",
        make_classification(
            n_samples=1000,
            n_features=10,
            n_informative=4,
            weights=[0.9, 0.1],
            class_sep=0.7,
            random_state=0,
        ),
    )


def evaluate(estimator_class, X, y, class_weight):
    """Mean (balanced accuracy, minority recall) over the folds."""
    classes, counts = np.unique(y, return_counts=True)
    minority = classes[np.argmin(counts)]
    scores = []
    folds = StratifiedKFold(5, shuffle=True, random_state=0).split(X, y)
    for fold, (train, test) in enumerate(folds):
        clf = make_pipeline(
            MinMaxScaler(),
            estimator_class(random_state=fold, class_weight=class_weight),
        ).fit(X[train], y[train])
        predicted = clf.predict(X[test])
        scores.append(
            (
                balanced_accuracy_score(y[test], predicted),
                recall_score(y[test], predicted, pos_label=minority),
            )
        )
    return 100 * np.mean(scores, axis=0)


def main():
    torch.set_num_threads(2)
    warnings.simplefilter("ignore")
    print("| dataset | estimator | balanced accuracy | minority recall |")
    print("| --- | --- | --- | --- |")
    for name, (X, y) in datasets():
        y = np.asarray(y)
        for estimator_class in ESTIMATORS:
            plain = evaluate(estimator_class, X, y, None)
            weighted = evaluate(estimator_class, X, y, "balanced")
            print(
                f"| {name} | {estimator_class.__name__} | {plain[0]:.1f} -> "
                f"{weighted[0]:.1f} | {plain[1]:.1f} -> {weighted[1]:.1f} |"
            )


if __name__ == "__main__":
    main()
