"""The SAEP study: do the pruning rules keep the unpruned ensemble's accuracy?

For each dataset and fold (a fresh seed per fold), :class:`SAEPEnsembleClassifier`
is fitted with every pruning rule and without pruning, from the same seed: the
same validation rows and, as long as the rules agree on the depths chosen, the
same candidates. The report compares each rule with the unpruned ensemble on
test accuracy, final ensemble size, parameters and diversity.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ..._docstrings import substitute
from ..._parallel import torch_threads
from ...ensemble import disagreement
from ...estimators import SAEPEnsembleClassifier
from ...estimators._together import fit_each
from .._records import append_records, read_csv_records
from .._runner import (
    RUN_PARAMETERS,
    FoldedStudyConfig,
    count_unconverged,
    run_folded_study,
)
from .._stats import holm, wilcoxon_signed_rank

__all__ = [
    "SAEP_RULES",
    "SAEPStudyConfig",
    "SAEPStudyResult",
    "read_saep_records",
    "run_saep_study",
]

#: Pruning rules in report order; ``'none'`` is the unpruned ensemble.
SAEP_RULES = ("none", "prs", "pap", "pie")


@dataclass(frozen=True)
class SAEPStudyConfig(FoldedStudyConfig):
    """Everything that determines a SAEP study's records.

    Parameters
    ----------
    rules : tuple of str
        Names from :data:`SAEP_RULES`.
    n_rounds, width, mixture, validation_fraction :
        :class:`~sklearn_rcloud.SAEPEnsembleClassifier`'s settings.
    solver, alpha, max_iter :
        The members' recipe: the library's default one (L-BFGS up to 2,000
        rows, else Adam; L2 penalty ``alpha``), its other settings the
        estimator's defaults, but a larger budget: under ``max_iter='auto'``
        (500 L-BFGS iterations) 9% of the candidates, the deepest, had not
        converged.
    n_folds, n_repeats : int
        Repeated stratified k-fold; every fold has its own seed.
    seed : int
        Seeds the folds and their seeds.
    """

    rules: tuple = SAEP_RULES
    n_rounds: int = 10
    width: int = 32
    mixture: str = "mean"
    validation_fraction: float = 0.2
    solver: str = "auto"
    alpha: float = 1.0
    max_iter: int = 2000
    n_folds: int = 5
    n_repeats: int = 2
    seed: int = 0

    def estimator(self, rule, seed):
        return SAEPEnsembleClassifier(
            solver=self.solver,
            alpha=self.alpha,
            max_iter=self.max_iter,
            n_rounds=self.n_rounds,
            width=self.width,
            pruning=None if rule == "none" else rule,
            mixture=self.mixture,
            validation_fraction=self.validation_fraction,
            random_state=seed,
        )


def _run_fold(config, dataset, fold, seed, rules, data, *, n_threads):
    """Fit a fold's ensembles of ``rules`` together; return their records.

    Every rule's ensemble starts from the fold's seed, so its candidates are
    the other rules' for as long as they choose the same depths:
    :func:`~sklearn_rcloud.fit_together` (here :func:`fit_each`, which reports
    each fit's warnings) trains each round's candidates as populations and
    those twins once.
    """
    X_train, y_train, X_test, y_test, _ = data
    estimators = [config.estimator(rule, seed) for (rule,) in rules]
    with torch_threads(n_threads), warnings.catch_warnings():
        warnings.simplefilter("always", ConvergenceWarning)
        outcome = fit_each(estimators, X_train, y_train)
        outcome.raise_first_error()
        records = []
        for (rule,), estimator, caught in zip(rules, estimators, outcome.warnings):
            record = _record(
                config, dataset, fold, seed, rule, estimator, X_test, y_test
            )
            # Candidates whose training ran out of epochs before its stopping rule.
            record["n_unconverged"] = count_unconverged(caught)
            records.append(record)
    return records


def _record(config, dataset, fold, seed, rule, estimator, X_test, y_test):
    """One fitted ensemble's record, its convergence aside (the caller's)."""
    test_accuracy = float(np.mean(estimator.predict(X_test) == y_test))
    predictions = [m.predict(X_test) for m in estimator.estimators_]
    history = estimator.ensemble_history_
    return {
        "dataset": dataset,
        "fold": fold,
        "seed": seed,
        "rule": rule,
        "test_accuracy": test_accuracy,
        "ensemble_size": len(estimator.estimators_),
        "n_params": estimator.n_params_,
        "diversity": disagreement(predictions),
        "validation_accuracy": float(history["validation_accuracy"][-1]),
        "depths": " ".join(str(t.depth) for t in estimator.topologies_),
        "fit_time": estimator.fit_time_,
        "config": config.key,
        "size_curve": " ".join(str(int(v)) for v in history["ensemble_size"]),
        "accuracy_curve": " ".join(f"{v:.4f}" for v in history["validation_accuracy"]),
    }


@dataclass
class SAEPStudyResult:
    """The records of a SAEP study and what they say.

    Attributes
    ----------
    records : list of dict
        One per (dataset, fold, rule): test accuracy, final ensemble size,
        parameters, test diversity (pairwise disagreement), members' depths,
        fit time, the candidates whose training ran out of epochs
        (``n_unconverged``), and per round the ensemble size and validation accuracy
        (``size_curve``, ``accuracy_curve``, space-separated).
    config : SAEPStudyConfig
    """

    records: list
    config: SAEPStudyConfig

    @property
    def datasets(self):
        return list(dict.fromkeys(r["dataset"] for r in self.records))

    def values(self, name, dataset=None, rule=None):
        """``name`` of the matching records, ordered by dataset then fold."""
        rows = [
            r
            for r in self.records
            if (dataset is None or r["dataset"] == dataset)
            and (rule is None or r["rule"] == rule)
        ]
        order = {d: i for i, d in enumerate(self.datasets)}
        rows.sort(key=lambda r: (order[r["dataset"]], int(r["fold"])))
        return np.array([float(r[name]) for r in rows])

    def curves(self, name, dataset, rule):
        """Per-round ``'size_curve'`` or ``'accuracy_curve'``, a row per fold."""
        rows = sorted(
            (r for r in self.records if r["dataset"] == dataset and r["rule"] == rule),
            key=lambda r: int(r["fold"]),
        )
        return np.array([[float(v) for v in r[name].split()] for r in rows])

    def comparisons(self):
        """Every rule against the unpruned ensemble, per dataset and pooled.

        Returns
        -------
        rows : list of dict
            Per dataset (then ``'all'``) and rule: mean test accuracy (%),
            ensemble size, parameters and diversity of the rule and of the
            unpruned ensemble, the accuracy difference, and the two-sided
            Wilcoxon signed-rank p-value of the accuracies, paired by fold;
            per rule, Holm's adjustment over the datasets.
        """
        rows = []
        for rule in self.config.rules:
            if rule == "none":
                continue
            block = []
            for dataset in [*self.datasets, None]:
                a = self.values("test_accuracy", dataset, rule)
                b = self.values("test_accuracy", dataset, "none")
                if not len(a) or len(a) != len(b):
                    continue
                row = {
                    "dataset": dataset or "all",
                    "rule": rule,
                    "n_pairs": len(a),
                    "accuracy": 100 * a.mean(),
                    "accuracy_none": 100 * b.mean(),
                    "difference": 100 * (a - b).mean(),
                    "p": wilcoxon_signed_rank(a, b)[1],
                }
                for name, column in (
                    ("size", "ensemble_size"),
                    ("n_params", "n_params"),
                    ("diversity", "diversity"),
                ):
                    row[name] = self.values(column, dataset, rule).mean()
                    row[f"{name}_none"] = self.values(column, dataset, "none").mean()
                block.append(row)
            per_dataset = [r for r in block if r["dataset"] != "all"]
            for row, adjusted in zip(per_dataset, holm([r["p"] for r in per_dataset])):
                row["p_holm"] = float(adjusted)
            for row in block:
                row.setdefault("p_holm", row["p"])
            rows += block
        return rows

    def to_csv(self, path):
        Path(path).unlink(missing_ok=True)
        append_records(path, self.records)

    def to_markdown(self):
        """Per-dataset table of each rule against the unpruned ensemble."""
        n_runs = self.config.n_folds * self.config.n_repeats
        lines = [
            "Each pruning rule against the unpruned ensemble (none), "
            f"{self.config.n_rounds} rounds, mean over {n_runs} folds per "
            "dataset: test accuracy %, final ensemble size, parameters, test "
            "diversity (mean pairwise disagreement); p: two-sided Wilcoxon "
            "signed-rank of the accuracies paired by fold [Holm over datasets]; "
            "'all' pools every fold of every dataset.",
            "",
            "| dataset | rule | accuracy | none | diff | size | none | params "
            "| none | diversity | none | p [Holm] |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for row in sorted(
            self.comparisons(),
            key=lambda r: (
                (self.datasets + ["all"]).index(r["dataset"]),
                self.config.rules.index(r["rule"]),
            ),
        ):
            lines.append(
                "| {dataset} | {rule} | {accuracy:.1f} | {accuracy_none:.1f} | "
                "{difference:+.1f} | {size:.1f} | {size_none:.1f} | "
                "{n_params:.0f} | {n_params_none:.0f} | {diversity:.3f} | "
                "{diversity_none:.3f} | {p:.3g} [{p_holm:.3g}] |".format(**row)
            )
        lines += ["", self.convergence()]
        return "\n".join(lines) + "\n"

    def convergence(self):
        """A sentence: how many candidates' trainings ran out of epochs."""
        unconverged = self.values("n_unconverged")
        n_candidates = 2 * self.config.n_rounds * len(unconverged)
        return (
            f"Convergence: {int(unconverged.sum())} of {n_candidates} candidate "
            "trainings ran out of epochs before their stopping rule; "
            f"{int((unconverged == 0).sum())} of {len(unconverged)} ensembles "
            "had every candidate converge."
        )


@substitute(run_parameters=RUN_PARAMETERS)
def run_saep_study(
    datasets, config=None, n_jobs=None, records_path=None, verbose=False
):
    """Run the SAEP study; cached records are reused.

    Parameters
    ----------
    datasets : list of str
        Names from :data:`~sklearn_rcloud.study.STUDY_DATASETS`, each split
        into repeated stratified folds and min-max scaled (one-hot for
        categoricals) on each fold's training part.
    config : SAEPStudyConfig or None
        None is the default configuration.
    {run_parameters}

    Returns
    -------
    SAEPStudyResult
    """
    config = config or SAEPStudyConfig()
    records = run_folded_study(
        _run_fold,
        config,
        datasets,
        [(rule,) for rule in config.rules],
        lambda r: (r["rule"],),
        read_saep_records,
        n_jobs,
        records_path,
        verbose,
        by_fold=True,
    )
    order = {name: i for i, name in enumerate(datasets)}
    rules = {rule: i for i, rule in enumerate(SAEP_RULES)}
    records.sort(key=lambda r: (order[r["dataset"]], int(r["fold"]), rules[r["rule"]]))
    return SAEPStudyResult(records, config)


def read_saep_records(path):
    """Read a SAEP study's CSV back into records (numbers as numbers)."""
    return read_csv_records(
        path,
        text_fields={
            "dataset",
            "rule",
            "depths",
            "config",
            "size_curve",
            "accuracy_curve",
        },
    )
