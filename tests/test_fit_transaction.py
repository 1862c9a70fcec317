"""A fit is all or nothing, lets interrupts through and leaves no global state.

Every public estimator, refitted on other data and made to fail (an error
injected into its training, an invalid parameter found late, a
``KeyboardInterrupt`` from a timer at points spread over its fit), must keep
the model it had, predictions included, and raise the exception itself; a
failed first fit leaves an estimator that is not fitted. Two fits running
in two threads must leave the process's warnings filters, torch's thread
count and the denormal setting as they found them.
"""

import inspect
import signal
import threading
import time
import warnings

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from small_estimators import ESTIMATOR_IDS, ESTIMATORS, make_small

from sklearn_rcloud import (
    DenseMLPClassifier,
    MagnitudePruningClassifier,
    RandomCloudClassifier,
)
from sklearn_rcloud.engine import flushes_denormals
from sklearn_rcloud.estimators import _base, _dense
from sklearn_rcloud.estimators._base import BaseClassifier

X = np.random.RandomState(0).rand(120, 4)
y = (3 * X[:, 0]).astype(int)
ANIMALS = np.array(["dog", "cat", "emu"])


def process_state():
    """What a fit must leave as it found it, in this thread and the process."""
    return (
        list(warnings.filters),
        torch.get_num_threads(),
        flushes_denormals(),
        torch.is_grad_enabled(),
    )


def fitted_state(estimator):
    """The fitted attribute names and the predictions they give."""
    names = sorted(name for name in vars(estimator) if name.endswith("_"))
    return names, estimator.classes_, estimator.predict_proba(X[:10])


def assert_unchanged(estimator, before):
    names, classes, proba = fitted_state(estimator)
    assert names == before[0]
    np.testing.assert_array_equal(classes, before[1])
    np.testing.assert_array_equal(proba, before[2])


# --- A failed refit keeps the previous model --------------------------------


def test_the_issues_failed_refit_keeps_the_previous_labels():
    est = RandomCloudClassifier(n_networks=10, random_state=0).fit(X, y)
    before = fitted_state(est)
    with pytest.raises(ValueError, match="threshold"):
        est.set_params(threshold=2.0).fit(X, ANIMALS[y])
    assert_unchanged(est, before)
    assert list(est.predict(X[:4])) == list(y[:4])


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_a_refit_failing_in_training_keeps_the_previous_model(estimator, monkeypatch):
    est = clone(estimator).set_params(random_state=0).fit(X, y)
    before = fitted_state(est)

    def failing(*args, **kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(_base, "train_network", failing)
    # New labels and one more feature: a half-published refit would mix them
    # with the previous network.
    X_new = np.hstack([X, X[:, :1]])
    with pytest.raises(RuntimeError, match="injected failure"):
        est.fit(X_new, ANIMALS[y])
    assert est.n_features_in_ == X.shape[1]
    assert_unchanged(est, before)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_a_failed_first_fit_leaves_the_estimator_unfitted(estimator, monkeypatch):
    est = clone(estimator).set_params(random_state=0)

    def failing(*args, **kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(_base, "train_network", failing)
    with pytest.raises(RuntimeError, match="injected failure"):
        est.fit(X, y)
    assert [name for name in vars(est) if name.endswith("_")] == []
    with pytest.raises(NotFittedError):
        est.predict(X)


def test_a_refit_keeps_no_attribute_of_the_previous_fit():
    est = DenseMLPClassifier(n_init=3, max_iter=20, random_state=0).fit(X, y)
    assert hasattr(est, "init_scores_") and hasattr(est, "best_init_")
    est.set_params(n_init=1).fit(X, y)
    assert not hasattr(est, "init_scores_")
    assert not hasattr(est, "best_init_")


def test_a_failed_partial_fit_keeps_the_network_it_continued():
    est = DenseMLPClassifier(solver="adam", random_state=0)
    est.partial_fit(X, y, classes=[0, 1, 2]).partial_fit(X, y)
    before = fitted_state(est)
    curve = list(est.loss_curve_)
    with pytest.raises(ValueError, match="outside the classes"):
        est.partial_fit(X, np.full(len(y), 7))
    assert_unchanged(est, before)
    assert est.loss_curve_ == curve
    assert len(est.net_.history) == len(curve)


def test_partial_fit_trains_a_copy_and_publishes_it():
    est = DenseMLPClassifier(solver="adam", random_state=0)
    est.partial_fit(X, y, classes=[0, 1, 2])
    net, module = est.net_, est.module_
    weights = [p.detach().clone() for p in module.parameters()]
    est.partial_fit(X, y)
    # The previous net and module are untouched; the estimator holds new ones.
    for old, kept in zip(weights, module.parameters()):
        torch.testing.assert_close(old, kept, rtol=0, atol=0)
    assert len(net.history) == 1 and len(est.net_.history) == 2
    assert est.module_ is est.net_.module_ and est.module_ is not module


# --- Interrupts leave fit as themselves --------------------------------------


_FIT_CODE = inspect.unwrap(BaseClassifier.fit).__code__


class TimedInterrupt:
    """A ``KeyboardInterrupt`` from a timer, raised only inside ``fit``.

    A signal handler runs between two bytecodes of the main thread; the
    interrupt is raised there only if a frame of :meth:`BaseClassifier.fit`
    is on the stack, so that a timer firing after ``fit`` returned is not
    mistaken for an interrupted fit.
    """

    def __init__(self, seconds):
        self.seconds = seconds
        self.raised = False

    def _handler(self, signum, frame):
        while frame is not None:
            if frame.f_code is _FIT_CODE:
                self.raised = True
                raise KeyboardInterrupt
            frame = frame.f_back

    def __enter__(self):
        self._previous = signal.signal(signal.SIGALRM, self._handler)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self._previous)
        return False


def _fit_seconds(estimator):
    start = time.perf_counter()
    clone(estimator).fit(X, ANIMALS[y])
    return time.perf_counter() - start


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs SIGALRM")
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_an_interrupt_anywhere_in_a_refit_propagates_and_keeps_the_model(estimator):
    est = clone(estimator).set_params(random_state=0).fit(X, y)
    before = fitted_state(est)
    state = process_state()
    seconds = _fit_seconds(est)
    interrupted = 0
    for fraction in (0.02, 0.1, 0.25, 0.4, 0.55, 0.7, 0.85):
        timer = TimedInterrupt(max(1e-4, fraction * seconds))
        try:
            with timer:
                est.fit(X, ANIMALS[y])
        except KeyboardInterrupt:
            assert timer.raised
            interrupted += 1
            assert_unchanged(est, before)
        else:
            # The timer fired after fit, or fit swallowed the interrupt.
            assert not timer.raised, "fit returned although interrupted"
            est = clone(estimator).set_params(random_state=0).fit(X, y)
        assert process_state() == state
    assert interrupted >= 3


class InterruptAtTask:
    """A callback of scikit-learn's API that raises at the n-th end of a task
    whose name starts with ``task_name``."""

    def __init__(self, task_name, n):
        self.task_name, self.n, self.seen = task_name, n, 0

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(self, estimator, context, **kwargs):
        if context.task_name.startswith(self.task_name):
            self.seen += 1
            if self.seen == self.n:
                raise KeyboardInterrupt
        return False


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_an_interrupt_from_a_callback_propagates(estimator):
    # At a training epoch's end (an ensemble: a round's): skorch ends
    # training quietly on a KeyboardInterrupt, which made this one a model
    # trained a few epochs, or an ensemble going on to its next round.
    est = clone(estimator).set_params(random_state=0).fit(X, y)
    before = fitted_state(est)
    task = "epoch" if "epoch" in _task_names(estimator) else "round "
    callback = InterruptAtTask(task, 3)
    with pytest.raises(KeyboardInterrupt):
        est.set_callbacks(callback).fit(X, ANIMALS[y])
    assert callback.seen == 3
    assert_unchanged(est, before)


def _task_names(estimator):
    names = []

    class Recorder(InterruptAtTask):
        def on_fit_task_end(self, estimator, context, **kwargs):
            names.append(context.task_name)
            return False

    clone(estimator).set_params(random_state=0).set_callbacks(Recorder(None, 0)).fit(
        X, y
    )
    return names


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_an_interrupt_in_a_training_epoch_propagates(solver, monkeypatch):
    from sklearn_rcloud.engine import MLPStep

    calls = {"n": 0}
    original = MLPStep.gradients

    def interrupted(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(MLPStep, "gradients", interrupted)
    est = DenseMLPClassifier(solver=solver, max_iter=300, n_iter_no_change=None)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    assert calls["n"] == 5
    with pytest.raises(NotFittedError):
        est.predict(X)


def test_early_stopping_still_ends_training_quietly():
    est = DenseMLPClassifier(
        solver="adam", max_iter=500, n_iter_no_change=3, tol=10.0, random_state=0
    ).fit(X, y)
    assert est.n_iter_ == 4  # the rule fired: one best epoch, then 3 misses


# --- No process-wide state changed, also by fits in two threads --------------


def _fit_in_threads(make, n_threads=2):
    errors = []

    def fit():
        try:
            make().fit(X, ANIMALS[y])
        except BaseException as error:  # reported by the test
            errors.append(error)

    threads = [threading.Thread(target=fit) for _ in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


@pytest.mark.parametrize(
    "make",
    [
        lambda: RandomCloudClassifier(n_networks=20, n_jobs=2, max_iter=30),
        lambda: DenseMLPClassifier(max_iter=30),
        lambda: make_small(MagnitudePruningClassifier),
    ],
    ids=["RandomCloud-n_jobs2", "Dense", "MagnitudePruning"],
)
def test_fits_in_two_threads_leave_the_process_as_they_found_it(make):
    state = process_state()
    with joblib.parallel_config(backend="threading"):
        for _ in range(4):
            _fit_in_threads(make)
    assert process_state() == state
    # A thread started now sees the same torch setting.
    assert _threads_of_a_new_thread() == state[1]


def _threads_of_a_new_thread():
    seen = []
    thread = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
    thread.start()
    thread.join()
    return seen[0]


def test_a_failed_fit_leaves_the_process_as_it_found_it(monkeypatch):
    state = process_state()

    def failing(*args, **kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(_base, "train_network", failing)
    with pytest.raises(RuntimeError):
        RandomCloudClassifier(n_networks=20, n_jobs=2).fit(X, y)
    assert process_state() == state


def test_torch_threads_blocks_overlapping_in_threads_restore_the_setting():
    from sklearn_rcloud._parallel import torch_threads

    before = torch.get_num_threads()
    inside = threading.Barrier(2)
    release = threading.Barrier(2)

    def block(n_threads, first_out):
        with torch_threads(n_threads):
            inside.wait()
            if not first_out:
                release.wait()
        if first_out:
            release.wait()

    for order in ((True, False), (False, True)):
        threads = [
            threading.Thread(target=block, args=(1, order[0])),
            threading.Thread(target=block, args=(1, order[1])),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert _threads_of_a_new_thread() == before
    assert torch.get_num_threads() == before


# --- Weights: validated, and normalised before they are cast ------------------


@pytest.mark.parametrize("weight", [-1.0, np.nan, np.inf])
def test_a_class_weight_that_is_not_a_finite_non_negative_number_is_refused(weight):
    with pytest.raises(ValueError, match="class_weight"):
        DenseMLPClassifier(class_weight={0: weight}).fit(X, y)


def test_a_class_weight_that_is_not_a_number_is_refused():
    with pytest.raises(TypeError, match="class_weight"):
        DenseMLPClassifier(class_weight={0: "heavy"}).fit(X, y)


@pytest.mark.parametrize("scale", [1e-30, 1e-10, 1e10, 1e300, 1e308])
def test_uniform_weights_of_any_scale_fit_as_their_penalty_says(scale):
    # The weights' scale only sets the L2 penalty's strength (alpha over
    # their sum, as in MLPClassifier): with alpha=0 every scale is the
    # unweighted fit.
    params = dict(alpha=0.0, max_iter=50, random_state=0)
    plain = DenseMLPClassifier(**params).fit(X, y)
    weighted = DenseMLPClassifier(**params).fit(
        X, y, sample_weight=np.full(len(y), scale)
    )
    np.testing.assert_allclose(
        weighted.predict_proba(X), plain.predict_proba(X), atol=1e-6
    )


def test_one_huge_weight_among_ones_is_not_a_divergence():
    weights = np.ones(len(y))
    weights[0] = 1e39  # beyond float32: cast before scaling, it was inf
    est = DenseMLPClassifier(max_iter=50, random_state=0).fit(
        X, y, sample_weight=weights
    )
    assert np.isfinite(est.predict_proba(X)).all()
    assert est.predict(X[:1])[0] == y[0]


@pytest.mark.parametrize(
    "alpha, scale, names",
    [(1e300, None, "alpha"), (1e-4, 1e-50, "sample_weight"), (1.0, 1e-46, "alpha")],
)
def test_a_penalty_beyond_float32_is_refused_before_training(alpha, scale, names):
    weights = None if scale is None else np.full(len(y), scale)
    est = DenseMLPClassifier(alpha=alpha)
    with pytest.raises(ValueError, match=names):
        est.fit(X, y, sample_weight=weights)
    assert not hasattr(est, "classes_")


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_partial_fit_on_copies_trains_as_in_place(solver, monkeypatch):
    # The copy carries the optimiser's state (Adam's moments, SGD's
    # momentum) and its step reads the copied weights: the same numbers as
    # training the one network in place.
    def calls(estimator):
        estimator.partial_fit(X, y, classes=[0, 1, 2])
        for _ in range(5):
            estimator.partial_fit(X, y)
        return [p.detach().clone() for p in estimator.module_.parameters()]

    params = dict(solver=solver, momentum=0.9, random_state=0)
    copied = calls(DenseMLPClassifier(**params))
    monkeypatch.setattr(_dense, "training_copy", lambda net: net)
    in_place = calls(DenseMLPClassifier(**params))
    for a, b in zip(copied, in_place):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_fit_together_in_two_threads_keeps_each_fits_warnings():
    from sklearn_rcloud.estimators._together import fit_each

    outcomes = {}

    def run(name, n_fits):
        # 3 iterations: every fit warns that it has not converged.
        estimators = [
            DenseMLPClassifier(max_iter=3, random_state=seed) for seed in range(n_fits)
        ]
        outcomes[name] = fit_each(estimators, X, y)

    threads = [
        threading.Thread(target=run, args=(name, n))
        for name, n in (("two", 2), ("three", 3))
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        hook = warnings.showwarning
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Inside the block: catch_warnings puts the hook back on leaving.
        assert warnings.showwarning is hook
    for name, n_fits in (("two", 2), ("three", 3)):
        logs = outcomes[name].warnings
        assert len(logs) == n_fits
        assert all(
            [w.category.__name__ for w in log] == ["ConvergenceWarning"] for log in logs
        ), logs


def test_partial_fit_after_an_lbfgs_fit_trains_a_copy():
    # The copied net's optimiser is L-BFGS, which does not deep-copy.
    est = DenseMLPClassifier(solver="lbfgs", max_iter=20, random_state=0).fit(X, y)
    module = est.module_
    weights = [p.detach().clone() for p in module.parameters()]
    est.set_params(solver="adam").partial_fit(X, y)
    for old, kept in zip(weights, module.parameters()):
        torch.testing.assert_close(old, kept, rtol=0, atol=0)
    assert est.n_iter_ == 21


class RaisingTeardown(InterruptAtTask):
    """A callback whose ``teardown``, after the fit's work, raises ``error``."""

    def __init__(self, error):
        super().__init__(None, 0)
        self.error = error

    def on_fit_task_end(self, estimator, context, **kwargs):
        return False

    def teardown(self, estimator, context):
        raise self.error


@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_a_callback_failing_at_teardown_fails_the_fit(estimator, error):
    # The teardown runs after the fit's own work, in scikit-learn's
    # _fit_context: the transaction must include it.
    est = clone(estimator).set_params(random_state=0).fit(X, y)
    before = fitted_state(est)
    with pytest.raises(error):
        est.set_callbacks(RaisingTeardown(error("teardown"))).fit(X, ANIMALS[y])
    assert_unchanged(est, before)
    fresh = clone(estimator).set_params(random_state=0)
    with pytest.raises(error):
        fresh.set_callbacks(RaisingTeardown(error("teardown"))).fit(X, y)
    with pytest.raises(NotFittedError):
        fresh.predict(X)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_weights_beyond_float32_fit_every_estimator(estimator):
    # The searches' scores weigh rows too: scaled before the cast, as the
    # training's weights, so no estimator blames the features for them.
    one_huge = np.ones(len(y))
    one_huge[5] = 1e39
    for weights in (one_huge, np.full(len(y), 1e300)):
        fitted = clone(estimator).set_params(random_state=0)
        fitted.fit(X, y, sample_weight=weights)
        assert np.isfinite(fitted.predict_proba(X)).all()


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs SIGALRM")
@pytest.mark.parametrize("delay", [0.01, 0.05, 0.2])
def test_an_interrupted_fit_together_leaves_nothing_running(delay):
    from sklearn_rcloud import fit_together
    from sklearn_rcloud.estimators._together import fit_each

    code = inspect.unwrap(fit_each).__code__
    raised = []

    def handler(signum, frame):
        while frame is not None:
            if frame.f_code is code:
                raised.append(True)
                raise KeyboardInterrupt
            frame = frame.f_back

    estimators = [
        clone(estimator).set_params(random_state=0) for estimator in ESTIMATORS
    ]
    hook = warnings.showwarning
    previous = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, delay)
    try:
        with pytest.raises(KeyboardInterrupt):
            fit_together(estimators, X, y)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert raised
    assert not [t for t in threading.enumerate() if t.name.startswith("fit_together")]
    assert warnings.showwarning is hook
    fitted = [hasattr(estimator, "classes_") for estimator in estimators]
    time.sleep(0.2)
    assert [hasattr(estimator, "classes_") for estimator in estimators] == fitted


def test_a_failed_fit_puts_back_the_torch_settings_it_changed(monkeypatch):
    # An interrupt can land between a context manager's setting and the try
    # that would undo it (torch.no_grad's entry): here, a training that
    # fails after switching gradients off and flushing denormals for good.
    from sklearn_rcloud import engine

    def leaving_settings_changed(*args, **kwargs):
        torch.set_grad_enabled(False)
        torch.set_flush_denormal(True)
        raise KeyboardInterrupt

    state = process_state()
    monkeypatch.setattr(_base, "train_network", leaving_settings_changed)
    with pytest.raises(KeyboardInterrupt):
        DenseMLPClassifier().fit(X, y)
    assert process_state() == state
    assert engine.flushes_denormals() is state[2]
