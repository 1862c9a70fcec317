"""The sparsity study: tasks, records, caching, the paired tests and the report."""

import gzip

import numpy as np
import pytest

from sklearn_rcloud import Topology
from sklearn_rcloud.search import nodes_kept, reduction_candidates
from sklearn_rcloud.study import (
    SPARSITY_METHODS,
    SparsityStudyConfig,
    SparsityStudyResult,
    candidate_window,
    convergence_epoch,
    holm,
    read_sparsity_records,
    run_sparsity_study,
    wilcoxon_signed_rank,
)
from sklearn_rcloud.study._cli import main

TINY = SparsityStudyConfig(
    sparsities=(0.0, 0.5, 0.9),
    hidden_layer_sizes=(16, 16),
    n_folds=2,
    n_repeats=1,
    n_candidates=4,
    n_networks=4,
    max_iter=6,
)


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory):
    path = tmp_path_factory.mktemp("sparsity") / "records.csv"
    return run_sparsity_study(["iris", "wine"], TINY, records_path=path), path


def test_convergence_is_the_first_epoch_at_the_share_of_the_final():
    assert convergence_epoch([0.2, 0.5, 0.9, 0.95, 1.0]) == 4
    assert convergence_epoch([0.2, 0.96, 0.5, 1.0]) == 2
    assert convergence_epoch([0.5, 0.5], fraction=1.0) == 1
    assert convergence_epoch([0.0, 0.0, 0.0]) == 1


def test_tasks_train_the_parent_once_and_every_method_elsewhere():
    assert TINY.tasks() == [
        (0.0, "dense"),
        (0.0, "random_cloud"),
        (0.5, "random_search"),
        (0.5, "random_sparse"),
        (0.5, "random_cloud"),
        (0.9, "random_search"),
        (0.9, "random_sparse"),
        (0.9, "random_cloud"),
    ]


def test_random_cloud_window_holds_a_candidate_near_the_sparse_size():
    parent = Topology(13, (128, 128), 3)
    sizes = {parent.with_hidden(h).n_params for h in reduction_candidates((128, 128))}
    for sparsity in (0.5, 0.75, 0.9, 0.95):
        target = parent.with_hidden(nodes_kept((128, 128), sparsity)).n_params
        low, high = candidate_window(parent, target, 0.1)
        assert low >= 0.9 * target and high <= 1.1 * target
        assert any(low <= size <= high for size in sizes)
    # No candidate within 0.1% of 5000 parameters: the nearest one, alone.
    low, high = candidate_window(parent, 5000, 0.001)
    nearest = min(sizes, key=lambda size: abs(size - 5000))
    assert low == high == nearest


def test_records_pair_the_methods_on_each_fold(tiny_study):
    result, _ = tiny_study
    assert len(result.records) == 2 * 2 * len(TINY.tasks())
    parent = {"iris": Topology(4, (16, 16), 3), "wine": Topology(13, (16, 16), 3)}
    for record in result.records:
        curve = record["valid_curve"].split()
        assert len(curve) == TINY.max_iter
        assert float(curve[-1]) == pytest.approx(record["valid_accuracy"], abs=1e-4)
        assert 1 <= record["convergence_epoch"] <= TINY.max_iter
        assert 0 <= record["test_accuracy"] <= 1
        full = parent[record["dataset"]]
        assert record["param_ratio"] == pytest.approx(
            record["n_params"] / full.n_params
        )
        if record["method"] in ("random_search", "random_sparse"):
            kept = nodes_kept((16, 16), record["sparsity"])
            assert record["hidden_layer_sizes"] == "-".join(map(str, kept))
        if record["method"] == "random_cloud" and record["sparsity"] > 0:
            target = full.with_hidden(nodes_kept((16, 16), record["sparsity"]))
            low, high = candidate_window(full, target.n_params, TINY.size_tolerance)
            assert low <= record["n_params"] <= high
    # One seed per fold, shared by every method of the fold.
    seeds = {(r["dataset"], r["fold"]): set() for r in result.records}
    for record in result.records:
        seeds[(record["dataset"], record["fold"])].add(record["seed"])
    assert all(len(s) == 1 for s in seeds.values())


def test_cached_records_are_reused_and_a_new_config_is_not(tiny_study, monkeypatch):
    result, path = tiny_study
    from sklearn_rcloud.study._experiments import _sparsity as _sparsity_study

    def refuse(*args, **kwargs):
        raise AssertionError("a cached network was trained again")

    monkeypatch.setattr(_sparsity_study, "_run_fold", refuse)
    again = run_sparsity_study(["iris", "wine"], TINY, records_path=path)
    assert [r["test_accuracy"] for r in again.records] == [
        r["test_accuracy"] for r in result.records
    ]
    assert len(read_sparsity_records(path)) == len(result.records)
    gzipped = path.with_suffix(".csv.gz")
    gzipped.write_bytes(gzip.compress(path.read_bytes()))
    assert read_sparsity_records(gzipped) == read_sparsity_records(path)
    changed = SparsityStudyConfig(**{**TINY.__dict__, "n_candidates": 5})
    with pytest.raises(AssertionError, match="trained again"):
        run_sparsity_study(["iris"], changed, records_path=path)


def test_a_fold_trains_its_networks_together_and_only_those_missing(
    tiny_study, tmp_path, monkeypatch
):
    result, _ = tiny_study
    from sklearn_rcloud.study._experiments import _sparsity as _sparsity_study

    path = tmp_path / "records.csv"
    kept = [
        r
        for r in result.records
        if not (r["dataset"] == "iris" and r["fold"] == 1 and r["sparsity"] == 0.9)
    ]
    SparsityStudyResult(kept, TINY).to_csv(path)
    together = []
    fit_together = _sparsity_study.fit_together

    def recording(estimators, X, y):
        together.append(len(estimators))
        return fit_together(estimators, X, y)

    monkeypatch.setattr(_sparsity_study, "fit_together", recording)
    again = run_sparsity_study(["iris", "wine"], TINY, records_path=path)
    # Only iris's second fold had networks to train: its three at s = 0.9,
    # fitted together in one call.
    assert together == [3]
    assert len(again.records) == len(result.records)


def _record(dataset, fold, sparsity, method, accuracy, epoch):
    return {
        "dataset": dataset,
        "fold": fold,
        "sparsity": sparsity,
        "method": method,
        "test_accuracy": accuracy,
        "convergence_epoch": epoch,
        "param_ratio": 1.0,
        "weight_sparsity": 0.0,
        "valid_curve": "0.5 1.0",
    }


def test_paired_tests_pool_datasets_and_folds_and_holm_adjusts():
    config = SparsityStudyConfig(sparsities=(0.0, 0.5, 0.9), n_folds=3, n_repeats=1)
    rng = np.random.default_rng(0)
    records, expected = [], {}
    for sparsity in (0.5, 0.9):
        search, sparse = rng.uniform(0.6, 0.9, 6), rng.uniform(0.6, 0.9, 6)
        expected[sparsity] = (search, sparse)
        for index in range(6):
            dataset, fold = ("a", "b")[index // 3], index % 3
            for method, values in (
                ("random_search", search),
                ("random_sparse", sparse),
            ):
                records.append(
                    _record(dataset, fold, sparsity, method, values[index], 3)
                )
    result = SparsityStudyResult(records, config)
    rows = [r for r in result.comparisons() if r["first"] == "random_search"]
    assert [r["sparsity"] for r in rows] == [0.5, 0.9]
    for row in rows:
        search, sparse = expected[row["sparsity"]]
        assert row["n_pairs"] == 6
        assert row["difference"] == pytest.approx(100 * (search - sparse).mean())
        assert row["p"] == pytest.approx(wilcoxon_signed_rank(search, sparse)[1])
        assert row["wins"] == int((search > sparse).sum())
    np.testing.assert_allclose(
        [r["p_holm"] for r in rows], holm([r["p"] for r in rows])
    )
    convergence = result.comparisons("convergence_epoch")
    assert all(r["p"] == 1.0 and r["difference"] == 0 for r in convergence)
    # The parent, trained at sparsity 0, is the reference at every sparsity.
    dense = rng.uniform(0.6, 0.9, 6)
    for index in range(6):
        dataset, fold = ("a", "b")[index // 3], index % 3
        records.append(_record(dataset, fold, 0.0, "dense", dense[index], 2))
    result = SparsityStudyResult(records, config)
    versus_dense = [
        r
        for r in result.comparisons()
        if r["first"] == "random_search" and r["second"] == "dense"
    ]
    assert [r["sparsity"] for r in versus_dense] == [0.5, 0.9]
    for row in versus_dense:
        search, _ = expected[row["sparsity"]]
        assert row["difference"] == pytest.approx(100 * (search - dense).mean())


def test_summary_shows_the_parent_at_every_sparsity(tiny_study):
    result, _ = tiny_study
    summary = result.summary()
    dense = [r for r in summary if r["method"] == "dense" and r["dataset"] == "iris"]
    assert [r["sparsity"] for r in dense] == list(TINY.sparsities)
    assert len({r["accuracy"] for r in dense}) == 1
    at_zero = {
        r["method"]: r["accuracy"]
        for r in summary
        if r["sparsity"] == 0 and r["dataset"] == "iris"
    }
    assert set(at_zero) == set(SPARSITY_METHODS)
    assert at_zero["random_search"] == at_zero["random_sparse"] == at_zero["dense"]


def test_table_and_figures(tiny_study):
    result, _ = tiny_study
    table = result.to_markdown()
    assert "| iris | random_search |" in table and "s = 0.9" in table
    assert "Convergence epoch (pooled)" in table
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from sklearn_rcloud.study import (
        plot_sparsity_accuracy,
        plot_sparsity_convergence,
        plot_validation_curves,
    )

    for figure in (
        plot_sparsity_accuracy(result),
        plot_sparsity_convergence(result),
        plot_validation_curves(result, 0.9),
    ):
        titles = [ax.get_title() for ax in figure.axes if ax.get_visible()]
        assert titles == ["iris", "wine"]
        lines = figure.axes[0].get_lines()
        assert len(lines) >= 4  # dense parent and the three sparse methods


def test_cli_runs_the_sparsity_study(tmp_path, capsys, monkeypatch):
    from sklearn_rcloud.study._experiments import _sparsity as _sparsity_study

    monkeypatch.setattr(_sparsity_study, "SparsityStudyConfig", lambda **kwargs: TINY)
    argv = ["--protocol", "sparsity", "--datasets", "iris", "--out", str(tmp_path)]
    assert main([*argv, "--quiet", "--no-plots"]) == 0
    out = capsys.readouterr().out
    assert "| iris | random_cloud |" in out
    assert (tmp_path / "sparsity_records.csv").exists()
