"""Tiny training steps run on one thread, inside the fit only; a tiny
full-batch L-BFGS fit's result does not change."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import minmax_scale

from sklearn_rcloud import DenseMLPClassifier
from sklearn_rcloud._parallel import TINY_STEP_WORK, step_threads
from sklearn_rcloud.engine import MLPStep, TrainingConfig, _population, _train
from sklearn_rcloud.init import init_weights, seeded_generator
from sklearn_rcloud.topology import Topology


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
    original = MLPStep.gradients

    def spy(self, *args, **kwargs):
        seen.append(torch.get_num_threads())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(MLPStep, "gradients", spy)
    return seen


def test_only_tiny_steps_get_one_thread():
    assert step_threads(TINY_STEP_WORK - 1) == 1
    assert step_threads(TINY_STEP_WORK) is None


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
    X, y = _data(2000, 200)  # 2,000 rows x 20,403 parameters: about 4e7
    DenseMLPClassifier(solver="lbfgs", max_iter=3, random_state=0).fit(X, y)
    assert set(threads_in_steps) == {2}


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_tiny_mini_batch_steps_get_one_thread(two_threads, threads_in_steps, solver):
    X, y = _data(120, 4)
    DenseMLPClassifier(solver=solver, max_iter=3, random_state=0).fit(X, y)
    assert set(threads_in_steps) == {1}
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("n_features, threads", [(4, 1), (8000, 2)])
def test_a_population_steps_on_one_thread_when_its_steps_are_tiny(
    two_threads, monkeypatch, n_features, threads
):
    seen = []
    original = _population._Population.train

    def spy(self):
        seen.append(torch.get_num_threads())
        return original(self)

    monkeypatch.setattr(_population._Population, "train", spy)
    X, y = _data(300, n_features)
    X, y = X.astype(np.float32), y.astype(np.int64)
    # 200-row Adam steps of two members (stacked 16 wide): about 5e4
    # multiply-adds at 4 features, 5e7 at 8,000.
    networks = [
        (topology, init_weights(topology, "kaiming", seeded_generator(seed)))
        for seed, topology in enumerate(
            [Topology(n_features, (16,), 3), Topology(n_features, (8,), 3)]
        )
    ]
    config = TrainingConfig(solver="adam", max_iter=2, batch_size=200)
    _population.train_population(networks, X, y, config, [0, 1])
    assert seen == [threads]
    assert torch.get_num_threads() == 2


def test_the_setting_is_restored_when_the_fit_raises(two_threads, monkeypatch):
    def failing(self, *args, **kwargs):
        assert torch.get_num_threads() == 1
        raise RuntimeError("injected failure")

    monkeypatch.setattr(MLPStep, "gradients", failing)
    X, y = _data(120, 4)
    with pytest.raises(RuntimeError, match="injected failure"):
        DenseMLPClassifier(solver="lbfgs", random_state=0).fit(X, y)
    assert torch.get_num_threads() == 2


def test_the_policy_changes_no_result(two_threads, monkeypatch):
    # Breast cancer at the defaults: 569 rows x 3,302 parameters, 1.9e6.
    X, y = load_breast_cancer(return_X_y=True)
    X = minmax_scale(X)
    with_policy = DenseMLPClassifier(random_state=0).fit(X, y)
    monkeypatch.setattr(_train, "step_threads", lambda work: None)
    without = DenseMLPClassifier(random_state=0).fit(X, y)
    assert with_policy.n_iter_ == without.n_iter_
    for a, b in zip(with_policy.module_.parameters(), without.module_.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
