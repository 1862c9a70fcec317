import copy

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils import prune

from sklearn_rcloud import Topology
from sklearn_rcloud.engine import (
    SigmoidMSELoss,
    TrainingConfig,
    make_step,
    train_network,
)
from sklearn_rcloud.init import init_weights


def _module(hidden, activation, seed=0):
    topology = Topology(5, hidden, 3, activation)
    generator = torch.Generator().manual_seed(seed)
    weights = init_weights(topology, "kaiming", generator, dtype=torch.float64)
    return topology.to_module(weights, dtype=torch.float64)


def _batch(n=17, seed=0):
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 5, generator=generator, dtype=torch.float64)
    y = torch.randint(0, 3, (n,), generator=generator)
    return X, y


CRITERIA = {"cross_entropy": nn.CrossEntropyLoss(), "mse": SigmoidMSELoss()}


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
@pytest.mark.parametrize("hidden", [(), (4,), (6, 4), (3, 5, 2)], ids=str)
def test_gradients_equal_autograd(loss, activation, hidden):
    module = _module(hidden, activation)
    X, y = _batch()
    step = make_step(module, loss, "sgd", 0.1)
    fast_losses, fast_grads = step.gradients(X, y)
    reference = CRITERIA[loss](module(X), y)
    reference.backward()
    torch.testing.assert_close(fast_losses.mean(), reference.detach())
    for grad, param in zip(fast_grads, step.params):
        torch.testing.assert_close(grad, param.grad)


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_sample_weighted_gradients_equal_autograd(loss):
    module = _module((6, 4), "relu")
    X, y = _batch()
    weights = torch.linspace(0.0, 2.0, len(y), dtype=torch.float64)
    step = make_step(module, loss, "adam", 0.1)
    fast_losses, fast_grads = step.gradients(X, y, weights)
    criterion = (
        nn.CrossEntropyLoss(reduction="none")
        if loss == "cross_entropy"
        else SigmoidMSELoss(reduction="none")
    )
    reference = (criterion(module(X), y) * weights).mean()
    reference.backward()
    torch.testing.assert_close(fast_losses.mean(), reference.detach())
    for grad, param in zip(fast_grads, step.params):
        torch.testing.assert_close(grad, param.grad)


def _assert_penalised_gradients_equal_autograd(module, loss, l2=0.3):
    X, y = _batch()
    step = make_step(module, loss, "adam", 0.1, l2=l2)
    fast_losses, fast_grads = step.gradients(X, y)
    logits = module(X)  # pruning hooks set the weights this pass uses
    weights = [m.weight for m in module if isinstance(m, nn.Linear)]
    penalty = 0.5 * l2 * sum(w.square().sum() for w in weights)
    reference = CRITERIA[loss](logits, y) + penalty
    reference.backward()
    torch.testing.assert_close(fast_losses.mean(), reference.detach())
    for grad, param in zip(fast_grads, step.params):
        torch.testing.assert_close(grad, param.grad)
    return step, fast_grads


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_l2_penalty_gradients_equal_autograd(loss):
    _assert_penalised_gradients_equal_autograd(_module((6, 4), "tanh"), loss)


_OPTIONS = {
    "adam": {},
    "adam_options": {"betas": (0.8, 0.99), "eps": 1e-6},
    "sgd": {},
    "sgd_momentum": {"momentum": 0.9},
    "sgd_nesterov": {"momentum": 0.9, "nesterov": True},
}


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "foreach"])
@pytest.mark.parametrize("setting", sorted(_OPTIONS))
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_updates_equal_torch_optim(setting, loss, fused):
    optimizer, options = setting.split("_")[0], _OPTIONS[setting]
    module = _module((6, 4), "relu")
    reference = copy.deepcopy(module)
    optim_class = torch.optim.Adam if optimizer == "adam" else torch.optim.SGD
    torch_optimizer = optim_class(reference.parameters(), lr=0.01, **options)
    step = make_step(module, loss, optimizer, 0.01, **options)
    if optimizer == "adam":
        step.update.fused = fused and step.update.fused
    for seed in range(5):
        X, y = _batch(seed=seed)
        step(X, y)
        torch_optimizer.zero_grad()
        CRITERIA[loss](reference(X), y).backward()
        torch_optimizer.step()
    for fast, slow in zip(module.parameters(), reference.parameters()):
        torch.testing.assert_close(fast, slow)


def test_not_applicable_modules_fall_back():
    assert (
        make_step(
            nn.Sequential(nn.Linear(3, 2), nn.GELU(), nn.Linear(2, 2)),
            "cross_entropy",
            "adam",
            0.1,
        )
        is None
    )
    pruned_bias = _module((4,), "relu")
    prune.l1_unstructured(pruned_bias[0], "bias", amount=2)
    assert make_step(pruned_bias, "cross_entropy", "adam", 0.1) is None
    hooked = _module((4,), "relu")
    hooked[1].register_forward_pre_hook(lambda module, inputs: None)
    assert make_step(hooked, "cross_entropy", "adam", 0.1) is None
    assert make_step(_module((4,), "relu"), "hinge", "adam", 0.1) is None


def _pruned_module(hidden=(6, 4), activation="tanh", seed=0):
    """A module whose weights carry torch.nn.utils.prune masks, one per layer."""
    module = _module(hidden, activation, seed)
    linears = [m for m in module if isinstance(m, nn.Linear)]
    prune.global_unstructured(
        [(m, "weight") for m in linears], prune.L1Unstructured, amount=0.4
    )
    return module


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_pruned_gradients_equal_autograd(loss):
    module = _pruned_module()
    step, fast_grads = _assert_penalised_gradients_equal_autograd(module, loss)
    first = module[0]
    assert step.params[0] is first.weight_orig
    assert bool((fast_grads[0][first.weight_mask == 0] == 0).all())


@pytest.mark.parametrize("setting", ["adam", "sgd_momentum"])
def test_pruned_updates_equal_torch_optim_and_pruned_weights_stay_put(setting):
    optimizer, options = setting.split("_")[0], _OPTIONS[setting]
    module, reference = _pruned_module(), _pruned_module()
    optim_class = torch.optim.Adam if optimizer == "adam" else torch.optim.SGD
    torch_optimizer = optim_class(reference.parameters(), lr=0.01, **options)
    step = make_step(module, "cross_entropy", optimizer, 0.01, **options)
    before = module[0].weight_orig.detach().clone()
    for seed in range(5):
        X, y = _batch(seed=seed)
        step(X, y)
        torch_optimizer.zero_grad()
        CRITERIA["cross_entropy"](reference(X), y).backward()
        torch_optimizer.step()
    for fast, slow in zip(module.parameters(), reference.parameters()):
        torch.testing.assert_close(fast, slow)
    pruned = module[0].weight_mask == 0
    torch.testing.assert_close(module[0].weight_orig[pruned], before[pruned])
    module(X)  # the hook recomputes the masked weight
    assert bool((module[0].weight[pruned] == 0).all())


def test_a_cached_step_is_not_reused_once_the_module_is_pruned():
    module = _module((4,), "relu")
    step = make_step(module, "cross_entropy", "adam", 0.1)
    assert step.matches(module)
    prune.l1_unstructured(module[0], "weight", amount=5)
    assert not step.matches(module)
    assert make_step(module, "cross_entropy", "adam", 0.1).matches(module)


@pytest.mark.parametrize(
    "optimizer, alpha", [("adam", 0.0), ("adam", 1.0), ("sgd", 1.0), ("lbfgs", 1.0)]
)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("pruned", [False, True], ids=["plain", "pruned"])
def test_fast_and_autograd_training_agree(optimizer, alpha, weighted, pruned):
    rng = np.random.RandomState(0)
    X = rng.rand(90, 5).astype(np.float32)
    y = (X[:, 0] > 0.5).astype(np.int64) + (X[:, 1] > 0.5)
    rng_weights = rng.choice([0.0, 0.5, 2.0], size=len(y))
    topology = Topology(5, (8,), 3)

    def fit(fast):
        weights = init_weights(topology, "kaiming", torch.Generator().manual_seed(1))
        config = TrainingConfig(
            solver=optimizer,
            learning_rate_init=0.01,
            alpha=alpha,
            batch_size=16,
            early_stopping=False,
            max_iter=15,
            n_iter_no_change=None,
            fast_step=fast,
        )
        sample_weight = rng_weights if weighted else None
        module = topology.to_module(weights)
        if pruned:
            prune.global_unstructured(
                [(module[0], "weight"), (module[2], "weight")],
                prune.L1Unstructured,
                amount=30,
            )
        return train_network(
            module,
            X,
            y,
            config,
            seed=0,
            sample_weight=sample_weight,
        )[0]

    fast, slow = fit(True), fit(False)
    assert (fast.mlp_step_ is not None) and getattr(slow, "mlp_step_", None) is None
    np.testing.assert_allclose(
        fast.history[:, "train_loss"], slow.history[:, "train_loss"], rtol=1e-4
    )
    for a, b in zip(fast.module_.parameters(), slow.module_.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
