"""The study harness on regression datasets: registry, folds, methods, scores."""

import csv
import math

import numpy as np
import pytest
from sklearn.base import is_classifier, is_regressor
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import r2_score, root_mean_squared_error
from sklearn.model_selection import RepeatedKFold, train_test_split

from sklearn_rcloud import (
    DenseMLPClassifier,
    DenseMLPRegressor,
    MagnitudePruningClassifier,
    MagnitudePruningRegressor,
    RandomCloudClassifier,
    RandomCloudRegressor,
)
from sklearn_rcloud.study import (
    RECORD_FIELDS,
    REGRESSION_DATASETS,
    STUDY_DATASETS,
    CVProtocol,
    Method,
    MethodContext,
    PaperProtocol,
    StudyDataset,
    _cli,
    baseline_methods,
    default_methods,
    library_methods,
    load_study_dataset,
    markdown_table,
    paper_methods,
    read_records,
    run_study,
    summarize,
    wilcoxon_signed_rank,
)
from sklearn_rcloud.study._cli import main
from sklearn_rcloud.study._methods import SAEPEnsembleRegressor
from sklearn_rcloud.study._protocols import make_pipeline, prepared_split
from sklearn_rcloud.study._report import console_table
from sklearn_rcloud.study._runner import StudyResult

SMALL = dict(max_iter=5, n_iter_no_change=None)
FOLDS = CVProtocol(n_splits=2, n_repeats=1, random_state=0)


def _twin(classifier, regressor, context, **params):
    estimator_class = classifier if context.task == "classification" else regressor
    return estimator_class(
        hidden_layer_sizes=(8,), random_state=context.seed, **SMALL, **params
    )


def small_methods(calls=None):
    """Fast dense, Random Cloud and magnitude pruning, for both tasks."""

    def counted(name, build):
        def make(context):
            if calls is not None:
                calls[name] = calls.get(name, 0) + 1
            return build(context)

        return make

    def magnitude(context):
        return _twin(
            MagnitudePruningClassifier,
            MagnitudePruningRegressor,
            context,
            target_hidden_layer_sizes=context.reference["hidden_layer_sizes"],
            pretrain_max_iter=5,
        )

    both = ("classification", "regression")
    return [
        Method(
            "full",
            counted("full", lambda c: _twin(DenseMLPClassifier, DenseMLPRegressor, c)),
            tasks=both,
        ),
        Method(
            "random_cloud",
            counted(
                "random_cloud",
                lambda c: _twin(
                    RandomCloudClassifier, RandomCloudRegressor, c, n_networks=5
                ),
            ),
            tasks=both,
        ),
        Method("magnitude", counted("magnitude", magnitude), True, both),
    ]


@pytest.fixture(scope="module")
def small_regression():
    return [
        load_study_dataset("concrete").subsample(120),
        load_study_dataset("abalone").subsample(120),
    ]


@pytest.fixture(scope="module")
def regression_study(small_regression):
    methods = {m.name: m for m in small_methods()}
    methods["ridge"] = Ridge()
    return run_study(small_regression, methods, FOLDS, together=False, verbose=0)


# ------------------------------------------------------------------ datasets
def test_regression_datasets_have_a_registry_of_their_own():
    assert set(REGRESSION_DATASETS) == {
        "concrete",
        "energy_efficiency",
        "airfoil_self_noise",
        "abalone",
        "wine_quality_red",
        "diabetes",
    }
    # The published cv records cover every classification dataset.
    assert not set(REGRESSION_DATASETS) & set(STUDY_DATASETS)
    for name in REGRESSION_DATASETS:
        dataset = load_study_dataset(name)
        assert dataset.task == "regression"
        assert dataset.y.dtype == np.float64 and dataset.y.ndim == 1
        assert len(dataset.X) == dataset.n_samples
    assert load_study_dataset("iris").task == "classification"
    abalone = load_study_dataset("abalone")
    assert abalone.categorical == (0,)
    assert set(abalone.X[:, 0]) == {"M", "F", "I"}


def test_unknown_dataset_names_both_registries():
    with pytest.raises(ValueError, match="concrete") as error:
        load_study_dataset("boston")
    assert "'iris'" in str(error.value)


def test_a_dataset_task_must_be_known():
    with pytest.raises(ValueError, match="'ranking'"):
        StudyDataset("toy", np.zeros((3, 1)), np.zeros(3), task="ranking")


def test_subsample_keeps_the_task_and_drops_the_official_split():
    abalone = load_study_dataset("abalone")
    small = abalone.subsample(50, random_state=1)
    assert small.n_samples == 50 and small.task == "regression"
    assert small.categorical == (0,)
    assert np.array_equal(small.y, abalone.subsample(50, random_state=1).y)
    adult = StudyDataset(
        "toy", np.zeros((6, 1)), np.arange(6) % 2, official_split=([0, 1, 2], [3])
    )
    assert adult.subsample(4).official_split is None
    assert adult.subsample(10) is adult


# ----------------------------------------------------------------- protocols
def test_regression_folds_are_plain_k_fold():
    concrete = load_study_dataset("concrete")
    runs = CVProtocol(n_splits=3, n_repeats=2, random_state=4).runs(concrete)
    plain = RepeatedKFold(n_splits=3, n_repeats=2, random_state=4)
    for run, (train, test) in zip(runs, plain.split(concrete.X), strict=True):
        assert np.array_equal(run.train, train) and np.array_equal(run.test, test)
    assert len({r.seed for r in runs}) == 6


def test_regression_paper_split_is_not_stratified():
    diabetes = load_study_dataset("diabetes")
    (run,) = PaperProtocol(seeds=(1,)).runs(diabetes)
    train, test = train_test_split(
        np.arange(diabetes.n_samples), test_size=0.2, random_state=42
    )
    assert np.array_equal(run.train, train) and np.array_equal(run.test, test)


def test_regression_pipeline_encodes_abalone_and_scales_features():
    abalone = load_study_dataset("abalone")
    pipeline = make_pipeline(abalone, Ridge())
    assert [name for name, _ in pipeline.steps] == ["preprocess", "regressor"]
    features = pipeline[0].fit_transform(abalone.X)
    assert features.shape == (abalone.n_samples, 3 + 7)  # sex one-hot, 7 scaled
    assert features.min() == 0.0 and features.max() == 1.0
    # The target is left alone: the library's regressors standardise it.
    pipeline.fit(abalone.X, abalone.y)
    assert abs(pipeline.predict(abalone.X).mean() - abalone.y.mean()) < 0.1


def test_experiments_splits_refuse_regression_datasets():
    diabetes = load_study_dataset("diabetes")
    run = FOLDS.runs(diabetes)[0]
    with pytest.raises(ValueError, match="'diabetes' is a regression dataset"):
        prepared_split(diabetes, run)


# ------------------------------------------------------------------- methods
REFERENCE = {"hidden_layer_sizes": (4,), "n_params": 40.0, "initial_n_params": 99.0}


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_library_and_baseline_methods_build_the_tasks_estimators(task):
    context = MethodContext("data", seed=7, reference=REFERENCE, task=task)
    is_task = is_classifier if task == "classification" else is_regressor
    methods = library_methods() + baseline_methods()
    names = [m.name for m in methods]
    assert names == [
        "full",
        "random_cloud",
        "magnitude",
        "random",
        "naswot",
        "area",
        "sparse_search",
        "random_sparse",
        "saep",
        "sklearn_mlp",
        "linear",
        "hist_gradient_boosting",
    ]
    for method in methods:
        if not method.fits(task):
            assert method.name == "saep" and SAEPEnsembleRegressor is None
            continue
        estimator = method.make(context)
        assert is_task(estimator), method.name
        if "random_state" in estimator.get_params():
            assert estimator.get_params()["random_state"] == 7, method.name
    built = {m.name: m.make(context) for m in default_methods()}
    twins = {
        "classification": (DenseMLPClassifier, RandomCloudClassifier),
        "regression": (DenseMLPRegressor, RandomCloudRegressor),
    }[task]
    assert type(built["full"]) is twins[0]
    assert type(built["random_cloud"]) is twins[1]
    assert built["magnitude"].target_hidden_layer_sizes == (4,)
    assert built["area"].strategy == "area"


def test_hidden_layer_sizes_reach_every_network_method():
    context = MethodContext("data", seed=0, reference=REFERENCE, task="regression")
    for method in library_methods(hidden_layer_sizes=(8,)):
        params = method.make(context).get_params()
        if "hidden_layer_sizes" in params and method.name not in ("naswot", "area"):
            assert params["hidden_layer_sizes"] == (8,), method.name


def test_methods_of_another_task_are_refused_by_name(small_regression):
    with pytest.raises(ValueError, match=r"\['full', 'random_cloud'\].*'concrete'"):
        run_study(small_regression, paper_methods()[:2], FOLDS, verbose=0)
    with pytest.raises(ValueError, match=r"'logistic'.*regression dataset"):
        run_study(
            small_regression,
            {"logistic": LogisticRegression(), "ridge": Ridge()},
            FOLDS,
            verbose=0,
        )
    iris = load_study_dataset("iris")
    with pytest.raises(ValueError, match=r"'ridge'.*classification dataset 'iris'"):
        run_study([iris], {"ridge": Ridge()}, FOLDS, verbose=0)
    # An undeclared Method is checked on what it builds.
    undeclared = Method("mystery", lambda c: LogisticRegression())
    with pytest.raises(ValueError, match="'mystery' built a classification"):
        run_study(small_regression, [undeclared], FOLDS, verbose=0)
    with pytest.raises(ValueError, match="unknown tasks"):
        Method("odd", lambda c: Ridge(), tasks=("ranking",))


# -------------------------------------------------------------------- runner
def test_regression_records_hold_r2_and_rmse(regression_study):
    records = regression_study.records
    assert len(records) == 2 * 2 * 4
    assert all(set(r) == set(RECORD_FIELDS) for r in records)
    assert not any(r["error"] for r in records)
    for record in records:
        assert math.isnan(record["accuracy"]) and math.isnan(record["f1_macro"])
        assert record["r2"] < 1 and record["rmse"] > 0
        assert record["fit_time"] > 0 and record["converged"] in (0.0, 1.0)
        if record["method"] != "ridge":
            assert record["n_params"] > 0 and record["topology"]
    abalone = [r for r in records if r["dataset"] == "abalone"]
    # Sex one-hot encoded: 3 + 7 inputs, one output.
    full = [r for r in abalone if r["method"] == "full"]
    assert {r["topology"] for r in full} == {"10-8-1"}
    assert regression_study.task("abalone") == "regression"


def test_regression_scores_are_sklearns_on_the_folds_predictions(
    small_regression, regression_study
):
    methods = {m.name: m for m in small_methods()}
    records = {
        (r["dataset"], r["method"], r["split"]): r for r in regression_study.records
    }
    for dataset in small_regression:
        for run in FOLDS.runs(dataset):
            for name in ("full", "random_cloud", "magnitude", "ridge"):
                record = records[(dataset.name, name, run.split)]
                if name == "ridge":
                    estimator = Ridge()
                else:
                    reference = None
                    if methods[name].needs_reference:
                        cloud = records[(dataset.name, "random_cloud", run.split)]
                        sizes = [int(s) for s in cloud["topology"].split("-")]
                        reference = {"hidden_layer_sizes": tuple(sizes[1:-1])}
                    context = MethodContext(
                        dataset.name, run.seed, reference, "regression"
                    )
                    estimator = methods[name].make(context)
                pipeline = make_pipeline(dataset, estimator)
                pipeline.fit(dataset.X[run.train], dataset.y[run.train])
                X_test, y_test = dataset.X[run.test], dataset.y[run.test]
                predicted = pipeline.predict(X_test)
                assert record["r2"] == pytest.approx(r2_score(y_test, predicted))
                assert record["r2"] == pytest.approx(pipeline.score(X_test, y_test))
                assert record["rmse"] == pytest.approx(
                    root_mean_squared_error(y_test, predicted)
                )


def test_regression_runs_together_score_as_apart(small_regression, regression_study):
    methods = {m.name: m for m in small_methods()}
    methods["ridge"] = Ridge()
    together = run_study(small_regression, methods, FOLDS, verbose=0)
    for first, second in zip(together.records, regression_study.records):
        assert (first["method"], first["split"]) == (second["method"], second["split"])
        assert first["topology"] == second["topology"]
        assert first["r2"] == pytest.approx(second["r2"], abs=0.05)


def test_two_dimensional_targets_are_scored_over_every_output():
    concrete = load_study_dataset("concrete").subsample(80)
    y = np.column_stack([concrete.y, 100 + 2 * concrete.y])
    data = StudyDataset("two", concrete.X, y, task="regression")
    result = run_study([data], {"linear": LinearRegression()}, FOLDS, verbose=0)
    for record, run in zip(result.records, FOLDS.runs(data), strict=True):
        pipeline = make_pipeline(data, LinearRegression())
        predicted = pipeline.fit(data.X[run.train], y[run.train]).predict(
            data.X[run.test]
        )
        assert predicted.shape == (len(run.test), 2)
        assert record["r2"] == pytest.approx(r2_score(y[run.test], predicted))
        assert record["rmse"] == pytest.approx(
            np.mean(np.sqrt(np.mean((y[run.test] - predicted) ** 2, axis=0)))
        )


def test_regression_study_resumes_from_its_csv(small_regression, tmp_path):
    path = tmp_path / "runs.csv"
    first = run_study(
        small_regression, small_methods(), FOLDS, records_path=path, verbose=0
    )
    calls = {}
    second = run_study(
        small_regression, small_methods(calls), FOLDS, records_path=path, verbose=0
    )
    assert calls == {}
    assert [r["r2"] for r in second.records] == [r["r2"] for r in first.records]
    # Read back without the datasets, the records say their task.
    records = read_records(path)
    assert all(isinstance(r["rmse"], float) for r in records)
    again = StudyResult(records, FOLDS, [m.name for m in small_methods()])
    assert again.task("concrete") == "regression"
    assert again.to_markdown() == first.to_markdown()


def test_classification_runs_append_to_a_file_without_regression_columns(tmp_path):
    # A runs.csv written before the regression scores: classification runs
    # leave r2 and rmse empty, so they still resume into it.
    iris = load_study_dataset("iris")
    path = tmp_path / "runs.csv"
    protocol = PaperProtocol(seeds=(42,))
    methods = small_methods()[:1]
    run_study([iris], methods, protocol, records_path=path, verbose=0)
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    old = [f for f in RECORD_FIELDS if f not in ("r2", "rmse")]
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, old, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    more = PaperProtocol(seeds=(42, 5))
    run_study([iris], methods, more, records_path=path, verbose=0)
    assert path.read_text().splitlines()[0] == ",".join(old)
    records = read_records(path)
    assert len(records) == 2 and all(math.isnan(r["r2"]) for r in records)
    # A regression run has values there: refused, not shifted.
    data = load_study_dataset("diabetes").subsample(60)
    with pytest.raises(ValueError, match=r"no columns \['r2', 'rmse'\]"):
        run_study([data], methods, protocol, records_path=path, verbose=0)


# -------------------------------------------------------------------- report
def test_regression_summary_scores_and_pairs_r2(regression_study):
    rows = {(r["dataset"], r["method"]): r for r in summarize(regression_study)}
    for dataset in ("concrete", "abalone"):
        records = [r for r in regression_study.records if r["dataset"] == dataset]
        by = {
            m: [r for r in records if r["method"] == m]
            for m in ("random_cloud", "ridge")
        }
        cloud = rows[(dataset, "random_cloud")]
        r2 = np.array([r["r2"] for r in by["random_cloud"]])
        rmse = np.array([r["rmse"] for r in by["random_cloud"]])
        assert cloud["task"] == "regression"
        assert cloud["r2_mean"] == pytest.approx(r2.mean())
        assert cloud["r2_std"] == pytest.approx(r2.std(ddof=1))
        assert cloud["rmse_mean"] == pytest.approx(rmse.mean())
        assert cloud["rmse_std"] == pytest.approx(rmse.std(ddof=1))
        assert math.isnan(cloud["accuracy_mean"]) and math.isnan(cloud["wilcoxon_p"])
        ridge = rows[(dataset, "ridge")]
        expected = wilcoxon_signed_rank(r2, [r["r2"] for r in by["ridge"]])[1]
        assert ridge["wilcoxon_p"] == pytest.approx(expected)
        assert 0 <= ridge["ttest_p"] <= 1
        assert rows[(dataset, "full")]["time_ratio"] == 1.0


def test_regression_tables_give_r2_and_rmse(regression_study):
    table = regression_study.to_markdown()
    lines = table.splitlines()
    assert lines[0].startswith("| dataset | full (p) | random cloud | magnitude (p)")
    assert "found topology" in lines[0]
    rmse_header = "| dataset | full | random cloud | magnitude | ridge |"
    assert rmse_header in lines
    assert "Test R² (higher is better)" in table
    assert "test RMSE (lower is better" in table
    assert "accuracy" not in table and "source" not in table
    split = markdown_table(regression_study, split=True)
    assert "Test R² (higher is better), mean ± std" in split
    assert "Test RMSE (lower is better, in the target's units), mean ± std" in split
    assert "corrected resampled t-test" in split and "on R²" in split
    console = console_table(regression_study)
    assert console.splitlines()[0].split()[:4] == ["dataset", "method", "R²", "RMSE"]
    assert "accuracy" not in console and "paper %" not in console


def test_a_study_of_both_tasks_reports_each_with_its_scores(small_regression):
    iris = load_study_dataset("iris")
    result = run_study(
        [iris, small_regression[0]], small_methods(), FOLDS, together=False, verbose=0
    )
    by_dataset = {r["dataset"]: r for r in result.records}
    assert 0 <= by_dataset["iris"]["accuracy"] <= 1
    assert math.isnan(by_dataset["iris"]["r2"])
    assert math.isnan(by_dataset["concrete"]["accuracy"])
    table = result.to_markdown()
    classification, regression = table.split("**Regression datasets**")
    assert classification.startswith("**Classification datasets**")
    assert "| iris |" in classification and "concrete" not in classification
    assert "| concrete |" in regression and "iris" not in regression
    assert (
        classification.split("\n\n", 1)[1]
        == markdown_table(result.subset(["iris"])) + "\n"
    )
    assert "Test accuracy in %" in classification and "R²" in regression
    # Holm's families are the datasets of one task: one dataset each here.
    for row in summarize(result):
        if row["method"] != "random_cloud":
            assert row["wilcoxon_p_holm"] == pytest.approx(row["wilcoxon_p"])
    console = console_table(result)
    assert "Classification datasets" in console and "Regression datasets" in console
    assert "accuracy %" in console and "RMSE" in console


def test_r2_against_params_figure(regression_study):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from sklearn_rcloud.study import plot_accuracy_vs_params

    fig = plot_accuracy_vs_params(regression_study)
    axes = [a for a in fig.axes if a.get_visible()]
    assert [a.get_title() for a in axes] == ["concrete", "abalone"]
    assert {a.get_ylabel() for a in axes} == {"test R²"}


# ----------------------------------------------------------------------- CLI
def test_cli_runs_a_regression_study(tmp_path, capsys):
    argv = ["--protocol", "cv", "--quick", "--datasets", "diabetes"]
    argv += ["--methods", "full", "linear", "--out", str(tmp_path), "--quiet"]
    argv += ["--no-plots"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "R²" in printed and "RMSE" in printed
    written = (tmp_path / "results.md").read_text()
    assert "| diabetes |" in written and "Test R²" in written
    records = read_records(tmp_path / "runs.csv")
    assert len(records) == 2 * 3
    assert all(r["r2"] > 0 and r["rmse"] > 0 for r in records)


def test_cli_names_the_regression_datasets(tmp_path, monkeypatch):
    seen = []

    def run_study(datasets, methods, *args, **kwargs):
        seen.append((datasets, [m.name for m in methods]))
        raise SystemExit("stop")

    monkeypatch.setattr(_cli, "run_study", run_study)
    argv = ["--protocol", "cv", "--out", str(tmp_path)]
    with pytest.raises(SystemExit, match="stop"):
        main([*argv, "--datasets", "regression"])
    with pytest.raises(SystemExit, match="stop"):
        main([*argv, "--datasets", "all"])
    assert seen[0] == (list(REGRESSION_DATASETS), [m.name for m in default_methods()])
    assert seen[1][0] == list(STUDY_DATASETS)
    with pytest.raises(SystemExit, match="protocol cv"):
        main(["--datasets", "concrete", "--out", str(tmp_path)])
    small_study = ["--protocol", "sparsity", "--datasets", "concrete"]
    with pytest.raises(SystemExit, match="regression datasets"):
        main([*small_study, "--out", str(tmp_path)])
