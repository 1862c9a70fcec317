"""Random Cloud's finalists: chosen along the size axis, judged on held-out rows."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.preprocessing import minmax_scale

from sklearn_rcloud import RandomCloudClassifier, paper_params
from sklearn_rcloud.search import SearchResult, select_finalists

pytestmark = pytest.mark.filterwarnings(
    # Short budgets keep the tests fast; convergence is not what they test.
    "ignore::sklearn.exceptions.ConvergenceWarning"
)

RACE = dict(n_networks=4, max_iter=20, solver="adam", learning_rate_init=0.01)


def _result():
    # Four networks, five sizes; network 2 scores best everywhere, the two
    # smallest sizes score under the threshold 0.5 for every network but 2.
    candidates = [(16,), (8,), (4,), (2,), (1,)]
    n_params = np.array([100, 50, 25, 12, 6])
    scores = np.array(
        [
            [0.90, 0.88, 0.70, 0.40, 0.30],
            [0.91, 0.86, 0.75, 0.45, 0.20],
            [0.95, 0.93, 0.80, 0.60, 0.55],
            [0.92, 0.80, 0.60, 0.30, 0.10],
        ]
    )
    return SearchResult(candidates, n_params, scores)


def test_finalists_run_from_the_smallest_qualified_size_to_the_largest():
    result = _result()
    finalists = select_finalists(result, 0.5, n_sizes=3, n_per_size=2)
    # Sizes 6, 25 and 100 parameters: evenly spaced in log size from the
    # smallest candidate above the threshold (only network 2 scores above it
    # at one neuron) to the largest.
    assert [hidden for _, hidden, _ in finalists] == [(1,), (4,), (4,), (16,), (16,)]
    # At each size, the best-scoring qualified networks, best first.
    assert [n for n, _, _ in finalists] == [2, 2, 1, 2, 3]
    assert finalists[0][2] == pytest.approx(0.55)
    assert [h for _, h, _ in select_finalists(result, 0.5, n_sizes=1)] == [(1,)]


def test_finalists_respect_the_threshold_and_the_parameter_window():
    result = _result()
    finalists = select_finalists(result, 0.5, n_sizes=5, n_per_size=4, max_params=50)
    # Four sizes qualify under 50 parameters; below 0.5 only network 2 does
    # at 12 and 6 parameters.
    assert {hidden for _, hidden, _ in finalists} == {(1,), (2,), (4,), (8,)}
    assert [n for n, hidden, _ in finalists if hidden in ((1,), (2,))] == [2, 2]
    assert all(score > 0.5 for _, _, score in finalists)
    windowed = select_finalists(result, 0.5, n_sizes=5, min_params=25, max_params=50)
    assert [h for _, h, _ in windowed] == [(4,), (8,)]
    assert select_finalists(result, 0.99, n_sizes=2, n_per_size=2) == []


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return minmax_scale(X[:600]).astype(np.float32), y[:600]


def test_a_bottleneck_the_score_accepts_is_rejected_on_held_out_rows(digits):
    X, y = digits
    # A tolerance of 1 makes one neuron the score's pick; ten classes do not
    # pass through one ReLU unit, and the finalists' validation shows it.
    common = dict(hidden_layer_sizes=(16,), selection_tolerance=1.0, **RACE)
    alone = RandomCloudClassifier(n_finalists=1, random_state=0, **common).fit(X, y)
    raced = RandomCloudClassifier(n_finalists=6, random_state=0, **common).fit(X, y)
    assert alone.topology_.hidden_layer_sizes == (1,)
    assert alone.finalists_ is None and not alone.search_history_["finalist"].any()
    finalists = raced.finalists_
    assert finalists["hidden_layer_sizes"][0] == (1,)
    assert finalists["validation_accuracy"][0] < 0.5
    assert raced.topology_.hidden_layer_sizes[0] > 1
    assert raced.score(X, y) > alone.score(X, y) + 0.3


def test_the_winner_is_the_smallest_within_the_tolerance(digits):
    X, y = digits
    model = RandomCloudClassifier(
        hidden_layer_sizes=(16,), n_finalists=8, random_state=1, **RACE
    ).fit(X, y)
    f = model.finalists_
    assert len(f["network"]) == 8 and f["selected"].sum() == 1
    winner = np.flatnonzero(f["selected"])[0]
    eligible = f["validation_loss"] <= f["validation_loss"].min() * 1.05
    assert eligible[winner]
    assert f["n_params"][winner] == f["n_params"][eligible].min()
    assert model.topology_.hidden_layer_sizes == f["hidden_layer_sizes"][winner]
    assert model.selected_network_ == f["network"][winner]
    assert model.search_history_["finalist"].sum() == 8
    assert [len(c) for c in f["validation_curve"]] == list(f["n_iter"])
    assert model.race_time_ > 0
    # One network at each of eight sizes, smallest first.
    assert list(f["n_params"]) == sorted(set(f["n_params"]))
    # A looser margin never picks a larger network.
    loose = RandomCloudClassifier(
        hidden_layer_sizes=(16,),
        n_finalists=8,
        finalist_tolerance=10.0,
        random_state=1,
        **RACE,
    ).fit(X, y)
    assert loose.topology_.n_params == f["n_params"][0]


def test_one_finalist_is_the_training_free_pick_and_the_papers_setting(digits):
    X, y = digits
    params = dict(hidden_layer_sizes=(8,), random_state=3, **RACE)
    one = RandomCloudClassifier(n_finalists=1, **params).fit(X, y)
    history = one.search_history_
    scores = np.where(history["n_params"] > 0, history["score"], -np.inf)
    eligible = scores >= scores.max() - one.selection_tolerance
    assert one.topology_.n_params == history["n_params"][eligible].min()
    assert paper_params("sonar")["n_finalists"] == 1


def test_the_same_seed_gives_the_same_finalists_and_winner(digits):
    X, y = digits
    a, b = (
        RandomCloudClassifier(hidden_layer_sizes=(8,), n_finalists=4, **RACE)
        .set_params(random_state=5)
        .fit(X, y)
        for _ in range(2)
    )
    np.testing.assert_array_equal(
        a.finalists_["validation_accuracy"], b.finalists_["validation_accuracy"]
    )
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
