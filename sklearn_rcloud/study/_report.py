"""Aggregate a study's records: means, paired tests, cost ratios, the table."""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

import numpy as np

from ._methods import FULL_METHOD, REFERENCE_METHOD
from ._paper import PAPER_RESULTS
from ._stats import (
    corrected_resampled_ttest,
    holm,
    smallest_wilcoxon_p,
    wilcoxon_signed_rank,
)

__all__ = ["console_table", "markdown_table", "summarize"]


@dataclass(frozen=True)
class _Score:
    """A score of the records: its field, how it reads, which way is better."""

    field: str
    text: str  # what the tables' notes call it
    column: str  # its column in the terminal's table
    scale: float = 1.0
    higher_is_better: bool = True

    def values(self, runs):
        return self.scale * np.array(
            [r.get(self.field, math.nan) for r in runs], dtype=float
        )

    def decimals(self, mean):
        """Accuracy in % to 0.1, R² to 0.001, RMSE to 3 significant digits."""
        if self.field == "accuracy":
            return 1
        if self.field == "rmse":
            if mean == 0 or not math.isfinite(mean):
                return 3
            return int(min(6, max(0, 2 - math.floor(math.log10(abs(mean))))))
        return 3


_ACCURACY = _Score("accuracy", "Test accuracy in %", "accuracy %", scale=100.0)
_R2 = _Score("r2", "Test R² (higher is better)", "R²")
_RMSE = _Score(
    "rmse",
    "Test RMSE (lower is better, in the target's units)",
    "RMSE",
    higher_is_better=False,
)
#: The score the paired tests compare, per task.
_PRIMARY = {"classification": _ACCURACY, "regression": _R2}
_TASK_TITLES = {
    "classification": "Classification datasets",
    "regression": "Regression datasets",
}


def _task_of(result, dataset):
    task = getattr(result, "task", None)
    return task(dataset) if task is not None else "classification"


def _task_groups(result):
    """``[(task, result of that task's datasets)]``, classification first.

    A study of one task is one group holding ``result`` itself.
    """
    tasks = {d: _task_of(result, d) for d in result.datasets}
    present = [t for t in _PRIMARY if t in tasks.values()]
    if len(present) <= 1:
        return [(present[0] if present else "classification", result)]
    return [
        (task, result.subset([d for d, t in tasks.items() if t == task]))
        for task in present
    ]


def summarize(result, wilcoxon="scipy"):
    """One row per dataset and method.

    Parameters
    ----------
    result : StudyResult
    wilcoxon : {'scipy', 'paper'}, default='scipy'
        Variant of :func:`wilcoxon_signed_rank`; ``'paper'`` is the Random
        Cloud paper's own implementation.

    Returns
    -------
    rows : list of dict
        ``dataset``, ``method``, ``task``, ``n_runs``, ``n_failed``,
        ``accuracy_mean`` and ``accuracy_std`` (in %, std with ``ddof=1``),
        ``f1_macro_mean``, ``r2_mean``, ``r2_std``, ``rmse_mean`` and
        ``rmse_std`` (the scores of the other task NaN),
        ``n_params_mean``, ``reduction_mean``, ``fit_time_median``,
        ``time_ratio`` (median fit time over the full network's), ``search_share``
        (median share of the fit spent searching), ``topology`` and
        ``reference_reduction`` (at the protocol's reference run; the most
        common topology where there is none), and for every method but the reference,
        paired against it over the runs both completed: ``wilcoxon_p``, its
        Holm adjustment across the datasets of the same task
        ``wilcoxon_p_holm``, and for the ``cv`` protocol the corrected
        resampled t-test ``ttest_p``. The tests compare accuracy on
        classification datasets and R² on regression ones (on the same test
        rows, a run's R² and RMSE order two methods alike).
    """
    rows = []
    for dataset in result.datasets:
        task = _task_of(result, dataset)
        records = [r for r in result.records if r["dataset"] == dataset]
        by_method = {
            m: [r for r in records if r["method"] == m] for m in result.methods
        }
        ok = {m: [r for r in rs if not r["error"]] for m, rs in by_method.items()}
        full_time = _median(ok.get(FULL_METHOD, []), "fit_time")
        reference_runs = {_run_key(r): r for r in ok.get(REFERENCE_METHOD, [])}
        for method in result.methods:
            runs = ok[method]
            reference = _reference_run(result.protocol, runs)
            fit_time = _median(runs, "fit_time")
            accuracy = _ACCURACY.values(runs)
            r2, rmse = _R2.values(runs), _RMSE.values(runs)
            row = {
                "dataset": dataset,
                "method": method,
                "task": task,
                "n_runs": len(by_method[method]),
                "n_failed": len(by_method[method]) - len(runs),
                "accuracy_mean": _mean(accuracy),
                "accuracy_std": _std(accuracy),
                "f1_macro_mean": _mean([r.get("f1_macro", math.nan) for r in runs]),
                "r2_mean": _mean(r2),
                "r2_std": _std(r2),
                "rmse_mean": _mean(rmse),
                "rmse_std": _std(rmse),
                "n_params_mean": _mean([r["n_params"] for r in runs]),
                "reduction_mean": _mean([r["reduction"] for r in runs]),
                "fit_time_median": fit_time,
                "time_ratio": fit_time / full_time if full_time else math.nan,
                "search_share": float(
                    np.nanmedian([r["search_time"] / r["fit_time"] for r in runs])
                )
                if runs and not all(math.isnan(r["search_time"]) for r in runs)
                else math.nan,
                "topology": reference["topology"]
                if reference and reference["topology"]
                else _most_common_topology(runs),
                "reference_reduction": reference["reduction"]
                if reference
                else math.nan,
                "wilcoxon_p": math.nan,
                "ttest_p": math.nan,
            }
            if method != REFERENCE_METHOD and reference_runs:
                row.update(
                    _paired_tests(
                        result.protocol,
                        runs,
                        reference_runs,
                        wilcoxon,
                        _PRIMARY[task].field,
                    )
                )
            rows.append(row)
    _add_holm(rows)
    return rows


def _paired_tests(protocol, runs, reference_runs, wilcoxon, score="accuracy"):
    pairs = [
        (reference_runs[_run_key(r)], r) for r in runs if _run_key(r) in reference_runs
    ]
    if not pairs:
        return {}
    ours = [p[0][score] for p in pairs]
    theirs = [p[1][score] for p in pairs]
    tests = {
        "wilcoxon_p": wilcoxon_signed_rank(ours, theirs, variant=wilcoxon)[1],
        "n_pairs": len(pairs),
    }
    if protocol.name == "cv" and len(pairs) > 1:
        n_train = float(np.mean([p[0]["n_train"] for p in pairs]))
        n_test = float(np.mean([p[0]["n_test"] for p in pairs]))
        tests["ttest_p"] = corrected_resampled_ttest(ours, theirs, n_train, n_test)[1]
    return tests


def _add_holm(rows):
    """Holm-adjust each comparison's p-values across the datasets of a task."""
    for method, task in {(r["method"], r.get("task")) for r in rows}:
        for test in ("wilcoxon_p", "ttest_p"):
            family = [
                r
                for r in rows
                if r["method"] == method
                and r.get("task") == task
                and not math.isnan(r[test])
            ]
            adjusted = holm([r[test] for r in family]) if family else []
            for row, p in zip(family, adjusted):
                row[test + "_holm"] = float(p)
    for row in rows:
        row.setdefault("wilcoxon_p_holm", math.nan)
        row.setdefault("ttest_p_holm", math.nan)


def _reference_run(protocol, runs):
    """The run at the protocol's reference seed (paper: 42), or None."""
    seed = getattr(protocol, "reference_seed", None)
    return next((r for r in runs if r["seed"] == seed), None)


def _most_common_topology(runs):
    topologies = [r["topology"] for r in runs if r["topology"]]
    if not topologies:
        return ""
    values, counts = np.unique(topologies, return_counts=True)
    return str(values[np.argmax(counts)])


def _run_key(record):
    return (record["split"], record["seed"])


def _mean(values):
    values = np.asarray(values, dtype=float)
    return (
        float(np.nanmean(values))
        if len(values) and not np.isnan(values).all()
        else math.nan
    )


def _std(values):
    """Sample standard deviation (``ddof=1``); NaN for fewer than two values."""
    values = np.asarray(values, dtype=float)
    return float(np.std(values, ddof=1)) if len(values) > 1 else math.nan


def _median(runs, field):
    values = np.array([r[field] for r in runs], dtype=float)
    return float(np.nanmedian(values)) if len(values) else math.nan


# ----------------------------------------------------------------- table
_LABELS = {
    "full": "full",
    "magnitude": "magnitude",
    "random": "random",
    "random_cloud": "random cloud",
    "sparse_search": "sparse search",
    "random_sparse": "random sparse",
    "sklearn_mlp": "sklearn MLP",
    "hist_gradient_boosting": "hist GB",
}


def markdown_table(result, wilcoxon="scipy", paper=None, split=False, fit_times=True):
    """The results in the Random Cloud paper's layout, as Markdown.

    One row per dataset (two with ``paper``: ours, then the paper's
    published numbers). Accuracy columns give the test accuracy in %,
    mean ± std over the runs, with the p-value of the paired test of Random
    Cloud against that method (Holm-adjusted across datasets in brackets).
    Then Random Cloud's topology at the reference run (seed 42 in the paper
    protocol) with its parameter reduction, the mean reduction over all runs,
    and every method's median fit time relative to full training.

    Regression datasets get the same layout with the test R² (higher is
    better) in place of the accuracy, the paired tests comparing R², then a
    table of the test RMSE (lower is better). A study of both tasks gives
    the classification datasets' tables, then the regression datasets'
    (each under a bold title, its p-values Holm-adjusted across the datasets
    of its task); the paper's rows are classification ones only.

    Parameters
    ----------
    result : StudyResult
    wilcoxon : {'scipy', 'paper'}, default='scipy'
    paper : bool or None, default=None
        Add the paper's rows; None means yes for the ``paper`` protocol.
    split : bool, default=False
        The same cells in four narrow tables, each under a line saying what
        it holds: accuracy, the p-values (not inside the accuracy cells), size
        and cost. For pages whose column is too narrow for the one wide
        table.
    fit_times : bool, default=True
        Give the time ratios. False leaves them out with a note saying why
        (:data:`SHARED_TIMES_NOTE`): for runs fitted together, whose times
        are not what each fit costs alone.
    """
    if paper is None:
        paper = result.protocol.name == "paper"
    groups = _task_groups(result)
    parts = []
    for task, sub in groups:
        text = _task_markdown(sub, task, wilcoxon, paper, split, fit_times)
        parts.append(
            text if len(groups) == 1 else f"**{_TASK_TITLES[task]}**\n\n{text}"
        )
    return "\n".join(parts)


def _task_markdown(result, task, wilcoxon, paper, split, fit_times):
    """:func:`markdown_table` of a study whose datasets all have ``task``."""
    score = _PRIMARY[task]
    paper = paper and task == "classification"  # the paper has no regression
    summary = summarize(result, wilcoxon)
    if split:
        return _split_tables(result, summary, wilcoxon, paper, fit_times, score)
    rows = {(r["dataset"], r["method"]): r for r in summary}
    methods = result.methods
    timed = [m for m in methods if m != FULL_METHOD] if fit_times else []
    has_reference = REFERENCE_METHOD in methods
    header = ["dataset"] + (["source"] if paper else [])
    header += [
        _label(m) + (" (p)" if has_reference and m != REFERENCE_METHOD else "")
        for m in methods
    ]
    if has_reference:
        header += ["found topology", "its reduction", "mean reduction"]
    if FULL_METHOD in methods and timed:
        header += [f"{_label(m)} time / full" for m in timed]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for dataset in result.datasets:
        cells = [dataset] + (["ours"] if paper else [])
        for method in methods:
            row = rows[(dataset, method)]
            cells.append(
                _score_cell(
                    score,
                    row[f"{score.field}_mean"],
                    row[f"{score.field}_std"],
                    row.get("wilcoxon_p"),
                    row.get("wilcoxon_p_holm"),
                    row["n_failed"],
                )
            )
        if has_reference:
            reference = rows[(dataset, REFERENCE_METHOD)]
            cells += [
                reference["topology"] or "–",
                _percent(reference["reference_reduction"]),
                _percent(reference["reduction_mean"]),
            ]
        if FULL_METHOD in methods and timed:
            cells += [_ratio(rows[(dataset, m)]["time_ratio"]) for m in timed]
        lines.append("| " + " | ".join(cells) + " |")
        if paper and dataset in PAPER_RESULTS:
            lines.append(
                "| "
                + " | ".join(_paper_cells(dataset, methods, timed, has_reference))
                + " |"
            )
    tables = "\n".join(lines)
    if task == "regression":
        tables += "\n\n" + _score_table(result, rows, _RMSE)
    notes = [
        f"Protocol: {result.protocol!r}. {score.text}"
        + (
            " and, in the second table, test RMSE (lower is better, in the "
            "target's units)"
            if task == "regression"
            else ""
        )
        + ", mean ± std over the runs; "
        + f"p: two-sided Wilcoxon signed-rank ({wilcoxon} variant) of "
        f"{_label(REFERENCE_METHOD)} against the method"
        + (" on R²" if task == "regression" else "")
        + ", paired by run, [Holm-adjusted across datasets]. "
        + (
            "Time: median fit time relative to full training. "
            if fit_times
            else SHARED_TIMES_NOTE + " "
        )
        + "Found topology: Random Cloud's at the reference run "
        "(the baselines' target), with its parameter reduction.",
    ]
    notes += _p_floor_notes(result, summary, wilcoxon)
    if paper:
        notes.append(
            "Paper rows: the published numbers (seed-42 topology and "
            "reduction; Iris from the single-seed table)."
        )
    return tables + "\n\n" + "\n".join(notes) + "\n"


def _score_table(result, rows, score):
    """One table of ``score``'s mean ± std: a row per dataset, a column per method."""
    lines = [
        "| " + " | ".join(["dataset"] + [_label(m) for m in result.methods]) + " |",
        "|" + "---|" * (1 + len(result.methods)),
    ]
    for dataset in result.datasets:
        cells = [dataset] + [
            _score_cell(
                score,
                rows[(dataset, m)][f"{score.field}_mean"],
                rows[(dataset, m)][f"{score.field}_std"],
                n_failed=rows[(dataset, m)]["n_failed"],
            )
            for m in result.methods
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _split_tables(result, summary, wilcoxon, paper, fit_times=True, score=_ACCURACY):
    """:func:`markdown_table`'s cells as four tables: accuracy, p, size, cost.

    For regression (``score`` R²): R² and RMSE, then p, size and cost.
    """
    rows = {(r["dataset"], r["method"]): r for r in summary}
    methods = result.methods
    compared = [m for m in methods if m != REFERENCE_METHOD]
    timed = [m for m in methods if m != FULL_METHOD] if fit_times else []
    has_reference = REFERENCE_METHOD in methods
    key = ["dataset"] + (["source"] if paper else [])

    def table(header, ours, published):
        lines = [
            "| " + " | ".join(key + header) + " |",
            "|" + "---|" * (len(key) + len(header)),
        ]
        for dataset in result.datasets:
            lines.append(
                "| "
                + " | ".join([dataset] + (["ours"] if paper else []) + ours(dataset))
                + " |"
            )
            if paper and dataset in PAPER_RESULTS:
                lines.append(
                    "| " + " | ".join([dataset, "paper"] + published(dataset)) + " |"
                )
        return "\n".join(lines)

    def scores(score):
        def cells(dataset):
            return [
                _score_cell(
                    score,
                    rows[(dataset, m)][f"{score.field}_mean"],
                    rows[(dataset, m)][f"{score.field}_std"],
                    n_failed=rows[(dataset, m)]["n_failed"],
                )
                for m in methods
            ]

        return cells

    def paper_accuracy(dataset):
        published = PAPER_RESULTS[dataset]["accuracy"]
        return [_accuracy_cell(*published.get(m, (math.nan, None))) for m in methods]

    parts = [
        f"{score.text}, mean ± std over the runs.",
        table([_label(m) for m in methods], scores(score), paper_accuracy),
    ]
    if score is _R2:
        parts += [
            f"{_RMSE.text}, mean ± std over the runs.",
            table([_label(m) for m in methods], scores(_RMSE), paper_accuracy),
        ]
    if has_reference and compared:

        def pvalues(test):
            """Each dataset's p-values of ``test``, with their Holm adjustment."""

            def cells(dataset):
                return [
                    _p_cell(
                        rows[(dataset, m)].get(test),
                        rows[(dataset, m)].get(f"{test}_holm"),
                    )
                    for m in compared
                ]

            return cells

        def paper_pvalues(dataset):
            published = PAPER_RESULTS[dataset]["pvalue"]
            return [_p_cell(published.get(m)) for m in compared]

        parts += [
            " ".join(
                [
                    f"p-values: two-sided Wilcoxon signed-rank ({wilcoxon} variant) "
                    f"of {_label(REFERENCE_METHOD)} against each method"
                    + (" on R²" if score is _R2 else "")
                    + ", paired by run [Holm-adjusted across datasets]."
                ]
                + _p_floor_notes(result, summary, wilcoxon)
            ),
            table([_label(m) for m in compared], pvalues("wilcoxon_p"), paper_pvalues),
        ]
        if result.protocol.name == "cv":
            parts += [
                "p-values: two-sided corrected resampled t-test (Nadeau and "
                f"Bengio) of {_label(REFERENCE_METHOD)} against each method"
                + (" on R²" if score is _R2 else "")
                + ", which allows for the overlap of the folds' training rows "
                "[Holm-adjusted across datasets].",
                table(
                    [_label(m) for m in compared],
                    pvalues("ttest_p"),
                    lambda dataset: ["–"] * len(compared),  # the paper has none
                ),
            ]
    if has_reference:

        def size(dataset):
            reference = rows[(dataset, REFERENCE_METHOD)]
            return [
                reference["topology"] or "–",
                _percent(reference["reference_reduction"]),
                _percent(reference["reduction_mean"]),
            ]

        def paper_size(dataset):
            published = PAPER_RESULTS[dataset]
            return [published["topology"], _percent(published["reduction"]), "–"]

        parts += [
            f"Size: {_label(REFERENCE_METHOD)}'s topology at the reference run "
            "(the baselines' target) with its parameter reduction, and the mean "
            "reduction over all runs.",
            table(["topology", "its reduction", "mean reduction"], size, paper_size),
        ]
    if FULL_METHOD in methods and timed:

        def cost(dataset):
            return [_ratio(rows[(dataset, m)]["time_ratio"]) for m in timed]

        def paper_cost(dataset):
            published = PAPER_RESULTS[dataset]["time_ratio"]
            return [_ratio(published.get(m, math.nan)) for m in timed]

        parts += [
            "Cost: each method's median fit time relative to full training.",
            table([_label(m) for m in timed], cost, paper_cost),
        ]
    notes = [f"Protocol: {result.protocol!r}."]
    if not fit_times:
        notes.append(SHARED_TIMES_NOTE)
    if paper:
        notes.append(
            "Paper rows: the published numbers (seed-42 topology and "
            "reduction; Iris from the single-seed table)."
        )
    return "\n\n".join(parts) + "\n\n" + " ".join(notes) + "\n"


def _p_cell(p, p_holm=None):
    if p is None or math.isnan(p):
        return "–"
    if p_holm is None or math.isnan(p_holm):
        return _p(p)
    return f"{_p(p)} [{_p(p_holm)}]"


def _p_floor(summary, wilcoxon):
    """The fewest pairs behind any p-value of ``summary`` and the smallest
    p-value the Wilcoxon test can give with them; None without p-values."""
    pairs = [
        r["n_pairs"]
        for r in summary
        if "n_pairs" in r and not math.isnan(r.get("wilcoxon_p", math.nan))
    ]
    if not pairs:
        return None
    return min(pairs), smallest_wilcoxon_p(min(pairs), wilcoxon)


def _p_floor_notes(result, summary, wilcoxon, alpha=0.05):
    """One sentence when too few pairs let no Wilcoxon p-value reach ``alpha``."""
    floor = _p_floor(summary, wilcoxon)
    if floor is None or floor[1] < alpha:
        return []
    n_pairs, p_min = floor
    return [
        f"With {n_pairs} {_unit(result, n_pairs)} per comparison this test cannot "
        f"give p < {_p(p_min)}, so no difference can reach {alpha:.0%}."
    ]


def _unit(result, n):
    """What one run of the protocol is: a seed (paper) or a fold (cv)."""
    unit = "seed" if result.protocol.name == "paper" else "fold"
    return unit if n == 1 else unit + "s"


# --------------------------------------------------------------- terminal
#: Why a table of runs fitted together has no fit times.
SHARED_TIMES_NOTE = (
    "Fit times left out: the runs that share their training rows were fitted "
    "together (the command line's --shared), so a run's fit time holds shares "
    "of the others' trainings, not what fitting it alone costs; run without "
    "--shared for fit times."
)


def console_table(result, wilcoxon="scipy", paper=None, alpha=0.05, fit_times=True):
    """A short plain-text version of the results for a terminal.

    One line per dataset and method: test accuracy (mean ± std over the
    runs), the paper's published accuracy with ``paper``, the mean parameter
    count, the median fit time and its ratio to full training. The paired
    Wilcoxon p-values of Random Cloud against each method get a column of
    their own only when the number of pairs lets them reach ``alpha``; else
    one line under the table says so. :func:`markdown_table` has every column.

    Parameters
    ----------
    result : StudyResult
    wilcoxon : {'scipy', 'paper'}, default='scipy'
    paper : bool or None, default=None
        Add the paper's accuracy; None means yes for the ``paper`` protocol.
    alpha : float, default=0.05
    fit_times : bool, default=True
        Give the fit times. False leaves them out with a note saying why
        (:data:`SHARED_TIMES_NOTE`): for runs fitted together, whose times
        are not what each fit costs alone.

    Regression datasets get R² and RMSE (mean ± std) in place of the
    accuracy, their p-values comparing R²; a study of both tasks gives one
    table per task.

    Returns
    -------
    table : str
    """
    if paper is None:
        paper = result.protocol.name == "paper"
    groups = _task_groups(result)
    parts = []
    for task, sub in groups:
        text = _console_task(sub, task, wilcoxon, paper, alpha, fit_times)
        parts.append(text if len(groups) == 1 else f"{_TASK_TITLES[task]}\n\n{text}")
    return "\n".join(parts)


def _console_task(result, task, wilcoxon, paper, alpha, fit_times):
    """:func:`console_table` of a study whose datasets all have ``task``."""
    regression = task == "regression"
    paper = paper and not regression
    summary = summarize(result, wilcoxon)
    rows = {(r["dataset"], r["method"]): r for r in summary}
    floor = _p_floor(summary, wilcoxon)
    show_p = floor is not None and floor[1] < alpha
    scores = (_R2, _RMSE) if regression else (_ACCURACY,)
    header = ["dataset", "method", *(s.column for s in scores)]
    header += ["paper %"] if paper else []
    header += ["params"] + (["fit time", "vs full"] if fit_times else [])
    header += ["p [Holm]"] if show_p else []
    lines = []
    for dataset in result.datasets:
        published = PAPER_RESULTS.get(dataset, {}).get("accuracy", {})
        for i, method in enumerate(result.methods):
            row = rows[(dataset, method)]
            cells = [dataset if i == 0 else "", _label(method)] + [
                _score_cell(
                    s,
                    row[f"{s.field}_mean"],
                    row[f"{s.field}_std"],
                    n_failed=row["n_failed"],
                )
                for s in scores
            ]
            if paper:
                cells.append(_accuracy_cell(*published.get(method, (math.nan, None))))
            cells.append(_count(row["n_params_mean"]))
            if fit_times:
                cells += [_seconds(row["fit_time_median"]), _ratio(row["time_ratio"])]
            if show_p:
                cells.append(
                    ""
                    if method == REFERENCE_METHOD
                    else _p_cell(row.get("wilcoxon_p"), row.get("wilcoxon_p_holm"))
                )
            lines.append(cells)
    n_runs = max((r["n_runs"] for r in summary), default=0)
    scored = (
        "Test R² (higher is better) and RMSE (lower is better)"
        if regression
        else "Test accuracy in %"
    )
    notes = [
        f"{scored}, mean ± std over {n_runs} {_unit(result, n_runs)}"
        + (" (paper %: the published numbers)" if paper else "")
        + "; params: mean parameter count"
        + (
            "; fit time: median, and relative to full training."
            if fit_times
            else ". " + SHARED_TIMES_NOTE
        )
    ]
    if floor is not None:
        n_pairs, p_min = floor
        test = (
            f"the two-sided Wilcoxon signed-rank test ({wilcoxon} variant) of "
            f"{_label(REFERENCE_METHOD)} against each method"
            + (" on R²" if regression else "")
        )
        if show_p:
            notes.append(
                f"p: {test}, over {n_pairs} paired {_unit(result, n_pairs)} "
                "[Holm-adjusted across datasets]."
            )
        else:
            notes.append(
                f"No p-values: with {n_pairs} paired {_unit(result, n_pairs)}, "
                f"{test} cannot give p < {_p(p_min)}, so no difference here can "
                f"reach {alpha:.0%}."
            )
    notes = [textwrap.fill(note, width=88) for note in notes]
    return _grid(header, lines) + "\n\n" + "\n".join(notes) + "\n"


def _grid(header, lines):
    """Columns padded to their widest cell: text left, numbers right."""
    widths = [max(len(c) for c in column) for column in zip(header, *lines)]
    numeric = [
        i >= 2 and not any(c and c[0].isalpha() for c in column[1:])
        for i, column in enumerate(zip(header, *lines))
    ]

    def line(cells):
        return "  ".join(
            c.rjust(w) if right else c.ljust(w)
            for c, w, right in zip(cells, widths, numeric)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule] + [line(cells) for cells in lines])


def _count(value):
    return "–" if value is None or math.isnan(value) else f"{value:,.0f}"


def _seconds(value):
    if value is None or math.isnan(value):
        return "–"
    return f"{value:.1f} s"


def _label(method):
    return _LABELS.get(method, method)


def _accuracy_cell(mean, std, p=None, p_holm=None, n_failed=0):
    return _score_cell(_ACCURACY, mean, std, p, p_holm, n_failed)


def _score_cell(score, mean, std, p=None, p_holm=None, n_failed=0):
    """``mean ± std (p [p_holm]), n failed``, to the score's precision."""
    if mean is None or math.isnan(mean):
        return "failed" if n_failed else "–"
    decimals = score.decimals(mean)
    cell = f"{mean:.{decimals}f}" + (
        f" ± {std:.{decimals}f}" if std is not None and not math.isnan(std) else ""
    )
    if p is not None and not math.isnan(p):
        cell += f" ({_p(p)}"
        cell += (
            f" [{_p(p_holm)}])"
            if p_holm is not None and not math.isnan(p_holm)
            else ")"
        )
    if n_failed:
        cell += f", {n_failed} failed"
    return cell


def _paper_cells(dataset, methods, timed, has_reference):
    published = PAPER_RESULTS[dataset]
    cells = [dataset, "paper"]
    for method in methods:
        mean, std = published["accuracy"].get(method, (math.nan, None))
        cells.append(_accuracy_cell(mean, std, published["pvalue"].get(method)))
    if has_reference:
        cells += [published["topology"], _percent(published["reduction"]), "–"]
    cells += [_ratio(published["time_ratio"].get(m, math.nan)) for m in timed]
    return cells


def _p(p):
    return f"{p:.3f}" if p >= 0.001 else f"{p:.0e}"


def _percent(value):
    return "–" if value is None or math.isnan(value) else f"{100 * value:.1f}%"


def _ratio(value):
    return "–" if value is None or math.isnan(value) else f"{value:.2f}×"
