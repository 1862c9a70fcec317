import json

import numpy as np
import pytest
import torch
from torch import nn

from sklearn_rcloud import Topology
from sklearn_rcloud.init import init_weights


def _generator(seed=0):
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator


def test_repr_and_sizes():
    topology = Topology(60, (3,), 2, "logistic")
    assert repr(topology) == "Topology(60-3-2, logistic, 191 params)"
    assert topology.layer_sizes == (60, 3, 2)
    assert topology.hidden_layer_sizes == (3,)
    assert topology.depth == 1


@pytest.mark.parametrize(
    "hidden", [(), (1,), (8,), (16, 8), (5, 4, 3)], ids=lambda h: str(h)
)
def test_counts_agree_with_the_module(hidden):
    topology = Topology(7, hidden, 3, "relu")
    module = topology.to_module(init_weights(topology, "kaiming", _generator()))
    assert topology.n_params == sum(p.numel() for p in module.parameters())
    linears = [m for m in module if isinstance(m, nn.Linear)]
    assert topology.n_weights == sum(m.weight.numel() for m in linears)
    expected_flops = sum(2 * m.in_features * m.out_features for m in linears)
    assert topology.n_flops == expected_flops + sum(hidden)
    output = linears[-1]
    assert topology.n_hidden_flops == (
        topology.n_flops - 2 * output.in_features * output.out_features
    )


def test_paper_sonar_reduction():
    # The paper reports 87.2 % fewer parameters for [60, 1, 2] against [60, 8, 2].
    full, found = Topology(60, (8,), 2), Topology(60, (1,), 2)
    assert 1 - found.n_params / full.n_params == pytest.approx(0.872, abs=5e-4)


def test_dict_round_trip_through_json():
    topology = Topology(30, (16, 4), 2, "tanh")
    restored = Topology.from_dict(json.loads(json.dumps(topology.to_dict())))
    assert restored == topology


def test_from_module_reads_the_shape():
    topology = Topology(5, (4, 3), 2, "logistic")
    assert Topology.from_module(topology.to_module()) == topology


def test_module_computes_the_mlp():
    topology = Topology(4, (3,), 2, "tanh")
    weights = init_weights(topology, "uniform", _generator(), dtype=torch.float64)
    module = topology.to_module(weights, dtype=torch.float64)
    X = torch.rand(6, 4, dtype=torch.float64)
    (w1, b1), (w2, b2) = weights
    expected = torch.tanh(X @ w1.T + b1) @ w2.T + b2
    torch.testing.assert_close(module(X), expected)
    assert isinstance(module, nn.Sequential)


def test_to_module_with_weights_leaves_global_rng_alone():
    topology = Topology(4, (3,), 2)
    weights = init_weights(topology, "kaiming", _generator())
    state = torch.get_rng_state()
    topology.to_module(weights)
    assert torch.equal(torch.get_rng_state(), state)


def test_keep_neurons_removes_them_physically():
    topology = Topology(5, (6, 4), 3, "relu")
    weights = init_weights(topology, "kaiming", _generator(), dtype=torch.float64)
    keep = [[0, 2, 5], [1, 3]]
    smaller, sliced = topology.keep_neurons(weights, keep)
    assert smaller.hidden_layer_sizes == (3, 2)
    assert [tuple(w.shape) for w, _ in sliced] == [(3, 5), (2, 3), (3, 2)]
    assert smaller.n_params == sum(w.numel() + b.numel() for w, b in sliced)

    # The compact network equals the full one with the removed neurons zeroed
    # on their way out.
    masked = [(w.clone(), b.clone()) for w, b in weights]
    for layer, kept in enumerate(keep):
        dropped = sorted(set(range(topology.hidden_layer_sizes[layer])) - set(kept))
        masked[layer + 1][0][:, dropped] = 0.0
    X = torch.rand(10, 5, dtype=torch.float64)
    full_out = topology.to_module(masked, dtype=torch.float64)(X)
    compact_out = smaller.to_module(sliced, dtype=torch.float64)(X)
    torch.testing.assert_close(compact_out, full_out)


def test_keep_neurons_follows_the_given_order():
    topology = Topology(2, (3,), 1)
    weights = [
        (
            torch.tensor([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]]),
            torch.tensor([1.0, 2.0, 3.0]),
        ),
        (torch.tensor([[10.0, 20.0, 30.0]]), torch.tensor([0.0])),
    ]
    _, sliced = topology.keep_neurons(weights, [[2, 0]])
    np.testing.assert_array_equal(sliced[0][1].numpy(), [3.0, 1.0])
    np.testing.assert_array_equal(sliced[1][0].numpy(), [[30.0, 10.0]])


def test_truncate_keeps_the_first_neurons():
    topology = Topology(3, (5,), 2)
    weights = init_weights(topology, "uniform", _generator())
    smaller, sliced = topology.truncate(weights, (2,))
    assert smaller.hidden_layer_sizes == (2,)
    torch.testing.assert_close(sliced[0][0], weights[0][0][:2])
    torch.testing.assert_close(sliced[1][0], weights[1][0][:, :2])


@pytest.mark.parametrize(
    "args, message",
    [
        ((0, (3,), 2), "n_features and n_outputs"),
        ((3, (0,), 2), "at least one neuron"),
        ((3, (2,), 2, "swish"), "activation must be one of"),
    ],
)
def test_invalid_topologies(args, message):
    with pytest.raises(ValueError, match=message):
        Topology(*args)


def test_invalid_weights_and_keeps():
    topology = Topology(3, (4,), 2)
    weights = init_weights(topology, "uniform", _generator())
    with pytest.raises(ValueError, match="needs weight"):
        topology.to_module([(w.T, b) for w, b in weights])
    with pytest.raises(ValueError, match="distinct indices"):
        topology.keep_neurons(weights, [[0, 0]])
    with pytest.raises(ValueError, match="empty"):
        topology.keep_neurons(weights, [[]])
    with pytest.raises(ValueError, match="Cannot truncate"):
        topology.truncate(weights, (5,))
