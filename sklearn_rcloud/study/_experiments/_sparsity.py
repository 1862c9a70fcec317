"""The sparsity study: does random search over node masks beat random masks?

For each dataset, fold (a fresh seed per fold) and node sparsity, four
networks are trained with one recipe on the same data, from the same parent
initialisation:

* ``dense``: the parent itself (sparsity 0);
* ``random_search``: the best of ``n_candidates`` random node masks, scored at
  initialisation (:class:`~sklearn_rcloud.RandomSearchSparseClassifier`);
* ``random_sparse``: one random node mask, unscored (the search's first
  trial, :class:`~sklearn_rcloud.RandomSparseClassifier`);
* ``random_cloud``: Random Cloud over the parent's shape, selecting among
  the candidates within ``size_tolerance`` of the sparse network's parameter
  count (the candidate nearest it when none is).

Every training holds out the same validation split and runs a fixed number of
epochs, so the final accuracies and the convergence (first epoch reaching
``convergence_fraction`` of the final validation accuracy) compare like with
like. The reconstruction of the paper's protocol is this library's: the
paper's code, sizes and tables are not public.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..._docstrings import substitute
from ..._parallel import torch_threads
from ...estimators import (
    RandomCloudClassifier,
    RandomSearchSparseClassifier,
    RandomSparseClassifier,
    fit_together,
)
from ...search import nodes_kept, reduction_candidates
from ...topology import Topology
from .._records import append_records, read_csv_records
from .._runner import RUN_PARAMETERS, FoldedStudyConfig, run_folded_study
from .._stats import holm, wilcoxon_signed_rank

__all__ = [
    "SPARSITY_METHODS",
    "SparsityStudyConfig",
    "SparsityStudyResult",
    "candidate_window",
    "convergence_epoch",
    "read_sparsity_records",
    "run_sparsity_study",
]

#: The compared networks, in report order.
SPARSITY_METHODS = ("dense", "random_search", "random_sparse", "random_cloud")

#: Pairs tested at every sparsity (first against second); the dense parent is
#: the same network at every sparsity.
_COMPARISONS = (
    ("random_search", "random_sparse"),
    ("random_cloud", "random_search"),
    ("random_cloud", "random_sparse"),
    ("random_search", "dense"),
    ("random_sparse", "dense"),
    ("random_cloud", "dense"),
)


def convergence_epoch(valid_accuracy, fraction=0.95):
    """First epoch (from 1) whose validation accuracy reaches ``fraction`` of the last.

    Parameters
    ----------
    valid_accuracy : array-like of shape (n_epochs,)
    fraction : float, default=0.95

    Returns
    -------
    epoch : int
    """
    curve = np.asarray(valid_accuracy, dtype=float)
    return int(np.argmax(curve >= fraction * curve[-1])) + 1


def candidate_window(parent, n_params, tolerance):
    """Random Cloud's ``(min_params, max_params)`` around ``n_params``.

    The counts within ``selection_tolerance`` (relative) of ``n_params`` when one of
    the sub-topologies the reduction of ``parent`` visits has such a count;
    otherwise the count of the visited sub-topology nearest ``n_params``
    (ties to the smaller).
    """
    sizes = sorted(
        {
            parent.with_hidden(hidden).n_params
            for hidden in reduction_candidates(parent.hidden_layer_sizes)
        }
    )
    low = int(np.ceil((1 - tolerance) * n_params))
    high = int(np.floor((1 + tolerance) * n_params))
    if any(low <= size <= high for size in sizes):
        return low, high
    nearest = min(sizes, key=lambda size: abs(size - n_params))
    return nearest, nearest


@dataclass(frozen=True)
class SparsityStudyConfig(FoldedStudyConfig):
    """Everything that determines a sparsity study's records.

    Parameters
    ----------
    sparsities : tuple of float
        Node sparsities (fraction of every hidden layer's nodes removed).
    hidden_layer_sizes : tuple of int
        The dense parent.
    n_folds, n_repeats : int
        Repeated stratified k-fold per dataset; every fold has its own seed
        (parent weights, masks, shuffles, validation rows).
    n_candidates, proxy :
        The random search: masks drawn and their score at initialisation.
    n_networks :
        Random Cloud's cloud size (its other settings are its defaults,
        with ``selection='best'`` inside the size window).
    size_tolerance : float
        Random Cloud's window: parameter counts within this relative distance
        of the sparse network's.
    learning_rate_init, batch_size, max_iter, validation_fraction :
        The one training recipe: Adam, cross-entropy, ``max_iter`` epochs
        with no early stop, ``validation_fraction`` of the training part held
        out (the same rows for every network of a fold).
    convergence_fraction : float
        Convergence is the first epoch at this share of the final
        validation accuracy.
    seed : int
        Seeds the folds and their seeds.
    """

    sparsities: tuple = (0.0, 0.5, 0.75, 0.9, 0.95)
    hidden_layer_sizes: tuple = (128, 128)
    n_folds: int = 5
    n_repeats: int = 2
    n_candidates: int = 50
    proxy: str = "train_loss"
    n_networks: int = 50
    size_tolerance: float = 0.1
    learning_rate_init: float = 3e-3
    batch_size: int = 32
    max_iter: int = 150
    validation_fraction: float = 0.2
    convergence_fraction: float = 0.95
    seed: int = 0

    def tasks(self):
        """``(sparsity, method)`` pairs; at sparsity 0 every mask is the parent."""
        tasks = []
        for sparsity in self.sparsities:
            if sparsity == 0:
                tasks += [(0.0, "dense"), (0.0, "random_cloud")]
            else:
                tasks += [
                    (float(sparsity), method)
                    for method in SPARSITY_METHODS
                    if method != "dense"
                ]
        return tasks

    def estimator(self, method, sparsity, seed, size_window):
        """The estimator one task trains."""
        recipe = dict(
            hidden_layer_sizes=self.hidden_layer_sizes,
            solver="adam",
            learning_rate_init=self.learning_rate_init,
            alpha=0.0,
            batch_size=self.batch_size,
            max_iter=self.max_iter,
            early_stopping=True,
            validation_fraction=self.validation_fraction,
            n_iter_no_change=None,
            random_state=seed,
        )
        if method == "dense":
            return RandomSparseClassifier(sparsity=0.0, **recipe)
        if method == "random_sparse":
            return RandomSparseClassifier(sparsity=sparsity, **recipe)
        if method == "random_search":
            return RandomSearchSparseClassifier(
                sparsity=sparsity,
                n_candidates=self.n_candidates,
                proxy=self.proxy,
                **recipe,
            )
        if method == "random_cloud":
            return RandomCloudClassifier(
                n_networks=self.n_networks,
                selection="best",
                min_params=size_window[0],
                max_params=size_window[1],
                **recipe,
            )
        raise ValueError(f"Unknown method {method!r}; choose from {SPARSITY_METHODS}.")


def _run_fold(config, dataset, fold, seed, tasks, data, n_threads):
    """Train a fold's networks of ``tasks`` together; return their records.

    The networks share the fold's data and the recipe, and every one but
    Random Cloud's the parent's depth, so :func:`~sklearn_rcloud.fit_together`
    trains them as one population or two.
    """
    X_train, y_train, X_test, y_test, n_classes = data
    parent = Topology(X_train.shape[1], config.hidden_layer_sizes, n_classes)
    estimators = []
    for sparsity, method in tasks:
        sparse = parent.with_hidden(nodes_kept(parent.hidden_layer_sizes, sparsity))
        window = candidate_window(parent, sparse.n_params, config.size_tolerance)
        estimators.append(config.estimator(method, sparsity, seed, window))
    with torch_threads(n_threads):
        fit_together(estimators, X_train, y_train)
        test_accuracies = [
            float(np.mean(estimator.predict(X_test) == y_test))
            for estimator in estimators
        ]
    return [
        _record(config, dataset, fold, seed, sparsity, method, parent, estimator, test)
        for (sparsity, method), estimator, test in zip(
            tasks, estimators, test_accuracies
        )
    ]


def _record(config, dataset, fold, seed, sparsity, method, parent, estimator, test):
    """One trained network's record."""
    valid = estimator.history_["valid_acc"]
    topology = estimator.topology_
    return {
        "dataset": dataset,
        "fold": fold,
        "seed": seed,
        "sparsity": sparsity,
        "method": method,
        "hidden_layer_sizes": "-".join(map(str, topology.hidden_layer_sizes)),
        "n_params": topology.n_params,
        "param_ratio": topology.n_params / parent.n_params,
        "weight_sparsity": 1 - topology.n_weights / parent.n_weights,
        "test_accuracy": test,
        "valid_accuracy": float(valid[-1]),
        "convergence_epoch": convergence_epoch(valid, config.convergence_fraction),
        "search_score": float(getattr(estimator, "search_score_", np.nan)),
        "search_time": float(getattr(estimator, "search_time_", 0.0)),
        "train_time": estimator.train_time_,
        "config": config.key,
        "valid_curve": " ".join(f"{v:.4f}" for v in valid),
    }


@dataclass
class SparsityStudyResult:
    """The records of a sparsity study and what they say.

    Attributes
    ----------
    records : list of dict
        One per (dataset, fold, sparsity, method): the trained topology, its
        parameter ratio and weight sparsity against the parent, test and
        final validation accuracy, convergence epoch, the validation curve
        (``valid_curve``, space-separated) and times.
    config : SparsityStudyConfig
    """

    records: list
    config: SparsityStudyConfig

    @property
    def datasets(self):
        return list(dict.fromkeys(r["dataset"] for r in self.records))

    def values(self, name, dataset=None, sparsity=None, method=None):
        """``name`` of the matching records, ordered by dataset then fold."""
        rows = [
            r
            for r in self.records
            if (dataset is None or r["dataset"] == dataset)
            and (sparsity is None or r["sparsity"] == sparsity)
            and (method is None or r["method"] == method)
        ]
        order = {d: i for i, d in enumerate(self.datasets)}
        rows.sort(key=lambda r: (order[r["dataset"]], int(r["fold"])))
        return np.array([float(r[name]) for r in rows])

    def curves(self, dataset, sparsity, method):
        """Validation accuracy per epoch, one row per fold."""
        rows = [
            r
            for r in self.records
            if r["dataset"] == dataset
            and r["sparsity"] == sparsity
            and r["method"] == method
        ]
        rows.sort(key=lambda r: int(r["fold"]))
        return np.array([[float(v) for v in r["valid_curve"].split()] for r in rows])

    def trained_as(self, method, sparsity):
        """The ``(sparsity, method)`` of the records that stand for ``method``.

        The dense parent is trained once, at sparsity 0, and stands at every
        sparsity; at sparsity 0 the masked networks are the parent.
        """
        if method == "dense" or (
            sparsity == 0 and method in ("random_search", "random_sparse")
        ):
            return 0.0, "dense"
        return sparsity, method

    def summary(self):
        """Mean and standard deviation per dataset, sparsity and method."""
        rows = []
        for dataset in self.datasets:
            for sparsity in self.config.sparsities:
                for method in SPARSITY_METHODS:
                    at, name = self.trained_as(method, sparsity)
                    accuracy = self.values("test_accuracy", dataset, at, name)
                    if not len(accuracy):
                        continue
                    rows.append(
                        {
                            "dataset": dataset,
                            "sparsity": sparsity,
                            "method": method,
                            "n_runs": len(accuracy),
                            "accuracy": 100 * accuracy.mean(),
                            "accuracy_sd": 100 * accuracy.std(ddof=1)
                            if len(accuracy) > 1
                            else np.nan,
                            "convergence": self.values(
                                "convergence_epoch", dataset, at, name
                            ).mean(),
                            "param_ratio": self.values(
                                "param_ratio", dataset, at, name
                            ).mean(),
                            "weight_sparsity": self.values(
                                "weight_sparsity", dataset, at, name
                            ).mean(),
                        }
                    )
        return rows

    def comparisons(self, measure="test_accuracy"):
        """Paired tests at every non-zero sparsity, pooled over datasets and folds.

        Returns
        -------
        rows : list of dict
            Per sparsity and pair (first, second): mean of each, mean
            difference, number of pairs, wins/ties/losses of the first,
            two-sided Wilcoxon signed-rank p-value, and Holm's adjustment over
            the sparsities of the same pair.
        """
        rows = []
        scale = 100.0 if measure == "test_accuracy" else 1.0
        for first, second in _COMPARISONS:
            block = []
            for sparsity in self.config.sparsities:
                if sparsity == 0:
                    continue
                a = self.values(measure, sparsity=sparsity, method=first)
                at, name = self.trained_as(second, sparsity)
                b = self.values(measure, sparsity=at, method=name)
                if not len(a) or len(a) != len(b):
                    continue
                block.append(
                    {
                        "measure": measure,
                        "sparsity": sparsity,
                        "first": first,
                        "second": second,
                        "n_pairs": len(a),
                        "mean_first": scale * a.mean(),
                        "mean_second": scale * b.mean(),
                        "difference": scale * (a - b).mean(),
                        "wins": int((a > b).sum()),
                        "ties": int((a == b).sum()),
                        "losses": int((a < b).sum()),
                        "p": wilcoxon_signed_rank(a, b)[1],
                    }
                )
            for row, adjusted in zip(block, holm([r["p"] for r in block])):
                row["p_holm"] = float(adjusted)
            rows += block
        return rows

    def per_dataset_comparison(self, first="random_search", second="random_sparse"):
        """``first`` against ``second`` per dataset and sparsity (test accuracy)."""
        rows = []
        for dataset in self.datasets:
            for sparsity in self.config.sparsities:
                if sparsity == 0:
                    continue
                a = self.values("test_accuracy", dataset, sparsity, first)
                b = self.values("test_accuracy", dataset, sparsity, second)
                if not len(a) or len(a) != len(b):
                    continue
                rows.append(
                    {
                        "dataset": dataset,
                        "sparsity": sparsity,
                        "difference": 100 * (a - b).mean(),
                        "p": wilcoxon_signed_rank(a, b)[1],
                    }
                )
        return rows

    def to_csv(self, path):
        Path(path).unlink(missing_ok=True)
        append_records(path, self.records)

    def to_markdown(self):
        """Per-dataset accuracy table, convergence table and the paired tests."""
        summary = self.summary()
        sparsities = self.config.sparsities
        header = "| dataset | method | " + " | ".join(f"s = {s:g}" for s in sparsities)
        rule = "|---|---|" + "---|" * len(sparsities)
        by_key = {(r["dataset"], r["sparsity"], r["method"]): r for r in summary}

        def table(cell):
            lines = [header + " |", rule]
            for dataset in self.datasets:
                for method in SPARSITY_METHODS:
                    cells = [
                        cell(by_key[(dataset, s, method)])
                        if (dataset, s, method) in by_key
                        else ""
                        for s in sparsities
                    ]
                    lines.append(
                        f"| {dataset} | {method} | " + " | ".join(cells) + " |"
                    )
            return lines

        lines = [
            "Test accuracy %, mean ± sd over folds, by node sparsity s (fraction "
            "of every hidden layer's nodes removed; at s = 0 every mask is the "
            "parent, and the dense row repeats the parent at every s):",
            "",
            *table(lambda r: f"{r['accuracy']:.1f} ± {r['accuracy_sd']:.1f}"),
            "",
            "Parameters relative to the parent (mean), and weight sparsity of the "
            "node-masked networks:",
            "",
            *table(
                lambda r: (
                    f"{r['param_ratio']:.3f}"
                    + (
                        f" (w {r['weight_sparsity']:.3f})"
                        if r["method"] in ("random_search", "random_sparse")
                        else ""
                    )
                )
            ),
            "",
            "Convergence: first epoch at "
            f"{100 * self.config.convergence_fraction:.0f}% of the final "
            "validation accuracy (mean over folds):",
            "",
            *table(lambda r: f"{r['convergence']:.1f}"),
        ]
        for measure, title in (
            ("test_accuracy", "Test accuracy % (pooled over datasets and folds)"),
            ("convergence_epoch", "Convergence epoch (pooled)"),
        ):
            lines += [
                "",
                f"{title}; two-sided Wilcoxon signed-rank, Holm over sparsities:",
                "",
                "| s | first | second | pairs | first | second | mean diff "
                "| W/T/L | p | p (Holm) |",
                "|---|---|---|---|---|---|---|---|---|---|",
            ]
            for row in self.comparisons(measure):
                lines.append(
                    "| {sparsity:g} | {first} | {second} | {n_pairs} | "
                    "{mean_first:.2f} | {mean_second:.2f} | {difference:+.2f} | "
                    "{wins}/{ties}/{losses} | {p:.3g} | {p_holm:.3g} |".format(**row)
                )
        lines += [
            "",
            "random_search - random_sparse per dataset (test accuracy pp; "
            "Wilcoxon over the "
            f"{self.config.n_folds * self.config.n_repeats} folds of each dataset):",
            "",
            "| dataset | " + " | ".join(f"s = {s:g}" for s in sparsities if s) + " |",
            "|---|" + "---|" * sum(1 for s in sparsities if s),
        ]
        per_dataset = {
            (r["dataset"], r["sparsity"]): r for r in self.per_dataset_comparison()
        }
        for dataset in self.datasets:
            cells = [
                "{difference:+.1f} (p {p:.2g})".format(**per_dataset[(dataset, s)])
                if (dataset, s) in per_dataset
                else ""
                for s in sparsities
                if s
            ]
            lines.append(f"| {dataset} | " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"


@substitute(run_parameters=RUN_PARAMETERS)
def run_sparsity_study(
    datasets, config=None, n_jobs=None, records_path=None, verbose=False
):
    """Run the sparsity study; cached records are reused.

    Parameters
    ----------
    datasets : list of str
        Names from :data:`~sklearn_rcloud.study.STUDY_DATASETS`, each split
        into ``config.n_folds`` stratified folds and min-max scaled (one-hot
        for categoricals) on each fold's training part.
    config : SparsityStudyConfig or None
        None is the default configuration.
    {run_parameters}

    Returns
    -------
    SparsityStudyResult
    """
    config = config or SparsityStudyConfig()
    records = run_folded_study(
        _run_fold,
        config,
        datasets,
        config.tasks(),
        lambda r: (r["sparsity"], r["method"]),
        read_sparsity_records,
        n_jobs,
        records_path,
        verbose,
        by_fold=True,
    )
    order = {name: i for i, name in enumerate(datasets)}
    methods = {name: i for i, name in enumerate(SPARSITY_METHODS)}
    records.sort(
        key=lambda r: (
            order[r["dataset"]],
            int(r["fold"]),
            float(r["sparsity"]),
            methods[r["method"]],
        )
    )
    return SparsityStudyResult(records, config)


def read_sparsity_records(path):
    """Read a sparsity study's CSV back into records (numbers as numbers)."""
    return read_csv_records(
        path,
        text_fields={
            "dataset",
            "method",
            "hidden_layer_sizes",
            "config",
            "valid_curve",
        },
    )
