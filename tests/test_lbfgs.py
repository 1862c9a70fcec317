"""The flat L-BFGS against torch's, whose algorithm it is."""

import numpy as np
import pytest
import torch

from sklearn_rcloud.engine import FlatLBFGS


def _problem(seed=0, n=60, d=7):
    """A logistic regression with an L2 term: ``(loss, grad)`` of float64 weights."""
    rng = np.random.RandomState(seed)
    X = torch.as_tensor(rng.randn(n, d))
    y = torch.as_tensor((rng.rand(n) < 0.5).astype(np.float64))

    def loss_of(w):
        z = X @ w
        return (
            torch.nn.functional.binary_cross_entropy_with_logits(z, y)
            + 0.01 * w.square().sum()
        )

    return loss_of, d


def _torch_iterates(loss_of, d, n_iter, start):
    w = torch.nn.Parameter(torch.as_tensor(start.copy()))
    optimizer = torch.optim.LBFGS(
        [w],
        lr=1,
        max_iter=1,
        max_eval=26,
        history_size=10,
        line_search_fn="strong_wolfe",
    )

    def closure():
        optimizer.zero_grad()
        loss = loss_of(w)
        loss.backward()
        return loss

    iterates = []
    for _ in range(n_iter):
        optimizer.step(closure)
        iterates.append(w.detach().numpy().copy())
    return iterates


def _flat_iterates(loss_of, d, n_iter, start):
    def evaluate(point):
        w = torch.as_tensor(point).requires_grad_()
        loss = loss_of(w)
        loss.backward()
        return float(loss), w.grad.numpy().copy()

    lbfgs = FlatLBFGS()
    x = start.copy()
    loss, grad = evaluate(x)
    iterates = []
    for _ in range(n_iter):
        x, loss, grad = lbfgs.iterate(x, loss, grad, evaluate)
        iterates.append(x.copy())
    return iterates, lbfgs


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_iterates_are_torchs(seed):
    loss_of, d = _problem(seed)
    start = np.random.RandomState(seed).randn(d)
    theirs = _torch_iterates(loss_of, d, 25, start)
    ours, lbfgs = _flat_iterates(loss_of, d, 25, start)
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine, reference, rtol=1e-9, atol=1e-12)
    # Both stop moving at the same iteration, once the directional
    # derivative is below tolerance_change.
    moves = [not np.array_equal(a, b) for a, b in zip([start, *theirs], theirs)]
    assert lbfgs.n_iter == sum(moves) < 25
    assert lbfgs.n_evaluations >= lbfgs.n_iter


def test_it_minimises_a_quadratic_to_its_minimum():
    rng = np.random.RandomState(0)
    A = rng.randn(20, 20)
    hessian = A @ A.T + np.eye(20)
    target = rng.randn(20)

    def evaluate(x):
        diff = x - target
        return 0.5 * diff @ hessian @ diff, hessian @ diff

    lbfgs = FlatLBFGS()
    x = np.zeros(20)
    loss, grad = evaluate(x)
    for _ in range(200):
        x, loss, grad = lbfgs.iterate(x, loss, grad, evaluate)
    # It stops once a step's decrease is below tolerance_change, as torch's.
    assert loss < 1e-8
    np.testing.assert_allclose(x, target, atol=1e-3)


def test_no_step_is_taken_at_a_stationary_point():
    def evaluate(x):
        return float(x @ x), 2 * x

    lbfgs = FlatLBFGS()
    x = np.zeros(3)
    same, loss, grad = lbfgs.iterate(x, 0.0, np.zeros(3), evaluate)
    assert same is x and loss == 0.0 and lbfgs.n_evaluations == 0
