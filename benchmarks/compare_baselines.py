"""Random Cloud against the train-prune-retrain baselines, measured in one run.

Protocol (the Random Cloud paper's, with the library's default training
recipe): a fixed stratified 80/20 split (seed 42), min-max scaling fitted on
the training part inside a Pipeline, 10 initialisation seeds. The pruning
baselines prune to the topology Random Cloud found at seed 42, as in the
paper. Every method trains through the same engine.

    python benchmarks/compare_baselines.py [--datasets sonar ionosphere breast_cancer]
        [--seeds 10] [--hidden 100]

Prints a Markdown table: mean +- std test accuracy, parameters, and mean fit
time as a ratio to the dense network's, and how many fits converged (no
``ConvergenceWarning``), all from this run.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_rcloud import (
    DenseMLPClassifier,
    MagnitudePruningClassifier,
    RandomCloudClassifier,
    RandomPruningClassifier,
)
from sklearn_rcloud.datasets import load_ionosphere, load_sonar

SEEDS = (42, 123, 256, 314, 501, 667, 789, 888, 1024, 1337)
LOADERS = {
    "sonar": load_sonar,
    "ionosphere": load_ionosphere,
    "breast_cancer": load_breast_cancer,
}


def run_dataset(name, seeds, hidden):
    X, y = LOADERS[name](return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=42
    )

    def fit(estimator):
        pipeline = make_pipeline(MinMaxScaler(), estimator)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            tic = time.perf_counter()
            pipeline.fit(X_train, y_train)
            seconds = time.perf_counter() - tic
        converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        score = pipeline.score(X_test, y_test)
        return score, pipeline[-1].n_params_, seconds, converged

    # Warm-up: the first training in a process pays torch's optimiser import.
    DenseMLPClassifier(max_iter=1).fit(X_train[:10], y_train[:10])
    reference = RandomCloudClassifier(hidden_layer_sizes=hidden, random_state=42)
    make_pipeline(MinMaxScaler(), reference).fit(X_train, y_train)
    target = reference.topology_.hidden_layer_sizes

    methods = {
        "dense": lambda s: DenseMLPClassifier(
            hidden_layer_sizes=hidden, random_state=s
        ),
        "magnitude": lambda s: MagnitudePruningClassifier(
            hidden_layer_sizes=hidden, target_hidden_layer_sizes=target, random_state=s
        ),
        "random": lambda s: RandomPruningClassifier(
            hidden_layer_sizes=hidden, target_hidden_layer_sizes=target, random_state=s
        ),
        "random_cloud": lambda s: RandomCloudClassifier(
            hidden_layer_sizes=hidden, random_state=s
        ),
    }
    results = {method: [] for method in methods}
    for seed in seeds:
        # Interleave the methods so machine noise hits all of them alike.
        for method, make in methods.items():
            results[method].append(fit(make(seed)))
    return target, {m: np.array(r) for m, r in results.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(LOADERS))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument(
        "--hidden",
        type=int,
        nargs="+",
        default=list(DenseMLPClassifier().hidden_layer_sizes),
    )
    args = parser.parse_args()
    hidden = tuple(args.hidden)
    warnings.filterwarnings("ignore", category=UserWarning)

    print(
        "| dataset | target | method | test accuracy % | params | fit time / dense "
        "| converged |"
    )
    print("|---|---|---|---|---|---|---|")
    for name in args.datasets:
        target, results = run_dataset(name, SEEDS[: args.seeds], hidden)
        dense_time = results["dense"][:, 2].mean()
        for method, runs in results.items():
            accuracy = 100 * runs[:, 0]
            print(
                f"| {name} | {list(target)} | {method} | "
                f"{accuracy.mean():.1f} ± {accuracy.std():.1f} | "
                f"{runs[:, 1].mean():.0f} | {runs[:, 2].mean() / dense_time:.2f}× | "
                f"{int(runs[:, 3].sum())}/{len(runs)} |"
            )


if __name__ == "__main__":
    main()
