"""Run every method of a study on the same splits and seeds; collect records."""

from __future__ import annotations

import csv
import hashlib
import math
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    r2_score,
    root_mean_squared_error,
)
from sklearn.utils.parallel import Parallel, delayed

from .._parallel import threads_per_job, torch_threads
from ..estimators._together import FitOutcome, fit_each
from ._data import StudyDataset, dataset_task, load_study_dataset
from ._methods import REFERENCE_METHOD, MethodContext, as_method, estimator_task
from ._protocols import CVProtocol, get_protocol, make_pipeline, prepared_split
from ._records import CachedStudyConfig, RecordsCache, read_csv_records

__all__ = ["RECORD_FIELDS", "StudyResult", "read_records", "run_study"]

#: Columns of a study's tidy table: one row per (dataset, method, run).
#: Classification runs fill ``accuracy`` and ``f1_macro``, regression runs
#: ``r2`` and ``rmse`` (the others are NaN).
RECORD_FIELDS = (
    "protocol",
    "dataset",
    "method",
    "split",
    "seed",
    "n_train",
    "n_test",
    "accuracy",
    "f1_macro",
    "r2",
    "rmse",
    "topology",
    "n_params",
    "initial_n_params",
    "reduction",
    "fit_time",
    "search_time",
    "train_time",
    "pretrain_time",
    "prune_time",
    "finetune_time",
    "n_iter",
    "converged",
    "error",
)
_INTEGER_FIELDS = ("split", "seed", "n_train", "n_test")
# Columns later versions added: records written before them read as NaN.
_OPTIONAL_FIELDS = ("n_iter", "converged", "r2", "rmse")
#: The scores each task's records hold.
TASK_SCORES = {"classification": ("accuracy", "f1_macro"), "regression": ("r2", "rmse")}
_TEXT_FIELDS = ("protocol", "dataset", "method", "topology", "error")
_TIME_PARTS = (
    "search_time",
    "train_time",
    "pretrain_time",
    "prune_time",
    "finetune_time",
)


class StudyResult:
    """The records of a study, one per (dataset, method, run).

    Parameters
    ----------
    records : list of dict
        Keys :data:`RECORD_FIELDS`; missing measurements are NaN.
    protocol : object
        The protocol the records were made with.
    methods : list of str
        Method names in the order they were given (the table's column order).
    tasks : dict or None, default=None
        Each dataset's task ('classification' or 'regression'); datasets
        missing here get the task their records' scores show (see
        :meth:`task`).
    """

    def __init__(self, records, protocol, methods, tasks=None):
        self.records = list(records)
        self.protocol = protocol
        self.methods = list(methods)
        self.tasks = dict(tasks or {})

    @property
    def datasets(self):
        return list(dict.fromkeys(r["dataset"] for r in self.records))

    def task(self, dataset):
        """The task of ``dataset``: given, or read from its records.

        A dataset whose records hold an R² or an RMSE (records read back
        from a CSV) is a regression one, as is a name of
        :data:`REGRESSION_DATASETS` without scores; otherwise classification.
        """
        if dataset in self.tasks:
            return self.tasks[dataset]
        records = [r for r in self.records if r["dataset"] == dataset]
        for task in ("regression", "classification"):
            if any(_is_number(r.get(f)) for r in records for f in TASK_SCORES[task]):
                return task
        return dataset_task(dataset) or "classification"

    def subset(self, datasets):
        """The records of ``datasets`` only, as a StudyResult."""
        datasets = set(datasets)
        return StudyResult(
            [r for r in self.records if r["dataset"] in datasets],
            self.protocol,
            self.methods,
            {d: self.task(d) for d in self.datasets if d in datasets},
        )

    @property
    def n_failed(self):
        return sum(bool(r["error"]) for r in self.records)

    def to_csv(self, path):
        """Write the tidy table of runs to ``path``."""
        with open(path, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=RECORD_FIELDS)
            writer.writeheader()
            writer.writerows(self.records)

    def to_frame(self):
        """The records as a pandas DataFrame (requires pandas)."""
        import pandas as pd

        return pd.DataFrame(self.records, columns=list(RECORD_FIELDS))

    def summary(self, wilcoxon="scipy"):
        """Per dataset and method aggregates; see :func:`summarize`."""
        from ._report import summarize

        return summarize(self, wilcoxon=wilcoxon)

    def to_markdown(self, wilcoxon="scipy", paper=None):
        """The results table; see :func:`markdown_table`."""
        from ._report import markdown_table

        return markdown_table(self, wilcoxon=wilcoxon, paper=paper)

    def __repr__(self):
        return (
            f"StudyResult({len(self.records)} runs, datasets={self.datasets}, "
            f"methods={self.methods}, protocol={self.protocol!r})"
        )


def run_study(
    datasets,
    methods,
    protocol="paper",
    *,
    n_jobs=1,
    records_path=None,
    verbose=1,
    together=True,
):
    """Run every method on every run (split and seed) of every dataset.

    Each run fits ``Pipeline([preprocessing, estimator])`` on the run's
    training rows (one-hot encoding of categorical columns, then min-max
    scaling, both fitted there) and scores it on its test rows: accuracy
    and macro-F1 on a classification dataset, R² and RMSE on a regression
    one (each dataset's ``task``; the methods build a classifier or a
    regressor accordingly). Methods that
    need a reference (the pruning baselines' target topology) run after the
    reference method. With ``together``, the runs that share their training
    rows (every seed of the paper protocol) are fitted with
    :func:`~sklearn_rcloud.fit_together`, so that their networks train as
    populations.

    Parameters
    ----------
    datasets : list of str or StudyDataset
        Names from :data:`STUDY_DATASETS` (classification) or
        :data:`REGRESSION_DATASETS`, or datasets built by hand; both tasks
        may be mixed.
    methods : list of Method, or dict of name to Method or estimator
        A plain scikit-learn classifier or regressor is cloned per run with
        its ``random_state`` set to the run's seed.
    protocol : {'paper', 'cv'} or protocol object, default='paper'
        See :class:`PaperProtocol` and :class:`CVProtocol`.
    n_jobs : int, default=1
        Runs in parallel through joblib (processes). Each worker's torch
        thread count is capped at ``os.cpu_count() // n_jobs``.
    records_path : path or None, default=None
        A CSV to append every finished run to. Runs already there (same
        protocol, dataset, method, split and seed) are not run again, so an
        interrupted study resumes where it stopped. Runs are matched by
        method *name*: use a new file after changing a method's settings.
    verbose : int, default=1
        0 silent; 1 a progress bar over runs.
    together : bool, default=True
        Fit the runs that share their training rows together. Every method
        then trains alike, so the costs stay comparable; each run's
        ``fit_time`` is its own computing plus its shares of the populations
        (:func:`~sklearn_rcloud.fit_together`). False fits one run after
        another.

    Returns
    -------
    StudyResult

    Raises
    ------
    ValueError
        Before anything runs, for a method that does not fit a dataset's
        task (e.g. a classifier, or :func:`paper_methods`, on a regression
        dataset); while the study runs, for a method that builds an
        estimator of the other task.
    """
    protocol = get_protocol(protocol)
    methods = _as_methods(methods)
    datasets = [
        d if isinstance(d, StudyDataset) else load_study_dataset(d) for d in datasets
    ]
    _check_tasks(datasets, methods)
    records = RecordsCache(
        records_path,
        read_records,
        identity=lambda r: (r["dataset"], r["method"], r["split"], r["seed"]),
        belongs=lambda r: r["protocol"] == protocol.name,
        fields=RECORD_FIELDS,
    )
    plan = [(d, run) for d in datasets for run in protocol.runs(d)]
    n_threads = threads_per_job(n_jobs)

    progress = _progress(
        total=len(plan) * len(methods),
        initial=sum(_key(d, m, run) in records for d, run in plan for m in methods),
        disable=not verbose,
    )
    with progress:
        for needs_reference in (False, True):
            fits = [
                (dataset, method, run)
                for dataset, run in plan
                for method in methods
                if method.needs_reference == needs_reference
                and _key(dataset, method, run) not in records
            ]
            groups = _groups(fits, together)
            tasks = [_task(group, protocol, records, n_threads) for group in groups]
            outputs = Parallel(n_jobs=n_jobs, return_as="generator")(tasks)
            for output in outputs:
                for record in output:
                    record["protocol"] = protocol.name
                    records.add(record)
                    progress.update()

    ordered = [records[_key(d, m, run)] for d, run in plan for m in methods]
    result = StudyResult(
        ordered, protocol, [m.name for m in methods], {d.name: d.task for d in datasets}
    )
    if result.n_failed:
        warnings.warn(
            f"{result.n_failed} of {len(ordered)} runs failed; their 'error' "
            "column says why.",
            UserWarning,
            stacklevel=2,
        )
    return result


def _key(dataset, method, run):
    """A record's identity, as the CSV's columns give it back."""
    return (dataset.name, method.name, *run.key)


def _as_methods(methods):
    if isinstance(methods, dict):
        methods = [as_method(name, spec) for name, spec in methods.items()]
    methods = list(methods)
    names = [m.name for m in methods]
    if len(set(names)) != len(names):
        raise ValueError(f"Method names must be unique, got {names}.")
    if any(m.needs_reference for m in methods) and REFERENCE_METHOD not in names:
        raise ValueError(
            f"Methods {[m.name for m in methods if m.needs_reference]} prune to "
            f"the topology {REFERENCE_METHOD!r} finds; include it."
        )
    return methods


def _check_tasks(datasets, methods):
    """Refuse a method declared for other tasks than a dataset's."""
    for dataset in datasets:
        unfit = [m.name for m in methods if not m.fits(dataset.task)]
        if unfit:
            raise ValueError(
                f"Methods {unfit} do not fit the {dataset.task} dataset "
                f"{dataset.name!r}: they cover "
                + "; ".join(
                    f"{m.name!r}: {' and '.join(m.tasks)}"
                    for m in methods
                    if m.name in unfit
                )
                + "."
            )


def _is_number(value):
    return isinstance(value, (int, float, np.number)) and not math.isnan(value)


def _groups(fits, together):
    """The ``(dataset, method, run)`` fits in tasks: those sharing training rows."""
    if not together:
        return [[fit] for fit in fits]
    groups = {}
    for dataset, method, run in fits:
        rows = hashlib.blake2b(np.asarray(run.train).tobytes()).hexdigest()
        groups.setdefault((dataset.name, rows), []).append((dataset, method, run))
    return list(groups.values())


def _task(group, protocol, records, n_threads):
    """A delayed fit of the runs of ``group`` (built here, fitted in a worker).

    The runs share their dataset and training rows; the delayed call returns
    one record per run.
    """
    dataset, _, first = group[0]
    failed, pipelines, metas = [], [], []
    for _, method, run in group:
        meta = {
            "dataset": dataset.name,
            "method": method.name,
            "split": run.split,
            "seed": run.seed,
        }
        reference = None
        if method.needs_reference:
            reference_record = records.get(
                (dataset.name, REFERENCE_METHOD, *protocol.reference_key(run))
            )
            reference = _reference(reference_record)
            if reference is None:
                failed.append(
                    _failed(
                        meta, run, f"the reference run of {REFERENCE_METHOD!r} failed"
                    )
                )
                continue
        context = MethodContext(dataset.name, run.seed, reference, dataset.task)
        try:
            estimator = method.make(context)
        except Exception as error:  # a method's own setting error is this run's
            failed.append(_failed(meta, run, f"{type(error).__name__}: {error}"))
            continue
        built = estimator_task(estimator)
        if built is not None and built != dataset.task:
            raise ValueError(
                f"Method {method.name!r} built a {built} estimator "
                f"({type(estimator).__name__}) for the {dataset.task} dataset "
                f"{dataset.name!r}."
            )
        pipelines.append(make_pipeline(dataset, estimator))
        metas.append(meta)
    return delayed(_fit_and_score)(
        pipelines,
        dataset.X[first.train],
        dataset.y[first.train],
        dataset.X[first.test],
        dataset.y[first.test],
        metas,
        n_threads,
        failed,
        dataset.task,
    )


def _reference(record):
    """What a pruning baseline needs from the reference method's record."""
    if record is None or record["error"] or not record["topology"]:
        return None
    sizes = [int(s) for s in str(record["topology"]).split("-")]
    return {
        "hidden_layer_sizes": tuple(sizes[1:-1]),
        "n_params": record["n_params"],
        "initial_n_params": record["initial_n_params"],
    }


def _fit_and_score(
    pipelines,
    X_train,
    y_train,
    X_test,
    y_test,
    metas,
    n_threads,
    failed=(),
    task="classification",
):
    """Fit ``pipelines`` on the same rows; one record per pipeline, then ``failed``.

    Scored by accuracy and macro-F1 (classification) or by R² and RMSE
    (regression; averaged uniformly over the outputs of a 2-D target).
    """
    records = [_empty_record(meta, len(y_train), len(y_test)) for meta in metas]
    with torch_threads(n_threads), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("always", ConvergenceWarning)
        if len(pipelines) == 1:
            outcome = _fit_alone(pipelines[0], X_train, y_train)
        else:
            outcome = fit_each(pipelines, X_train, y_train)
        for record, pipeline, seconds, caught, error in zip(
            records,
            pipelines,
            outcome.seconds,
            outcome.warnings,
            outcome.errors,
        ):
            if error is None:
                try:
                    predicted = pipeline.predict(X_test)
                except Exception as predict_error:
                    error = predict_error
            if error is not None:
                record["error"] = f"{type(error).__name__}: {error}".splitlines()[0]
                continue
            record["fit_time"] = seconds
            # 1.0 when no training of the fit ran out of iterations first.
            record["converged"] = float(count_unconverged(caught) == 0)
            record.update(_scores(task, y_test, predicted))
            record.update(_network_measures(pipeline[-1]))
    return records + list(failed)


def _scores(task, y_true, predicted):
    """The record's scores of ``task`` (:data:`TASK_SCORES`)."""
    if task == "regression":
        return {
            "r2": float(r2_score(y_true, predicted)),
            "rmse": float(root_mean_squared_error(y_true, predicted)),
        }
    return {
        "accuracy": accuracy_score(y_true, predicted),
        "f1_macro": f1_score(y_true, predicted, average="macro"),
    }


def _fit_alone(pipeline, X_train, y_train):
    """One fit, reported as ``fit_each`` reports its fits (the caller's filters)."""
    with warnings.catch_warnings(record=True) as caught:
        error = None
        tic = time.perf_counter()
        try:
            pipeline.fit(X_train, y_train)
        except Exception as fit_error:
            error = fit_error
        seconds = time.perf_counter() - tic
    return FitOutcome([pipeline], [seconds], [list(caught)], [error])


def count_unconverged(caught):
    """How many of the caught warnings say a training ran out of iterations."""
    return sum(issubclass(w.category, ConvergenceWarning) for w in caught)


def _network_measures(estimator):
    """Topology, parameter counts and fit-time parts of a fitted estimator."""
    measures = {}
    topology = getattr(estimator, "topology_", None)
    members = getattr(estimator, "topologies_", None)
    initial = getattr(estimator, "initial_topology_", None)
    if topology is not None:
        measures["topology"] = topology.layout
        measures["n_params"] = float(getattr(estimator, "n_params_", topology.n_params))
    elif members is not None:  # an ensemble
        measures["topology"] = " + ".join(t.layout for t in members)
        measures["n_params"] = float(estimator.n_params_)
    elif hasattr(estimator, "coefs_"):  # scikit-learn's MLPClassifier
        sizes = [c.shape[0] for c in estimator.coefs_] + [estimator.coefs_[-1].shape[1]]
        measures["topology"] = "-".join(str(s) for s in sizes)
        measures["n_params"] = float(
            sum(c.size for c in estimator.coefs_)
            + sum(b.size for b in estimator.intercepts_)
        )
    if initial is not None:
        measures["initial_n_params"] = float(initial.n_params)
        measures["reduction"] = 1.0 - measures["n_params"] / initial.n_params
    if getattr(estimator, "n_iter_", None) is not None:
        # LogisticRegression keeps one count per class problem; Ridge's
        # direct solvers none.
        measures["n_iter"] = float(np.max(estimator.n_iter_))
    for part in _TIME_PARTS:
        if hasattr(estimator, part + "_"):
            measures[part] = float(getattr(estimator, part + "_"))
    return measures


def _empty_record(meta, n_train, n_test):
    record = dict.fromkeys(RECORD_FIELDS, math.nan)
    record.update(meta, n_train=n_train, n_test=n_test, topology="", error="")
    return record


def _failed(meta, run, message):
    record = _empty_record(meta, len(run.train), len(run.test))
    record["error"] = message
    return record


def _progress(total, initial, disable):
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        initial=initial,
        disable=disable,
        unit="run",
        desc="study",
        dynamic_ncols=True,
    )


#: The parameters every experiment's ``run_*_study`` shares.
RUN_PARAMETERS = """\
n_jobs : int or None
    Tasks (networks or ensembles fitted) in parallel processes; torch
    threads are capped at cores / n_jobs.
records_path : path or None
    CSV of records. Records already there with the same configuration key
    are not recomputed; new ones are appended as they finish.
verbose : bool
    Progress bar."""


class FoldedStudyConfig(CachedStudyConfig):
    """A configuration whose runs are ``n_repeats`` x ``n_folds`` stratified folds."""

    @property
    def protocol(self):
        return CVProtocol(
            n_splits=self.n_folds, n_repeats=self.n_repeats, random_state=self.seed
        )


def run_record_tasks(function, tasks, n_jobs, records, verbose):
    """Run ``function(*task, n_threads=...)`` for every task: a record or a list.

    Tasks run in parallel processes (joblib), torch threads capped at
    cores / ``n_jobs`` in each; every record is added to the cache
    ``records`` (:class:`RecordsCache`), and so to its file, as it finishes,
    so that an interrupted study resumes.

    Returns
    -------
    records : list of dict
        In completion order.
    """
    n_threads = threads_per_job(n_jobs)
    progress = _progress(len(records) + len(tasks), len(records), not verbose)
    jobs = (delayed(function)(*task, n_threads=n_threads) for task in tasks)
    tic = time.perf_counter()
    finished = []
    for result in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs):
        for record in result if isinstance(result, list) else [result]:
            finished.append(record)
            records.add(record)
        progress.update()
    progress.close()
    if verbose and tasks:
        print(f"{len(finished)} records made in {time.perf_counter() - tic:.0f} s")
    return finished


def run_folded_study(
    function,
    config,
    datasets,
    variants,
    record_variant,
    read,
    n_jobs=None,
    records_path=None,
    verbose=False,
    by_fold=False,
):
    """Every (dataset, fold, variant) record of a folded study, cached or new.

    Parameters
    ----------
    function : callable
        ``function(config, dataset, fold, seed, *variant, data, n_threads=...)``
        returns one record; ``data`` is :func:`prepared_split` of the fold.
        With ``by_fold``, ``function(config, dataset, fold, seed, variants,
        data, n_threads=...)`` returns the records of a fold's ``variants``
        not cached yet, in one task (e.g. to train them together).
    config : FoldedStudyConfig
    datasets : list of str
    variants : list of tuple
        What is run on every fold (e.g. ``(sparsity, method)`` pairs).
    record_variant : callable
        ``record_variant(record)`` is the variant tuple a record was made for.
    read : callable
        Reads the study's records CSV.
    n_jobs : int or None
        As :func:`run_record_tasks`.
    records_path : path or None
        The records' CSV (:class:`RecordsCache`).
    verbose : bool
    by_fold : bool, default=False
        One task per fold rather than per (fold, variant).

    Returns
    -------
    records : list of dict
        The cached ones first, then the new ones in completion order.
    """
    cached = RecordsCache(
        records_path,
        read,
        identity=lambda r: (r["dataset"], int(r["fold"]), *record_variant(r)),
        belongs=lambda r: r["config"] == config.key,
    )
    records, tasks = [], []
    for name in datasets:
        dataset = load_study_dataset(name)
        for fold, run in enumerate(config.protocol.runs(dataset)):
            data = prepared_split(dataset, run)
            missing = []
            for variant in variants:
                key = (name, fold, *variant)
                if key in cached:
                    records.append(cached[key])
                else:
                    missing.append(variant)
            task = (config, name, fold, run.seed)
            if by_fold and missing:
                tasks.append((*task, missing, data))
            elif not by_fold:
                tasks += [(*task, *variant, data) for variant in missing]
    return records + run_record_tasks(function, tasks, n_jobs, cached, verbose)


def read_records(path):
    """Read a study's tidy CSV back into records (numbers as numbers).

    The one CSV reader, :func:`~._records.read_csv_records`, with the record's integer
    fields as ints and the columns older files lack as NaN.
    """
    rows = read_csv_records(path, _TEXT_FIELDS)
    for row in rows:
        for name in _INTEGER_FIELDS:
            row[name] = int(row[name])
        for name in _OPTIONAL_FIELDS:
            row.setdefault(name, math.nan)
    return rows
