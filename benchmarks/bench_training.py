"""Time per epoch of the library's training engine against scikit-learn's MLP.

Both train the same architecture (one hidden layer of 32 ReLU units, softmax
output, cross-entropy), with Adam at the same learning rate, the same batch
size and the same number of epochs, with no early stopping, on the same data.
Each configuration runs three times, interleaved, and the best time of each
side counts (the least disturbed by the machine).

    python benchmarks/bench_training.py [--autograd]

``--autograd`` also times the engine with its fast step switched off
(skorch's own autograd epoch), to show what the fast step buys.
"""

import argparse
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import minmax_scale

from sklearn_rcloud import Topology
from sklearn_rcloud.engine import TrainingConfig, train_network
from sklearn_rcloud.init import init_weights

HIDDEN = 32
REPEATS = 3


def epochs_for(batch_size, n_samples):
    """Enough epochs for about a second of work per run."""
    steps_per_epoch = -(-n_samples // batch_size)
    return int(np.clip(3000 // steps_per_epoch, 2, 400))


def time_ours(X, y, batch_size, epochs, fast):
    topology = Topology(X.shape[1], (HIDDEN,), len(np.unique(y)))
    weights = init_weights(topology, "glorot", torch.Generator().manual_seed(0))
    # MLPClassifier's Adam setting, epoch for epoch (not the library's default).
    config = TrainingConfig(
        solver="adam",
        alpha=0.0,
        batch_size=batch_size,
        early_stopping=False,
        max_iter=epochs,
        n_iter_no_change=None,
        fast_step=fast,
    )
    tic = time.perf_counter()
    train_network(topology.to_module(weights), X, y, config, seed=0)
    return (time.perf_counter() - tic) / epochs


def time_sklearn(X, y, batch_size, epochs):
    clf = MLPClassifier(
        (HIDDEN,),
        solver="adam",
        learning_rate_init=1e-3,
        batch_size=batch_size,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        random_state=0,
    )
    tic = time.perf_counter()
    clf.fit(X, y)
    return (time.perf_counter() - tic) / epochs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--autograd", action="store_true")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    data = {
        "breast_cancer": load_breast_cancer(return_X_y=True),
        "digits": load_digits(return_X_y=True),
    }
    header = (
        "| data | batch | epochs | sklearn ms/epoch | ours ms/epoch | ours / sklearn |"
    )
    if args.autograd:
        header += " autograd / sklearn |"
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for name, (X, y) in data.items():
        X = minmax_scale(X).astype(np.float32)
        y = y.astype(np.int64)
        time_ours(X[:64], y[:64], 32, 1, True)  # warm-up: torch's lazy imports
        for batch_size in (1, 32, len(X)):
            epochs = epochs_for(batch_size, len(X))
            ours, sk, slow = [], [], []
            for _ in range(REPEATS):
                ours.append(time_ours(X, y, batch_size, epochs, fast=True))
                sk.append(time_sklearn(X, y, batch_size, epochs))
                if args.autograd:
                    slow.append(time_ours(X, y, batch_size, epochs, fast=False))
            row = (
                f"| {name} | {batch_size} | {epochs} | {1e3 * min(sk):.2f} | "
                f"{1e3 * min(ours):.2f} | {min(ours) / min(sk):.2f}× |"
            )
            if args.autograd:
                row += f" {min(slow) / min(sk):.2f}× |"
            print(row, flush=True)


if __name__ == "__main__":
    main()
