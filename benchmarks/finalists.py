"""Random Cloud with finalists judged on held-out rows, against its score's pick.

For each setting of ``n_finalists`` (1, the default, trains the training-free
score's pick; more trains one network at each of that many sizes on 80% of
the rows and keeps the smallest whose validation loss is within
``finalist_tolerance`` of the best), run the ``cv`` protocol (repeated
stratified 5-fold, 2 repeats): the dense network, Random Cloud, and magnitude
pruning of the same maximal network to Random Cloud's topology in the same
fold. Per dataset: mean test accuracy of each, Random Cloud minus magnitude
with the corrected resampled t-test (Nadeau and Bengio), Holm-adjusted over
the datasets, Random Cloud's median parameter reduction, and its median fit
time over magnitude pruning's and the dense network's (one process, the same
folds, one after another).

    python benchmarks/finalists.py [--datasets ...] [--out results/finalists]

Runs already in ``--out`` are reused.
"""

import argparse
import warnings
from pathlib import Path

import numpy as np

from sklearn_rcloud.study import (
    CVProtocol,
    corrected_resampled_ttest,
    default_methods,
    holm,
    run_study,
)

DATASETS = [
    "sonar",
    "ionosphere",
    "breast_cancer",
    "pima_diabetes",
    "wine",
    "iris",
    "banknote",
    "optdigits",
]

SETTINGS = [
    {"n_finalists": 1},
    {"n_finalists": 8},
]


def _name(setting):
    return ",".join(f"{k}={v}" for k, v in setting.items())


def _by(records, dataset, method, field):
    rows = [r for r in records if r["dataset"] == dataset and r["method"] == method]
    rows.sort(key=lambda r: (r["split"], r["seed"]))
    return np.array([float(r[field]) for r in rows])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    parser.add_argument("--out", type=Path, default=Path("results/finalists"))
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)
    args.out.mkdir(parents=True, exist_ok=True)
    dense = run_study(
        args.datasets,
        [m for m in default_methods() if m.name == "full"],
        CVProtocol(),
        records_path=args.out / "dense.csv",
        verbose=0,
        together=False,
    )
    for setting in SETTINGS:
        result = run_study(
            args.datasets,
            [
                m
                for m in default_methods(**setting)
                if m.name in ("random_cloud", "magnitude")
            ],
            CVProtocol(),
            records_path=args.out / f"{_name(setting)}.csv",
            verbose=0,
            # One fit after another: the fit-time ratios are solo fits'.
            together=False,
        )
        rows, pvalues = [], []
        for dataset in args.datasets:
            ours = _by(result.records, dataset, "random_cloud", "accuracy")
            theirs = _by(result.records, dataset, "magnitude", "accuracy")
            full = _by(dense.records, dataset, "full", "accuracy")
            n_train = _by(result.records, dataset, "random_cloud", "n_train")[0]
            n_test = _by(result.records, dataset, "random_cloud", "n_test")[0]
            pvalues.append(corrected_resampled_ttest(ours, theirs, n_train, n_test)[1])
            time = np.median(_by(result.records, dataset, "random_cloud", "fit_time"))
            rows.append(
                (
                    dataset,
                    100 * full.mean(),
                    100 * ours.mean(),
                    100 * theirs.mean(),
                    100 * (ours - theirs).mean(),
                    np.median(
                        _by(result.records, dataset, "random_cloud", "reduction")
                    ),
                    time
                    / np.median(_by(result.records, dataset, "magnitude", "fit_time")),
                    time / np.median(_by(dense.records, dataset, "full", "fit_time")),
                )
            )
        print(f"\n{_name(setting)}\n")
        print(
            "| dataset | dense | Random Cloud | magnitude | RC - magnitude "
            "| p (Holm) | reduction | fit / magnitude | fit / dense |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for row, p in zip(rows, holm(pvalues)):
            dataset, full, ours, theirs, diff, reduction, vs_magnitude, vs_dense = row
            print(
                f"| {dataset} | {full:.1f} | {ours:.1f} | {theirs:.1f} | {diff:+.1f} "
                f"| {p:.2f} | {100 * reduction:.0f}% | {vs_magnitude:.2f} "
                f"| {vs_dense:.2f} |"
            )
        diffs = [row[4] for row in rows]
        print(
            f"| mean | | | | {np.mean(diffs):+.2f} | | "
            f"{100 * np.median([row[5] for row in rows]):.0f}% (median) | "
            f"{np.median([row[6] for row in rows]):.2f} (median) | "
            f"{np.median([row[7] for row in rows]):.2f} (median) |",
            flush=True,
        )


if __name__ == "__main__":
    main()
