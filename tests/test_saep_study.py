"""The SAEP study: records, caching, the comparison with the unpruned ensemble."""

import numpy as np
import pytest

from sklearn_rcloud.study import (
    SAEP_RULES,
    SAEPStudyConfig,
    SAEPStudyResult,
    holm,
    read_saep_records,
    run_saep_study,
    wilcoxon_signed_rank,
)
from sklearn_rcloud.study._cli import main

TINY = SAEPStudyConfig(n_rounds=4, width=4, n_folds=2, n_repeats=1)


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory):
    path = tmp_path_factory.mktemp("saep") / "records.csv"
    return run_saep_study(["iris"], TINY, records_path=path), path


def test_every_rule_runs_on_every_fold_with_the_fold_seed(tiny_study):
    result, _ = tiny_study
    assert len(result.records) == 2 * len(SAEP_RULES)
    for fold in (0, 1):
        rows = [r for r in result.records if r["fold"] == fold]
        assert [r["rule"] for r in rows] == list(SAEP_RULES)
        assert len({r["seed"] for r in rows}) == 1
    for record in result.records:
        sizes = [int(v) for v in record["size_curve"].split()]
        assert len(sizes) == TINY.n_rounds and sizes[0] == 1
        assert sizes[-1] == record["ensemble_size"]
        assert len(record["depths"].split()) == record["ensemble_size"]
        assert 0 <= record["diversity"] <= 1
    unpruned = [r for r in result.records if r["rule"] == "none"]
    assert all(r["ensemble_size"] == TINY.n_rounds for r in unpruned)
    pie = [r for r in result.records if r["rule"] == "pie"]
    assert all(r["size_curve"] == "1 2 3 3" for r in pie)


class _TwoEpochs(SAEPStudyConfig):
    def estimator(self, rule, seed):
        return super().estimator(rule, seed).set_params(max_iter=2)


def test_unconverged_candidates_are_counted_per_ensemble():
    # Two iterations cannot satisfy a stopping rule: every candidate warns.
    config = _TwoEpochs(n_rounds=2, width=4, n_folds=2, n_repeats=1)
    result = run_saep_study(["iris"], config)
    assert [r["n_unconverged"] for r in result.records] == [4] * 8
    assert "32 of 32 candidate trainings" in result.to_markdown()
    assert "0 of 8 ensembles" in result.to_markdown()


def test_cached_records_are_reused(tiny_study, monkeypatch):
    result, path = tiny_study
    from sklearn_rcloud.study._experiments import _saep as _saep_study

    def refuse(*args, **kwargs):
        raise AssertionError("a cached ensemble was fitted again")

    monkeypatch.setattr(_saep_study, "_run_fold", refuse)
    again = run_saep_study(["iris"], TINY, records_path=path)
    assert [r["test_accuracy"] for r in again.records] == [
        r["test_accuracy"] for r in result.records
    ]
    assert len(read_saep_records(path)) == len(result.records)


def test_comparisons_pair_folds_and_adjust_over_datasets():
    rng = np.random.default_rng(0)
    records, accuracy = [], {}
    for dataset in ("a", "b", "c"):
        for rule in ("none", "pie"):
            accuracy[dataset, rule] = rng.uniform(0.7, 0.9, 5)
            for fold in range(5):
                records.append(
                    {
                        "dataset": dataset,
                        "fold": fold,
                        "rule": rule,
                        "test_accuracy": accuracy[dataset, rule][fold],
                        "ensemble_size": 3 if rule == "pie" else 10,
                        "n_params": 100.0,
                        "diversity": 0.1,
                    }
                )
    config = SAEPStudyConfig(rules=("none", "pie"), n_folds=5, n_repeats=1)
    rows = SAEPStudyResult(records, config).comparisons()
    assert [r["dataset"] for r in rows] == ["a", "b", "c", "all"]
    for row in rows[:3]:
        a, b = accuracy[row["dataset"], "pie"], accuracy[row["dataset"], "none"]
        assert row["p"] == pytest.approx(wilcoxon_signed_rank(a, b)[1])
        assert row["difference"] == pytest.approx(100 * (a - b).mean())
        assert (row["size"], row["size_none"]) == (3, 10)
    np.testing.assert_allclose(
        [r["p_holm"] for r in rows[:3]], holm([r["p"] for r in rows[:3]])
    )
    assert rows[3]["n_pairs"] == 15


def test_table_figures_and_cli(tiny_study, tmp_path, capsys, monkeypatch):
    result, _ = tiny_study
    table = result.to_markdown()
    assert "| iris | pie |" in table and "| all | pap |" in table
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from sklearn_rcloud.study import plot_saep_rounds

    for curve in ("size_curve", "accuracy_curve"):
        figure = plot_saep_rounds(result, curve)
        assert [ax.get_title() for ax in figure.axes if ax.get_visible()] == ["iris"]
        assert len(figure.axes[0].get_lines()) == len(SAEP_RULES)

    from sklearn_rcloud.study._experiments import _saep as _saep_study

    monkeypatch.setattr(_saep_study, "SAEPStudyConfig", lambda **kwargs: TINY)
    argv = ["--protocol", "saep", "--datasets", "iris", "--out", str(tmp_path)]
    assert main([*argv, "--quiet", "--no-plots"]) == 0
    assert "| iris | prs |" in capsys.readouterr().out
