"""The proxy study: how well does each training-free score rank trained MLPs?

For each dataset, ``n_topologies`` distinct MLP topologies are sampled from a
stated space; each is initialised, scored untrained by every proxy (and by its
parameter count, the trivial baseline), then trained with one fixed recipe
and tested. The report gives Kendall's tau and Spearman's rho between each
proxy and the test accuracy, with bootstrap confidence intervals, the top-10
hit rate, and whether choosing the best-scoring of ``N`` sampled topologies
beats choosing one at random (NASWOT's search against random sampling).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from scipy import stats
from sklearn.exceptions import ConvergenceWarning

from ..._docstrings import substitute
from ..._parallel import torch_threads
from ..._tensors import as_tensor
from ...engine import TrainingConfig, train_network
from ...outputs import predict_proba_module
from ...proxies import StackedNetworks, evaluate_networks, get_proxy
from ...search import MLPSearchSpace, architecture_seed, initial_weights
from ...topology import Topology
from .._data import load_study_dataset
from .._protocols import PaperProtocol, prepared_split
from .._records import CachedStudyConfig, RecordsCache, append_records, read_csv_records
from .._runner import RUN_PARAMETERS, count_unconverged, run_record_tasks
from .._stats import wilcoxon_signed_rank

__all__ = [
    "PROXY_STUDY_PROXIES",
    "ProxyStudyConfig",
    "ProxyStudyResult",
    "read_proxy_records",
    "run_proxy_study",
]

#: The proxies scored, in report order (``n_params`` is added as the baseline).
PROXY_STUDY_PROXIES = (
    "naswot",
    "synflow",
    "snip",
    "grad_norm",
    "jacob_cov",
    "train_accuracy",
    "readout",
)

#: Published Kendall tau of NASWOT on NAS-Bench-201 CIFAR-10 (Mellor et al.).
PAPER_NASWOT_TAU = 0.574


@dataclass(frozen=True)
class ProxyStudyConfig(CachedStudyConfig):
    """Everything that determines a proxy study's records.

    Parameters
    ----------
    n_topologies : int, default=200
        Distinct topologies per dataset.
    depth_range, width_choices :
        The search space (:class:`~sklearn_rcloud.search.MLPSearchSpace`):
        depth uniform in ``depth_range``, then each width uniform in
        ``width_choices``; a topology drawn twice is redrawn.
    activation, init : str
        Hidden activation and initial weights (per topology, from ``seed``).
    seed : int
        Seeds the sampling, every topology's weights and the rows of the
        proxies' scoring batch.
    solver, alpha, learning_rate_init, max_iter, n_iter_no_change, batch_size :
        The one training recipe, the library's (cross-entropy; L-BFGS up to
        2,000 rows, else Adam stopping on a tenth of the rows held out; L2
        penalty ``alpha``): train until the monitored loss stops improving by
        ``1e-4`` for ``n_iter_no_change`` epochs, at most ``max_iter``. The
        budget is larger than the library's ``'auto'`` (500 L-BFGS
        iterations), which the slowest topologies need.
    batch : int
        Rows of the proxies' scoring batch (distinct training rows).
    """

    n_topologies: int = 200
    depth_range: tuple = (1, 4)
    width_choices: tuple = (2, 4, 8, 16, 32, 64)
    activation: str = "relu"
    init: str = "kaiming"
    seed: int = 0
    solver: str = "auto"
    alpha: float = 1.0
    learning_rate_init: float = 1e-3
    max_iter: int = 2000
    n_iter_no_change: int = 10
    batch_size: object = "auto"
    batch: int = 128
    proxies: tuple = field(default=PROXY_STUDY_PROXIES)

    @property
    def space(self):
        return MLPSearchSpace(self.depth_range, self.width_choices)

    def topologies(self):
        """The ``n_topologies`` distinct topologies, in sampling order."""
        space = self.space
        if self.n_topologies > space.size:
            raise ValueError(
                f"n_topologies={self.n_topologies} exceeds the {space.size} "
                "topologies of the space."
            )
        rng = np.random.default_rng(self.seed)
        chosen = {}
        while len(chosen) < self.n_topologies:
            chosen.setdefault(space.sample(rng), None)
        return list(chosen)


def _evaluate_topology(config, dataset_name, index, hidden, data, *, n_threads):
    """One record: every proxy at initialisation, then the trained accuracy."""
    X_train, y_train, X_test, y_test, n_classes = data
    record = {
        "dataset": dataset_name,
        "index": index,
        "hidden_layer_sizes": "-".join(map(str, hidden)),
        "config": config.key,
    }
    with torch_threads(n_threads):
        topology = Topology(X_train.shape[1], hidden, n_classes, config.activation)
        record["n_params"] = topology.n_params
        weights = initial_weights(
            topology, config.init, architecture_seed(config.seed, hidden)
        )
        # Every proxy scores the weights the topology is then trained from.
        stack = StackedNetworks.from_network(weights, config.activation)
        X, y = as_tensor(X_train), as_tensor(y_train)
        for name in config.proxies:
            scorer = get_proxy(name, batch_size=config.batch, random_state=config.seed)
            with torch.no_grad():
                scores, singular = evaluate_networks(scorer, stack, X, y)
            record[name] = float(scores[0])
            if name == "naswot":
                record["naswot_singular"] = bool(singular[0])
        recipe = TrainingConfig(
            solver=config.solver,
            alpha=config.alpha,
            learning_rate_init=config.learning_rate_init,
            max_iter=config.max_iter,
            n_iter_no_change=config.n_iter_no_change,
            batch_size=config.batch_size,
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            net, train_time = train_network(
                topology.to_module(weights), X_train, y_train, recipe, config.seed
            )
        # Whether the stopping rule, not the epoch budget, ended the training.
        record["converged"] = count_unconverged(caught) == 0
        # The trained network's accuracy on the training rows is not the
        # "train_accuracy" proxy (the untrained network's), recorded above.
        for field_name, X_part, y_part in (
            ("trained_train_accuracy", X_train, y_train),
            ("test_accuracy", X_test, y_test),
        ):
            proba = predict_proba_module(net.module_, X_part)
            record[field_name] = float(np.mean(proba.argmax(axis=1) == y_part))
        record["epochs"] = len(net.history)
        record["train_time"] = train_time
    return record


@dataclass
class ProxyStudyResult:
    """The records of a proxy study and what they say.

    Attributes
    ----------
    records : list of dict
        One per (dataset, topology): the proxies' scores (``train_accuracy``
        among them: the untrained network's), ``n_params``,
        ``naswot_singular``, the trained network's accuracy on the training
        rows (``trained_train_accuracy``) and on the test rows
        (``test_accuracy``), epochs, training time.
    config : ProxyStudyConfig
    """

    records: list
    config: ProxyStudyConfig

    @property
    def datasets(self):
        return list(dict.fromkeys(r["dataset"] for r in self.records))

    @property
    def scores(self):
        """The ranked quantities: every proxy, then the parameter count."""
        return (*self.config.proxies, "n_params")

    def column(self, dataset, name):
        rows = [r for r in self.records if r["dataset"] == dataset]
        rows.sort(key=lambda r: int(r["index"]))
        return np.array([float(r[name]) for r in rows])

    def correlations(self, n_bootstrap=1000, seed=0, top_k=10):
        """Kendall tau and Spearman rho of each score with test accuracy.

        Returns
        -------
        rows : list of dict
            Per dataset and score: ``tau`` and ``rho`` with 95% percentile
            bootstrap intervals (topologies resampled, ``n_bootstrap`` times;
            resamples in which the score or the accuracy is constant are left
            out), ``top_k_hit``: the share of the score's ``top_k``
            topologies whose test accuracy is at least the ``top_k``-th best
            accuracy (ties in accuracy count as hits), and ``constant``:
            whether the score (or the accuracy) takes one value on every
            topology, which then ranks nothing: its ``tau``, ``rho``,
            intervals and ``top_k_hit`` are NaN.
        """
        rng = np.random.default_rng(seed)
        rows = []
        for dataset in self.datasets:
            accuracy = self.column(dataset, "test_accuracy")
            n = len(accuracy)
            resamples = rng.integers(0, n, size=(n_bootstrap, n))
            if not n_bootstrap:
                resamples = np.arange(n)[None]
            kth_best = np.sort(accuracy)[::-1][min(top_k, n) - 1]
            for name in self.scores:
                score = _rankable(self.column(dataset, name))
                row = {"dataset": dataset, "score": name}
                if _constant(score) or _constant(accuracy):
                    # Nothing to rank: scipy would warn and return NaN.
                    rows.append({**row, **dict.fromkeys(_RANK_KEYS, math.nan)})
                    rows[-1]["constant"] = True
                    continue
                tau, rho = _rank_correlations(score, accuracy)
                boot = np.array(
                    [
                        _rank_correlations(score[s], accuracy[s])
                        for s in resamples
                        if not (_constant(score[s]) or _constant(accuracy[s]))
                    ]
                ).reshape(-1, 2)
                if len(boot):
                    low, high = np.percentile(boot, [2.5, 97.5], axis=0)
                else:
                    low = high = (math.nan, math.nan)
                top = np.argsort(-score, kind="stable")[:top_k]
                row.update(
                    tau=tau,
                    tau_low=low[0],
                    tau_high=high[0],
                    rho=rho,
                    rho_low=low[1],
                    rho_high=high[1],
                    top_k_hit=float(np.mean(accuracy[top] >= kth_best)),
                    constant=False,
                )
                rows.append(row)
        return rows

    def search_comparison(self, proxy="naswot", n_samples=10):
        """Best-of-``n_samples`` by ``proxy`` against one topology at random.

        The topologies of a dataset, in sampling order, are cut into disjoint
        groups of ``n_samples`` (independent replicates). In each group the
        proxy's choice is its best-scoring topology; the random choice is the
        group's first topology (the sampling order is random). The oracle is
        the group's best test accuracy.

        Returns
        -------
        rows : list of dict
            Per dataset, then ``'all'``: mean test accuracy of each choice, the
            number of groups, and the two-sided Wilcoxon signed-rank p-value of
            proxy against random, paired by group.
        """
        rows = []
        pooled = {"proxy": [], "random": [], "oracle": []}
        for dataset in self.datasets:
            accuracy = self.column(dataset, "test_accuracy")
            score = _rankable(self.column(dataset, proxy))
            n_groups = len(accuracy) // n_samples
            picks = {"proxy": [], "random": [], "oracle": []}
            for g in range(n_groups):
                members = slice(g * n_samples, (g + 1) * n_samples)
                picks["proxy"].append(accuracy[members][np.argmax(score[members])])
                picks["random"].append(accuracy[members][0])
                picks["oracle"].append(accuracy[members].max())
            for key in pooled:
                pooled[key].extend(picks[key])
            rows.append(_comparison_row(dataset, picks))
        rows.append(_comparison_row("all", pooled))
        return rows

    def to_csv(self, path):
        Path(path).unlink(missing_ok=True)
        append_records(path, self.records)

    def to_markdown(self, n_bootstrap=1000):
        """Correlation table (tau [95% CI], rho, top-10 hits) and the search test."""
        correlations = self.correlations(n_bootstrap=n_bootstrap)
        datasets = self.datasets
        by_key = {(r["dataset"], r["score"]): r for r in correlations}

        def score_table(cell):
            """One row per score, one column per dataset, ``cell`` formatted."""
            rows = [
                "| score | " + " | ".join(datasets) + " |",
                "|---" * (len(datasets) + 1) + "|",
            ]
            for name in self.scores:
                cells = [
                    "constant"
                    if by_key[(d, name)]["constant"]
                    else cell.format(**by_key[(d, name)])
                    for d in datasets
                ]
                rows.append(f"| {name} | " + " | ".join(cells) + " |")
            return rows

        lines = [
            "Kendall tau [95% bootstrap CI] between each score at initialisation "
            "and test accuracy after training, over "
            f"{self.config.n_topologies} topologies per dataset:",
            "",
            *score_table("{tau:.3f} [{tau_low:.2f}, {tau_high:.2f}]"),
            f"| NASWOT, NAS-Bench-201 CIFAR-10 (paper) | {PAPER_NASWOT_TAU} "
            + "| " * (len(datasets) - 1)
            + "|",
            *(
                [
                    "",
                    "constant: the score takes one value on every topology of "
                    "the dataset (e.g. every untrained network already fits "
                    "the training rows), so it ranks nothing.",
                ]
                if any(r["constant"] for r in correlations)
                else []
            ),
            "",
            "Spearman rho / top-10 hit rate (share of the score's 10 best "
            "topologies among the 10 most accurate, ties included):",
            "",
            *score_table("{rho:.3f} / {top_k_hit:.1f}"),
        ]
        lines += [
            "",
            "Choosing the best of 10 sampled topologies by NASWOT vs one at "
            "random (disjoint groups of 10; test accuracy %, mean; Wilcoxon "
            "signed-rank, paired by group):",
            "",
            "| dataset | groups | NASWOT best of 10 | random | oracle best of 10 "
            "| p (NASWOT vs random) |",
            "|---|---|---|---|---|---|",
        ]
        for row in self.search_comparison():
            lines.append(
                "| {dataset} | {n_groups} | {proxy:.1f} | {random:.1f} | "
                "{oracle:.1f} | {p:.3g} |".format(**row)
            )
        singular = np.mean([bool(r["naswot_singular"]) for r in self.records])
        converged = [bool(r.get("converged", False)) for r in self.records]
        lines += [
            "",
            f"NASWOT kernels that were singular (regularised): {100 * singular:.0f}%.",
            f"Trainings the stopping rule ended before the budget of "
            f"{self.config.max_iter} epochs: {sum(converged)} of {len(converged)}.",
        ]
        return "\n".join(lines) + "\n"


def _comparison_row(dataset, picks):
    proxy, random = np.asarray(picks["proxy"]), np.asarray(picks["random"])
    p = wilcoxon_signed_rank(proxy, random)[1]
    return {
        "dataset": dataset,
        "n_groups": len(proxy),
        "proxy": 100 * proxy.mean(),
        "random": 100 * random.mean(),
        "oracle": 100 * np.mean(picks["oracle"]),
        "p": p,
    }


#: The entries of a correlation row that a constant score leaves NaN.
_RANK_KEYS = ("tau", "tau_low", "tau_high", "rho", "rho_low", "rho_high", "top_k_hit")


def _constant(values):
    """Whether ``values`` hold one value only (a ranking of nothing)."""
    return bool(np.all(values == values[0]))


def _rank_correlations(score, accuracy):
    """Kendall's tau and Spearman's rho of two non-constant arrays."""
    return (
        stats.kendalltau(score, accuracy).statistic,
        stats.spearmanr(score, accuracy).statistic,
    )


def _rankable(score):
    """NaN (a failed score) ranks last, like ``-inf``."""
    return np.where(np.isnan(score), -np.inf, score)


@substitute(run_parameters=RUN_PARAMETERS)
def run_proxy_study(
    datasets, config=None, n_jobs=None, records_path=None, verbose=False
):
    """Run the proxy study; cached records are reused.

    Parameters
    ----------
    datasets : list of str
        Names from :data:`~sklearn_rcloud.study.STUDY_DATASETS`; each is
        split as in the paper protocol (fixed stratified 80/20, or the
        official split) and min-max scaled (one-hot for categoricals).
    config : ProxyStudyConfig or None
        None is the default configuration.
    {run_parameters}

    Returns
    -------
    ProxyStudyResult
    """
    config = config or ProxyStudyConfig()
    topologies = config.topologies()
    cached = RecordsCache(
        records_path,
        read_proxy_records,
        identity=lambda record: (record["dataset"], int(record["index"])),
        belongs=lambda record: record["config"] == config.key,
    )
    records, tasks = [], []
    for name in datasets:
        dataset = load_study_dataset(name)
        data = prepared_split(dataset, PaperProtocol(seeds=(0,)).runs(dataset)[0])
        for index, hidden in enumerate(topologies):
            if (name, index) in cached:
                records.append(cached[(name, index)])
            else:
                tasks.append((config, name, index, hidden, data))
    records += run_record_tasks(_evaluate_topology, tasks, n_jobs, cached, verbose)
    order = {name: i for i, name in enumerate(datasets)}
    records.sort(key=lambda r: (order[r["dataset"]], int(r["index"])))
    return ProxyStudyResult(records, config)


def read_proxy_records(path):
    """Read a proxy study's CSV back into records (numbers as numbers)."""
    return read_csv_records(
        path, text_fields={"dataset", "hidden_layer_sizes", "config"}
    )
