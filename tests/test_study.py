"""The study harness: datasets, protocols, runner, report and CLI."""

import math
import re

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from sklearn_rcloud import (
    DenseMLPClassifier,
    MagnitudePruningClassifier,
    RandomCloudClassifier,
)
from sklearn_rcloud.study import (
    PAPER_RESULTS,
    RECORD_FIELDS,
    CVProtocol,
    Method,
    PaperProtocol,
    StudyDataset,
    _cli,
    load_study_dataset,
    markdown_table,
    paper_methods,
    read_records,
    run_study,
    summarize,
)
from sklearn_rcloud.study._cli import main
from sklearn_rcloud.study._protocols import preprocessor
from sklearn_rcloud.study._report import console_table
from sklearn_rcloud.study._runner import StudyResult
from sklearn_rcloud.study._stats import smallest_wilcoxon_p, wilcoxon_signed_rank

SMALL = dict(max_iter=5, n_iter_no_change=None)


def small_methods(calls=None):
    """Fast versions of the four methods; ``calls`` counts estimator builds."""

    def counted(name, build):
        def make(context):
            if calls is not None:
                calls[name] = calls.get(name, 0) + 1
            return build(context)

        return make

    def magnitude(context):
        return MagnitudePruningClassifier(
            hidden_layer_sizes=(8,),
            target_hidden_layer_sizes=context.reference["hidden_layer_sizes"],
            pretrain_max_iter=5,
            max_iter=5,
            n_iter_no_change=None,
            random_state=context.seed,
        )

    return [
        Method(
            "full",
            counted(
                "full",
                lambda c: DenseMLPClassifier(
                    hidden_layer_sizes=(8,), random_state=c.seed, **SMALL
                ),
            ),
        ),
        Method(
            "random_cloud",
            counted(
                "random_cloud",
                lambda c: RandomCloudClassifier(
                    hidden_layer_sizes=(8,), n_networks=5, random_state=c.seed, **SMALL
                ),
            ),
        ),
        Method("magnitude", counted("magnitude", magnitude), needs_reference=True),
    ]


@pytest.fixture(scope="module")
def iris():
    return load_study_dataset("iris")


# ------------------------------------------------------------------ datasets
def test_official_splits_are_the_papers():
    adult = load_study_dataset("adult")
    train, test = adult.official_split
    assert (len(train), len(test)) == (30162, 15060)
    assert len(adult.categorical) == 8
    assert set(adult.y) == {"<=50K", ">50K"}
    optdigits = load_study_dataset("optdigits")
    assert [len(part) for part in optdigits.official_split] == [3823, 1797]


def test_unknown_dataset_is_named():
    with pytest.raises(ValueError, match="'mnist'"):
        load_study_dataset("mnist")


def test_preprocessing_one_hot_encodes_then_scales_to_unit_interval():
    X = np.array([[1.0, "a"], [3.0, "b"], [2.0, "a"]], dtype=object)
    Xt = preprocessor(categorical=(1,)).fit_transform(X)
    assert Xt.shape == (3, 3)
    assert Xt.min() == 0.0 and Xt.max() == 1.0


# ----------------------------------------------------------------- protocols
def test_paper_protocol_one_stratified_split_many_seeds(iris):
    runs = PaperProtocol(seeds=(42, 7)).runs(iris)
    assert [r.seed for r in runs] == [42, 7]
    train, test = runs[0].train, runs[0].test
    assert np.array_equal(train, runs[1].train)
    assert len(test) == 30 and not set(train) & set(test)
    assert np.bincount(np.unique(iris.y[test], return_inverse=True)[1]).tolist() == [
        10,
        10,
        10,
    ]
    assert PaperProtocol(seeds=(42, 7)).reference_key(runs[1]) == (0, 42)


def test_paper_protocol_uses_official_split():
    data = StudyDataset(
        "toy",
        np.zeros((5, 1)),
        np.array([0, 1, 0, 1, 0]),
        official_split=(np.arange(3), np.arange(3, 5)),
    )
    run = PaperProtocol(seeds=(1,)).runs(data)[0]
    assert run.train.tolist() == [0, 1, 2] and run.test.tolist() == [3, 4]


def test_cv_protocol_folds_partition_rows_with_distinct_seeds(iris):
    runs = CVProtocol(n_splits=3, n_repeats=2, random_state=0).runs(iris)
    assert len(runs) == 6
    assert len({r.seed for r in runs}) == 6
    first_repeat = np.sort(np.concatenate([r.test for r in runs[:3]]))
    assert np.array_equal(first_repeat, np.arange(iris.n_samples))
    again = CVProtocol(n_splits=3, n_repeats=2, random_state=0).runs(iris)
    assert [r.seed for r in again] == [r.seed for r in runs]
    assert CVProtocol().reference_key(runs[4]) == runs[4].key


def test_paper_protocol_rejects_unknown_reference_seed():
    with pytest.raises(ValueError, match="reference_seed"):
        PaperProtocol(seeds=(1, 2), reference_seed=3)


# -------------------------------------------------------------------- runner
@pytest.fixture(scope="module")
def iris_study(iris):
    return run_study(
        [iris], small_methods(), PaperProtocol(seeds=(42, 5, 6)), verbose=0
    )


def test_every_method_runs_on_every_seed(iris_study):
    records = iris_study.records
    assert len(records) == 9
    assert all(set(r) == set(RECORD_FIELDS) for r in records)
    assert not any(r["error"] for r in records)
    assert all(0 <= r["accuracy"] <= 1 and 0 <= r["f1_macro"] <= 1 for r in records)
    cloud = [r for r in records if r["method"] == "random_cloud"]
    assert all(r["search_time"] > 0 and r["train_time"] > 0 for r in cloud)
    assert all(r["initial_n_params"] == 4 * 8 + 8 + 8 * 3 + 3 for r in cloud)


def test_baselines_prune_to_the_reference_seeds_topology(iris_study):
    records = iris_study.records
    reference = next(
        r for r in records if r["method"] == "random_cloud" and r["seed"] == 42
    )
    magnitude = [r for r in records if r["method"] == "magnitude"]
    assert {r["topology"] for r in magnitude} == {reference["topology"]}


def test_runs_are_deterministic(iris, iris_study):
    again = run_study(
        [iris], small_methods(), PaperProtocol(seeds=(42, 5, 6)), verbose=0
    )
    for first, second in zip(iris_study.records, again.records):
        assert first["accuracy"] == second["accuracy"]
        assert first["topology"] == second["topology"]


def test_runs_sharing_their_rows_train_together_as_they_would_apart(
    iris, population_sizes
):
    sizes = population_sizes
    protocol = PaperProtocol(seeds=(42, 5, 6))
    apart = run_study([iris], small_methods(), protocol, verbose=0, together=False)
    assert sizes == []
    together = run_study([iris], small_methods(), protocol, verbose=0)
    # The 3 seeds' dense and Random Cloud networks share one population,
    # then the baselines' pretrainings one and their fine-tunings another.
    assert sorted(sizes) == [3, 3, 6]
    for first, second in zip(together.records, apart.records):
        assert (first["method"], first["seed"]) == (second["method"], second["seed"])
        assert first["topology"] == second["topology"]
        assert first["accuracy"] == pytest.approx(second["accuracy"], abs=0.05)
        assert first["converged"] == second["converged"]
        assert 0 < first["fit_time"]


def test_parallel_runs_equal_sequential_runs(iris, iris_study):
    parallel = run_study(
        [iris], small_methods(), PaperProtocol(seeds=(42, 5, 6)), n_jobs=2, verbose=0
    )
    errors = [r["error"] for r in parallel.records if r["error"]]
    assert not errors
    for first, second in zip(iris_study.records, parallel.records):
        assert (first["method"], first["seed"]) == (second["method"], second["seed"])
        assert first["accuracy"] == second["accuracy"]
        assert first["topology"] == second["topology"]


def test_any_scikit_learn_classifier_is_a_method(iris):
    result = run_study(
        [iris],
        {"logreg": LogisticRegression(max_iter=500)},
        PaperProtocol(seeds=(1, 2)),
        verbose=0,
    )
    assert [r["seed"] for r in result.records] == [1, 2]
    assert all(r["accuracy"] > 0.8 for r in result.records)
    assert all(math.isnan(r["n_params"]) for r in result.records)


def test_failed_runs_are_recorded_not_raised(iris):
    methods = small_methods()
    methods[1] = Method(
        "random_cloud",
        lambda c: RandomCloudClassifier(
            hidden_layer_sizes=(8,),
            threshold=0.99,
            n_networks=2,
            random_state=c.seed,
            **SMALL,
        ),
    )
    with pytest.warns(UserWarning, match="runs failed"):
        result = run_study([iris], methods, PaperProtocol(seeds=(42,)), verbose=0)
    errors = {r["method"]: r["error"] for r in result.records}
    assert errors["full"] == ""
    assert "threshold" in errors["random_cloud"]
    assert "reference run" in errors["magnitude"]
    assert "failed" in result.to_markdown()


def test_interrupted_study_resumes_from_its_csv(iris, tmp_path):
    path = tmp_path / "runs.csv"
    protocol = PaperProtocol(seeds=(42, 5))
    first = run_study([iris], small_methods(), protocol, records_path=path, verbose=0)
    calls = {}
    second = run_study(
        [iris], small_methods(calls), protocol, records_path=path, verbose=0
    )
    assert calls == {}
    assert len(read_records(path)) == 6
    assert [r["accuracy"] for r in second.records] == [
        r["accuracy"] for r in first.records
    ]
    calls = {}
    run_study(
        [iris],
        small_methods(calls),
        PaperProtocol(seeds=(42, 5, 6)),
        records_path=path,
        verbose=0,
    )
    assert calls == {"full": 1, "random_cloud": 1, "magnitude": 1}


def test_a_records_file_of_an_older_layout_is_refused_not_shifted(iris, tmp_path):
    path = tmp_path / "runs.csv"
    protocol = PaperProtocol(seeds=(42,))
    run_study([iris], small_methods()[:1], protocol, records_path=path, verbose=0)
    # An older version wrote the file without its last columns.
    header, *rows = path.read_text().splitlines()
    path.write_text(
        "\n".join([header.replace(",n_iter,converged", "")] + rows[:0]) + "\n"
    )
    with pytest.raises(ValueError, match=r"no columns \['converged', 'n_iter'\]"):
        run_study([iris], small_methods()[:1], protocol, records_path=path, verbose=0)


def test_baselines_without_their_reference_method_are_refused(iris):
    with pytest.raises(ValueError, match="include it"):
        run_study([iris], small_methods()[2:], PaperProtocol(seeds=(1,)), verbose=0)


def test_paper_methods_refuse_datasets_outside_the_paper(iris):
    data = StudyDataset("banknote", iris.X, iris.y)
    with pytest.warns(UserWarning):
        result = run_study(
            [data], paper_methods()[:2], PaperProtocol(seeds=(1,)), verbose=0
        )
    assert all("no setting for 'banknote'" in r["error"] for r in result.records)


# -------------------------------------------------------------------- report
def test_study_methods_include_naswot_and_area_on_the_papers_space():
    from sklearn_rcloud import NASWOTSearchClassifier, paper_params
    from sklearn_rcloud.study import MethodContext, default_methods

    methods = {m.name: m for m in paper_methods()}
    assert {"naswot", "area"} <= set(methods)
    context = MethodContext("ionosphere", seed=7)
    preset = paper_params("ionosphere", random_state=7)
    widest = max(preset["hidden_layer_sizes"])
    for name, strategy in (("naswot", "sample"), ("area", "area")):
        search = methods[name].make(context)
        assert isinstance(search, NASWOTSearchClassifier)
        assert search.strategy == strategy and search.random_state == 7
        assert max(search.width_choices) == widest
        assert search.depth_range == (1, len(preset["hidden_layer_sizes"]))
        assert search.max_iter == preset["max_iter"]
        assert search.activation == preset["activation"] == "logistic"
    defaults = {m.name: m for m in default_methods()}
    assert defaults["area"].make(context).strategy == "area"


@pytest.mark.parametrize("dataset", ["iris", "adult"])
def test_paper_methods_keep_the_papers_recipe_whatever_the_defaults(dataset):
    # The library's defaults (L-BFGS, an L2 penalty, early stopping on large
    # data) must not leak into the paper protocol, on small or large data.
    from sklearn_rcloud.study import MethodContext

    reference = {"hidden_layer_sizes": (2,), "n_params": 10, "initial_n_params": 99}
    context = MethodContext(dataset, seed=7, reference=reference)
    for method in paper_methods():
        params = method.make(context).get_params()
        assert params["solver"] == "sgd" and params["learning_rate_init"] == 0.1, (
            method.name
        )
        assert params["alpha"] == 0.0 and params["batch_size"] == 1, method.name
        assert params["early_stopping"] is False, method.name


def test_summary_pairs_runs_and_adjusts_across_datasets(iris, iris_study):
    rows = {r["method"]: r for r in summarize(iris_study)}
    cloud = [r for r in iris_study.records if r["method"] == "random_cloud"]
    accuracy = 100 * np.array([r["accuracy"] for r in cloud])
    assert rows["random_cloud"]["accuracy_mean"] == pytest.approx(accuracy.mean())
    assert rows["random_cloud"]["accuracy_std"] == pytest.approx(accuracy.std(ddof=1))
    assert math.isnan(rows["random_cloud"]["wilcoxon_p"])
    assert 0 <= rows["magnitude"]["wilcoxon_p"] <= 1
    assert rows["magnitude"]["wilcoxon_p_holm"] == rows["magnitude"]["wilcoxon_p"]
    assert rows["full"]["time_ratio"] == 1.0
    seed_42 = next(r for r in cloud if r["seed"] == 42)
    assert rows["random_cloud"]["topology"] == seed_42["topology"]
    assert rows["random_cloud"]["reference_reduction"] == seed_42["reduction"]
    assert rows["random_cloud"]["reduction_mean"] == pytest.approx(
        np.mean([r["reduction"] for r in cloud])
    )


def test_cv_summary_has_the_corrected_t_test(iris):
    result = run_study(
        [iris], small_methods(), CVProtocol(n_splits=3, n_repeats=1), verbose=0
    )
    rows = {r["method"]: r for r in summarize(result)}
    assert 0 <= rows["full"]["ttest_p"] <= 1
    assert "source" not in markdown_table(result)
    # The docs' narrow tables give it a table of its own, after Wilcoxon's.
    blocks = markdown_table(result, split=True).split("\n\n")
    (title,) = [i for i, b in enumerate(blocks) if "corrected resampled t-test" in b]
    header, _, iris_row = blocks[title + 1].splitlines()
    assert header == "| dataset | full | magnitude |"
    cells = [c.strip() for c in iris_row.strip("|").split("|")]
    expected = [
        f"{rows[m]['ttest_p']:.3f} [{rows[m]['ttest_p_holm']:.3f}]"
        for m in ("full", "magnitude")
    ]
    assert cells == ["iris", *expected]


def test_markdown_table_puts_the_papers_numbers_beside_ours(iris_study):
    table = iris_study.to_markdown()
    lines = table.splitlines()
    assert lines[0].startswith("| dataset | source | full (p) | random cloud |")
    ours = next(line for line in lines if line.startswith("| iris | ours"))
    paper = next(line for line in lines if line.startswith("| iris | paper"))
    assert len(ours.split("|")) == len(paper.split("|")) == len(lines[0].split("|"))
    assert PAPER_RESULTS["iris"]["topology"] in paper


def test_split_markdown_tables_hold_the_wide_tables_cells(iris_study):
    """The four narrow tables carry every cell of the wide one, p-values
    moved out of the accuracy cells into a table of their own."""
    wide = [line for line in iris_study.to_markdown().splitlines() if "|" in line]
    split = markdown_table(iris_study, split=True)
    tables = [
        [line for line in block.splitlines() if line.startswith("|")]
        for block in split.split("\n\n")
        if block.startswith("|")
    ]
    assert [t[0] for t in tables] == [
        "| dataset | source | full | random cloud | magnitude |",
        "| dataset | source | full | magnitude |",
        "| dataset | source | topology | its reduction | mean reduction |",
        "| dataset | source | random cloud | magnitude |",
    ]
    for i, cells in enumerate(_cells(wide[2:])):
        accuracy, pvalues, size, cost = (_cells(t[2:])[i] for t in tables)
        assert cells[:2] == accuracy[:2] == pvalues[:2] == size[:2] == cost[:2]
        for wide_cell, mean, p in zip(
            cells[2:], accuracy[2:], [pvalues[2], "–", pvalues[3]]
        ):
            assert wide_cell == (mean if p == "–" else f"{mean} ({p})")
        assert cells[5:] == size[2:] + cost[2:]
    assert "cannot give p < 0.083" in split  # 3 seeds, scipy variant


def _cells(lines):
    return [[c.strip() for c in line.strip("|").split("|")] for line in lines]


def test_smallest_wilcoxon_p_is_the_floor_of_the_test():
    from scipy import stats

    # Three pairs: 2 * sf(3 / sqrt(3.5)) without tie correction; all |d| tied
    # (the most the tie correction can shrink the variance): 2 * sf(sqrt(3)).
    assert smallest_wilcoxon_p(3, "paper") == pytest.approx(
        2 * stats.norm.sf(3 / np.sqrt(3.5))
    )
    assert smallest_wilcoxon_p(3, "paper") == pytest.approx(0.1088, abs=1e-4)
    assert smallest_wilcoxon_p(3, "scipy") == pytest.approx(
        2 * stats.norm.sf(np.sqrt(3))
    )
    rng = np.random.default_rng(0)
    for n in (2, 3, 4, 6):
        for variant in ("paper", "scipy"):
            floor = smallest_wilcoxon_p(n, variant)
            for _ in range(50):
                d = rng.integers(-3, 4, size=n)
                assert wilcoxon_signed_rank(d, np.zeros(n), variant)[1] >= floor - 1e-12
    assert smallest_wilcoxon_p(5, "paper") < 0.05 < smallest_wilcoxon_p(4, "paper")
    assert smallest_wilcoxon_p(0) == 1.0


def test_console_table_is_short_and_says_why_there_are_no_p_values(iris_study):
    table = console_table(iris_study)
    lines = table.splitlines()
    assert re.split(r"\s{2,}", lines[0]) == [
        "dataset",
        "method",
        "accuracy %",
        "paper %",
        "params",
        "fit time",
        "vs full",
    ]
    assert len(lines[2:5]) == 3 and lines[2].startswith("iris")
    assert max(len(line) for line in lines) <= 88
    assert "p [Holm]" not in table and "(0." not in table
    assert "No p-values: with 3 paired seeds" in table
    assert "cannot give p < 0.083" in table


def test_console_table_gives_p_values_when_they_can_reach_5_percent():
    records = []
    for seed in range(6):
        for method, accuracy in (("full", 0.8 + seed / 100), ("random_cloud", 0.9)):
            records.append(
                dict(
                    dataset="iris",
                    method=method,
                    split=0,
                    seed=seed,
                    n_train=120,
                    n_test=30,
                    accuracy=accuracy,
                    f1_macro=accuracy,
                    topology="4-8-3",
                    n_params=67.0,
                    reduction=0.0,
                    fit_time=1.0,
                    search_time=math.nan,
                    error="",
                )
            )
    result = StudyResult(records, CVProtocol(), ["full", "random_cloud"])
    table = console_table(result)
    assert "p [Holm]" in table.splitlines()[0]
    assert "No p-values" not in table
    assert "over 6 paired folds" in table
    assert "0.028 [0.028]" in table  # every pair favours the cloud: below 5%


# ----------------------------------------------------------------------- CLI
def test_cli_writes_csv_table_and_resumes(tmp_path, capsys):
    argv = [
        "--datasets",
        "iris",
        "--seeds",
        "42",
        "--methods",
        "full",
        "random_cloud",
        "--out",
        str(tmp_path),
        "--quiet",
        "--no-plots",
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    # The terminal gets the short table; results.md keeps every column.
    written = (tmp_path / "results.md").read_text()
    assert "| iris | ours |" in written and "| iris | paper |" in written
    assert "found topology" in written and "(p)" in written
    assert written not in printed and "|" not in printed
    assert "accuracy %" in printed and "paper %" in printed
    assert "cannot give p < 0.317" in printed  # one seed: the note, no p column
    assert str(tmp_path / "results.md") in printed
    assert len(read_records(tmp_path / "runs.csv")) == 2
    assert main(argv) == 0
    assert len(read_records(tmp_path / "runs.csv")) == 2


def test_cli_fits_every_run_on_its_own_unless_told_to_share(tmp_path, monkeypatch):
    # Runs fitted together share their twins' trainings, and so their times:
    # the default times every fit alone.
    calls = []

    def run_study(*args, **kwargs):
        calls.append(kwargs["together"])
        raise SystemExit("stop")

    monkeypatch.setattr(_cli, "run_study", run_study)
    argv = ["--protocol", "cv", "--datasets", "iris", "--out", str(tmp_path)]
    for extra in ([], ["--alone"], ["--shared"]):
        with pytest.raises(SystemExit, match="stop"):
            main(argv + extra)
    assert calls == [False, False, True]
    with pytest.raises(SystemExit):
        main(argv + ["--alone", "--shared"])


def test_cli_shared_runs_give_no_fit_times(tmp_path, capsys, monkeypatch):
    argv = ["--datasets", "iris", "--seeds", "42", "--methods", "full",
            "random_cloud", "--quiet"]  # fmt: skip
    assert main([*argv, "--shared", "--out", str(tmp_path / "shared")]) == 0
    printed = capsys.readouterr().out
    written = (tmp_path / "shared" / "results.md").read_text()
    for text in (printed, written):
        assert "Fit times left out" in text and "--shared" in text
    assert "vs full" not in printed and "fit time" not in printed.splitlines()[1]
    assert "time / full" not in written
    assert not (tmp_path / "shared" / "time_ratios.png").exists()
    # The default (alone) gives them.
    assert main([*argv, "--no-plots", "--out", str(tmp_path / "alone")]) == 0
    printed = capsys.readouterr().out
    assert "vs full" in printed and "Fit times left out" not in printed
    assert "time / full" in (tmp_path / "alone" / "results.md").read_text()


def test_cli_rejects_unknown_names(tmp_path):
    with pytest.raises(SystemExit, match="Unknown datasets"):
        main(["--datasets", "mnist", "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="Unknown methods"):
        main(["--methods", "lasso", "--out", str(tmp_path)])


def test_figures_draw_every_dataset_and_method(iris_study):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from sklearn_rcloud.study import plot_accuracy_vs_params, plot_time_ratios

    fig = plot_accuracy_vs_params(iris_study)
    (ax,) = [a for a in fig.axes if a.get_visible()]
    assert ax.get_title() == "iris"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "full",
        "random cloud",
        "magnitude",
    ]
    bars = plot_time_ratios(iris_study)
    assert len(bars.patches) == 2  # random cloud and magnitude, one dataset


@pytest.mark.parametrize(
    "n_params", [(120, 280), (30, 500), (200, 2_500), (20, 60_000)]
)
def test_accuracy_vs_params_labels_few_ticks_that_do_not_overlap(n_params):
    """A log axis narrower than a decade gets linear ticks every 20 from
    matplotlib (120, 140, ..., 280), which overlapped in the figure."""
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from sklearn_rcloud.study import plot_accuracy_vs_params

    records = [
        dict(
            dataset="wine",
            method=method,
            split=0,
            seed=seed,
            accuracy=0.9,
            n_params=float(params),
            error="",
        )
        for seed in (1, 2)
        for method, params in zip(("full", "random_cloud"), n_params)
    ]
    result = StudyResult(records, PaperProtocol(), ["full", "random_cloud"])
    fig = plot_accuracy_vs_params(result)
    fig.canvas.draw()
    (ax,) = fig.axes
    low, high = ax.get_xlim()
    labels = [
        t
        for t, x in zip(ax.get_xticklabels(), ax.get_xticks())
        if t.get_text() and low <= x <= high
    ]
    assert 2 <= len(labels) <= 4, [t.get_text() for t in labels]
    boxes = sorted((b.x0, b.x1) for b in (t.get_window_extent() for t in labels))
    assert all(left[1] < right[0] for left, right in zip(boxes, boxes[1:]))
    assert all(len(t.get_text()) <= 4 for t in labels)  # 500, 2k, 50k
