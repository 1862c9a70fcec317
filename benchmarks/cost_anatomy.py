"""Where Random Cloud's fit time goes, against magnitude pruning's, at the defaults.

Issue 20 asks Random Cloud's fit to cost at most 0.6x magnitude pruning's
(pruned to Random Cloud's topology) and at most 1.2x the dense network's.
This script splits the three fits into their parts on the twelve datasets the
defaults were chosen on (``evidence_datasets.py``), each dataset's first
``--folds`` folds of its ``cv`` protocol, every estimator at its defaults in
the study's pipeline (one-hot encoding and min-max scaling), the three fitted
back to back in one process after a warm-up fit:

* Random Cloud: the search (``search_time_``), then the selected network
  trained from its random weights (``train_time_``, ``n_iter_`` iterations);
* the dense network: one training (``train_time_``, ``n_iter_``);
* magnitude pruning: pre-training of the dense network (``pretrain_time_``),
  pruning, then fine-tuning (``finetune_time_``, ``n_iter_`` iterations).

Per dataset, medians over the folds of: the search's time over the dense
training's; Random Cloud's training iterations over the dense network's, and
its time per iteration over the dense network's; magnitude pruning's
fine-tuning time over its pre-training's; and Random Cloud's fit over
magnitude pruning's, with and without its search (the latter is the ratio a
free search would give).

    python benchmarks/cost_anatomy.py [--datasets ...] [--folds 3]
"""

import argparse
import time

import numpy as np
from evidence_datasets import DATASETS, load, protocol_for
from select_recipe import _fit_in_pipeline, _reference_of, warm_up

from sklearn_rcloud.study import MethodContext, default_methods

#: Column header -> how a fold's three fitted estimators give its value.
COLUMNS = {
    "search / dense training": lambda rc, dense, mag: (
        rc.search_time_ / dense.train_time_
    ),
    "RC iterations / dense": lambda rc, dense, mag: rc.n_iter_ / dense.n_iter_,
    "RC s per iteration / dense": lambda rc, dense, mag: (
        (rc.train_time_ / rc.n_iter_) / (dense.train_time_ / dense.n_iter_)
    ),
    "fine-tuning iterations": lambda rc, dense, mag: mag.n_iter_,
    "fine-tuning / pre-training": lambda rc, dense, mag: (
        mag.finetune_time_ / mag.pretrain_time_
    ),
    "RC fit / magnitude fit": lambda rc, dense, mag: rc.fit_time_ / mag.fit_time_,
    "RC training / magnitude fit": lambda rc, dense, mag: (
        rc.train_time_ / mag.fit_time_
    ),
    "RC fit / dense fit": lambda rc, dense, mag: rc.fit_time_ / dense.fit_time_,
}
#: Columns that count iterations (printed without decimals).
COUNTS = {"fine-tuning iterations"}


def _cell(column, value):
    return f"{value:.0f}" if column in COUNTS else f"{value:.2f}"


def _fitted(estimator, dataset, run):
    """The estimator, fitted in the run's pipeline on its training rows."""
    pipeline, _ = _fit_in_pipeline(estimator, dataset, run)
    return pipeline[-1]


def anatomy(dataset, n_folds):
    """Per column of :data:`COLUMNS`, its values over ``n_folds`` folds, and the
    reductions."""
    methods = {m.name: m for m in default_methods()}
    values = {name: [] for name in COLUMNS}
    reductions = []
    for run in protocol_for(dataset).runs(dataset)[:n_folds]:
        context = MethodContext(dataset.name, run.seed)
        dense = _fitted(methods["full"].make(context), dataset, run)
        cloud = _fitted(methods["random_cloud"].make(context), dataset, run)
        reference = MethodContext(dataset.name, run.seed, _reference_of(cloud))
        magnitude = _fitted(methods["magnitude"].make(reference), dataset, run)
        for name, value in COLUMNS.items():
            values[name].append(value(cloud, dense, magnitude))
        reductions.append(cloud.reduction_)
    return values, reductions


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--folds", type=int, default=3, help="folds per dataset")
    args = parser.parse_args()
    warm_up()
    print("| dataset | reduction | " + " | ".join(COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    medians = {name: [] for name in COLUMNS}
    start = time.perf_counter()
    for name in args.datasets:
        values, reductions = anatomy(load(name), args.folds)
        cells = []
        for column, column_values in values.items():
            medians[column].append(np.median(column_values))
            cells.append(_cell(column, medians[column][-1]))
        print(
            f"| {name} | {100 * np.median(reductions):.0f}% | "
            + " | ".join(cells)
            + " |",
            flush=True,
        )
    print(
        "| median | | "
        + " | ".join(_cell(c, np.median(v)) for c, v in medians.items())
        + " |"
    )
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
