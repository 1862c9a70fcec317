"""A study's wall time with its networks trained together, against one by one.

The sparsity study trains each fold's networks (the parent and every
sparsity's masked networks and Random Cloud's pick) with
:func:`sklearn_rcloud.fit_together`, and the study runner fits the runs that
share their training rows with it (the paper protocol's seeds). Here the
same folds or seeds are run twice in one process, side by side: as the
study runs them, and with every estimator fitted on its own. The ratio is
one-by-one time / together time; the two runs' test accuracies are compared
too.

    python benchmarks/bench_studies.py [--datasets sonar optdigits] [--folds 2]
    python benchmarks/bench_studies.py --paper [--datasets sonar] [--seeds 42 ...]

One process, ``n_jobs=1``, torch on every core. ``--paper``: the paper
protocol's full training, Random Cloud and the two pruning baselines.
"""

import argparse
import time
import warnings

import numpy as np

from sklearn_rcloud.study import (
    PaperProtocol,
    SparsityStudyConfig,
    paper_methods,
    run_sparsity_study,
    run_study,
)
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
    parser.add_argument("--paper", action="store_true")
    parser.add_argument("--seeds", nargs="+", type=int, default=None)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.paper:
        return _paper(args.datasets, args.seeds)
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


def _paper(datasets, seeds):
    """The paper protocol's runs, one by one and together, side by side."""
    protocol = PaperProtocol() if seeds is None else PaperProtocol(seeds=seeds)
    methods = [
        m
        for m in paper_methods()
        if m.name in ("full", "random_cloud", "magnitude", "random")
    ]
    print(
        "| dataset | runs | one by one (s) | together (s) | ratio | "
        "accuracies differing |"
    )
    print("|---|---|---|---|---|---|")
    for dataset in datasets:
        times, results = [], []
        for together in (False, True):
            start = time.perf_counter()
            results.append(
                run_study([dataset], methods, protocol, verbose=0, together=together)
            )
            times.append(time.perf_counter() - start)
        a, b = (np.array([r["accuracy"] for r in res.records]) for res in results)
        print(
            f"| {dataset} | {len(a)} | {times[0]:.1f} | {times[1]:.1f} | "
            f"{times[0] / times[1]:.2f}x | {int((a != b).sum())} |"
        )


if __name__ == "__main__":
    main()
