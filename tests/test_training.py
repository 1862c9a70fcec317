import re
import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning
from skorch.dataset import Dataset
from torch import nn

from sklearn_rcloud import DenseMLPClassifier, Topology
from sklearn_rcloud.engine import (
    LBFGS_MAX_SAMPLES,
    SigmoidMSELoss,
    StopOnDivergence,
    TensorBatchIterator,
    TrainingConfig,
    continue_network,
    flushes_denormals,
    flushing_denormals,
    resolve_batch_size,
    resolve_early_stopping,
    resolve_max_iter,
    resolve_solver,
    train_network,
)
from sklearn_rcloud.exceptions import TrainingDivergedError
from sklearn_rcloud.init import init_weights
from sklearn_rcloud.outputs import predict_proba_module


def _weights(topology, seed=0):
    return init_weights(topology, "kaiming", torch.Generator().manual_seed(seed))


def _data(n=60, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.rand(n, 4).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 1).astype(np.int64)
    return X, y


def test_iterator_visits_every_sample_once_per_epoch():
    X = np.arange(10, dtype=np.float32).reshape(10, 1)
    y = np.arange(10)
    generator = torch.Generator().manual_seed(0)
    iterator = TensorBatchIterator(
        Dataset(X, y), batch_size=3, shuffle=True, generator=generator
    )
    batches = list(iterator)
    assert len(iterator) == len(batches) == 4
    seen = torch.cat([yb for _, yb in batches])
    assert sorted(seen.tolist()) == list(range(10))
    assert seen.tolist() != list(range(10))
    torch.testing.assert_close(torch.cat([xb for xb, _ in batches])[:, 0], seen.float())


def test_iterator_shuffle_is_reproducible():
    dataset = Dataset(np.arange(20, dtype=np.float32)[:, None], np.arange(20))

    def order(seed):
        gen = torch.Generator().manual_seed(seed)
        batches = TensorBatchIterator(
            dataset, batch_size=8, shuffle=True, generator=gen
        )
        return torch.cat([y for _, y in batches]).tolist()

    assert order(1) == order(1)
    assert order(1) != order(2)
    assert sorted(order(1)) == list(range(20))


def test_a_single_full_batch_is_not_shuffled():
    # Its loss is the same in any order: the permutation would be wasted work.
    dataset = Dataset(np.arange(20, dtype=np.float32)[:, None], np.arange(20))
    batches = TensorBatchIterator(dataset, batch_size=20, shuffle=True)
    assert next(iter(batches))[1].tolist() == list(range(20))


def test_sigmoid_mse_loss_is_half_squared_error():
    logits = torch.tensor([[0.0, 2.0], [1.0, -1.0]])
    target = torch.tensor([1, 0])
    probabilities = torch.sigmoid(logits)
    expected = (
        0.5
        * (
            (probabilities[0, 0] ** 2 + (probabilities[0, 1] - 1) ** 2)
            + ((probabilities[1, 0] - 1) ** 2 + probabilities[1, 1] ** 2)
        )
        / 2
    )
    torch.testing.assert_close(SigmoidMSELoss()(logits, target), expected)


def test_predict_proba_module_is_the_softmax_of_the_module():
    topology = Topology(4, (3,), 2)
    module = topology.to_module(_weights(topology))
    X, _ = _data(7)
    expected = torch.softmax(module(torch.as_tensor(X)).double(), 1).detach().numpy()
    np.testing.assert_allclose(predict_proba_module(module, X), expected, rtol=1e-5)


def test_predictions_do_not_depend_on_batching():
    topology = Topology(4, (16,), 3)
    module = topology.to_module(_weights(topology))
    X = np.random.RandomState(0).rand(50, 4).astype(np.float32)
    whole = predict_proba_module(module, X)
    rows = np.vstack([predict_proba_module(module, X[i : i + 1]) for i in range(50)])
    # float64 evaluation: batching changes at most the last bits.
    np.testing.assert_allclose(whole, rows, rtol=1e-12, atol=0)


def test_training_learns_and_is_reproducible():
    topology = Topology(4, (8,), 2)
    X, y = _data(200)
    config = TrainingConfig(learning_rate_init=0.05, max_iter=60)
    first, _ = train_network(
        topology.to_module(_weights(topology)), X, y, config, seed=0
    )
    second, _ = train_network(
        topology.to_module(_weights(topology)), X, y, config, seed=0
    )
    accuracy = (predict_proba_module(first.module_, X).argmax(1) == y).mean()
    assert accuracy > 0.9
    for a, b in zip(first.module_.parameters(), second.module_.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_early_stopping_holds_out_validation_data():
    topology = Topology(4, (8,), 2)
    X, y = _data(100)
    config = TrainingConfig(
        early_stopping=True, n_iter_no_change=3, tol=1e-2, max_iter=500
    )
    net, _ = train_network(topology.to_module(_weights(topology)), X, y, config, seed=0)
    assert "valid_loss" in net.history[-1]
    assert len(net.history) < 500


def test_fixed_epochs_without_stopping_rule():
    topology = Topology(4, (2,), 2)
    X, y = _data(30)
    config = TrainingConfig(max_iter=7, n_iter_no_change=None)
    net, _ = train_network(topology.to_module(_weights(topology)), X, y, config, seed=0)
    assert len(net.history) == 7


@pytest.mark.parametrize("fast_step", [True, False])
def test_divergence_stops_training_with_a_clear_error(fast_step):
    topology = Topology(4, (8,), 2)
    X, y = _data(60)
    X = X * 1e18
    config = TrainingConfig(
        solver="sgd",
        learning_rate_init=1e18,
        early_stopping=False,
        max_iter=50,
        n_iter_no_change=None,
        fast_step=fast_step,
    )
    with pytest.raises(TrainingDivergedError, match="train_loss is nan") as caught:
        train_network(topology.to_module(_weights(topology)), X, y, config, seed=0)
    # Stopped as soon as the loss went bad, not after all 50 epochs.
    assert int(re.search(r"epoch (\d+)", str(caught.value)).group(1)) <= 3
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, FloatingPointError)


def test_divergent_estimator_fit_raises_instead_of_predicting_garbage():
    X, y = _data(60)
    clf = DenseMLPClassifier(
        hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=1e18, max_iter=5
    )
    # Inputs of 1e30 overflow the float32 weights after one step, whatever the
    # initialisation (no random_state on purpose: checked over 300 seeds).
    with pytest.raises(ValueError, match="Scale the features"):
        clf.fit(X * 1e30, y)


def test_finite_but_useless_training_warns_instead_of_passing_silently():
    # With inputs of 1e18 some initialisations never reach NaN: the loss stays
    # near 1e17 and the network predicts at chance. Seed 50 is one of those.
    X, y = _data(60)
    clf = DenseMLPClassifier(
        hidden_layer_sizes=(8,),
        solver="sgd",
        learning_rate_init=1e18,
        alpha=0.0,
        early_stopping=False,
        max_iter=5,
        random_state=50,
    )
    with pytest.warns(ConvergenceWarning, match="has not fit the training data"):
        clf.fit(X * 1e18, y)
    assert clf.net_.history[-1, "train_loss"] > 1e6


def test_ordinary_training_does_not_warn_about_a_useless_loss():
    X, y = _data(60)
    clf = DenseMLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "error",
            message=".*has not fit the training data",
            category=ConvergenceWarning,
        )
        clf.fit(X, y)


# ------------------------------------------------------------ the recipe
def test_auto_optimizer_is_lbfgs_on_small_data_and_adam_above():
    assert resolve_solver("auto", LBFGS_MAX_SAMPLES) == "lbfgs"
    assert resolve_solver("auto", LBFGS_MAX_SAMPLES + 1) == "adam"
    assert resolve_solver("sgd", 10) == "sgd"
    # L-BFGS takes every row whatever the batch size asked for.
    assert resolve_batch_size(32, 150, "lbfgs") == 150
    assert resolve_batch_size("auto", 5000, "adam") == 200


def test_auto_early_stopping_only_where_a_validation_split_is_large():
    assert not resolve_early_stopping("auto", LBFGS_MAX_SAMPLES)
    assert resolve_early_stopping("auto", LBFGS_MAX_SAMPLES + 1)
    assert resolve_early_stopping(True, 10)
    assert not resolve_early_stopping(False, 10**6)


def test_auto_epoch_budget_is_also_a_budget_in_steps():
    # One batch per epoch: the floor of optimiser steps decides.
    assert resolve_max_iter("auto", 150, 150, early_stopping=False) == 500
    # Many batches per epoch: 200 epochs are plenty of steps.
    assert resolve_max_iter("auto", 10_000, 200, early_stopping=False) == 200
    # A validation split decides when to stop; the budget only caps it.
    assert resolve_max_iter("auto", 10_000, 200, early_stopping=True) == 1000
    assert resolve_max_iter(7, 150, 150, early_stopping=False) == 7


def test_lbfgs_runs_one_iteration_per_epoch_to_convergence():
    topology = Topology(4, (8,), 2)
    X, y = _data(120)
    config = TrainingConfig(solver="lbfgs")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        net, _ = train_network(topology.to_module(_weights(topology)), X, y, config, 0)
    losses = net.history[:, "train_loss"]
    assert losses[-1] < 0.5 * losses[0]
    assert len(losses) < 500  # the stopping rule ended it, not the budget
    assert (predict_proba_module(net.module_, X).argmax(1) == y).mean() > 0.9


def test_alpha_shrinks_the_weights_and_is_divided_by_the_rows():
    topology = Topology(4, (8,), 2)
    X, y = _data(120)

    def weight_norm(alpha):
        config = TrainingConfig(solver="lbfgs", alpha=alpha, n_iter_no_change=None)
        config.max_iter = 100
        net, _ = train_network(topology.to_module(_weights(topology)), X, y, config, 0)
        assert net.l2 == pytest.approx(alpha / len(X))
        return sum(
            float(m.weight.detach().square().sum())
            for m in net.module_
            if isinstance(m, torch.nn.Linear)
        )

    assert weight_norm(10.0) < weight_norm(1.0) < weight_norm(0.0)


def test_running_out_of_epochs_warns_unless_the_epochs_are_fixed():
    topology = Topology(4, (8,), 2)
    X, y = _data(60)
    with pytest.warns(ConvergenceWarning, match="maximum of 3 iterations"):
        train_network(
            topology.to_module(_weights(topology)),
            X,
            y,
            TrainingConfig(max_iter=3),
            seed=0,
        )
    with warnings.catch_warnings():
        # n_iter_no_change=None asks for exactly max_epochs epochs.
        warnings.simplefilter("error", ConvergenceWarning)
        train_network(
            topology.to_module(_weights(topology)),
            X,
            y,
            TrainingConfig(max_iter=3, n_iter_no_change=None),
            seed=0,
        )


def test_subnormal_flushing_is_restored_after_training():
    assert not flushes_denormals()
    with flushing_denormals():
        if torch.set_flush_denormal(True):  # the CPU supports it
            assert flushes_denormals()
    assert not flushes_denormals()


def test_a_line_search_out_of_range_stops_at_the_last_finite_weights():
    # L-BFGS sets its own steps: a non-finite loss is a line search that left
    # float32's range, and training stops at the weights of the last finite
    # loss instead of failing.
    module = nn.Sequential(nn.Linear(2, 2))

    class Net:
        module_ = module
        history = []

    callback = StopOnDivergence(line_search=True)
    callback.on_train_begin(Net)
    assert not callback.has_finite_
    for epoch, loss in enumerate([0.9, 0.5], start=1):
        callback.on_epoch_begin(Net)
        if epoch == 2:
            finite = {k: v.clone() for k, v in module.state_dict().items()}
        Net.history.append({"epoch": epoch, "train_loss": loss})
        callback.on_epoch_end(Net)
        with torch.no_grad():
            module[0].weight.add_(1.0)
    callback.on_epoch_begin(Net)
    with torch.no_grad():
        module[0].weight.fill_(float("nan"))
    Net.history.append({"epoch": 3, "train_loss": float("nan")})
    with pytest.warns(ConvergenceWarning, match="line search"):
        with pytest.raises(KeyboardInterrupt):
            callback.on_epoch_end(Net)
    assert [e["epoch"] for e in Net.history] == [1, 2]
    torch.testing.assert_close(module.state_dict()["0.weight"], finite["0.weight"])
    # Without a line search the same loss is a divergence.
    Net.history.append({"epoch": 3, "train_loss": float("nan")})
    with pytest.raises(TrainingDivergedError):
        StopOnDivergence().on_epoch_end(Net)


def test_continued_training_keeps_the_solver_the_net_was_built_with():
    # 'auto' picked L-BFGS for 100 rows; 2,500 more rows would make 'auto'
    # pick Adam, but the net's optimiser is L-BFGS, which takes every row.
    rng = np.random.RandomState(0)
    X = rng.rand(2500, 4).astype(np.float32)
    y = (X[:, 0] > 0.5).astype(np.int64)
    topology = Topology(4, (3,), 2)
    net, _ = train_network(
        topology.to_module(_weights(topology)),
        X[:100],
        y[:100],
        TrainingConfig(max_iter=3, n_iter_no_change=None),
        seed=0,
    )
    continue_network(net, X, y)
    assert net.solver_ == "lbfgs"
    assert net.batch_size == len(X)
    assert len(net.history) == 4
