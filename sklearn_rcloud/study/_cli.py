"""``python -m sklearn_rcloud.study``: run a study, write its table and figures."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..presets import PAPER_DATASETS
from ._data import REGRESSION_DATASETS, STUDY_DATASETS, dataset_task
from ._methods import (
    BASELINE_METHOD_NAMES,
    LIBRARY_METHOD_NAMES,
    PAPER_METHOD_NAMES,
    baseline_methods,
    default_methods,
    library_methods,
    paper_methods,
)
from ._protocols import CVProtocol, PaperProtocol, get_protocol
from ._report import console_table, markdown_table
from ._runner import run_study

PAPER_DATASET_NAMES = tuple(PAPER_DATASETS)
#: ``--quick``: the three smallest paper datasets and three seeds (or a
#: 3-fold cross-validation), a couple of minutes on two cores.
QUICK_DATASETS = ("sonar", "iris", "wine")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_rcloud.study",
        description="Compare Random Cloud with full training and the pruning "
        "baselines on the same splits and seeds; write a tidy CSV of runs, a "
        "Markdown table and figures.",
    )
    parser.add_argument(
        "--protocol",
        choices=["paper", "cv", "proxies", "sparsity", "saep"],
        default="paper",
        help="'paper': fixed 80/20 split (official splits for "
        "Adult, Optical Digits), the paper's 10 seeds and its "
        "per-dataset settings; 'cv': repeated stratified 5-fold "
        "(x2; plain 5-fold for regression datasets) with the library's "
        "default estimators; 'proxies': the proxy "
        "study (every training-free score against trained accuracy over "
        "sampled topologies, on the paper protocol's split); 'sparsity': the "
        "sparsity study (dense parent, random search over node masks, random "
        "masks and Random Cloud at each node sparsity, repeated 5-fold); 'saep': "
        "the SAEP study (every pruning rule against the unpruned ensemble, "
        "repeated 5-fold).",
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        default=None,
        help="'all' (every classification dataset), 'regression' (every "
        "regression dataset, cv protocol only) or names from "
        f"{list(STUDY_DATASETS)} (classification) and "
        f"{list(REGRESSION_DATASETS)} (regression); default "
        "all the paper's (with --quick: "
        f"{' '.join(QUICK_DATASETS)}).",
    )
    parser.add_argument(
        "--methods",
        nargs="+",
        default=None,
        help="a subset of: full random_cloud magnitude random naswot area "
        f"(default all six; with --quick: {' '.join(PAPER_METHOD_NAMES)}); "
        "the cv protocol also takes "
        f"{' '.join([*LIBRARY_METHOD_NAMES[6:], *BASELINE_METHOD_NAMES])} "
        "(scikit-learn's MLP, logistic or ridge regression and histogram "
        "gradient boosting). On a regression dataset each method is its "
        "regressor twin.",
    )
    parser.add_argument(
        "--n-topologies",
        type=int,
        default=200,
        help="proxy study: topologies per dataset (with --quick: 40)",
    )
    parser.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        default=None,
        help="initialisation seeds of the paper protocol",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("results"),
        help="output folder (runs.csv, results.md, figures); "
        "runs already in its runs.csv are not run again",
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        help="runs in parallel (processes); torch threads per "
        "run are capped at cores / n-jobs",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a small version: 3 datasets, 3 seeds (3 folds)",
    )
    parser.add_argument(
        "--wilcoxon",
        choices=["paper", "scipy"],
        default=None,
        help="Wilcoxon variant; default 'paper' for the paper protocol, 'scipy' for cv",
    )
    parser.add_argument(
        "--no-plots",
        action="store_true",
        help="skip the figures (they need matplotlib)",
    )
    timing = parser.add_mutually_exclusive_group()
    timing.add_argument(
        "--alone",
        dest="shared",
        action="store_false",
        help="paper and cv protocols (the default): fit every run on its own, "
        "so that each fit time is what fitting that estimator alone costs",
    )
    timing.add_argument(
        "--shared",
        dest="shared",
        action="store_true",
        help="paper and cv protocols: train the networks of the runs that "
        "share their training rows together (twins once), several times "
        "faster; a run's fit time then holds shares of the others' trainings, "
        "so the tables leave the fit times out",
    )
    parser.set_defaults(shared=False)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.protocol == "proxies":
        return _proxy_study(args)
    if args.protocol == "sparsity":
        return _sparsity_study(args)
    if args.protocol == "saep":
        return _saep_study(args)
    protocol = get_protocol(args.protocol, quick=args.quick)
    if args.seeds:
        if not isinstance(protocol, PaperProtocol):
            raise SystemExit("--seeds applies to the paper protocol only.")
        protocol = PaperProtocol(seeds=args.seeds)
    datasets = _datasets(args, protocol)
    regression = [name for name in datasets if dataset_task(name) == "regression"]
    if args.protocol == "paper":
        if regression:
            raise SystemExit(
                f"{regression} are regression datasets: the paper protocol's "
                "methods are the paper's classifiers; run them with "
                "--protocol cv."
            )
        methods = paper_methods()
    else:
        methods = library_methods() + baseline_methods()
    if args.methods is None:
        # The six methods of the protocol (more for cv only when named).
        defaults = paper_methods() if args.protocol == "paper" else default_methods()
        args.methods = list(
            PAPER_METHOD_NAMES if args.quick else [m.name for m in defaults]
        )
    if args.methods:
        unknown = set(args.methods) - {m.name for m in methods}
        if unknown:
            raise SystemExit(
                f"Unknown methods {sorted(unknown)}; choose from "
                f"{[m.name for m in methods]}."
            )
        methods = [m for m in methods if m.name in args.methods]
    for name in datasets:
        task = dataset_task(name)
        unfit = [m.name for m in methods if not m.fits(task)]
        if unfit:
            raise SystemExit(f"Methods {unfit} do not fit the {task} dataset {name!r}.")
    wilcoxon = args.wilcoxon or ("paper" if args.protocol == "paper" else "scipy")

    args.out.mkdir(parents=True, exist_ok=True)
    tic = time.perf_counter()
    result = run_study(
        datasets,
        methods,
        protocol,
        n_jobs=args.n_jobs,
        records_path=args.out / "runs.csv",
        verbose=not args.quiet,
        together=args.shared,
    )
    wall = time.perf_counter() - tic
    # Runs fitted together share their trainings' time: no ratios from them.
    fit_times = not args.shared
    (args.out / "results.md").write_text(
        markdown_table(result, wilcoxon=wilcoxon, fit_times=fit_times)
    )
    print("\n" + console_table(result, wilcoxon=wilcoxon, fit_times=fit_times))
    print(f"{len(result.records)} runs ({result.n_failed} failed) in {wall:.0f} s.")
    print(
        "Full table (p-values, topologies, reductions"
        + (", time ratios" if fit_times else "")
        + f"): {args.out / 'results.md'}\nEvery run: {args.out / 'runs.csv'}"
    )
    if not args.no_plots and _save_figures(result, args.out, fit_times):
        names = FIGURES if fit_times else FIGURES[:1]
        print(f"Figures: {', '.join(str(args.out / name) for name in names)}")
    return 1 if result.n_failed else 0


#: Proxy study datasets by default: all but Adult (its 200 topologies would
#: train for hours on two cores).
PROXY_STUDY_DATASETS = (
    "sonar",
    "ionosphere",
    "breast_cancer",
    "wine",
    "iris",
    "banknote",
    "pima_diabetes",
    "optdigits",
)


#: Sparsity study datasets by default: the proxy study's and Adult (a fold's
#: 14 networks train together, one population per depth and size class).
SPARSITY_STUDY_DATASETS = (*PROXY_STUDY_DATASETS, "adult")

#: SAEP study datasets by default: the proxy study's and Adult. Each fold's
#: four ensembles (80 trainings) share their twin candidates, so a fold costs
#: about one ensemble's trainings (fit_together).
SAEP_STUDY_DATASETS = (*PROXY_STUDY_DATASETS, "adult")


def _proxy_study(args):
    from ._experiments._proxies import ProxyStudyConfig, run_proxy_study
    from ._plots import plot_proxy_scatter

    n_topologies = 40 if args.quick else args.n_topologies

    def figures(result):
        return {
            f"proxy_{name}": plot_proxy_scatter(result, name) for name in result.scores
        }

    return _run_small_study(
        args,
        run_proxy_study,
        ProxyStudyConfig(n_topologies=n_topologies),
        "proxy",
        figures,
    )


def _sparsity_study(args):
    from ._experiments._sparsity import SparsityStudyConfig, run_sparsity_study
    from ._plots import (
        plot_sparsity_accuracy,
        plot_sparsity_convergence,
        plot_validation_curves,
    )

    config = SparsityStudyConfig()
    if args.quick:
        config = SparsityStudyConfig(
            sparsities=(0.0, 0.5, 0.9), n_folds=3, n_repeats=1, max_iter=50
        )

    def figures(result):
        return {
            "sparsity_accuracy": plot_sparsity_accuracy(result),
            "sparsity_convergence": plot_sparsity_convergence(result),
            "sparsity_curves": plot_validation_curves(result, max(config.sparsities)),
        }

    return _run_small_study(
        args, run_sparsity_study, config, "sparsity", figures, SPARSITY_STUDY_DATASETS
    )


def _saep_study(args):
    from ._experiments._saep import SAEPStudyConfig, run_saep_study
    from ._plots import plot_saep_rounds

    config = SAEPStudyConfig()
    if args.quick:
        config = SAEPStudyConfig(n_rounds=5, n_folds=3, n_repeats=1)

    def figures(result):
        return {
            "saep_sizes": plot_saep_rounds(result, "size_curve"),
            "saep_accuracy": plot_saep_rounds(result, "accuracy_curve"),
        }

    return _run_small_study(
        args, run_saep_study, config, "saep", figures, SAEP_STUDY_DATASETS
    )


def _run_small_study(
    args, run, config, stem, figures, default_datasets=PROXY_STUDY_DATASETS
):
    """Run a proxy, sparsity or SAEP study; write ``{stem}_records.csv``, the
    table ``{stem}_results.md`` and the figures ``figures(result)`` into
    ``--out``. Without ``--datasets``: ``default_datasets`` (``--quick``: the
    quick ones)."""
    names = _small_study_datasets(args, default_datasets)
    args.out.mkdir(parents=True, exist_ok=True)
    tic = time.perf_counter()
    result = run(
        names,
        config,
        n_jobs=args.n_jobs,
        records_path=args.out / f"{stem}_records.csv",
        verbose=not args.quiet,
    )
    table = result.to_markdown()
    (args.out / f"{stem}_results.md").write_text(table)
    print("\n" + table)
    print(
        f"{len(result.records)} networks trained or read in "
        f"{time.perf_counter() - tic:.0f} s; written to {args.out}/"
    )
    if not args.no_plots and _matplotlib_agg():
        for name, figure in figures(result).items():
            figure.savefig(args.out / f"{name}.png", dpi=110)
    return 0


def _small_study_datasets(args, default_datasets):
    names = args.datasets or list(QUICK_DATASETS if args.quick else default_datasets)
    if names == ["all"]:
        names = list(STUDY_DATASETS)
    _check_dataset_names(names, STUDY_DATASETS)
    return names


def _matplotlib_agg():
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError:
        print(
            "matplotlib is not installed: no figures (pip install "
            "'sklearn_rcloud[study]').",
            file=sys.stderr,
        )
        return False
    return True


def _datasets(args, protocol):
    names = args.datasets
    if names is None:
        names = list(QUICK_DATASETS if args.quick else PAPER_DATASET_NAMES)
    elif names == ["all"]:
        names = list(
            STUDY_DATASETS if isinstance(protocol, CVProtocol) else PAPER_DATASET_NAMES
        )
    elif names == ["regression"]:
        names = list(REGRESSION_DATASETS)
    _check_dataset_names(names)
    return names


def _check_dataset_names(names, known=(*STUDY_DATASETS, *REGRESSION_DATASETS)):
    unknown = set(names) - set(known)
    if unknown:
        regression = sorted(unknown & set(REGRESSION_DATASETS))
        if regression:
            raise SystemExit(
                f"{regression} are regression datasets; this study takes "
                f"classification datasets: {list(known)}."
            )
        raise SystemExit(
            f"Unknown datasets {sorted(unknown)}; choose from {list(known)}."
        )


#: The figures of the ``paper`` and ``cv`` protocols, in ``--out``.
FIGURES = ("accuracy_vs_params.png", "time_ratios.png")


def _save_figures(result, out, fit_times=True):
    """Draw :data:`FIGURES` into ``out`` (the time ratios only with
    ``fit_times``); False without matplotlib."""
    if not _matplotlib_agg():
        return False
    from ._plots import plot_accuracy_vs_params, plot_time_ratios

    plot_accuracy_vs_params(result).savefig(out / FIGURES[0], dpi=120)
    if fit_times:
        plot_time_ratios(result).figure.savefig(out / FIGURES[1], dpi=120)
    return True
