"""Choose RandomCloudClassifier's defaults by evidence (the cv protocol).

For each configuration (the current defaults, then one option changed at a
time), run the ``cv`` protocol (repeated stratified 5-fold, 2 repeats) on the
study's datasets: Random Cloud with that configuration, and magnitude pruning
of the same maximal network to the topology Random Cloud found in the same
fold. Print, per configuration, the accuracy difference to magnitude pruning
on every dataset and the median parameter reduction. The bar for a default:
at least as accurate as magnitude pruning on every dataset, and a median
reduction of at least 80%.

    python benchmarks/select_defaults.py [--datasets ...] [--out results/defaults]
        [--n-jobs -1]

Runs already in ``--out`` are reused, so the sweep can be stopped and resumed.
"""

import argparse
import warnings
from pathlib import Path

import numpy as np

from sklearn_rcloud.study import CVProtocol, default_methods, run_study

DATASETS = [
    "breast_cancer",
    "sonar",
    "ionosphere",
    "iris",
    "wine",
    "optdigits",
    "pima_diabetes",
    "banknote",
]

# One option changed at a time from the current defaults.
VARIATIONS = [
    {},
    {"proxy": "train_accuracy"},
    {"selection": "best"},
    {"init": "uniform"},
    {"init": "glorot"},
    {"activation": "tanh"},
    {"activation": "logistic", "init": "glorot"},
    {"weights": "reinit"},
    {"selection_tolerance": 0.02},
]


def methods(overrides):
    """Random Cloud with ``overrides`` and magnitude pruning to its topology."""
    return [
        m
        for m in default_methods(**overrides)
        if m.name in ("random_cloud", "magnitude")
    ]


def name(overrides):
    return ",".join(f"{k}={v}" for k, v in overrides.items()) or "defaults"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    parser.add_argument("--out", type=Path, default=Path("results/defaults"))
    parser.add_argument("--n-jobs", type=int, default=-1)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)
    args.out.mkdir(parents=True, exist_ok=True)

    print(
        "| configuration | "
        + " | ".join(args.datasets)
        + " | datasets ≥ magnitude | median reduction |"
    )
    print("|---|" + "---|" * (len(args.datasets) + 2))
    for overrides in VARIATIONS:
        result = run_study(
            args.datasets,
            methods(overrides),
            CVProtocol(),
            n_jobs=args.n_jobs,
            records_path=args.out / f"{name(overrides)}.csv",
            verbose=0,
            # As the published table was made: one fit after another.
            together=False,
        )
        rows = {(r["dataset"], r["method"]): r for r in result.summary()}
        differences = [
            rows[(d, "random_cloud")]["accuracy_mean"]
            - rows[(d, "magnitude")]["accuracy_mean"]
            for d in args.datasets
        ]
        reduction = np.nanmedian(
            [r["reduction"] for r in result.records if r["method"] == "random_cloud"]
        )
        cells = [f"{d:+.1f}" for d in differences]
        wins = sum(d >= 0 for d in differences)
        print(
            f"| {name(overrides)} | "
            + " | ".join(cells)
            + f" | {wins}/{len(differences)} | {100 * reduction:.0f}% |",
            flush=True,
        )


if __name__ == "__main__":
    main()
