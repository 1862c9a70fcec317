"""Fit time of Random Cloud against dense training and the pruning baselines.

On the paper's datasets, with the paper's maximal topologies and epoch counts,
every method trains for exactly the same number of epochs (no early stopping):
dense E, Random Cloud E (plus its search), pruning E of pre-training plus E of
fine-tuning. Ratios are to the dense fit of the same run; runs are
interleaved and the best of ``--repeats`` counts.

    python benchmarks/bench_fit.py [--recipe default|paper] [--datasets ...]

``--recipe default``: the library's training recipe (Adam, batches of up to
200). ``--recipe paper``: the paper's (per-sample SGD, lr 0.1, squared error,
sigmoid units, U[-1, 1]); slow on Adult.

Optical Digits: the 3,823 official training rows; Adult: the 30,162 complete
training rows, categoricals one-hot encoded (both bundled).
"""

import argparse
import time
import warnings

import numpy as np

from sklearn_rcloud import (
    DenseMLPClassifier,
    MagnitudePruningClassifier,
    RandomCloudClassifier,
    RandomPruningClassifier,
    Topology,
    paper_params,
)
from sklearn_rcloud.study import load_study_dataset
from sklearn_rcloud.study._protocols import preprocessor

#: The paper's datasets, smallest first.
DATASETS = (
    "breast_cancer",
    "sonar",
    "ionosphere",
    "wine",
    "iris",
    "optdigits",
    "adult",
)


def load_training_rows(name):
    """The dataset's rows (its official training part where it has one),
    categoricals one-hot encoded, every column min-max scaled."""
    data = load_study_dataset(name)
    rows = data.official_split[0] if data.official_split is not None else slice(None)
    return preprocessor(data.categorical).fit_transform(data.X[rows]), data.y[rows]


def arithmetic_floor(n_features, n_classes, hidden, target, n_networks, epochs):
    """Least possible cloud / dense ratio at equal arithmetic efficiency.

    Training costs about three forward passes per sample and epoch (forward,
    backward to the activations, backward to the weights); the search must at
    least compute every network's hidden layers once. No implementation can
    make the cloud's fit cheaper than this share of the dense fit's arithmetic.
    """
    full = Topology(n_features, hidden, n_classes)
    dense = 3 * epochs * full.n_flops
    found = 3 * epochs * full.with_hidden(target).n_flops
    return (n_networks * full.n_hidden_flops + found) / dense


def methods(dataset, recipe, target):
    preset = paper_params(dataset, random_state=42)
    hidden, epochs = preset["hidden_layer_sizes"], preset["max_iter"]
    if recipe == "paper":
        common = {
            k: preset[k]
            for k in (
                "activation",
                "init",
                "loss",
                "solver",
                "learning_rate_init",
                "batch_size",
            )
        }
        cloud = dict(preset)
    else:
        common = {}
        cloud = dict(hidden_layer_sizes=hidden, max_iter=epochs, random_state=42)
    common.update(hidden_layer_sizes=hidden, n_iter_no_change=None, random_state=42)
    cloud.update(n_iter_no_change=None)
    pruning = dict(common, pretrain_max_iter=epochs, max_iter=epochs)
    if target is not None and len(target) != len(hidden):
        # The search removed a layer, which structured pruning cannot: prune
        # to the same parameter count instead.
        full = Topology(1, hidden, 2)
        pruning["sparsity"] = 1 - full.with_hidden(target).n_params / full.n_params
    else:
        pruning["target_hidden_layer_sizes"] = target
    return {
        "dense": lambda: DenseMLPClassifier(max_iter=epochs, **common),
        "random_cloud": lambda: RandomCloudClassifier(**cloud),
        "magnitude": lambda: MagnitudePruningClassifier(**pruning),
        "random": lambda: RandomPruningClassifier(**pruning),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", choices=["default", "paper"], default="default")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)
    DenseMLPClassifier(max_iter=1).fit(np.eye(4), [0, 1, 0, 1])  # lazy imports

    print(f"recipe: {args.recipe}\n")
    print(
        "| dataset | epochs | found | dense s | cloud / dense | search share "
        "| train found / train full | magnitude / dense | random / dense "
        "| cloud / magnitude | arithmetic floor of cloud / dense |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for dataset in args.datasets:
        X, y = load_training_rows(dataset)
        probe = methods(dataset, args.recipe, None)["random_cloud"]().fit(X, y)
        target = probe.topology_.hidden_layer_sizes
        best = {}
        for _ in range(args.repeats):
            for name, make in methods(dataset, args.recipe, target).items():
                estimator = make()
                tic = time.perf_counter()
                estimator.fit(X, y)
                seconds = time.perf_counter() - tic
                if seconds < best.get(name, (np.inf,))[0]:
                    best[name] = (seconds, estimator)
        dense = best["dense"][0]
        preset = paper_params(dataset)
        floor = arithmetic_floor(
            X.shape[1],
            len(np.unique(y)),
            preset["hidden_layer_sizes"],
            target,
            preset["n_networks"],
            preset["max_iter"],
        )
        cloud_seconds, cloud = best["random_cloud"]
        print(
            f"| {dataset} | {paper_params(dataset)['max_epochs']} | {list(target)} | "
            f"{dense:.2f} | {cloud_seconds / dense:.2f}× | "
            f"{cloud.search_time_ / cloud_seconds:.0%} | "
            f"{cloud.train_time_ / best['dense'][1].train_time_:.2f}× | "
            f"{best['magnitude'][0] / dense:.2f}× | {best['random'][0] / dense:.2f}× | "
            f"{cloud_seconds / best['magnitude'][0]:.2f}× | {floor:.2f}× |",
            flush=True,
        )


if __name__ == "__main__":
    main()
