"""Population training against one training after another, side by side.

For k = 1, 4, 16, 64 (and 256 without ``--quick``) members of one shape,
the time of a fixed number of epochs trained as one population
(:func:`sklearn_rcloud.engine.train_population`) against the same
members trained one by one by the engine (``train_network``, the fast
explicit-gradient step): the ratio is solo time / population time, so above
one the population is faster. Solo time is measured on ``--solo`` members
and scaled to k (solo trainings are independent: their time is linear in
k); the best of ``--repeats`` populations counts. Adam, batches of 200, no
stopping rule, so every member runs the same epochs.

Data shaped like the paper's sets, random (timing does not depend on the
values): Sonar 208 x 60, Optical Digits 3,823 x 64 (10 classes), Adult
30,162 x 104.

    python benchmarks/bench_population.py [--quick]

Then the cold start: in fresh processes, the first ``fit`` against the
second (warm) one, for the default solver on 300 rows (L-BFGS), for Adam, and
for unstructured magnitude pruning under Adam and SGD (its networks carry
pruning masks);
and what importing ``torch._dynamo`` costs, which the engine no longer pays
on its fit path.
"""

import argparse
import json
import subprocess
import sys
import time
import warnings

import numpy as np
import torch

from sklearn_rcloud.engine import TrainingConfig, train_network, train_population
from sklearn_rcloud.init import init_weights, seeded_generator
from sklearn_rcloud.topology import Topology

#: (name, rows, features, classes, hidden widths, epochs)
SHAPES = (
    ("sonar", 208, 60, 2, (32,), 20),
    ("optdigits", 3823, 64, 10, (32,), 4),
    ("adult", 30162, 104, 2, (16,), 1),
)


def _data(n_rows, n_features, n_classes, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(n_rows, n_features)).astype(np.float32)
    return X, rng.integers(0, n_classes, n_rows)


def _members(k, n_features, hidden, n_classes):
    topology = Topology(n_features, hidden, n_classes, "relu")
    return [
        (topology, init_weights(topology, "kaiming", seeded_generator(seed)))
        for seed in range(k)
    ]


def _timed(function, *args):
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def _solo(topology, weights, X, y, config):
    return train_network(topology.to_module(weights), X, y, config, 0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="k up to 64")
    parser.add_argument("--solo", type=int, default=3, help="solo members timed")
    parser.add_argument(
        "--repeats", type=int, default=3, help="populations timed (the best counts)"
    )
    args = parser.parse_args(argv)
    sizes = (1, 4, 16, 64) if args.quick else (1, 4, 16, 64, 256)
    warnings.filterwarnings("ignore")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print("| data | k | solo s / epoch / member | population s / epoch | ratio |")
    print("|---|---|---|---|---|")
    for name, n_rows, n_features, n_classes, hidden, epochs in SHAPES:
        X, y = _data(n_rows, n_features, n_classes)
        config = TrainingConfig(
            solver="adam",
            batch_size=200,
            max_iter=epochs,
            n_iter_no_change=None,
            early_stopping=False,
        )
        solo_members = _members(args.solo, n_features, hidden, n_classes)
        solo = min(_timed(_solo, t, w, X, y, config) for t, w in solo_members)
        solo_per_epoch = solo / epochs
        for k in sizes:
            members = _members(k, n_features, hidden, n_classes)
            seeds = list(range(k))
            together = min(
                _timed(train_population, members, X, y, config, seeds)
                for _ in range(args.repeats)
            )
            ratio = k * solo / together
            print(
                f"| {name} {n_rows}x{n_features}, {hidden} | {k} | "
                f"{solo_per_epoch:.4f} | {together / epochs:.4f} | {ratio:.1f}x |"
            )


_COLD_START = """
import json, sys, time
import numpy as np
from sklearn_rcloud import DenseMLPClassifier, MagnitudePruningClassifier
X = np.random.default_rng(0).normal(size=(300, 8)); y = (X[:, 0] > 0).astype(int)
solver, _, masked = sys.argv[1].partition(" ")
times = []
for _ in range(2):
    start = time.perf_counter()
    if masked:
        model = MagnitudePruningClassifier(structured=False, solver=solver)
    else:
        model = DenseMLPClassifier(solver=solver)
    model.set_params(random_state=0).fit(X, y)
    times.append(time.perf_counter() - start)
heavy = [m for m in ("torch._dynamo", "torch.onnx", "sympy") if m in sys.modules]
print(json.dumps({"first": times[0], "warm": times[1], "imported": heavy}))
"""

_DYNAMO = """
import time, torch
start = time.perf_counter()
import torch._dynamo
print(time.perf_counter() - start)
"""


def cold_start(repeats=3):
    """Fresh-process first fit against a warm one, per solver."""
    print()
    print("| solver | first fit s | warm fit s | first - warm s | heavy imports |")
    print("|---|---|---|---|---|")
    # The last two: unstructured magnitude pruning, whose networks carry
    # pruning masks (they stepped through torch.optim, which imported dynamo).
    for solver in ("auto", "adam", "adam unstructured", "sgd unstructured"):
        runs = [
            json.loads(
                subprocess.run(
                    [sys.executable, "-W", "ignore", "-c", _COLD_START, solver],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            for _ in range(repeats)
        ]
        best = min(runs, key=lambda run: run["first"] - run["warm"])
        print(
            f"| {solver} | {best['first']:.3f} | {best['warm']:.3f} | "
            f"{best['first'] - best['warm']:.3f} | {best['imported'] or 'none'} |"
        )
    dynamo = min(
        float(
            subprocess.run(
                [sys.executable, "-c", _DYNAMO], capture_output=True, text=True
            ).stdout
        )
        for _ in range(repeats)
    )
    print(f"\nimporting torch._dynamo after torch: {dynamo:.2f} s (not paid by fit)")


if __name__ == "__main__":
    main()
    cold_start()
