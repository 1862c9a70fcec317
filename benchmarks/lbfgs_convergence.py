"""How well L-BFGS trains, before and after a change to the engine's L-BFGS.

Fits ``DenseMLPClassifier(solver='lbfgs', random_state=run)`` (every other
parameter at its default) in the study's pipeline on the recipe's twelve
datasets, over their cross-validation runs (``--runs``: the first few only),
and records per fit: iterations to the stopping rule (``n_iter_``), whether
the rule fired before ``max_iter`` (``converged``), the final training loss
(``loss_curve_[-1]``), test accuracy and fit seconds.

Run it once per version of the library and compare::

    cd benchmarks
    # before: a checkout of the old commit first on the path
    PYTHONPATH=/path/to/old/checkout ../.venv/bin/python lbfgs_convergence.py \
        --out before.json
    ../.venv/bin/python lbfgs_convergence.py --out after.json
    ../.venv/bin/python lbfgs_convergence.py --compare before.json after.json

The comparison prints, per dataset, the medians of iterations, final
training loss and fit seconds, the mean test accuracy and the share of fits
that converged, side by side.
"""

import argparse
import json
import os
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evidence_datasets import DATASETS, load, protocol_for  # noqa: E402
from select_recipe import warm_up  # noqa: E402

import sklearn_rcloud  # noqa: E402
from sklearn_rcloud import DenseMLPClassifier  # noqa: E402
from sklearn_rcloud.study._protocols import make_pipeline  # noqa: E402


def measure(names, max_runs):
    """Per dataset, one record per fit (see the module's docstring)."""
    warm_up()
    records = {}
    for name in names:
        dataset = load(name)
        runs = list(protocol_for(dataset).runs(dataset))[:max_runs]
        records[name] = []
        for run in runs:
            estimator = DenseMLPClassifier(solver="lbfgs", random_state=run.seed)
            # Fitted here, not by select_recipe's helper, which silences
            # every warning: the ConvergenceWarning is the record.
            pipeline = make_pipeline(dataset, estimator)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("ignore")
                warnings.simplefilter("always", ConvergenceWarning)
                tic = time.perf_counter()
                pipeline.fit(dataset.X[run.train], dataset.y[run.train])
                seconds = time.perf_counter() - tic
            fitted = pipeline[-1]
            accuracy = pipeline.score(dataset.X[run.test], dataset.y[run.test])
            records[name].append(
                {
                    "n_iter": int(fitted.n_iter_),
                    "converged": not any(
                        issubclass(w.category, ConvergenceWarning) for w in caught
                    ),
                    "final_loss": float(fitted.loss_curve_[-1]),
                    "accuracy": float(accuracy),
                    "seconds": float(seconds),
                }
            )
        print(f"{name}: {len(runs)} fits", flush=True)
    return records


def compare(before, after):
    """The side-by-side table of two runs of :func:`measure`."""
    print(
        "| data | iterations (median) | final training loss (median) | "
        "test accuracy (mean) | converged | fit s (median) |"
    )
    print("|---|---|---|---|---|---|")
    for name in before:
        if name not in after:
            continue
        cells = []
        for key, summary, form in (
            ("n_iter", np.median, "{:.0f}"),
            ("final_loss", np.median, "{:.4f}"),
            ("accuracy", np.mean, "{:.3f}"),
            ("converged", np.mean, "{:.0%}"),
            ("seconds", np.median, "{:.3f}"),
        ):
            old, new = (
                form.format(summary([r[key] for r in side[name]]))
                for side in (before, after)
            )
            cells.append(f"{old} → {new}")
        print(f"| {name} | " + " | ".join(cells) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--runs", type=int, default=5, help="runs per dataset")
    parser.add_argument("--out", help="write the records to this JSON file")
    parser.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args()
    if args.compare:
        before, after = (json.load(open(path)) for path in args.compare)
        compare(before, after)
        return
    print(f"sklearn_rcloud from {os.path.dirname(sklearn_rcloud.__file__)}")
    records = measure(args.datasets, args.runs)
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(records, handle)


if __name__ == "__main__":
    main()
