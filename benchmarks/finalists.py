"""Random Cloud with finalists judged on held-out rows, against its score's pick.

For each setting of ``n_finalists`` (1, the default, trains the training-free
score's pick; more trains one network at each of that many sizes on 80% of the
rows and keeps the smallest whose validation loss is within
``finalist_tolerance`` of the best), run the ``cv`` protocol (repeated
stratified 5-fold, 2 repeats below 3,000 rows, 1 from there) on the twelve
datasets the recipe was chosen on (``evidence_datasets.py``): the dense
network, Random Cloud, and magnitude pruning of the same maximal network to
Random Cloud's topology in the same fold. Per dataset: mean test accuracy of
each, Random Cloud minus magnitude with the corrected resampled t-test (Nadeau
and Bengio), Holm-adjusted over the datasets, Random Cloud's median parameter
reduction, and its median fit time over magnitude pruning's and the dense
network's (one process, the same folds, one after another).

    python benchmarks/finalists.py [--datasets ...] [--out results/finalists]

Runs already in ``--out`` are reused. Their fit times are only comparable
when nothing else ran meanwhile; ``--timing-folds N`` instead times the
methods back to back on each dataset's first N folds, so that machine noise
hits them alike, and prints the fit-time ratios alone.
"""

import argparse
import warnings
from pathlib import Path

import numpy as np
from evidence_datasets import DATASETS, load, protocol_for
from select_recipe import _fit_seconds, _reference_of, warm_up

from sklearn_rcloud.study import (
    MethodContext,
    corrected_resampled_ttest,
    default_methods,
    holm,
    run_study,
)

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


def _records(datasets, methods, path):
    """Every record of ``methods`` on ``datasets``, each under its protocol."""
    records = []
    for dataset in datasets:
        records += run_study(
            [dataset],
            methods,
            protocol_for(dataset),
            records_path=path,
            verbose=0,
            # One fit after another: the fit-time ratios are solo fits'.
            together=False,
        ).records
    return records


def time_side_by_side(dataset, n_folds):
    """Median fit-time ratios of Random Cloud, by setting, on ``n_folds`` folds.

    Per fold, in this process and one after another: the dense network, then
    for each setting Random Cloud and magnitude pruning to its topology.
    Returns ``{setting name: (fit / magnitude, fit / dense)}``.
    """
    ratios = {_name(setting): ([], []) for setting in SETTINGS}
    (dense_method,) = [m for m in default_methods() if m.name == "full"]
    methods = {
        _name(setting): {m.name: m for m in default_methods(**setting)}
        for setting in SETTINGS
    }
    for run in protocol_for(dataset).runs(dataset)[:n_folds]:
        context = MethodContext(dataset.name, run.seed)
        dense = _fit_seconds(dense_method.make(context), dataset, run)
        for name, setting_methods in methods.items():
            cloud = setting_methods["random_cloud"].make(context)
            seconds = _fit_seconds(cloud, dataset, run)
            reference = MethodContext(dataset.name, run.seed, _reference_of(cloud))
            magnitude = _fit_seconds(
                setting_methods["magnitude"].make(reference), dataset, run
            )
            vs_magnitude, vs_dense = ratios[name]
            vs_magnitude.append(seconds / magnitude)
            vs_dense.append(seconds / dense)
    return {
        name: (float(np.median(a)), float(np.median(b)))
        for name, (a, b) in ratios.items()
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--out", type=Path, default=Path("results/finalists"))
    parser.add_argument(
        "--timing-folds",
        type=int,
        default=0,
        help="instead of the study, time the methods back to back on this many "
        "folds per dataset (run nothing else meanwhile)",
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)
    if args.timing_folds:
        warm_up()
        print(
            "| dataset | "
            + " | ".join(f"{_name(s)}: fit / magnitude | fit / dense" for s in SETTINGS)
            + " |"
        )
        print("|---|" + "---|---|" * len(SETTINGS))
        for name in args.datasets:
            row = time_side_by_side(load(name), args.timing_folds)
            cells = [f"{a:.2f} | {b:.2f}" for a, b in row.values()]
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    datasets = [load(name) for name in args.datasets]
    dense = _records(
        datasets,
        [m for m in default_methods() if m.name == "full"],
        args.out / "dense.csv",
    )
    for setting in SETTINGS:
        result = _records(
            datasets,
            [
                m
                for m in default_methods(**setting)
                if m.name in ("random_cloud", "magnitude")
            ],
            args.out / f"{_name(setting)}.csv",
        )
        rows, pvalues = [], []
        for dataset in args.datasets:
            ours = _by(result, dataset, "random_cloud", "accuracy")
            theirs = _by(result, dataset, "magnitude", "accuracy")
            full = _by(dense, dataset, "full", "accuracy")
            n_train = _by(result, dataset, "random_cloud", "n_train")[0]
            n_test = _by(result, dataset, "random_cloud", "n_test")[0]
            pvalues.append(corrected_resampled_ttest(ours, theirs, n_train, n_test)[1])
            time = np.median(_by(result, dataset, "random_cloud", "fit_time"))
            rows.append(
                (
                    dataset,
                    100 * full.mean(),
                    100 * ours.mean(),
                    100 * theirs.mean(),
                    100 * (ours - theirs).mean(),
                    np.median(_by(result, dataset, "random_cloud", "reduction")),
                    time / np.median(_by(result, dataset, "magnitude", "fit_time")),
                    time / np.median(_by(dense, dataset, "full", "fit_time")),
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
