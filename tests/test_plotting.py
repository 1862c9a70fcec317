"""Tests of the Display classes of sklearn_rcloud.plotting."""

import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_rcloud import (
    DenseMLPClassifier,
    NASWOTSearchClassifier,
    RandomCloudClassifier,
    RandomSearchSparseClassifier,
    RandomSparseClassifier,
    SAEPEnsembleClassifier,
    Topology,
)
from sklearn_rcloud.plotting import (
    SearchHistoryDisplay,
    TopologyDisplay,
    plot_search_history,
    plot_topology,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    X, y = load_iris(return_X_y=True)
    return MinMaxScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def cloud_pipeline():
    X, y = load_iris(return_X_y=True)
    search = RandomCloudClassifier(
        n_networks=5, hidden_layer_sizes=(8,), max_iter=20, random_state=0
    )
    return make_pipeline(MinMaxScaler(), search).fit(X, y)


@pytest.fixture(scope="module")
def cloud(cloud_pipeline):
    return cloud_pipeline[-1]


@pytest.fixture(scope="module")
def naswot(data):
    return NASWOTSearchClassifier(
        n_candidates=5,
        width_choices=(4, 8),
        depth_range=(1, 2),
        max_iter=20,
        random_state=0,
    ).fit(*data)


@pytest.fixture(scope="module")
def area(data):
    return NASWOTSearchClassifier(
        strategy="area",
        n_candidates=5,
        width_choices=(4, 8),
        depth_range=(1, 2),
        population_size=2,
        n_cycles=3,
        fitness_max_iter=2,
        max_iter=5,
        random_state=0,
    ).fit(*data)


@pytest.fixture(scope="module")
def sparse(data):
    return RandomSearchSparseClassifier(
        hidden_layer_sizes=(16,),
        sparsity=0.5,
        n_candidates=5,
        max_iter=20,
        random_state=0,
    ).fit(*data)


@pytest.fixture(scope="module")
def saep(data):
    return SAEPEnsembleClassifier(n_rounds=2, width=4, max_iter=5, random_state=0).fit(
        *data
    )


@pytest.fixture(scope="module")
def dense(data):
    return DenseMLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(
        *data
    )


def _history_points(estimator, column="score"):
    history = estimator.search_history_
    points = np.column_stack([history["n_params"], history[column]]).astype(float)
    return points[np.isfinite(points).all(axis=1)]


# ---------------------------------------------------------------- search history
def test_search_history_random_cloud(cloud):
    display = SearchHistoryDisplay.from_estimator(cloud)
    history = cloud.search_history_

    assert_allclose(display.scatter_.get_offsets(), _history_points(cloud))
    # The star is the trained network: its size and its search score, and the
    # row it points at is the selected network cut to the trained topology.
    assert_allclose(
        display.selected_.get_offsets(), [[cloud.n_params_, cloud.search_score_]]
    )
    row = display.selected_index
    assert history["network"][row] == cloud.selected_network_
    assert history["hidden_layer_sizes"][row] == cloud.topology_.hidden_layer_sizes
    assert_allclose(display.threshold_line_.get_ydata(), [cloud.threshold_] * 2)


def test_search_history_marks_the_finalists(data):
    X, y = data
    raced = RandomCloudClassifier(
        hidden_layer_sizes=(8,),
        n_networks=4,
        n_finalists=3,
        max_iter=20,
        random_state=0,
    ).fit(X, y)
    display = SearchHistoryDisplay.from_estimator(raced)
    history = raced.search_history_
    rows = np.flatnonzero(history["finalist"])
    assert len(rows) == 3
    assert_allclose(
        display.finalists_.get_offsets(),
        np.column_stack([history["n_params"][rows], history["score"][rows]]),
    )
    # The trained network is one of them.
    assert display.selected_index in rows
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert "finalists, trained on held-out rows (3)" in legend
    assert (
        SearchHistoryDisplay.from_estimator(
            RandomCloudClassifier(n_networks=2, max_iter=5, random_state=0).fit(X, y)
        ).finalists_
        is None
    )


def test_search_history_labels_and_legend(cloud):
    display = SearchHistoryDisplay.from_estimator(cloud)
    assert display.ax_.get_xlabel() == "Number of parameters"
    assert display.ax_.get_ylabel() == "Search score (readout)"
    assert display.ax_.get_title() == "RandomCloudClassifier"
    assert display.ax_.get_xscale() == "linear"
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend[0] == f"scored networks ({len(cloud.search_history_['score'])})"
    assert legend[1].startswith(f"trained network ({cloud.n_params_} params")
    assert legend[2].startswith("threshold")


def test_search_history_log_x_and_kwargs(cloud):
    display = SearchHistoryDisplay.from_estimator(
        cloud,
        log_x=True,
        name="cloud",
        scatter_kwargs={"color": "black"},
        selected_kwargs={"marker": "D"},
    )
    assert display.ax_.get_xscale() == "log"
    assert display.ax_.get_title() == "cloud"
    assert_allclose(display.scatter_.get_facecolor()[0], [0, 0, 0, 0.5])
    assert display.selected_ is not None


def test_search_history_reuses_ax(cloud):
    fig, ax = plt.subplots()
    display = plot_search_history(cloud, ax=ax)
    assert display.ax_ is ax
    assert display.figure_ is fig
    assert display.scatter_ in ax.collections
    assert display.selected_ in ax.collections
    assert len(plt.get_fignums()) == 1


def test_search_history_pipeline(cloud_pipeline, cloud):
    display = plot_search_history(cloud_pipeline)
    assert isinstance(display, SearchHistoryDisplay)
    assert_allclose(display.scatter_.get_offsets(), _history_points(cloud))
    assert_allclose(
        display.selected_.get_offsets(), [[cloud.n_params_, cloud.search_score_]]
    )


def test_search_history_naswot(naswot):
    display = plot_search_history(naswot)
    assert_allclose(display.scatter_.get_offsets(), _history_points(naswot))
    assert display.selected_index == naswot.selected_index_
    assert_allclose(
        display.selected_.get_offsets(), [[naswot.n_params_, naswot.search_score_]]
    )
    assert display.ax_.get_ylabel() == "Search score (naswot)"
    assert display.threshold_line_ is None


def test_search_history_area_plots_fitness(area):
    display = plot_search_history(area)
    assert display.ax_.get_ylabel() == "Fitness (validation accuracy)"
    assert_allclose(display.scatter_.get_offsets(), _history_points(area, "fitness"))
    assert_allclose(
        display.selected_.get_offsets(), [[area.n_params_, area.search_score_]]
    )
    # The training-free scores are there too; the children have none.
    display = plot_search_history(area, score="score")
    scored = _history_points(area, "score")
    assert len(scored) < len(area.search_history_["score"])
    assert_allclose(display.scatter_.get_offsets(), scored)


def test_search_history_sparse(sparse):
    display = plot_search_history(sparse)
    history = sparse.search_history_
    assert_allclose(display.scatter_.get_offsets(), _history_points(sparse))
    assert display.selected_index == sparse.selected_candidate_
    assert_allclose(
        display.selected_.get_offsets(),
        [[sparse.n_params_, history["score"][sparse.selected_candidate_]]],
    )
    assert display.selected_.get_offsets()[0, 1] == np.max(history["score"])


def test_search_history_display_without_estimator():
    display = SearchHistoryDisplay(
        n_params=[10, 20, 30], scores=[0.5, np.nan, 0.7], score_name="accuracy"
    ).plot()
    assert_allclose(display.scatter_.get_offsets(), [[10, 0.5], [30, 0.7]])
    assert display.selected_ is None
    assert display.threshold_line_ is None
    assert display.ax_.get_ylabel() == "accuracy"
    # A selected network without a finite score gets no star.
    display = SearchHistoryDisplay([10, 20], [0.5, np.nan], selected_index=1).plot()
    assert display.selected_ is None


def test_search_history_length_mismatch():
    with pytest.raises(ValueError, match="same length"):
        SearchHistoryDisplay([1, 2, 3], [0.1, 0.2]).plot()


@pytest.mark.parametrize(
    "estimator",
    [
        RandomCloudClassifier(),
        make_pipeline(MinMaxScaler(), NASWOTSearchClassifier()),
        RandomSearchSparseClassifier(),
    ],
)
def test_search_history_unfitted(estimator):
    with pytest.raises(NotFittedError):
        plot_search_history(estimator)


@pytest.mark.parametrize("fixture", ["dense", "saep"])
def test_search_history_needs_history(fixture, request):
    estimator = request.getfixturevalue(fixture)
    name = type(estimator).__name__
    with pytest.raises(TypeError, match=f"{name} has no `search_history_`"):
        plot_search_history(estimator)


def test_search_history_unscored(data):
    estimator = RandomSparseClassifier(
        hidden_layer_sizes=(8,), sparsity=0.5, max_iter=2, random_state=0
    ).fit(*data)
    with pytest.raises(ValueError, match="no finite 'score'"):
        plot_search_history(estimator)


def test_search_history_unknown_column(cloud):
    with pytest.raises(ValueError, match="no 'fitness' column"):
        plot_search_history(cloud, score="fitness")


def test_import_does_not_need_matplotlib():
    code = "import sys, sklearn_rcloud.plotting; print('matplotlib' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_plot_needs_matplotlib(monkeypatch, cloud):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match="requires matplotlib"):
        SearchHistoryDisplay([1], [0.5]).plot()
    with pytest.raises(ImportError, match="requires matplotlib"):
        plot_topology(Topology(2, (2,), 2))
    with pytest.raises(ImportError, match="requires matplotlib"):
        plot_search_history(cloud)


# --------------------------------------------------------------------- topology
def _n_circles(display):
    return [len(layer.get_offsets()) for layer in display.neurons_]


def test_topology_from_estimator(cloud):
    topology = cloud.topology_
    display = TopologyDisplay.from_estimator(cloud)
    sizes = topology.layer_sizes
    assert display.topology == topology
    assert _n_circles(display) == list(sizes)
    assert [len(e.get_segments()) for e in display.edges_] == [
        a * b for a, b in zip(sizes[:-1], sizes[1:])
    ]
    assert display.ellipses_ == [None] * len(sizes)
    labels = [label.get_text() for label in display.labels_]
    assert labels[0] == f"Input\n{sizes[0]}"
    assert labels[-1] == f"Output\n{sizes[-1]}"
    assert all(label.endswith(f"\n{size}") for label, size in zip(labels, sizes))
    assert str(topology.n_params) in display.ax_.get_title()
    assert "RandomCloudClassifier" in display.ax_.get_title()
    # Each layer is a column, input first.
    for layer, neurons in enumerate(display.neurons_):
        assert_array_equal(neurons.get_offsets()[:, 0], layer)


def test_topology_capped_layers():
    topology = Topology(30, (40, 3, 17), 2)
    display = TopologyDisplay.from_topology(topology, max_neurons=16)
    assert _n_circles(display) == [16, 16, 3, 16, 2]
    assert [e is not None for e in display.ellipses_] == [
        True,
        True,
        False,
        True,
        False,
    ]
    assert [len(e.get_segments()) for e in display.edges_] == [
        16 * 16,
        16 * 3,
        3 * 16,
        16 * 2,
    ]
    # The labels give the true widths, the middle hidden layers are numbered.
    assert [label.get_text() for label in display.labels_] == [
        "Input\n30",
        "Hidden 1\n40",
        "Hidden 2\n3",
        "Hidden 3\n17",
        "Output\n2",
    ]
    # The ellipsis sits between the first and the last drawn neurons.
    heights = display.neurons_[1].get_offsets()[:, 1]
    gap = display.ellipses_[1].get_position()[1]
    assert np.sum(heights > gap) == 8
    assert np.sum(heights < gap) == 8
    assert len(np.unique(heights)) == 16


def test_topology_odd_cap():
    display = plot_topology(Topology(9, (3,), 2), max_neurons=5)
    assert _n_circles(display) == [5, 3, 2]
    heights = display.neurons_[0].get_offsets()[:, 1]
    assert np.sum(heights > display.ellipses_[0].get_position()[1]) == 3


@pytest.mark.parametrize("max_neurons", [1, 2.5, True])
def test_topology_bad_cap(max_neurons):
    with pytest.raises(ValueError, match="max_neurons"):
        plot_topology(Topology(4, (3,), 2), max_neurons=max_neurons)


def test_topology_reuses_ax_and_kwargs():
    fig, ax = plt.subplots()
    display = plot_topology(
        Topology(4, (3,), 2),
        ax=ax,
        name="net",
        neuron_kwargs={"color": "white"},
        edge_kwargs={"colors": "red"},
    )
    assert display.ax_ is ax
    assert display.figure_ is fig
    assert len(plt.get_fignums()) == 1
    assert display.ax_.get_title().startswith("net\n4-3-2")
    assert_allclose(display.neurons_[1].get_facecolor()[0], [1, 1, 1, 1])
    assert_allclose(display.edges_[0].get_color()[0], [1, 0, 0, 0.5])


def test_topology_pipeline(cloud_pipeline, cloud):
    display = plot_topology(cloud_pipeline)
    assert display.topology == cloud.topology_
    assert _n_circles(display) == list(cloud.topology_.layer_sizes)


def test_topology_other_searches(naswot, sparse):
    for estimator in (naswot, sparse):
        display = plot_topology(estimator)
        assert _n_circles(display) == list(estimator.topology_.layer_sizes)


def test_topology_saep(saep):
    with pytest.raises(ValueError, match="ensemble of 2 networks.*member="):
        plot_topology(saep)
    display = plot_topology(saep, member=1)
    member = saep.estimators_[1].topology_
    assert display.topology == member
    assert _n_circles(display) == list(member.layer_sizes)
    assert "member 1" in display.ax_.get_title()
    with pytest.raises(ValueError, match="member must be an int"):
        plot_topology(saep, member=2)


def test_topology_member_for_single_network(dense):
    with pytest.raises(ValueError, match="ensembles only"):
        plot_topology(dense, member=0)


def test_topology_errors(data):
    with pytest.raises(NotFittedError):
        plot_topology(DenseMLPClassifier())
    with pytest.raises(NotFittedError):
        plot_topology(make_pipeline(MinMaxScaler(), RandomCloudClassifier()))
    logistic = LogisticRegression().fit(*data)
    with pytest.raises(TypeError, match="LogisticRegression has none"):
        plot_topology(logistic)
    with pytest.raises(TypeError, match="needs a sklearn_rcloud.Topology"):
        TopologyDisplay.from_topology((4, 3, 2))
