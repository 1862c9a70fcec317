"""Prediction time of an exported network against ``predict_proba``.

One fitted ``DenseMLPClassifier`` (hidden layers ``--hidden``) on synthetic
data; the same rows are predicted by ``predict_proba`` (input validation, then
a float64 forward pass), by its ``to_torch()`` module (float32 logits, then
softmax), and by ONNX Runtime running ``to_onnx()`` (float32 probabilities).
Ratios are to ``predict_proba``; the three are interleaved and the best of
``--repeats`` counts. Needs the ``onnx`` extra.

    python benchmarks/bench_export.py [--rows 1 100 10000] [--hidden 64 64]
"""

import argparse
import time

import numpy as np
import onnxruntime
import torch
from sklearn.datasets import make_classification

from sklearn_rcloud import DenseMLPClassifier


def best_time(function, repeats):
    times = []
    for _ in range(repeats):
        tic = time.perf_counter()
        function()
        times.append(time.perf_counter() - tic)
    return min(times)


def make_predictors(clf, network, session, batch):
    """The three ways to predict ``batch``, as argument-free callables."""
    batch32 = batch.astype(np.float32)
    tensor = torch.from_numpy(batch32)

    def plain_torch():
        with torch.no_grad():
            return torch.softmax(network(tensor), dim=1)

    return {
        "ours": lambda: clf.predict_proba(batch),
        "torch": plain_torch,
        "onnx": lambda: session.run(None, {"X": batch32})[0],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1, 100, 10000])
    parser.add_argument("--hidden", type=int, nargs="+", default=[64, 64])
    parser.add_argument("--features", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()

    X, y = make_classification(
        n_samples=2000,
        n_features=args.features,
        n_informative=10,
        n_classes=3,
        random_state=0,
    )
    clf = DenseMLPClassifier(
        hidden_layer_sizes=tuple(args.hidden), max_iter=20, random_state=0
    ).fit(X, y)
    network = clf.to_torch()
    session = onnxruntime.InferenceSession(
        clf.to_onnx().SerializeToString(), providers=["CPUExecutionProvider"]
    )
    print(f"network {clf.topology_!r}; best of {args.repeats}; ratio to predict_proba")
    print(
        f"{'rows':>6} {'predict_proba ms':>17} {'to_torch':>9} {'onnxruntime':>12}"
        f" {'max |onnx - ours|':>18}"
    )
    rng = np.random.default_rng(0)
    for rows in args.rows:
        batch = rng.normal(size=(rows, args.features))
        predictors = make_predictors(clf, network, session, batch)
        times = {name: [] for name in predictors}
        for _ in range(args.repeats):  # interleaved
            for name, predict in predictors.items():
                times[name].append(best_time(predict, 1))
        base = min(times["ours"])
        gap = np.abs(predictors["onnx"]() - predictors["ours"]()).max()
        print(
            f"{rows:>6} {1000 * base:>17.3f} {min(times['torch']) / base:>8.2f}x"
            f" {min(times['onnx']) / base:>11.2f}x {gap:>18.1e}"
        )


if __name__ == "__main__":
    main()
