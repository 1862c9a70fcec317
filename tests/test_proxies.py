"""The training-free scores against direct, unvectorised computations."""

import functools
import itertools

import numpy as np
import pytest
import torch
from sklearn.datasets import load_wine
from sklearn.preprocessing import MinMaxScaler
from torch import nn

from sklearn_rcloud import (
    NASWOTSearchClassifier,
    RandomCloudClassifier,
    RandomSearchSparseClassifier,
    Topology,
)
from sklearn_rcloud.init import init_weights
from sklearn_rcloud.proxies import (
    PROXIES,
    NASWOTProxy,
    SingularKernelWarning,
    StackedNetworks,
    get_proxy,
    grad_norm_score,
    jacob_cov_score,
    naswot_score,
    select_batch,
    snip_score,
    synflow_score,
)


def _module(weights, activation=nn.ReLU):
    """A Sequential with the given ``(weight, bias)`` lists, ``activation`` between."""
    layers = []
    for index, (weight, bias) in enumerate(weights):
        weight = torch.as_tensor(weight, dtype=torch.float64)
        linear = nn.Linear(weight.shape[1], weight.shape[0], dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(weight)
            linear.bias.copy_(torch.as_tensor(bias, dtype=torch.float64))
        if index:
            layers.append(activation())
        layers.append(linear)
    return nn.Sequential(*layers)


def _random_module(hidden, n_features=5, n_outputs=3, activation="relu", seed=0):
    topology = Topology(n_features, hidden, n_outputs, activation)
    generator = torch.Generator().manual_seed(seed)
    weights = init_weights(topology, "kaiming", generator, dtype=torch.float64)
    return topology.to_module(weights, dtype=torch.float64)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(24, 5))
    y = rng.integers(0, 3, size=24)
    return X, y


def _direct_naswot(module, X):
    """Pairwise Hamming distances of the codes of every hidden Linear's output."""
    outputs = []
    hooks = [
        layer.register_forward_hook(lambda m, i, o: outputs.append(o.detach().numpy()))
        for layer in list(module)[:-1]
        if isinstance(layer, nn.Linear)
    ]
    with torch.no_grad():
        module(torch.as_tensor(X, dtype=torch.float64))
    for hook in hooks:
        hook.remove()
    codes = np.concatenate([o > 0 for o in outputs], axis=1)
    n_units = codes.shape[1]
    kernel = np.empty((len(X), len(X)))
    for i, j in itertools.product(range(len(X)), repeat=2):
        hamming = sum(int(a != b) for a, b in zip(codes[i], codes[j]))
        kernel[i, j] = n_units - hamming
    return np.linalg.slogdet(kernel)[1]


@pytest.mark.parametrize("activation", [nn.ReLU, nn.Tanh, nn.Sigmoid])
def test_naswot_equals_the_direct_computation_on_a_hand_built_network(activation):
    # Two hidden layers (16 and 12 units) on 6 distinct inputs: a regular kernel.
    module, X = _hand_built(seed=0, activation=activation)
    expected = _direct_naswot(module, X)
    assert np.isfinite(expected)
    assert naswot_score(module, X) == pytest.approx(expected, rel=1e-12)


def _hand_built(seed, activation):
    rng = np.random.default_rng(seed)
    weights = [
        (rng.normal(size=(16, 3)), rng.normal(size=16)),
        (rng.normal(size=(12, 16)), rng.normal(size=12)),
        (rng.normal(size=(2, 12)), rng.normal(size=2)),
    ]
    return _module(weights, activation), rng.normal(size=(6, 3))


def test_a_kernel_the_direct_computation_finds_singular_is_flagged():
    module, X = _hand_built(seed=1, activation=nn.ReLU)
    assert _direct_naswot(module, X) == -np.inf
    _, singular = NASWOTProxy().evaluate(StackedNetworks.from_module(module), X)
    assert singular.tolist() == [True]


def test_naswot_kernel_counts_agreements_by_hand():
    # One hidden layer of 2 units: w1 = x, w2 = -x + 0.5 on scalar inputs.
    module = _module([([[1.0], [-1.0]], [0.0, 0.5]), ([[1.0, 1.0]], [0.0])])
    X = np.array([[1.0], [-1.0], [0.25]])
    # Codes: x=1 -> (1, 0); x=-1 -> (0, 1); x=0.25 -> (1, 1).
    kernel = np.array([[2, 0, 1], [0, 2, 1], [1, 1, 2]], dtype=float)
    expected = np.log(np.linalg.det(kernel))
    assert naswot_score(module, X) == pytest.approx(expected)


def test_naswot_skips_duplicate_rows_and_caps_the_batch(data):
    X, _ = data
    module = _random_module((32, 16))
    doubled = np.concatenate([X, X[::-1]])
    assert len(select_batch(doubled, 128)) == len(X)
    assert len(select_batch(X, 10)) == 10
    assert naswot_score(module, doubled) == pytest.approx(naswot_score(module, X))


def test_singular_kernels_are_regularised_and_flagged(data):
    X, _ = data
    narrow = _random_module((2,))  # rank of K_H <= 3 < 24 inputs
    with pytest.warns(SingularKernelWarning):
        score = naswot_score(narrow, X)
    assert np.isfinite(score)
    stack = StackedNetworks.from_module(narrow)
    scores, singular = NASWOTProxy().evaluate(stack, X)
    assert singular.tolist() == [True]
    assert scores[0] == pytest.approx(score)


@pytest.mark.filterwarnings("ignore::sklearn_rcloud.proxies.SingularKernelWarning")
def test_naswot_batch_follows_random_state():
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(400, 5))
    module = _random_module((64, 64))
    same = naswot_score(module, X, random_state=3)
    assert naswot_score(module, X, random_state=3) == same
    assert naswot_score(module, X, random_state=4) != same


def test_unknown_proxy_names_are_rejected():
    with pytest.raises(ValueError, match="Unknown proxy 'magic'"):
        get_proxy("magic")
    with pytest.raises(TypeError, match="string or a callable"):
        get_proxy(3)


def test_get_proxy_passes_each_option_to_the_proxies_that_take_it():
    naswot = get_proxy("naswot", batch_size=32, random_state=7)
    assert (naswot.batch_size, naswot.random_state) == (32, 7)
    snip = get_proxy("snip", random_state=5)
    assert (snip.batch_size, snip.random_state) == (128, 5)
    # The forward proxies score every row: nothing to seed, no error.
    assert repr(get_proxy("train_accuracy", random_state=3)) == "TrainAccuracyProxy()"

    def custom(module, X, y):
        return 0.0

    assert get_proxy(custom, random_state=3) is custom


@pytest.mark.parametrize(
    "estimator",
    [
        RandomCloudClassifier(hidden_layer_sizes=(8,), n_networks=3, max_iter=3),
        NASWOTSearchClassifier(n_candidates=4, max_iter=3),
        RandomSearchSparseClassifier(
            hidden_layer_sizes=(8,), n_candidates=4, max_iter=3
        ),
    ],
    ids=lambda estimator: type(estimator).__name__,
)
def test_the_estimators_random_state_draws_the_proxys_batch(estimator, monkeypatch):
    # More rows than the scoring batch: which rows are scored depends on the
    # seed the proxy receives, which must come from the estimator's
    # random_state (it was always 0).
    seeds = []
    original = NASWOTProxy.__init__

    @functools.wraps(original)
    def recording(self, *args, **kwargs):
        original(self, *args, **kwargs)
        seeds.append(self.random_state)

    monkeypatch.setattr(NASWOTProxy, "__init__", recording)
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(300, 4))
    y = (X[:, 0] > 0.5).astype(int)
    for random_state in (0, 0, 1):
        estimator.set_params(proxy="naswot", random_state=random_state).fit(X, y)
    assert seeds[0] == seeds[1] != seeds[2]


def _batch_loss_gradients(module, X, y):
    X = torch.as_tensor(X, dtype=torch.float64)
    loss = nn.functional.cross_entropy(module(X), torch.as_tensor(y))
    linears = [m for m in module if isinstance(m, nn.Linear)]
    grads = torch.autograd.grad(loss, [m.weight for m in linears])
    return [m.weight.detach() for m in linears], grads


def test_grad_norm_and_snip_equal_autograd_on_the_module(data):
    X, y = data
    module = _random_module((7, 4))
    weights, grads = _batch_loss_gradients(module, X, y)
    expected_norm = sum(float(g.norm()) for g in grads)
    expected_snip = sum(float((w * g).abs().sum()) for w, g in zip(weights, grads))
    assert grad_norm_score(module, X, y) == pytest.approx(expected_norm, rel=1e-10)
    assert snip_score(module, X, y) == pytest.approx(expected_snip, rel=1e-10)


def test_train_loss_is_minus_the_cross_entropy_of_the_module(data):
    X, y = data
    module = _random_module((7, 4))
    with torch.no_grad():
        logits = module(torch.as_tensor(X, dtype=torch.float64))
    expected = -float(nn.functional.cross_entropy(logits, torch.as_tensor(y)))
    assert get_proxy("train_loss")(module, X, y) == pytest.approx(expected)


def test_synflow_equals_the_absolute_weight_flow(data):
    X, _ = data
    module = _random_module((6, 5), activation="tanh")
    positive = _random_module((6, 5), activation="tanh")
    with torch.no_grad():
        for p in positive.parameters():
            p.abs_()
    output = positive(torch.ones(1, X.shape[1], dtype=torch.float64)).sum()
    linears = [m for m in positive if isinstance(m, nn.Linear)]
    grads = torch.autograd.grad(output, [m.weight for m in linears])
    expected = sum(
        float((m.weight * g).abs().sum().detach()) for m, g in zip(linears, grads)
    )
    assert synflow_score(module, X) == pytest.approx(expected, rel=1e-10)


def test_jacob_cov_equals_per_sample_jacobians(data):
    X, _ = data
    X = X[:4, :]  # 4 inputs, 5 features: the correlation matrix is regular
    module = _random_module((9,), activation="tanh")
    rows = []
    for x in torch.as_tensor(X, dtype=torch.float64):
        x = x.clone().requires_grad_()
        (grad,) = torch.autograd.grad(module(x[None]).sum(), x)
        rows.append(grad.numpy())
    eigenvalues = np.linalg.eigvalsh(np.corrcoef(np.array(rows)))
    expected = -np.sum(np.log(eigenvalues + 1e-5) + 1 / (eigenvalues + 1e-5))
    assert jacob_cov_score(module, X) == pytest.approx(expected, rel=1e-8)


def test_jacob_cov_of_a_dead_network_is_minus_infinity(data):
    X, _ = data
    dead = _module([(np.zeros((3, 5)), -np.ones(3)), (np.ones((2, 3)), np.zeros(2))])
    assert jacob_cov_score(dead, X) == -np.inf


@pytest.mark.parametrize("name", sorted(PROXIES))
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_stack_scores_equal_one_module_at_a_time(data, name, activation):
    X, y = data
    topology = Topology(X.shape[1], (6, 4), 3, activation)
    weights = init_weights(
        topology, "kaiming", torch.Generator().manual_seed(2), n_networks=5
    )
    stack = StackedNetworks.from_weights(weights, activation)
    scorer = get_proxy(name)
    X32, y64 = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y)
    batched = scorer.score_stack(stack, X32, y64)
    one_by_one = [scorer(module, X32, y64) for module in stack.to_modules()]
    assert batched.shape == (5,)
    np.testing.assert_allclose(batched, one_by_one, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(PROXIES))
def test_scoring_leaves_module_and_global_rng_untouched(data, name):
    X, y = data
    module = _random_module((6,))
    before = [p.detach().clone() for p in module.parameters()]
    rng_state = torch.random.get_rng_state()
    get_proxy(name)(module, X, y)
    assert torch.equal(torch.random.get_rng_state(), rng_state)
    for old, new in zip(before, module.parameters()):
        assert torch.equal(old, new.detach())
        assert new.grad is None


@pytest.mark.filterwarnings("ignore::sklearn_rcloud.proxies.SingularKernelWarning")
def test_tensors_are_scored_in_place_and_bad_input_is_named(data):
    X, y = data
    module = _random_module((6,))
    as_array = naswot_score(module, X)
    assert naswot_score(module, torch.as_tensor(X)) == pytest.approx(as_array)
    with pytest.raises(ValueError, match="2-dimensional"):
        naswot_score(module, X[0])
    with pytest.raises(ValueError, match="different numbers of samples"):
        snip_score(module, X, y[:-1])
    with pytest.raises(ValueError, match="needs the class labels"):
        grad_norm_score(module, X)
    with pytest.raises(TypeError, match="Sequential"):
        naswot_score(nn.Linear(5, 3), X)


@pytest.mark.parametrize(
    "name", ["naswot", "synflow", "snip", "grad_norm", "jacob_cov", "train_loss"]
)
def test_random_cloud_searches_with_every_proxy(name):
    X, y = load_wine(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    clf = RandomCloudClassifier(
        hidden_layer_sizes=(6,),
        n_networks=4,
        proxy=name,
        max_iter=5,
        random_state=0,
    ).fit(X, y)
    # Each network visits 6 truncations; every score was computed.
    assert len(clf.search_history_["score"]) == 24
    assert np.isfinite(clf.search_score_)
    again = clone_fit = RandomCloudClassifier(**clf.get_params()).fit(X, y)
    assert clone_fit.topology_ == clf.topology_
    np.testing.assert_array_equal(again.predict(X), clf.predict(X))
