"""A study's wall time with its networks trained together, against one by one.

The sparsity study trains each fold's networks (the parent and every
sparsity's masked networks and Random Cloud's pick) with
:func:`sklearn_rcloud.fit_together`, the SAEP study each fold's ensembles
(one per pruning rule), and the study runner fits the runs that
share their training rows with it (the paper protocol's seeds). Here the
same folds or seeds are run twice in one process, side by side: as the
study runs them, and with every estimator fitted on its own. The ratio is
one-by-one time / together time; the two runs' test accuracies are compared
too.

    python benchmarks/bench_studies.py [--study saep] [--datasets sonar] [--folds 2]
    python benchmarks/bench_studies.py --paper [--datasets sonar] [--seeds 42 ...]

One process, ``n_jobs=1``, torch on every core. ``--paper``: the paper
protocol's full training, Random Cloud and the two pruning baselines.
"""

import argparse
import time
import warnings

import numpy as np

from sklearn_rcloud.estimators._together import FitOutcome
from sklearn_rcloud.study import (
    PaperProtocol,
    SAEPStudyConfig,
    SparsityStudyConfig,
    paper_methods,
    run_saep_study,
    run_sparsity_study,
    run_study,
)
from sklearn_rcloud.study._experiments import _saep, _sparsity
from sklearn_rcloud.study._runner import _fit_alone


def _one_by_one(estimators, X, y):
    return [estimator.fit(X, y) for estimator in estimators]


def _each_one_by_one(estimators, X, y):
    """``fit_each``'s report, the fits done one after another."""
    alone = [_fit_alone(estimator, X, y) for estimator in estimators]
    return FitOutcome(
        estimators,
        [outcome.seconds[0] for outcome in alone],
        [outcome.warnings[0] for outcome in alone],
        [outcome.errors[0] for outcome in alone],
    )


#: The folded studies: their module, the name of the function there that
#: fits a fold's estimators together and its one-by-one stand-in, the
#: runner and the configuration.
FOLDED = {
    "sparsity": (
        _sparsity,
        "fit_together",
        _one_by_one,
        run_sparsity_study,
        SparsityStudyConfig,
    ),
    "saep": (_saep, "fit_each", _each_one_by_one, run_saep_study, SAEPStudyConfig),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["sonar", "optdigits"])
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--study", choices=sorted(FOLDED), default="sparsity")
    parser.add_argument("--paper", action="store_true")
    parser.add_argument("--seeds", nargs="+", type=int, default=None)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.paper:
        return _paper(args.datasets, args.seeds)
    module, name, one_by_one, run, make_config = FOLDED[args.study]
    config = make_config(n_folds=args.folds, n_repeats=1)
    print(
        "| dataset | fits | one by one (s) | together (s) | ratio | "
        "accuracies differing | largest difference |"
    )
    print("|---|---|---|---|---|---|---|")
    together = getattr(module, name)
    for dataset in args.datasets:
        times, results = [], []
        for fit in (one_by_one, together):
            setattr(module, name, fit)
            start = time.perf_counter()
            results.append(run([dataset], config, n_jobs=1))
            times.append(time.perf_counter() - start)
        setattr(module, name, together)
        a, b = (np.array([r["test_accuracy"] for r in res.records]) for res in results)
        print(
            f"| {dataset} | {len(a)} | {times[0]:.1f} | {times[1]:.1f} | "
            f"{times[0] / times[1]:.2f}x | {int((a != b).sum())} | "
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
