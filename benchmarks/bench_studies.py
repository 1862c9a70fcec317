"""A study's wall time with its networks trained together, against one by one.

The sparsity study trains each fold's networks (the parent and every
sparsity's masked networks and Random Cloud's pick) with
:func:`sklearn_rcloud.fit_together`. Here the same folds are run twice in
one process, side by side: as the study runs them, and with every estimator
fitted on its own (``fit_together`` replaced by one ``fit`` after another).
The ratio is one-by-one time / together time; the records of the two runs
are compared too (test accuracies, stopping epochs).

    python benchmarks/bench_studies.py [--datasets sonar optdigits] [--folds 2]

One process, ``n_jobs=1`` (so that the replacement reaches every fit), torch
on every core.
"""

import argparse
import time
import warnings

import numpy as np

from sklearn_rcloud.study import SparsityStudyConfig, run_sparsity_study
from sklearn_rcloud.study._experiments import _sparsity


def _one_by_one(estimators, X, y):
    return [estimator.fit(X, y) for estimator in estimators]


def _timed(datasets, config):
    start = time.perf_counter()
    result = run_sparsity_study(datasets, config, n_jobs=1)
    return time.perf_counter() - start, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["sonar", "optdigits"])
    parser.add_argument("--folds", type=int, default=2)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    config = SparsityStudyConfig(n_folds=args.folds, n_repeats=1)
    print(
        "| dataset | networks | one by one (s) | together (s) | ratio | "
        "accuracies differing | largest difference |"
    )
    print("|---|---|---|---|---|---|---|")
    together_fit = _sparsity.fit_together
    for dataset in args.datasets:
        _sparsity.fit_together = _one_by_one
        alone_time, alone = _timed([dataset], config)
        _sparsity.fit_together = together_fit
        together_time, together = _timed([dataset], config)
        a = np.array([r["test_accuracy"] for r in alone.records])
        b = np.array([r["test_accuracy"] for r in together.records])
        print(
            f"| {dataset} | {len(a)} | {alone_time:.1f} | {together_time:.1f} | "
            f"{alone_time / together_time:.2f}x | {int((a != b).sum())} | "
            f"{100 * np.abs(a - b).max():.2f} pp |"
        )


if __name__ == "__main__":
    main()
