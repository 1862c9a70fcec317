"""The library's regressors at their defaults against scikit-learn's, on 8 datasets.

Protocol: every estimator at its defaults, only ``random_state`` set (the
fold's seed: ``--seed`` + fold index), after one preprocessing for all, fitted
on each fold's training part in a ``Pipeline``: a ``ColumnTransformer`` with
``SimpleImputer`` and ``StandardScaler`` on the numeric columns and
``OneHotEncoder(handle_unknown='ignore')`` on the categorical ones (Abalone's
``sex``); the target is not transformed. Every estimator sees the same
``KFold(--folds, shuffle=True, random_state=0)`` folds; per fold and estimator
it records the test R² and RMSE, the fit time of the pipeline, and whether
the fit raised a ``ConvergenceWarning``.

The loop is ``cross_validate``'s (same folds, same fit on the training part,
same scores on the test part), written out so that each fit's warnings are
recorded in the process that fits (``cross_validate`` loses them in joblib's
workers), the seed can follow the fold, and Random Cloud's fitted topology in
a fold can be handed to magnitude pruning in the same fold. Within a fold the
estimators are fitted one after another, so machine noise hits them alike.

Estimators: ``MLPRegressor()``, ``MLPRegressor(solver='lbfgs',
max_iter=1000)``, ``Ridge()``, ``HistGradientBoostingRegressor()``, and the
library's regressors that ``sklearn_rcloud`` exports (the others are skipped
with a note).

Part 2, Random Cloud against magnitude pruning at its topology: in each
fold, ``RandomCloudRegressor()`` (part 1's fit), then
``MagnitudePruningRegressor`` of the same maximal network pruned to the
hidden layer sizes Random Cloud found (or, where the search removed a layer,
which structured pruning cannot, to the same number of parameters,
unstructured), as ``select_recipe.py`` does for the classifiers. It reports
both R², their difference and Random Cloud's parameter reduction against the
dense network.

Targets checked: (a) ``DenseMLPRegressor()``'s R², averaged over the
datasets, at least that of the better of ``MLPRegressor()`` and
``MLPRegressor(solver='lbfgs', max_iter=1000)`` (the better one per dataset),
and on no dataset more than 0.02 below it; (b) ``RandomCloudRegressor()``
at most 0.01 R² below magnitude pruning at its topology on average over the
datasets, with a median parameter reduction (over every fold) of at least
50%. Only converged networks may be published: the tables count the fits
that did not converge.

    .venv/bin/python benchmarks/regression.py [--quick] [--datasets ...]
        [--estimators ...] [--folds 5] [--jobs 1] [--seed 0]

Fit times are comparable only with ``--jobs 1`` on an otherwise idle machine.
"""

import argparse
import os
import platform
import time
import warnings

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.datasets import load_diabetes, make_friedman1, make_friedman3
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score, root_mean_squared_error
from sklearn.model_selection import KFold
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.parallel import Parallel, delayed

import sklearn_rcloud
from sklearn_rcloud import datasets as bundled

FRIEDMAN3_NOISE = 0.1


def _bundled(loader):
    return lambda: loader(as_frame=True, return_X_y=True)


def _frame(X, y):
    columns = [f"x{i}" for i in range(X.shape[1])]
    return pd.DataFrame(X, columns=columns), pd.Series(y, name="target")


#: Name -> a function returning ``(X, y)``: X a DataFrame (categorical columns
#: of dtype ``category``), y a float Series.
DATASETS = {
    "concrete": _bundled(bundled.load_concrete),
    "energy_efficiency": _bundled(bundled.load_energy_efficiency),
    "airfoil_self_noise": _bundled(bundled.load_airfoil_self_noise),
    "abalone": _bundled(bundled.load_abalone),
    "wine_quality_red": _bundled(bundled.load_wine_quality_red),
    "diabetes": lambda: load_diabetes(as_frame=True, return_X_y=True),
    "friedman1_5k": lambda: _frame(
        *make_friedman1(n_samples=5000, noise=1.0, random_state=0)
    ),
    "friedman3_20k": lambda: _frame(
        *make_friedman3(n_samples=20000, noise=FRIEDMAN3_NOISE, random_state=0)
    ),
}
#: ``--quick``: four small datasets, one with a categorical column.
QUICK = ("energy_efficiency", "concrete", "abalone", "diabetes")
#: The noise's share of the target's variance bounds R² on the generated sets.
NOISE_STD = {"friedman1_5k": 1.0, "friedman3_20k": FRIEDMAN3_NOISE}

#: Name -> (estimator class, parameters besides ``random_state``).
SKLEARN = {
    "mlp": (MLPRegressor, {}),
    "mlp_lbfgs": (MLPRegressor, {"solver": "lbfgs", "max_iter": 1000}),
    "ridge": (Ridge, {}),
    "hist_gb": (HistGradientBoostingRegressor, {}),
}
#: The library's regressors, by the short name the tables use.
LIBRARY = {
    "dense": "DenseMLPRegressor",
    "random_cloud": "RandomCloudRegressor",
    "magnitude": "MagnitudePruningRegressor",
    "random_pruning": "RandomPruningRegressor",
    "naswot": "NASWOTSearchRegressor",
    "random_search_sparse": "RandomSearchSparseRegressor",
    "random_sparse": "RandomSparseRegressor",
    "saep": "SAEPEnsembleRegressor",
}
#: ``--recipe``: the library's estimators with one change to the training
#: recipe, to check the classification recipe for regression one change at a
#: time (the scikit-learn estimators do not depend on it).
RECIPES = {
    "defaults": {},
    "adam": {"solver": "adam"},
    "lbfgs": {"solver": "lbfgs"},
    "alpha=1e-4": {"alpha": 1e-4},
    "alpha=0.1": {"alpha": 0.1},
    "alpha=2": {"alpha": 2.0},
    "alpha=3": {"alpha": 3.0},
    "alpha=5": {"alpha": 5.0},
    "alpha=10": {"alpha": 10.0},
    "n_iter_no_change=20": {"n_iter_no_change": 20},
    "selection_tolerance=0.02": {"selection_tolerance": 0.02},
    "alpha=2, n_iter_no_change=20": {"alpha": 2.0, "n_iter_no_change": 20},
    "alpha=1.5": {"alpha": 1.5},
    "hidden=(32,)": {"hidden_layer_sizes": (32,)},
    "early_stopping": {"early_stopping": True},
}
REFERENCE = "mlp"  # fit times are ratios to MLPRegressor()'s
PAIRED = "magnitude_at_rc"  # part 2's magnitude pruning to Random Cloud's topology


def available_estimators(names, recipe="defaults"):
    """``{name: (class, params)}`` for ``names``, the library's with the
    changes of ``RECIPES[recipe]``; prints the library's missing ones."""
    found = {}
    for name in names:
        if name in SKLEARN:
            found[name] = SKLEARN[name]
            continue
        cls = getattr(sklearn_rcloud, LIBRARY[name], None)
        if cls is None:
            print(f"note: sklearn_rcloud.{LIBRARY[name]} is not importable; skipped")
        else:
            # A change applies to the estimators that have the parameter.
            own = cls().get_params()
            changes = {k: v for k, v in RECIPES[recipe].items() if k in own}
            found[name] = (cls, changes)
    return found


def make_estimator(cls, params, seed):
    estimator = cls(**params)
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=seed)
    return estimator


def preprocessing():
    """Impute and scale the numeric columns, one-hot encode the categorical ones."""
    return ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(SimpleImputer(), StandardScaler()),
                make_column_selector(dtype_include="number"),
            ),
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                make_column_selector(dtype_include=["category", "object"]),
            ),
        ],
        sparse_threshold=0.0,
    )


def fit_and_score(estimator, X, y, train, test):
    """One fit in the pipeline on ``train``, scored on ``test``.

    Returns ``(record, fitted_pipeline)``; the record holds r2, rmse,
    fit_time, converged (no ``ConvergenceWarning`` in the fit),
    n_convergence_warnings and error (the exception's text, or "").
    """
    pipeline = Pipeline([("prep", preprocessing()), ("model", estimator)])
    record = {"r2": np.nan, "rmse": np.nan, "fit_time": np.nan, "error": ""}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            tic = time.perf_counter()
            pipeline.fit(X.iloc[train], y.iloc[train])
            record["fit_time"] = time.perf_counter() - tic
        except Exception as error:  # noqa: BLE001 - recorded, the run goes on
            record["error"] = f"{type(error).__name__}: {error}"
            pipeline = None
    n_warnings = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
    record["n_convergence_warnings"] = n_warnings
    record["converged"] = pipeline is not None and n_warnings == 0
    if pipeline is not None:
        predicted = pipeline.predict(X.iloc[test])
        record["r2"] = r2_score(y.iloc[test], predicted)
        record["rmse"] = root_mean_squared_error(y.iloc[test], predicted)
    return record, pipeline


def pruning_target(cloud, hidden_layer_sizes):
    """Magnitude pruning's target: Random Cloud's hidden layer sizes, or, where
    the search removed a layer, the same number of parameters, unstructured
    (as ``sklearn_rcloud.study``'s ``_pruning_target``)."""
    target = tuple(cloud.topology_.hidden_layer_sizes)
    if len(target) == len(hidden_layer_sizes) and all(target):
        return {"target_hidden_layer_sizes": target}
    return {
        "sparsity": 1.0 - cloud.n_params_ / cloud.initial_topology_.n_params,
        "structured": False,
    }


def reduction_against_dense(cloud):
    """Random Cloud's parameter reduction against the dense (100,) network."""
    reduction = getattr(cloud, "reduction_", None)
    if reduction is not None:
        return float(reduction)
    n_in = cloud.n_features_in_
    dense = (n_in + 1) * 100 + (100 + 1) * 1
    return 1.0 - cloud.n_params_ / dense


def run_fold(X, y, train, test, seed, estimators, paired):
    """Every estimator on one fold, then magnitude pruning at Random Cloud's
    topology if ``paired``. Returns ``{name: record}``."""
    records, fitted = {}, {}
    for name, (cls, params) in estimators.items():
        estimator = make_estimator(cls, params, seed)
        records[name], fitted[name] = fit_and_score(estimator, X, y, train, test)
    if paired and fitted.get("random_cloud") is not None:
        cloud = fitted["random_cloud"][-1]
        cls = estimators["magnitude"][0]
        hidden = cls().hidden_layer_sizes
        target = pruning_target(cloud, hidden)
        magnitude = cls(**target, random_state=seed)
        record, _ = fit_and_score(magnitude, X, y, train, test)
        record["target"] = (
            str(target["target_hidden_layer_sizes"])
            if "target_hidden_layer_sizes" in target
            else f"sparsity {target['sparsity']:.3f}"
        )
        record["rc_reduction"] = reduction_against_dense(cloud)
        record["rc_n_params"] = int(cloud.n_params_)
        records[PAIRED] = record
    return records


def run_dataset(name, estimators, paired, n_folds, base_seed, n_jobs):
    """``{estimator: list of fold records}`` and the dataset's shape."""
    X, y = DATASETS[name]()
    y = y.astype(np.float64)
    folds = KFold(n_folds, shuffle=True, random_state=0).split(X)
    per_fold = Parallel(n_jobs=n_jobs)(
        delayed(run_fold)(X, y, train, test, base_seed + i, estimators, paired)
        for i, (train, test) in enumerate(folds)
    )
    records = {}
    for fold in per_fold:
        for method, record in fold.items():
            records.setdefault(method, []).append(record)
    n_categorical = sum(
        isinstance(X[c].dtype, pd.CategoricalDtype) or X[c].dtype == object
        for c in X.columns
    )
    ceiling = np.nan
    if name in NOISE_STD:
        ceiling = 1.0 - NOISE_STD[name] ** 2 / float(np.var(y))
    return records, (len(y), X.shape[1], n_categorical, ceiling)


def machine_state():
    load_1, load_5, _ = os.getloadavg()
    try:
        import torch

        torch_state = (
            f"torch {torch.__version__} with {torch.get_num_threads()} intra-op threads"
        )
    except ImportError:
        torch_state = "torch not installed"
    print(
        f"Machine: {os.cpu_count()} cores, load average {load_1:.2f} (1 min) "
        f"{load_5:.2f} (5 min), {torch_state}, scikit-learn "
        f"{sklearn.__version__}, sklearn_rcloud {sklearn_rcloud.__version__}, "
        f"Python {platform.python_version()}"
    )


def _values(records, key):
    return np.array([r[key] for r in records], dtype=float)


def _mean(records, key):
    values = _values(records, key)
    return float(np.nanmean(values)) if np.isfinite(values).any() else np.nan


def print_tables(results, shapes, methods, n_folds):
    print("\n### Datasets\n")
    print("| data | rows | features | categorical | R² ceiling (noise) |")
    print("|---|---|---|---|---|")
    for name, (rows, features, categorical, ceiling) in shapes.items():
        bound = f"{ceiling:.3f}" if np.isfinite(ceiling) else ""
        print(f"| {name} | {rows} | {features} | {categorical} | {bound} |")

    print(f"\n### Test R², mean ± std over {n_folds} folds\n")
    print("| data | " + " | ".join(methods) + " |")
    print("|---|" + "---|" * len(methods))
    for name, records in results.items():
        cells = []
        for m in methods:
            r2 = _values(records[m], "r2")
            cells.append(
                f"{np.nanmean(r2):.3f} ± {np.nanstd(r2):.3f}"
                if np.isfinite(r2).any()
                else "error"
            )
        print(f"| {name} | " + " | ".join(cells) + " |")
    means = [np.mean([_mean(r[m], "r2") for r in results.values()]) for m in methods]
    print("| **mean** | " + " | ".join(f"{v:.3f}" for v in means) + " |")

    print("\n### Test RMSE (target units), mean over the folds\n")
    print("| data | " + " | ".join(methods) + " |")
    print("|---|" + "---|" * len(methods))
    for name, records in results.items():
        cells = [f"{_mean(records[m], 'rmse'):.4g}" for m in methods]
        print(f"| {name} | " + " | ".join(cells) + " |")

    if REFERENCE in methods:
        print(
            "\n### Fit time relative to MLPRegressor() (mean over the folds of "
            "the per-fold ratio)\n"
        )
        print("| data | mlp s | " + " | ".join(methods) + " |")
        print("|---|---|" + "---|" * len(methods))
        ratios = {m: [] for m in methods}
        for name, records in results.items():
            reference = _values(records[REFERENCE], "fit_time")
            cells = []
            for m in methods:
                ratio = float(np.nanmean(_values(records[m], "fit_time") / reference))
                ratios[m].append(ratio)
                cells.append(f"{ratio:.2f}×" if np.isfinite(ratio) else "error")
            print(
                f"| {name} | {np.nanmean(reference):.2f} | " + " | ".join(cells) + " |"
            )
        for label, mean in (
            ("geometric", lambda v: float(np.exp(np.nanmean(np.log(v))))),
            ("arithmetic", np.nanmean),
        ):
            cells = [f"{mean(ratios[m]):.2f}×" for m in methods]
            cells = [cell.replace("nan×", "error") for cell in cells]
            print(f"| **{label} mean** | | " + " | ".join(cells) + " |")

    print(
        "\n### Fits that did not converge (ConvergenceWarning), of the fits "
        "per dataset; errors in brackets\n"
    )
    print("| data | " + " | ".join(methods) + " |")
    print("|---|" + "---|" * len(methods))
    totals = {m: [0, 0, 0, 0] for m in methods}
    for name, records in results.items():
        cells = []
        for m in methods:
            runs = records[m]
            failed = sum(not r["converged"] and not r["error"] for r in runs)
            errors = sum(bool(r["error"]) for r in runs)
            n_warnings = sum(r["n_convergence_warnings"] for r in runs)
            totals[m] = [
                a + b
                for a, b in zip(totals[m], (failed, errors, len(runs), n_warnings))
            ]
            cells.append(
                f"{failed} of {len(runs)}" + (f" [{errors}]" if errors else "")
            )
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(
        "| **total** | "
        + " | ".join(
            f"{t[0]} of {t[2]} ({t[3]} warnings)" + (f" [{t[1]}]" if t[1] else "")
            for t in totals.values()
        )
        + " |"
    )
    for name, records in results.items():
        for m in methods:
            errors = [r["error"] for r in records[m] if r["error"]]
            if errors:
                print(f"error: {name} {m} ({len(errors)} folds), first: {errors[0]}")


def print_pairing(results):
    print(
        "\n### Random Cloud against magnitude pruning at its topology "
        "(mean R² over the folds)\n"
    )
    print(
        "| data | Random Cloud | magnitude at RC's topology | RC − magnitude "
        "| RC reduction vs dense (median) | RC params (median) | targets "
        "| not converged (RC/magnitude) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    gaps, reductions = [], []
    for name, records in results.items():
        rc, mag = records["random_cloud"], records.get(PAIRED, [])
        if not mag:
            print(f"| {name} | Random Cloud failed on every fold | | | | | | |")
            continue
        rc_r2, mag_r2 = _mean(rc, "r2"), _mean(mag, "r2")
        gaps.append(rc_r2 - mag_r2)
        fold_reductions = _values(mag, "rc_reduction")
        reductions.extend(fold_reductions)
        targets = sorted({r["target"] for r in mag})
        not_converged = (
            f"{sum(not r['converged'] for r in rc)}/"
            f"{sum(not r['converged'] for r in mag)} of {len(rc)}"
        )
        print(
            f"| {name} | {rc_r2:.3f} | {mag_r2:.3f} | {rc_r2 - mag_r2:+.3f} | "
            f"{100 * np.median(fold_reductions):.0f}% | "
            f"{np.median(_values(mag, 'rc_n_params')):.0f} | "
            f"{'; '.join(targets)} | {not_converged} |"
        )
    if not gaps:
        return None
    mean_gap, median_reduction = np.nanmean(gaps), np.nanmedian(reductions)
    print(
        f"| **mean** | | | {mean_gap:+.3f} | "
        f"{100 * median_reduction:.0f}% (all folds) | | | |"
    )
    return float(mean_gap), float(median_reduction)


def _not_converged(results, method):
    runs = [r for records in results.values() for r in records.get(method, [])]
    return f"{sum(not r['converged'] for r in runs)} of {len(runs)}"


def check_targets(results, methods, pairing):
    print("\n### Targets\n")
    lines = []
    if {"dense", "mlp", "mlp_lbfgs"} <= set(methods):
        gaps, best = {}, {}
        for name, records in results.items():
            best[name] = max(
                _mean(records["mlp"], "r2"), _mean(records["mlp_lbfgs"], "r2")
            )
            gaps[name] = _mean(records["dense"], "r2") - best[name]
        worst = min(gaps, key=lambda name: np.nan_to_num(gaps[name], nan=-np.inf))
        mean_gap = float(np.mean(list(gaps.values())))
        met = mean_gap >= 0 and gaps[worst] >= -0.02
        means = {
            m: np.mean([_mean(r[m], "r2") for r in results.values()])
            for m in ("dense", "mlp", "mlp_lbfgs")
        }
        lines.append(
            f"(a) DenseMLPRegressor() − the better of MLPRegressor() and "
            f"MLPRegressor(solver='lbfgs', max_iter=1000) on each dataset: "
            f"{mean_gap:+.3f} R² on average (target ≥ 0), worst {gaps[worst]:+.3f} "
            f"on {worst} (target ≥ −0.02): **{'met' if met else 'not met'}**. "
            f"Mean R²: dense {means['dense']:.3f}, MLPRegressor() "
            f"{means['mlp']:.3f}, lbfgs {means['mlp_lbfgs']:.3f}, the better per "
            f"dataset {np.mean(list(best.values())):.3f}; dense fits not "
            f"converged: {_not_converged(results, 'dense')}"
        )
    else:
        lines.append("(a) not checked: needs dense, mlp and mlp_lbfgs")
    if pairing is not None:
        mean_gap, median_reduction = pairing
        met = mean_gap >= -0.01 and median_reduction >= 0.5
        lines.append(
            f"(b) RandomCloudRegressor() − magnitude pruning at its topology: "
            f"{mean_gap:+.3f} R² on average (target ≥ −0.01), median reduction "
            f"{100 * median_reduction:.0f}% (target ≥ 50%): "
            f"**{'met' if met else 'not met'}**; fits not converged: Random "
            f"Cloud {_not_converged(results, 'random_cloud')}, magnitude "
            f"{_not_converged(results, PAIRED)}"
        )
    else:
        lines.append(
            "(b) not checked: needs RandomCloudRegressor and MagnitudePruningRegressor"
        )
    for line in lines:
        print(f"- {line}")
    print(
        "\nOnly converged fits may be published: see the table of fits that did "
        "not converge."
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=None)
    parser.add_argument(
        "--quick", action="store_true", help=f"only the datasets {list(QUICK)}"
    )
    parser.add_argument(
        "--estimators",
        nargs="+",
        choices=[*SKLEARN, *LIBRARY],
        default=[*SKLEARN, *LIBRARY],
    )
    parser.add_argument(
        "--recipe",
        choices=RECIPES,
        default="defaults",
        help="one change to the library estimators' training recipe",
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--jobs", type=int, default=1, help="joblib workers over the folds"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="fold i's random_state is seed + i"
    )
    parser.add_argument(
        "--no-pairing",
        action="store_true",
        help="skip part 2 (magnitude pruning at Random Cloud's topology)",
    )
    args = parser.parse_args()
    names = args.datasets or (list(QUICK) if args.quick else list(DATASETS))
    machine_state()
    print(
        f"datasets: {names}; KFold({args.folds}, shuffle=True, random_state=0); "
        f"seeds {args.seed}..{args.seed + args.folds - 1}; jobs {args.jobs}"
    )
    print(f"recipe: {args.recipe} {RECIPES[args.recipe]}")
    estimators = available_estimators(args.estimators, args.recipe)
    paired = not args.no_pairing and {"random_cloud", "magnitude"} <= set(estimators)
    if not paired:
        print("note: part 2 (Random Cloud against magnitude pruning) not run")
    dense = getattr(sklearn_rcloud, "DenseMLPRegressor", None)
    if dense is not None:
        # The first training in a process pays torch's one-off costs.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                dense(max_iter=1).fit(np.eye(4), np.arange(4.0))
            except Exception as error:  # noqa: BLE001 - a warm-up only
                print(f"note: warm-up fit failed ({type(error).__name__})")
    methods = list(estimators)
    results, shapes = {}, {}
    start = time.perf_counter()
    for name in names:
        tic = time.perf_counter()
        results[name], shapes[name] = run_dataset(
            name, estimators, paired, args.folds, args.seed, args.jobs
        )
        print(f"done: {name} ({time.perf_counter() - tic:.0f} s)", flush=True)
    with warnings.catch_warnings():
        # Means over estimators that failed on every fold are NaN, and say so.
        warnings.simplefilter("ignore", RuntimeWarning)
        print_tables(results, shapes, methods, args.folds)
        pairing = print_pairing(results) if paired else None
        check_targets(results, methods, pairing)
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
