"""Choose the default training recipe by evidence, against scikit-learn's defaults.

Every estimator at its defaults (only ``random_state`` set) in the study's
pipeline (one-hot encoding of categorical columns, min-max scaling) on the same
folds: ``DenseMLPClassifier()``, ``RandomCloudClassifier()`` and magnitude
pruning of the same maximal network to the topology Random Cloud found in the
same fold, beside ``MLPClassifier()``, ``LogisticRegression(max_iter=1000)``
and ``HistGradientBoostingClassifier()``. Per dataset it prints the mean test
accuracy of each, its fit time relative to ``MLPClassifier()`` in the same
run (median over the folds of the per-fold ratio), and how many of the
library's fits converged (no ``ConvergenceWarning``).

``--recipe`` runs the library's three estimators with one of the candidate
recipes of :data:`RECIPES` instead of the defaults; the scikit-learn baselines
do not depend on it and are run once.

    python benchmarks/select_recipe.py [--recipe defaults previous adam ...]
        [--datasets ...] [--out results/recipe] [--n-jobs 1]

Every finished run is appended to ``--out/<recipe>.csv`` (the baselines to
``--out/baselines.csv``), so the sweep can be stopped and resumed. Fit times
are only comparable within one run of this script with ``--n-jobs 1`` on an
otherwise idle machine.
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from evidence_datasets import DATASETS, protocol_for
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from sklearn_rcloud import (
    DenseMLPClassifier,
    MagnitudePruningClassifier,
    RandomCloudClassifier,
)
from sklearn_rcloud.study import run_study
from sklearn_rcloud.study._methods import (
    REFERENCE_METHOD,
    Method,
    MethodContext,
    _pruning_target,
)
from sklearn_rcloud.study._protocols import make_pipeline

#: Candidate recipes: parameters given to all three library estimators.
RECIPES = {
    # The library's defaults (whatever they are when this runs).
    "defaults": {},
    # The defaults before this sweep: Adam at 1e-3, min(200, n) rows per
    # batch, no penalty, no validation split, 32 hidden units.
    "previous": {
        "solver": "adam",
        "alpha": 0.0,
        "early_stopping": False,
        "hidden_layer_sizes": (32,),
    },
    # One change at a time from the defaults.
    "adam": {"solver": "adam"},
    "lbfgs": {"solver": "lbfgs"},
    "alpha=1e-4": {"alpha": 1e-4},
    "alpha=0.1": {"alpha": 0.1},
    "alpha=10": {"alpha": 10.0},
    "hidden=(32,)": {"hidden_layer_sizes": (32,)},
    "early_stopping": {"early_stopping": True},
}

BASELINES = {
    "mlp_sklearn": MLPClassifier(),
    "logistic": LogisticRegression(max_iter=1000),
    "hist_gb": HistGradientBoostingClassifier(),
}
LIBRARY = ("dense", "random_cloud", "magnitude")


def library_methods(params):
    """Dense, Random Cloud and magnitude pruning to Random Cloud's topology."""
    hidden = params.get("hidden_layer_sizes", DenseMLPClassifier().hidden_layer_sizes)

    def magnitude(context):
        return MagnitudePruningClassifier(
            **params,
            **_pruning_target(context.reference, hidden),
            random_state=context.seed,
        )

    return [
        Method("dense", lambda c: DenseMLPClassifier(**params, random_state=c.seed)),
        Method(
            "random_cloud",
            lambda c: RandomCloudClassifier(**params, random_state=c.seed),
        ),
        Method("magnitude", magnitude, needs_reference=True),
    ]


def run_dataset(dataset, recipe, out, n_jobs):
    """Records of the baselines and of the library under ``recipe``, by method."""
    protocol = protocol_for(dataset)
    # Fit times are compared with MLPClassifier()'s, which trains alone: so
    # do the library's here (no populations across the methods of a fold).
    common = dict(protocol=protocol, n_jobs=n_jobs, verbose=0, together=False)
    baselines = run_study(
        [dataset], BASELINES, records_path=out / "baselines.csv", **common
    )
    library = run_study(
        [dataset],
        library_methods(RECIPES[recipe]),
        records_path=out / f"{recipe}.csv",
        **common,
    )
    records = {}
    for record in baselines.records + library.records:
        records.setdefault(record["method"], []).append(record)
    return protocol, records


def summarise(records):
    """Mean accuracy, fit time relative to MLPClassifier, converged fits."""
    reference = {r["split"]: r["fit_time"] for r in records["mlp_sklearn"]}
    row = {}
    for method, runs in records.items():
        accuracy = [r["accuracy"] for r in runs if not r["error"]]
        ratios = [r["fit_time"] / reference[r["split"]] for r in runs if not r["error"]]
        converged = [r["converged"] for r in runs if not r["error"]]
        row[method] = {
            "accuracy": 100 * np.mean(accuracy) if accuracy else np.nan,
            "time_ratio": float(np.median(ratios)) if ratios else np.nan,
            "converged": int(np.nansum(converged)),
            "n_runs": len(converged),
            "reduction": [r["reduction"] for r in runs],
        }
    return row


def print_table(recipe, rows):
    methods = list(BASELINES) + list(LIBRARY)
    print(f"\n### recipe: {recipe}\n")
    print(
        "| data | rows | folds | "
        + " | ".join(methods)
        + " | dense − MLP | RC − dense | converged (dense/RC/magnitude) "
        + "| MLP converged |"
    )
    print("|---|---|---|" + "---|" * (len(methods) + 4))
    for name, (n_samples, protocol, row) in rows.items():
        cells = [f"{row[m]['accuracy']:.1f}" for m in methods]
        dense_gap = row["dense"]["accuracy"] - row["mlp_sklearn"]["accuracy"]
        rc_gap = row["random_cloud"]["accuracy"] - row["dense"]["accuracy"]
        converged = "/".join(str(row[m]["converged"]) for m in LIBRARY)
        converged += f" of {row['dense']['n_runs']}"
        folds = f"{protocol.n_splits}x{protocol.n_repeats}"
        print(
            f"| {name} | {n_samples} | {folds} | "
            + " | ".join(cells)
            + f" | {dense_gap:+.1f} | {rc_gap:+.1f} | {converged} | "
            f"{row['mlp_sklearn']['converged']} of {row['mlp_sklearn']['n_runs']} |"
        )
    means = {
        m: np.mean([row[m]["accuracy"] for _, _, row in rows.values()]) for m in methods
    }
    print(
        "| **mean** | | | "
        + " | ".join(f"{means[m]:.1f}" for m in methods)
        + f" | {means['dense'] - means['mlp_sklearn']:+.1f} | "
        f"{means['random_cloud'] - means['dense']:+.1f} | | |"
    )
    print("\nFit time relative to MLPClassifier() (median over folds):\n")
    print_ratios(
        {
            name: {m: row[m]["time_ratio"] for m in methods}
            for name, (_, _, row) in rows.items()
        },
        methods,
    )
    reductions = [
        x for _, _, row in rows.values() for x in row["random_cloud"]["reduction"]
    ]
    print(
        f"\nRandom Cloud's median parameter reduction: "
        f"{100 * np.nanmedian(reductions):.0f}% of the maximal network."
    )


def time_side_by_side(dataset, n_folds):
    """Fit times relative to ``MLPClassifier()``, measured back to back.

    On the first ``n_folds`` folds of the dataset's protocol, in this
    process: ``MLPClassifier()``, then the library's methods of the sweep at
    the defaults (the dense network, Random Cloud, magnitude pruning to
    Random Cloud's topology), one after the other, so that machine noise hits
    them alike. Returns, per method, the median over the folds of its fit
    time divided by ``MLPClassifier()``'s.
    """
    ratios = {name: [] for name in LIBRARY}
    for run in protocol_for(dataset).runs(dataset)[:n_folds]:
        reference_seconds = _fit_seconds(
            MLPClassifier(random_state=run.seed), dataset, run
        )
        context = MethodContext(dataset.name, run.seed)
        for method in library_methods(RECIPES["defaults"]):
            estimator = method.make(context)
            seconds = _fit_seconds(estimator, dataset, run)
            ratios[method.name].append(seconds / reference_seconds)
            if method.name == REFERENCE_METHOD:
                context = MethodContext(
                    dataset.name, run.seed, _reference_of(estimator)
                )
    return {name: float(np.median(values)) for name, values in ratios.items()}


def warm_up():
    """Pay the one-off costs of a process's first fit before any fit is timed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        DenseMLPClassifier(max_iter=1).fit(np.eye(4), [0, 1, 0, 1])


def _fit_in_pipeline(estimator, dataset, run):
    """``(pipeline, seconds)``: ``estimator`` in the run's pipeline, fitted on
    the run's training rows (warnings silenced), and how long the fit took."""
    pipeline = make_pipeline(dataset, estimator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tic = time.perf_counter()
        pipeline.fit(dataset.X[run.train], dataset.y[run.train])
        return pipeline, time.perf_counter() - tic


def _fit_seconds(estimator, dataset, run):
    """Seconds to fit ``estimator`` in the run's pipeline on its training rows."""
    return _fit_in_pipeline(estimator, dataset, run)[1]


def _reference_of(cloud):
    """What a pruning method needs from a fitted Random Cloud (as in a study)."""
    return {
        "hidden_layer_sizes": cloud.topology_.hidden_layer_sizes,
        "n_params": cloud.n_params_,
        "initial_n_params": cloud.initial_topology_.n_params,
    }


def print_ratios(rows, methods):
    """A table of fit-time ratios per dataset, with their means over datasets."""
    print("| data | " + " | ".join(methods) + " |")
    print("|---|" + "---|" * len(methods))
    for dataset, row in rows.items():
        print(f"| {dataset} | " + " | ".join(f"{row[m]:.2f}×" for m in methods) + " |")
    for label, mean in (
        ("geometric", lambda v: float(np.exp(np.mean(np.log(v))))),
        ("arithmetic", np.mean),
    ):
        cells = [f"{mean([row[m] for row in rows.values()]):.2f}×" for m in methods]
        print(f"| **{label} mean** | " + " | ".join(cells) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", nargs="+", default=["defaults"], choices=RECIPES)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--out", type=Path, default=Path("results/recipe"))
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument(
        "--timing-folds",
        type=int,
        default=0,
        help="instead of the sweep, time the defaults back to back on this "
        "many folds per dataset (run nothing else meanwhile)",
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)
    args.out.mkdir(parents=True, exist_ok=True)
    datasets = [DATASETS[name]() for name in args.datasets]
    if args.timing_folds:
        warm_up()
        rows = {}
        for dataset in datasets:
            rows[dataset.name] = time_side_by_side(dataset, args.timing_folds)
            print(f"timed: {dataset.name}", flush=True)
        print("\nFit time relative to MLPClassifier(), measured back to back:\n")
        print_ratios(rows, LIBRARY)
        return
    for recipe in args.recipe:
        rows = {}
        for dataset in datasets:
            protocol, records = run_dataset(dataset, recipe, args.out, args.n_jobs)
            rows[dataset.name] = (dataset.n_samples, protocol, summarise(records))
            print(f"done: {recipe} {dataset.name}", flush=True)
        print_table(recipe, rows)


if __name__ == "__main__":
    main()
