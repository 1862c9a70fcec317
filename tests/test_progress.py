"""The progress of a fit: the ``verbose`` display and the callbacks' task tree."""

import io
import sys

import pytest
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

from sklearn_rcloud import RandomCloudClassifier
from sklearn_rcloud.estimators import _progress
from sklearn_rcloud.search import _reduction

X, y = load_iris(return_X_y=True)
X = StandardScaler().fit_transform(X)


class Terminal(io.StringIO):
    """A stream that says it is a terminal, so the display draws on it."""

    def isatty(self):
        return True


class Recorder:
    """A scikit-learn callback recording every task's name and path."""

    def __init__(self):
        self.ended = []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(self, estimator, context, **kwargs):
        names, node = [], context
        while node is not None:
            names.append(node.task_name)
            node = node.parent
        self.ended.append(tuple(reversed(names)))
        return False


def _lines(stream):
    """The display's final lines: what a terminal shows once each is done."""
    return [line.rsplit("\r", 1)[-1].rstrip() for line in stream.getvalue().split("\n")]


def _cloud(**params):
    return RandomCloudClassifier(
        hidden_layer_sizes=(16,), n_networks=6, random_state=0, **params
    )


def test_verbose_display_keeps_every_task_line_where_it_ended(monkeypatch, capsys):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    clf = _cloud(verbose=1, max_iter=500).fit(X, y)
    lines = _lines(terminal)
    search = next(line for line in lines if " search " in line)
    training = next(line for line in lines if " training " in line)
    # The search counts the cloud's networks; it is never shown as 0/1.
    assert search.endswith("] 6/6")
    # Training stopped by its rule before the budget: the line stays, saying so.
    assert clf.n_iter_ < 500
    assert training.endswith(f"] {clf.n_iter_}/500, stopped early")
    assert training.startswith("RandomCloudClassifier training [")
    # The summary line goes to stdout, after the task lines.
    assert capsys.readouterr().out.startswith("RandomCloudClassifier: chose")


def test_display_of_a_task_that_ran_its_course_and_of_an_interrupted_one():
    display = _progress._Display(_cloud(), stream=Terminal())
    display.begin("training", 10)
    display.step(10)
    display.end()
    display.begin("training", 10)
    display.step(3)
    display.end(interrupted=True)
    display.begin("search", 0)
    display.end()
    first, second, third, _ = _lines(display.stream)
    assert first.endswith("] 10/10")
    assert second.endswith("] 3/10, interrupted")
    assert third == "RandomCloudClassifier search done"


def test_display_writes_nothing_but_the_summary_off_a_terminal(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    _cloud(verbose=1, max_iter=20, n_iter_no_change=None).fit(X, y)
    assert stream.getvalue() == ""


def test_search_reports_every_network_as_its_blocks_are_scored(monkeypatch):
    # Blocks of one network each: the search reports six times, in order.
    monkeypatch.setattr(_reduction, "BLOCK_BYTES", 1)
    seen = []
    real = _reduction.progressive_reduction

    def spy(*args, on_scored=None, **kwargs):
        def record(n_scored):
            seen.append(n_scored)
            on_scored(n_scored)

        return real(*args, on_scored=record, **kwargs)

    monkeypatch.setattr(
        "sklearn_rcloud.estimators._random_cloud.progressive_reduction", spy
    )
    recorder = Recorder()
    _cloud(max_iter=5, n_iter_no_change=None).set_callbacks(recorder).fit(X, y)
    assert seen == [1, 2, 3, 4, 5, 6]
    # One leaf per network for the callbacks, under the task "search".
    scores = [path for path in recorder.ended if path[-1] == "score"]
    assert scores == [("fit", "search", "score")] * 6


def test_sub_tasks_are_named_search_and_training():
    # scikit-learn's ProgressBar shows each sub-task's sibling index after its
    # name ("search #0"); the names themselves are the phases'.
    recorder = Recorder()
    _cloud(max_iter=5, n_iter_no_change=None).set_callbacks(recorder).fit(X, y)
    children = [path[1] for path in recorder.ended if len(path) == 2]
    assert children == ["search", "training"]


@pytest.mark.parametrize("n_calls", [[3, 3, 6], [6]])
def test_counter_ends_one_leaf_per_step_whatever_the_batches(n_calls):
    recorder = Recorder()
    clf = _cloud().set_callbacks(recorder)
    clf.classes_ = sorted(set(y))
    progress = _progress.FitProgress(clf, X, y, None, n_tasks=1)
    with progress.task("search", 6) as search:
        count = progress.counter(search, "score")
        for done in n_calls:
            count(done)
    assert [p for p in recorder.ended if p[-1] == "score"] == [
        ("fit", "search", "score")
    ] * 6
