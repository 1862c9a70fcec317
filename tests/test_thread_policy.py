"""Tiny L-BFGS steps run on one thread, inside the fit only, changing no result."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import minmax_scale

from sklearn_rcloud import DenseMLPClassifier, fast_step, training
from sklearn_rcloud._parallel import TINY_STEP_WORK, step_threads


@pytest.fixture
def two_threads():
    """torch at 2 intra-op threads for the test (pytest-xdist workers run 1)."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def threads_in_steps(monkeypatch):
    """The torch thread count seen by every gradient evaluation of a fit."""
    seen = []
    original = fast_step.MLPStep.gradients

    def spy(self, *args, **kwargs):
        seen.append(torch.get_num_threads())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(fast_step.MLPStep, "gradients", spy)
    return seen


def test_only_tiny_lbfgs_steps_get_one_thread():
    assert step_threads("lbfgs", TINY_STEP_WORK - 1) == 1
    assert step_threads("lbfgs", TINY_STEP_WORK) is None
    # Adam's and SGD's results depend on the thread count: left alone.
    assert step_threads("adam", 10) is None
    assert step_threads("sgd", 10) is None


def _data(n_rows, n_features):
    rng = np.random.RandomState(0)
    X = rng.rand(n_rows, n_features)
    return X, (3 * X[:, 0]).astype(int)


def test_a_tiny_lbfgs_fit_steps_on_one_thread_then_restores(
    two_threads, threads_in_steps
):
    X, y = _data(120, 4)  # 120 rows x 803 parameters: about 1e5
    DenseMLPClassifier(solver="lbfgs", max_iter=10, random_state=0).fit(X, y)
    assert threads_in_steps and set(threads_in_steps) == {1}
    assert torch.get_num_threads() == 2


def test_a_large_lbfgs_step_keeps_torchs_setting(two_threads, threads_in_steps):
    X, y = _data(1000, 100)  # 1,000 rows x 10,403 parameters: about 1e7
    DenseMLPClassifier(solver="lbfgs", max_iter=3, random_state=0).fit(X, y)
    assert set(threads_in_steps) == {2}


def test_adam_keeps_torchs_setting(two_threads, threads_in_steps):
    X, y = _data(120, 4)
    DenseMLPClassifier(solver="adam", max_iter=3, random_state=0).fit(X, y)
    assert set(threads_in_steps) == {2}


def test_the_setting_is_restored_when_the_fit_raises(two_threads, monkeypatch):
    def failing(self, *args, **kwargs):
        assert torch.get_num_threads() == 1
        raise RuntimeError("injected failure")

    monkeypatch.setattr(fast_step.MLPStep, "gradients", failing)
    X, y = _data(120, 4)
    with pytest.raises(RuntimeError, match="injected failure"):
        DenseMLPClassifier(solver="lbfgs", random_state=0).fit(X, y)
    assert torch.get_num_threads() == 2


def test_the_policy_changes_no_result(two_threads, monkeypatch):
    # Breast cancer at the defaults: 569 rows x 3,302 parameters, 1.9e6.
    X, y = load_breast_cancer(return_X_y=True)
    X = minmax_scale(X)
    with_policy = DenseMLPClassifier(random_state=0).fit(X, y)
    monkeypatch.setattr(training, "step_threads", lambda solver, work: None)
    without = DenseMLPClassifier(random_state=0).fit(X, y)
    assert with_policy.n_iter_ == without.n_iter_
    for a, b in zip(with_policy.module_.parameters(), without.module_.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
