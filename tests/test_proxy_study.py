"""The proxy study: records, caching, correlations and the search comparison."""

import numpy as np
import pytest
from scipy import stats

from sklearn_rcloud.study import (
    ProxyStudyConfig,
    ProxyStudyResult,
    read_proxy_records,
    run_proxy_study,
)
from sklearn_rcloud.study._cli import main

TINY = ProxyStudyConfig(
    n_topologies=12,
    depth_range=(1, 2),
    width_choices=(2, 4, 8, 16),
    max_iter=15,
    n_iter_no_change=None,
)


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory):
    path = tmp_path_factory.mktemp("proxies") / "records.csv"
    return run_proxy_study(["iris", "wine"], TINY, records_path=path), path


def test_topologies_are_distinct_and_inside_the_space():
    topologies = TINY.topologies()
    assert len(set(topologies)) == 12
    assert all(1 <= len(h) <= 2 and set(h) <= {2, 4, 8, 16} for h in topologies)
    assert TINY.topologies() == topologies
    with pytest.raises(ValueError, match="exceeds"):
        ProxyStudyConfig(
            n_topologies=100, depth_range=(1, 2), width_choices=(2, 4, 8, 16)
        ).topologies()


def test_every_topology_gets_every_score_and_a_trained_accuracy(tiny_study):
    result, _ = tiny_study
    assert len(result.records) == 24
    for record in result.records:
        for name in result.scores:
            assert name in record
        assert 0 <= record["test_accuracy"] <= 1
        assert record["epochs"] == 15
    # The parameter count is the Topology's.
    first = result.records[0]
    widths = [int(w) for w in first["hidden_layer_sizes"].split("-")]
    sizes = [4, *widths, 3]
    assert first["n_params"] == sum(a * b + b for a, b in zip(sizes, sizes[1:]))


def test_cached_records_are_reused_and_a_new_config_is_not(tiny_study, monkeypatch):
    result, path = tiny_study
    from sklearn_rcloud.study._experiments import _proxies as _proxy_study

    def refuse(*args, **kwargs):
        raise AssertionError("a cached topology was trained again")

    monkeypatch.setattr(_proxy_study, "_evaluate_topology", refuse)
    again = run_proxy_study(["iris", "wine"], TINY, records_path=path)
    assert again.records == result.records
    assert len(read_proxy_records(path)) == 24
    changed = ProxyStudyConfig(**{**TINY.__dict__, "learning_rate_init": 0.02})
    with pytest.raises(AssertionError, match="trained again"):
        run_proxy_study(["iris"], changed, records_path=path)


def test_each_record_says_whether_its_training_converged():
    # A stopping rule of 10 epochs cannot fire within a budget of 3.
    budget = ProxyStudyConfig(
        **{**TINY.__dict__, "n_topologies": 4, "max_iter": 3, "n_iter_no_change": 10}
    )
    short = run_proxy_study(["iris"], budget)
    assert [r["converged"] for r in short.records] == [False] * 4
    assert "budget of 3 epochs: 0 of 4." in short.to_markdown(n_bootstrap=10)
    roomy = ProxyStudyConfig(**{**budget.__dict__, "max_iter": 2000})
    assert all(r["converged"] for r in run_proxy_study(["iris"], roomy).records)


def test_correlations_match_scipy_and_the_top_hits_are_counted(tiny_study):
    result, _ = tiny_study
    rows = result.correlations(n_bootstrap=50)
    assert len(rows) == 2 * len(result.scores)
    row = next(r for r in rows if r["dataset"] == "wine" and r["score"] == "n_params")
    accuracy = result.column("wine", "test_accuracy")
    params = result.column("wine", "n_params")
    assert row["tau"] == pytest.approx(stats.kendalltau(params, accuracy).statistic)
    assert row["rho"] == pytest.approx(stats.spearmanr(params, accuracy).statistic)
    assert row["tau_low"] <= row["tau"] <= row["tau_high"]
    top = np.argsort(-params, kind="stable")[:10]
    tenth = np.sort(accuracy)[::-1][9]
    assert row["top_k_hit"] == pytest.approx(np.mean(accuracy[top] >= tenth))


def test_search_comparison_uses_disjoint_groups():
    records = [
        {"dataset": "d", "index": i, "naswot": s, "test_accuracy": a}
        for i, (s, a) in enumerate(
            zip([1, 5, 2, 9, 0, 3], [0.5, 0.9, 0.7, 0.8, 0.6, 0.4])
        )
    ]
    result = ProxyStudyResult(records, TINY)
    row, pooled = result.search_comparison("naswot", n_samples=3)
    assert row["n_groups"] == 2
    # Groups (0, 1, 2) and (3, 4, 5): NASWOT picks 0.9 and 0.8, random the
    # first of each (0.5, 0.8), the oracle 0.9 and 0.8.
    assert row["proxy"] == pytest.approx(85.0)
    assert row["random"] == pytest.approx(65.0)
    assert row["oracle"] == pytest.approx(85.0)
    assert pooled["dataset"] == "all"


def test_table_and_figure(tiny_study):
    result, _ = tiny_study
    table = result.to_markdown(n_bootstrap=20)
    assert "| naswot |" in table and "| n_params |" in table and "0.574" in table
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from sklearn_rcloud.study import plot_proxy_scatter

    fig = plot_proxy_scatter(result, "naswot")
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert any(t.startswith("iris (tau =") for t in titles)
    assert any(t.startswith("wine (tau =") for t in titles)


def test_cli_runs_the_proxy_study(tmp_path, capsys, monkeypatch):
    from sklearn_rcloud.study._experiments import _proxies as _proxy_study

    monkeypatch.setattr(
        _proxy_study,
        "ProxyStudyConfig",
        lambda n_topologies: ProxyStudyConfig(**{**TINY.__dict__, "n_topologies": 10}),
    )
    argv = [
        "--protocol",
        "proxies",
        "--datasets",
        "iris",
        "--out",
        str(tmp_path),
        "--quiet",
        "--no-plots",
    ]
    assert main(argv) == 0
    assert "| naswot |" in capsys.readouterr().out
    assert len(read_proxy_records(tmp_path / "proxy_records.csv")) == 10
