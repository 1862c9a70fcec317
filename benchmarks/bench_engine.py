"""The training engine's cost against scikit-learn's MLPClassifier, side by side.

Issue 32's measurements, each a ratio of two timings taken back to back in
this process, so that machine noise hits both alike:

1. ``lbfgs``: time per L-BFGS iteration of ``DenseMLPClassifier`` against
   ``MLPClassifier(solver='lbfgs')``, same hidden size, same rows, a fixed
   number of iterations (no stopping rule), at hidden (100,) and (25,), on
   Sonar-, Pima-, Iris- and 300-row 8-class-shaped data; and the (25,)
   network's time per iteration against the (100,) network's.
   ``anatomy``: where an L-BFGS iteration's time goes (evaluations of the
   loss and gradient per iteration, one evaluation's time, the rest).
2. ``adam``: time per Adam epoch, the same way (batch size 200).
3. ``defaults``: fit time at the defaults, ``DenseMLPClassifier()`` against
   ``MLPClassifier()``, on the recipe's datasets below 2,000 rows (``--all``:
   the twelve), in the study's pipeline, median over folds.
4. ``busy``: the defaults' fits again while one other CPU-bound process runs,
   against the same fits idle, for both libraries.
5. ``predict``: ``predict_proba`` of one row and of 10,000 rows against
   ``MLPClassifier``'s (digits, hidden (100,)).

Run::

    .venv/bin/python benchmarks/bench_engine.py [--parts lbfgs adam ...] [--all]

It prints the machine's state first (cores, load, torch's threads); run
nothing else heavy at the same time.
"""

import argparse
import multiprocessing
import os
import platform
import time
import warnings

import numpy as np
import sklearn
import torch
from evidence_datasets import DATASETS, load, protocol_for
from select_recipe import _fit_seconds, warm_up
from sklearn.datasets import load_digits, make_classification
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import minmax_scale
from sklearn.utils.validation import validate_data

import sklearn_rcloud
from sklearn_rcloud import DenseMLPClassifier
from sklearn_rcloud._parallel import torch_threads

#: (name, rows, features, classes): the shapes the issue measured.
SHAPES = [
    ("sonar", 166, 60, 2),
    ("pima", 614, 8, 2),
    ("iris", 120, 4, 3),
    ("8-class", 300, 7, 8),
]
HIDDEN = [(100,), (25,)]
SMALL = 2_000


def shaped_data(rows, features, classes):
    X, y = make_classification(
        rows,
        features,
        n_informative=max(2, features // 2),
        n_redundant=0,
        n_classes=classes,
        n_clusters_per_class=1,
        random_state=0,
    )
    return minmax_scale(X), y


def per_iteration(make, X, y, repeats=5):
    """Median seconds per iteration (epoch) of ``make()``'s fit."""
    times = []
    for _ in range(repeats):
        estimator = make()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tic = time.perf_counter()
            estimator.fit(X, y)
            seconds = time.perf_counter() - tic
        times.append(seconds / estimator.n_iter_)
    return float(np.median(times))


def solver_table(solver, n_iter):
    """Per-iteration ratios against MLPClassifier for one solver."""
    print(f"\n## {solver}: time per iteration, {n_iter} iterations, ms\n")
    print("| shape | hidden | ours | MLPClassifier | ratio |")
    print("|---|---|---|---|---|")
    ours_by_hidden = {}
    for name, rows, features, classes in SHAPES:
        X, y = shaped_data(rows, features, classes)
        for hidden in HIDDEN:
            common = dict(
                hidden_layer_sizes=hidden,
                max_iter=n_iter,
                random_state=0,
                batch_size=200,
                early_stopping=False,
            )
            ours = per_iteration(
                lambda common=common: DenseMLPClassifier(
                    solver=solver, n_iter_no_change=None, tol=0.0, **common
                ),
                X,
                y,
            )
            theirs = per_iteration(
                lambda common=common: MLPClassifier(
                    solver=solver, tol=0.0, n_iter_no_change=n_iter + 1, **common
                ),
                X,
                y,
            )
            ours_by_hidden[name, hidden] = ours
            print(
                f"| {name} {rows}x{features}, {classes} classes | {hidden} | "
                f"{1e3 * ours:.3f} | {1e3 * theirs:.3f} | {ours / theirs:.2f}x |"
            )
    print(
        "\n(25,) against (100,), ours: "
        + ", ".join(
            f"{name} {ours_by_hidden[name, (25,)] / ours_by_hidden[name, (100,)]:.2f}x"
            for name, *_ in SHAPES
        )
    )


def lbfgs_anatomy():
    """Where an L-BFGS iteration's time goes: evaluations of the loss and
    gradient (how many per iteration, and what one costs) and the rest."""
    print("\n## Where an L-BFGS iteration goes (100 iterations), ms\n")
    print(
        "| shape | hidden | ours per iteration | evaluations per iteration | "
        "one evaluation | the rest | MLPClassifier per iteration |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, rows, features, classes in SHAPES:
        X, y = shaped_data(rows, features, classes)
        for hidden in HIDDEN:

            def ours(hidden=hidden):
                return DenseMLPClassifier(
                    solver="lbfgs",
                    hidden_layer_sizes=hidden,
                    max_iter=100,
                    n_iter_no_change=None,
                    tol=0.0,
                    random_state=0,
                    early_stopping=False,
                )

            per_iter = per_iteration(ours, X, y)
            fitted = ours().fit(X, y)
            step = fitted.net_.mlp_step_
            evaluations = step.lbfgs.n_evaluations / step.lbfgs.n_iter
            X_t = torch.as_tensor(X, dtype=torch.float32)
            y_t = torch.as_tensor(y)
            with torch_threads(1):
                times = []
                for _ in range(200):
                    tic = time.perf_counter()
                    step._evaluate(X_t, y_t, None)
                    times.append(time.perf_counter() - tic)
            one = float(np.median(times))
            theirs = per_iteration(
                lambda hidden=hidden: MLPClassifier(
                    solver="lbfgs",
                    hidden_layer_sizes=hidden,
                    max_iter=100,
                    tol=0.0,
                    n_iter_no_change=101,
                    random_state=0,
                ),
                X,
                y,
            )
            rest = per_iter - evaluations * one
            print(
                f"| {name} | {hidden} | {1e3 * per_iter:.3f} | {evaluations:.2f} | "
                f"{1e3 * one:.3f} | {1e3 * rest:.3f} | {1e3 * theirs:.3f} |"
            )


def _spin(stop_at):
    while time.time() < stop_at:
        pass


def defaults_table(names, busy):
    """Fit time at the defaults against MLPClassifier(), idle (and busy)."""
    print("\n## Fit time at the defaults against MLPClassifier(), median of 3 folds\n")
    header = "| data | rows | ours / MLPClassifier |"
    if busy:
        header += " ours busy / idle | MLPClassifier busy / idle |"
    print(header)
    print("|---|---|---|" + ("---|---|" if busy else ""))
    ratios = []
    for name in names:
        dataset = load(name)
        runs = protocol_for(dataset).runs(dataset)[:3]

        def times(make, dataset=dataset, runs=runs):
            return [_fit_seconds(make(run.seed), dataset, run) for run in runs]

        idle_ours = times(lambda seed: DenseMLPClassifier(random_state=seed))
        idle_theirs = times(lambda seed: MLPClassifier(random_state=seed))
        ratio = float(np.median(np.divide(idle_ours, idle_theirs)))
        ratios.append(ratio)
        row = f"| {name} | {dataset.n_samples} | {ratio:.2f}x |"
        if busy:
            rival = multiprocessing.Process(target=_spin, args=(time.time() + 600,))
            rival.start()
            try:
                busy_ours = times(lambda seed: DenseMLPClassifier(random_state=seed))
                busy_theirs = times(lambda seed: MLPClassifier(random_state=seed))
            finally:
                rival.terminate()
                rival.join()
            row += (
                f" {np.median(np.divide(busy_ours, idle_ours)):.2f}x |"
                f" {np.median(np.divide(busy_theirs, idle_theirs)):.2f}x |"
            )
        print(row)
    print(
        f"\nGeometric mean of ours / MLPClassifier: "
        f"{np.exp(np.mean(np.log(ratios))):.2f}x"
    )


def predict_table():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = DenseMLPClassifier(random_state=0).fit(X, y)
        theirs = MLPClassifier(random_state=0).fit(X, y)
    big = np.tile(X, (6, 1))[:10_000]

    def median_us(estimator, rows, n):
        times = []
        for _ in range(n):
            tic = time.perf_counter()
            estimator.predict_proba(rows)
            times.append(time.perf_counter() - tic)
        return 1e6 * float(np.median(times))

    print("\n## predict_proba, digits, hidden (100,), median us\n")
    print("| rows | ours | MLPClassifier | ratio |")
    print("|---|---|---|---|")
    for rows, n in ((X[:1], 2000), (big, 50)):
        a, b = median_us(ours, rows, n), median_us(theirs, rows, n)
        print(f"| {len(rows):,} | {a:.0f} | {b:.0f} | {a / b:.2f}x |")

    # What bounds the one-row call: scikit-learn's input validation, the
    # same call in both libraries, and the forward pass after it.
    row = X[:1]
    validated = ours._validate_predict_data(row)
    parts = {
        "validate_data (both)": lambda: validate_data(
            theirs, row, accept_sparse=["csr", "csc"], reset=False
        ),
        "ours: checks and validation": lambda: ours._validate_predict_data(row),
        "ours: forward pass": lambda: ours._probabilities(validated, log=False),
        "MLPClassifier: validation and forward pass": lambda: theirs._forward_pass_fast(
            row
        ),
    }
    print("\nOne row, part by part (median us):\n")
    print("| part | us |")
    print("|---|---|")
    for name, call in parts.items():
        times = []
        for _ in range(2000):
            tic = time.perf_counter()
            call()
            times.append(time.perf_counter() - tic)
        print(f"| {name} | {1e6 * float(np.median(times)):.0f} |")


def machine_state():
    load_1, load_5, _ = os.getloadavg()
    print(
        f"Machine: {os.cpu_count()} cores, load average {load_1:.2f} (1 min) "
        f"{load_5:.2f} (5 min), torch {torch.__version__} with "
        f"{torch.get_num_threads()} intra-op threads, scikit-learn "
        f"{sklearn.__version__}, sklearn_rcloud {sklearn_rcloud.__version__}, "
        f"Python {platform.python_version()}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--parts",
        nargs="+",
        default=["lbfgs", "anatomy", "adam", "defaults", "busy", "predict"],
        choices=["lbfgs", "anatomy", "adam", "defaults", "busy", "predict"],
    )
    parser.add_argument("--all", action="store_true", help="all twelve datasets")
    args = parser.parse_args()
    machine_state()
    warm_up()
    if "lbfgs" in args.parts:
        solver_table("lbfgs", 100)
    if "anatomy" in args.parts:
        lbfgs_anatomy()
    if "adam" in args.parts:
        solver_table("adam", 50)
    if "defaults" in args.parts or "busy" in args.parts:
        names = [name for name in DATASETS if args.all or load(name).n_samples < SMALL]
        defaults_table(names, busy="busy" in args.parts)
    if "predict" in args.parts:
        predict_table()
    machine_state()


if __name__ == "__main__":
    main()
