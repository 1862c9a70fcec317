"""Prediction of a plain module: NumPy's evaluation against torch's."""

import numpy as np
import pytest
import torch
from torch import nn

from sklearn_rcloud.init import init_weights, seeded_generator
from sklearn_rcloud.outputs import _CACHE, _predict_proba_torch, predict_proba_module
from sklearn_rcloud.topology import Topology


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
@pytest.mark.parametrize("log", [False, True])
def test_numpy_evaluation_equals_torchs(activation, loss, log):
    topology = Topology(6, (9, 5), 4, activation)
    module = topology.to_module(init_weights(topology, "kaiming", seeded_generator(0)))
    X = np.random.RandomState(0).randn(50, 6).astype(np.float32)
    before = X.copy()
    mine = predict_proba_module(module, X, loss, batch_size=16, log=log)
    torchs = _predict_proba_torch(module, X, loss, 16, log)
    assert mine.dtype == np.float64 and mine.shape == (50, 4)
    np.testing.assert_allclose(mine, torchs, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(X, before)  # the input is not written to


def test_a_module_numpy_cannot_evaluate_goes_to_torch():
    module = nn.Sequential(nn.Linear(3, 4), nn.GELU(), nn.Linear(4, 2))
    X = np.random.RandomState(0).randn(5, 3).astype(np.float32)
    np.testing.assert_allclose(
        predict_proba_module(module, X),
        _predict_proba_torch(module, X, "cross_entropy", 4096, False),
    )


def test_prediction_reads_the_weights_as_they_are_now():
    topology = Topology(3, (4,), 2)
    module = topology.to_module(init_weights(topology, "kaiming", seeded_generator(0)))
    X = np.ones((2, 3), dtype=np.float32)
    with torch.no_grad():
        module[-1].bias.copy_(torch.tensor([0.0, 50.0]))
    assert predict_proba_module(module, X)[:, 1].min() > 0.99


def test_a_replaced_or_converted_parameter_is_read_anew():
    topology = Topology(3, (4,), 2)
    module = topology.to_module(init_weights(topology, "kaiming", seeded_generator(0)))
    X = np.ones((2, 3), dtype=np.float32)
    before = predict_proba_module(module, X)
    module[-1].bias = nn.Parameter(torch.tensor([0.0, 50.0]))
    assert predict_proba_module(module, X)[:, 1].min() > 0.99
    module[-1].bias.data = torch.tensor([50.0, 0.0])  # new memory, same object
    assert predict_proba_module(module, X)[:, 0].min() > 0.99
    module.double()  # every parameter's memory replaced
    with torch.no_grad():
        module[-1].bias.zero_()
        module[-1].weight.zero_()
    np.testing.assert_allclose(predict_proba_module(module, X), 0.5)
    assert not np.allclose(before, 0.5)


def test_a_copied_or_pickled_module_does_not_carry_the_views():
    import copy
    import pickle

    topology = Topology(3, (4,), 2)
    module = topology.to_module(init_weights(topology, "kaiming", seeded_generator(0)))
    X = np.ones((2, 3), dtype=np.float32)
    expected = predict_proba_module(module, X)
    for other in (copy.deepcopy(module), pickle.loads(pickle.dumps(module))):
        # The views read the original's memory: not carried over.
        assert other.__dict__[_CACHE].layers is None
        with torch.no_grad():
            other[-1].bias.copy_(torch.tensor([0.0, 50.0]))
        assert predict_proba_module(other, X)[:, 1].min() > 0.99
        np.testing.assert_array_equal(predict_proba_module(module, X), expected)
