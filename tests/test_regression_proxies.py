"""The regression proxies against direct NumPy and scikit-learn computations.

For a regression target ``y`` of shape ``(n_samples, n_outputs)`` (a 1-D
target is one column) the forward proxies score the R² (``r2_score``) or the
squared error of the identity output layer, the read-out is the same ridge
fit on continuous targets, and the gradient proxies take the gradients of the
squared error.
"""

import numpy as np
import pytest
import torch
from sklearn.metrics import r2_score
from torch import nn

import sklearn_rcloud.proxies._prefix as prefix_module
from sklearn_rcloud import Topology
from sklearn_rcloud.init import init_weights
from sklearn_rcloud.proxies import (
    PROXIES,
    PROXIES_BY_TASK,
    REGRESSION_PROXIES,
    GradNormProxy,
    RegressionReadoutProxy,
    SNIPProxy,
    StackedNetworks,
    TrainR2Proxy,
    TrainSquaredErrorProxy,
    get_proxy,
    r2_from_squared_errors,
    score_networks,
    select_batch,
    total_sum_of_squares,
)
from sklearn_rcloud.proxies._stack import as_tensors

ALPHA = 1e-3
FORWARD = ["train_r2", "train_loss", "readout", "readout_train"]
# (rows, hidden units): the read-out's primal path (more rows than units + 1)
# and its dual path (fewer rows).
SHAPES = {"primal": (40, 6), "dual": (12, 30)}


def _data(n_samples, n_outputs, weighted, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n_samples, 4))
    y = rng.normal(size=(n_samples, n_outputs))
    if n_outputs == 1:
        y = y[:, 0]  # a 1-D target is one output column
    weights = rng.uniform(0.2, 3.0, size=n_samples) if weighted else None
    if weighted:
        weights[1] = 0.0  # a row of weight zero counts nothing
    return X, y, weights


def _stack(n_features, width, n_outputs, n_networks=3, seed=0, activation="tanh"):
    topology = Topology(n_features, (width,), n_outputs, activation)
    weights = init_weights(
        topology,
        "kaiming",
        torch.Generator().manual_seed(seed),
        n_networks=n_networks,
        dtype=torch.float64,
    )
    return StackedNetworks.from_weights(weights, activation)


def _parts(stack, X):
    """Last hidden activations and output layer of every network, in NumPy."""
    with torch.no_grad():
        _, _, hidden = stack.forward(torch.as_tensor(X, dtype=torch.float64))
    out_weight, out_bias = stack.linears[-1]
    return hidden.numpy(), out_weight.numpy(), out_bias.numpy()


def _truncated(stack, width):
    """The stack with its (single) hidden layer cut to its first ``width`` units."""
    (w1, b1), (w2, b2) = stack.linears
    activation = stack.layers[1]
    return StackedNetworks(
        [(w1[:, :width], b1[:, :width]), activation, (w2[:, :, :width], b2)]
    )


def _columns(y):
    return y[:, None] if y.ndim == 1 else y


def _ridge(H, Y, weights):
    """Direct weighted ridge read-out on ``[1, H]`` with the proxy's penalty.

    Returns the design matrix, the Gram matrix with its per-column penalty
    ``alpha * (sum_i w_i a_ij^2 + sum_i w_i)`` and the right-hand side.
    """
    w = np.ones(len(H)) if weights is None else weights
    A = np.hstack([np.ones((len(H), 1)), H])
    gram = A.T @ (w[:, None] * A)
    penalty = ALPHA * (np.diag(gram) + w.sum())
    return A, gram + np.diag(penalty), A.T @ (w[:, None] * Y)


def _readout_r2(H, y, weights, leave_one_out):
    """R² of the ridge read-out, leaving each row out by an explicit refit."""
    Y = _columns(y)
    w = np.ones(len(H)) if weights is None else weights
    A, gram, rhs = _ridge(H, Y, weights)
    if not leave_one_out:
        predictions = A @ np.linalg.solve(gram, rhs)
    else:
        # Refit without row i, the per-column penalty held at the full data's.
        predictions = np.empty_like(Y)
        for i in range(len(H)):
            a = A[i : i + 1]
            coefs = np.linalg.solve(
                gram - w[i] * a.T @ a, rhs - w[i] * a.T @ Y[i : i + 1]
            )
            predictions[i] = a @ coefs
    return r2_score(Y, predictions, sample_weight=weights)


def _network_r2(H, out_weight, out_bias, y, weights):
    return r2_score(_columns(y), H @ out_weight.T + out_bias, sample_weight=weights)


def _network_loss(H, out_weight, out_bias, y, weights):
    errors = H @ out_weight.T + out_bias - _columns(y)
    return -np.average(0.5 * np.mean(errors**2, axis=1), weights=weights)


def _direct(name, H, out_weight, out_bias, y, weights):
    """The score ``name`` of one network from its hidden activations ``H``."""
    if name == "train_r2":
        return _network_r2(H, out_weight, out_bias, y, weights)
    if name == "train_loss":
        return _network_loss(H, out_weight, out_bias, y, weights)
    return _readout_r2(H, y, weights, leave_one_out=name == "readout")


@pytest.mark.parametrize("name", FORWARD)
@pytest.mark.parametrize("path", sorted(SHAPES))
@pytest.mark.parametrize("n_outputs", [1, 2])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_forward_scores_equal_the_direct_computation(name, path, n_outputs, weighted):
    n_samples, width = SHAPES[path]
    X, y, weights = _data(n_samples, n_outputs, weighted)
    stack = _stack(X.shape[1], width, n_outputs)
    hidden, out_weight, out_bias = _parts(stack, X)
    scorer = get_proxy(name, task="regression")
    widths = np.array([width, width - 1, 3, 1])
    # Each network cut to its first k units, scored directly.
    expected = np.array(
        [
            [_direct(name, H[:, :k], W[:, :k], b, y, weights) for k in widths]
            for H, W, b in zip(hidden, out_weight, out_bias)
        ]
    )
    # Every truncation at once ...
    prefixes = scorer.score_prefixes(
        torch.as_tensor(hidden),
        torch.as_tensor(out_weight),
        torch.as_tensor(out_bias),
        torch.as_tensor(y),
        widths,
        sample_weight=weights,
    )
    np.testing.assert_allclose(prefixes.numpy(), expected, rtol=1e-8, atol=1e-10)
    # ... each truncated stack scored whole ...
    for column, k in enumerate(widths):
        whole = scorer.score_stack(_truncated(stack, k), X, y, sample_weight=weights)
        np.testing.assert_allclose(whole, expected[:, column], rtol=1e-8, atol=1e-10)
    # ... and each network as a plain module.
    for index, module in enumerate(stack.to_modules()):
        score = scorer(module, X, y, sample_weight=weights)
        assert score == pytest.approx(expected[index, 0], rel=1e-8, abs=1e-10)


@pytest.mark.parametrize("name", FORWARD)
@pytest.mark.parametrize("path", sorted(SHAPES))
def test_prefix_chunks_of_widths_and_rows_change_nothing(name, path, monkeypatch):
    n_samples, width = SHAPES[path]
    X, y, weights = _data(n_samples, 2, weighted=True, seed=1)
    stack = _stack(X.shape[1], width, 2, seed=1)
    hidden, out_weight, out_bias = (torch.as_tensor(a) for a in _parts(stack, X))
    scorer = get_proxy(name, task="regression")
    widths = np.arange(width, 0, -1)
    args = (hidden, out_weight, out_bias, torch.as_tensor(y), widths)
    whole = scorer.score_prefixes(*args, sample_weight=weights)
    # A budget of a few elements: one width and a row or two per step.
    monkeypatch.setattr(prefix_module, "_PREFIX_BLOCK_ELEMENTS", 64)
    chunked = scorer.score_prefixes(*args, sample_weight=weights)
    np.testing.assert_allclose(chunked.numpy(), whole.numpy(), rtol=1e-10)


@pytest.mark.parametrize("name", FORWARD)
def test_float32_prefixes_agree_with_float64(name):
    X, y, weights = _data(60, 2, weighted=True, seed=2)
    stack = _stack(X.shape[1], 16, 2, seed=2)
    parts = [torch.as_tensor(a) for a in _parts(stack, X)]
    scorer = get_proxy(name, task="regression")
    widths = np.array([16, 8, 1])
    exact = scorer.score_prefixes(*parts, torch.as_tensor(y), widths, weights)
    single = scorer.score_prefixes(
        *(p.float() for p in parts), torch.as_tensor(y).float(), widths, weights
    )
    assert single.dtype == torch.float64
    np.testing.assert_allclose(single.numpy(), exact.numpy(), rtol=1e-3, atol=1e-4)


def test_sample_weights_only_scale_free_and_zero_weight_rows_drop_out():
    X, y, weights = _data(30, 2, weighted=True, seed=3)
    stack = _stack(X.shape[1], 8, 2, seed=3)
    keep = weights > 0
    for name in FORWARD:
        scorer = get_proxy(name, task="regression")
        scaled = scorer.score_stack(stack, X, y, sample_weight=7.5 * weights)
        plain = scorer.score_stack(stack, X, y, sample_weight=weights)
        dropped = scorer.score_stack(
            stack, X[keep], y[keep], sample_weight=weights[keep]
        )
        np.testing.assert_allclose(scaled, plain, rtol=1e-9)
        # The read-out's penalty floor sums the weights, not the rows: a row of
        # weight zero changes nothing there either.
        np.testing.assert_allclose(dropped, plain, rtol=1e-8)


def test_weights_matter():
    X, y, weights = _data(30, 1, weighted=True, seed=4)
    stack = _stack(X.shape[1], 8, 1, seed=4)
    for name in FORWARD:
        scorer = get_proxy(name, task="regression")
        assert not np.allclose(
            scorer.score_stack(stack, X, y, sample_weight=weights),
            scorer.score_stack(stack, X, y),
        )


def test_score_networks_weighs_the_regression_forward_scores_only():
    X, y, weights = _data(30, 2, weighted=True, seed=5)
    stack = _stack(X.shape[1], 8, 2, seed=5)
    for name in REGRESSION_PROXIES:
        scorer = get_proxy(name, task="regression")
        scores = score_networks(scorer, stack, X, y, sample_weight=weights)
        assert scores.shape == (3,)
        if name in FORWARD:
            np.testing.assert_allclose(
                scores, scorer.score_stack(stack, X, y, sample_weight=weights)
            )


def _autograd(module, X, y):
    """Weights and gradients of ``0.5 * mean over rows and outputs of (f - y)^2``."""
    X = torch.as_tensor(X, dtype=torch.float64)
    target = torch.as_tensor(_columns(y), dtype=torch.float64)
    loss = 0.5 * nn.functional.mse_loss(module(X), target)
    linears = [m for m in module if isinstance(m, nn.Linear)]
    grads = torch.autograd.grad(loss, [m.weight for m in linears])
    return [m.weight.detach() for m in linears], grads


@pytest.mark.parametrize("n_outputs", [1, 2])
def test_snip_and_grad_norm_take_gradients_of_the_squared_error(n_outputs):
    X, y, _ = _data(24, n_outputs, weighted=False, seed=6)
    stack = _stack(X.shape[1], 7, n_outputs, n_networks=2, seed=6)
    snip = get_proxy("snip", task="regression")
    grad_norm = get_proxy("grad_norm", task="regression")
    batched_snip = snip.score_stack(stack, X, y)
    batched_norm = grad_norm.score_stack(stack, X, y)
    for index, module in enumerate(stack.to_modules()):
        weights, grads = _autograd(module, X, y)
        expected_norm = sum(float(g.norm()) for g in grads)
        expected_snip = sum(float((w * g).abs().sum()) for w, g in zip(weights, grads))
        assert grad_norm(module, X, y) == pytest.approx(expected_norm, rel=1e-10)
        assert snip(module, X, y) == pytest.approx(expected_snip, rel=1e-10)
        assert batched_norm[index] == pytest.approx(expected_norm, rel=1e-10)
        assert batched_snip[index] == pytest.approx(expected_snip, rel=1e-10)
        # Not the cross-entropy's gradients: the task decides the loss.
        assert get_proxy("grad_norm")(module, X, np.zeros(24, int)) != pytest.approx(
            expected_norm
        )


def test_gradient_scores_draw_their_batch_from_the_regression_rows():
    rng = np.random.default_rng(7)
    X, y = rng.uniform(size=(300, 4)), rng.normal(size=(300, 2))
    module = _stack(4, 5, 2, n_networks=1, seed=7).to_modules()[0]
    scorer = SNIPProxy(batch_size=32, random_state=3, task="regression")
    rows = np.sort(select_batch(X, 32, 3))
    weights, grads = _autograd(module, X[rows], y[rows])
    expected = sum(float((w * g).abs().sum()) for w, g in zip(weights, grads))
    assert scorer(module, X, y) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("name", ["naswot", "synflow", "jacob_cov"])
def test_label_free_proxies_are_the_same_for_regression(name):
    X, y, _ = _data(24, 2, weighted=False, seed=8)
    stack = _stack(X.shape[1], 30, 2, seed=8)
    regression = get_proxy(name, task="regression", batch_size=16)
    classification = get_proxy(name, batch_size=16)
    assert type(regression) is type(classification)
    np.testing.assert_array_equal(
        regression.score_stack(stack, X, y), classification.score_stack(stack, X)
    )


def _exploding(n_outputs):
    """A network whose activations overflow float64 on inputs of order one."""
    rng = np.random.default_rng(9)
    layers = [
        nn.Linear(4, 5, dtype=torch.float64),
        nn.ReLU(),
        nn.Linear(5, 5, dtype=torch.float64),
        nn.ReLU(),
        nn.Linear(5, n_outputs, dtype=torch.float64),
    ]
    with torch.no_grad():
        for layer in layers[::2]:
            layer.weight.copy_(torch.as_tensor(rng.uniform(1, 2, layer.weight.shape)))
            layer.weight.mul_(1e200)
            layer.bias.zero_()
    return nn.Sequential(*layers)


@pytest.mark.parametrize("name", FORWARD)
def test_overflowing_activations_score_minus_infinity(name):
    X, y, weights = _data(20, 2, weighted=True, seed=9)
    X = np.abs(X) + 0.5
    module = _exploding(2)
    scorer = get_proxy(name, task="regression")
    assert scorer(module, X, y) == -np.inf
    assert scorer(module, X, y, sample_weight=weights) == -np.inf
    stack = StackedNetworks.from_module(module)
    with torch.no_grad():
        _, _, hidden = stack.forward(torch.as_tensor(X))
        weight, bias = stack.linears[-1]
        prefixes = scorer.score_prefixes(
            hidden, weight, bias, torch.as_tensor(y), np.array([5, 2])
        )
    assert (prefixes.numpy() == -np.inf).all()


@pytest.mark.parametrize("weighted", [False, True])
def test_r2_follows_r2_score_on_constant_target_columns(weighted):
    rng = np.random.default_rng(10)
    y = np.column_stack([rng.normal(size=8), np.full(8, 0.5), np.full(8, 0.5)])
    weights = rng.uniform(0.5, 2, size=8) if weighted else None
    predictions = np.column_stack(
        [rng.normal(size=8), np.full(8, 0.5), rng.normal(size=8)]
    )
    sse = torch.as_tensor(
        np.average((predictions - y) ** 2, axis=0, weights=weights) * 8
        if weights is None
        else ((predictions - y) ** 2 * weights[:, None]).sum(axis=0)
    )
    sst = total_sum_of_squares(torch.as_tensor(y), weights)
    assert sst[1] == 0 and sst[2] == 0
    for columns in ([0, 1], [0, 2], [1], [2], [0, 1, 2]):
        expected = r2_score(
            y[:, columns], predictions[:, columns], sample_weight=weights
        )
        r2 = r2_from_squared_errors(sse[columns], sst[columns])
        assert float(r2) == pytest.approx(expected, rel=1e-12)


def test_chance_levels_and_faces():
    y = np.random.default_rng(11).normal(size=(10, 2))
    for name, cls in [
        ("train_r2", TrainR2Proxy),
        ("readout", RegressionReadoutProxy),
        ("readout_train", RegressionReadoutProxy),
    ]:
        scorer = get_proxy(name, task="regression")
        assert type(scorer) is cls
        assert scorer.chance_level(y) == 0.0
        assert scorer.chance_level(y, np.ones(10)) == 0.0
    for name in FORWARD:
        scorer = get_proxy(name, task="regression")
        assert scorer.supports_sample_weight
        assert hasattr(scorer, "score_prefixes")
    loss = get_proxy("train_loss", task="regression")
    assert type(loss) is TrainSquaredErrorProxy
    assert loss.name == "train_loss"
    # Like its classification twin it has no chance level (threshold -inf).
    assert not hasattr(loss, "chance_level")
    assert repr(loss) == "TrainSquaredErrorProxy()"
    assert get_proxy("train_r2", task="regression").name == "train_r2"
    assert repr(get_proxy("readout_train", task="regression")) == (
        "RegressionReadoutProxy(alpha=0.001, leave_one_out=False)"
    )
    assert get_proxy("readout", task="regression").memory_factor == (
        get_proxy("readout").memory_factor
    )
    assert repr(get_proxy("grad_norm", task="regression", random_state=2)) == (
        "GradNormProxy(batch_size=128, random_state=2, task='regression')"
    )
    assert get_proxy("grad_norm").task == "classification"


def test_refusals_name_the_proxy_and_its_counterpart():
    with pytest.raises(ValueError, match="'train_accuracy'.*regression.*'train_r2'"):
        get_proxy("train_accuracy", task="regression")
    with pytest.raises(ValueError, match="'train_r2'.*classification.*'train_acc"):
        get_proxy("train_r2")
    with pytest.raises(ValueError, match="'train_r2'.*'train_accuracy'"):
        get_proxy("train_r2", task="classification")
    with pytest.raises(ValueError, match="Unknown task 'regresion'"):
        get_proxy("readout", task="regresion")
    with pytest.raises(ValueError, match="Unknown task"):
        get_proxy("readout", task=None)
    with pytest.raises(ValueError, match="Unknown proxy 'magic'"):
        get_proxy("magic", task="regression")
    with pytest.raises(ValueError, match="Unknown task"):
        SNIPProxy(task="ranking")

    def custom(module, X, y):
        return 0.0

    assert get_proxy(custom, task="regression") is custom
    assert get_proxy(custom, task="classification") is custom


def test_the_classification_registry_is_unchanged():
    assert PROXIES is PROXIES_BY_TASK["classification"]
    assert "train_r2" not in PROXIES and "train_accuracy" not in REGRESSION_PROXIES
    assert set(REGRESSION_PROXIES) == set(PROXIES) - {"train_accuracy"} | {"train_r2"}
    for name in PROXIES:
        default, explicit = get_proxy(name), get_proxy(name, task="classification")
        assert type(default) is type(explicit)
        assert repr(default) == repr(explicit)


def test_classification_scores_do_not_depend_on_the_new_keyword():
    rng = np.random.default_rng(12)
    X, y = rng.uniform(-1, 1, size=(24, 5)), rng.integers(0, 3, size=24)
    stack = _stack(5, 6, 3, seed=12, activation="relu")
    for name in PROXIES:
        default = get_proxy(name).score_stack(stack, X, y)
        explicit = get_proxy(name, task="classification").score_stack(stack, X, y)
        np.testing.assert_array_equal(default, explicit)


def test_targets_stay_float_and_shapes_are_checked():
    like = torch.zeros(1, dtype=torch.float32)
    X = np.zeros((5, 3))
    _, y = as_tensors(X, np.linspace(0, 1, 5), like, task="regression")
    assert y.dtype == torch.float32 and y.shape == (5, 1)
    assert torch.allclose(y[:, 0], torch.linspace(0, 1, 5))
    _, y = as_tensors(X, np.ones((5, 2)), like, task="regression")
    assert y.shape == (5, 2)
    _, labels = as_tensors(X, np.arange(5), like)
    assert labels.dtype == torch.long and labels.shape == (5,)
    with pytest.raises(ValueError, match="n_outputs"):
        as_tensors(X, np.ones((5, 2, 1)), like, task="regression")
    with pytest.raises(ValueError, match="different numbers of samples"):
        as_tensors(X, np.ones((4, 2)), like, task="regression")
    module = _stack(3, 4, 2, n_networks=1).to_modules()[0]
    for name in ["train_r2", "train_loss", "snip", "grad_norm"]:
        with pytest.raises(ValueError, match="2 outputs but y has 3 columns"):
            get_proxy(name, task="regression")(module, X, np.ones((5, 3)))
    with pytest.raises(ValueError, match="needs the targets y"):
        GradNormProxy(task="regression")(module, X)
