"""The training data becomes a tensor once per fit and stays where it is.

Every epoch iterates over a batch iterator (skorch's); these tests record
the storage each epoch's pass reads. One storage for all of a fit's
epochs means no epoch copied the data; a tensor on the training device means
no batch crosses from the host. The CPU checks run everywhere; the CUDA one
where a GPU is.
"""

import functools

import numpy as np
import pytest
import torch
from sklearn.base import clone
from small_estimators import SINGLE_NETWORK, SINGLE_NETWORK_IDS, make_small

from sklearn_rcloud import (
    DenseMLPClassifier,
    MagnitudePruningClassifier,
    RandomCloudClassifier,
)
from sklearn_rcloud.engine import TensorBatchIterator
from sklearn_rcloud.estimators import _random_cloud


def _storage(tensor):
    return tensor.untyped_storage().data_ptr()


@pytest.fixture
def iterators(monkeypatch):
    """``(is_tensor, device type, storage)`` of the data of every epoch's pass."""
    seen = []
    original = TensorBatchIterator.__iter__

    @functools.wraps(original)
    def recording(self):
        seen.append((self.data_is_tensor, self.X.device.type, _storage(self.X)))
        return original(self)

    original_init = TensorBatchIterator.__init__

    @functools.wraps(original_init)
    def noting_the_type(self, dataset, *args, **kwargs):
        original_init(self, dataset, *args, **kwargs)
        X = dataset.X["X"] if isinstance(dataset.X, dict) else dataset.X
        self.data_is_tensor = torch.is_tensor(X)

    monkeypatch.setattr(TensorBatchIterator, "__iter__", recording)
    monkeypatch.setattr(TensorBatchIterator, "__init__", noting_the_type)
    return seen


def _data(n_samples=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, 4)).astype(np.float32)
    return X, (X[:, 0] + X[:, 1] > 0).astype(np.int64)


def _fixed_epochs(max_iter, **params):
    """A small dense network trained exactly ``max_iter`` epochs of Adam."""
    return DenseMLPClassifier(
        hidden_layer_sizes=(4,),
        solver="adam",
        max_iter=max_iter,
        n_iter_no_change=None,
        random_state=0,
        **params,
    )


def test_every_epoch_reads_the_tensor_the_fit_made(iterators):
    _fixed_epochs(6, early_stopping=False, batch_size=32).fit(*_data())
    assert len(iterators) == 6
    assert all(is_tensor for is_tensor, *_ in iterators)
    assert len({storage for *_, storage in iterators}) == 1


def test_a_validation_split_is_made_once_not_per_epoch(iterators):
    _fixed_epochs(5, early_stopping=True).fit(*_data())
    # Five epochs, each with a training and a validation pass: two storages.
    assert len(iterators) >= 10
    assert all(is_tensor for is_tensor, *_ in iterators)
    assert len({storage for *_, storage in iterators}) == 2


def test_search_and_training_read_one_conversion(iterators, monkeypatch):
    searched = []
    original = _random_cloud.progressive_reduction

    def recording(cloud, X, *args, **kwargs):
        searched.append(_storage(X))
        return original(cloud, X, *args, **kwargs)

    monkeypatch.setattr(_random_cloud, "progressive_reduction", recording)
    X, y = _data()
    make_small(RandomCloudClassifier, early_stopping=False, random_state=0).fit(X, y)
    assert all(is_tensor for is_tensor, *_ in iterators)
    assert {storage for *_, storage in iterators} == set(searched)


def test_pruning_trains_every_phase_on_one_conversion(iterators):
    X, y = _data()
    make_small(
        MagnitudePruningClassifier,
        early_stopping=False,
        schedule="iterative",
        n_rounds=2,
        random_state=0,
    ).fit(X, y)
    # Pretraining and two rounds of fine-tuning.
    assert len(iterators) > 3
    assert all(is_tensor for is_tensor, *_ in iterators)
    assert len({storage for *_, storage in iterators}) == 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("estimator", SINGLE_NETWORK, ids=SINGLE_NETWORK_IDS)
def test_on_cuda_every_epoch_reads_data_already_on_the_device(estimator, iterators):
    X, y = _data(400)
    clone(estimator).set_params(device="cuda", random_state=0).fit(X, y)
    assert iterators
    assert all(device == "cuda" for _, device, _ in iterators)
    # At most the training rows, the validation rows and (for AREA) the
    # fitness rows: a handful of conversions, however many epochs.
    assert len({storage for *_, storage in iterators}) <= 3 < len(iterators)
