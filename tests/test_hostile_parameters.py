"""Hostile parameter values fail fast, with an error naming the parameter.

Each case of issue 31: malformed NASWOT search spaces (A), a
``candidate_search`` SAEP cannot use (B), an absurd ``n_jobs`` (C), a custom
proxy returning NaN (D), sizes that cannot fit in memory (E) and the
Random Cloud read-out's memory, quadratic in the width (F). Every refusal must
come from the library's own validation, before any heavy work: a
``ValueError``, ``TypeError`` or ``MemoryError`` naming the parameter and its
value, raised within seconds, never a torch traceback, a hang or a silent
truncation. Legitimate settings must keep working.

The memory limit is pinned at 8 GiB here (``limit`` fixture) so that the
huge sizes are refused on any machine.
"""

import re
import sys
import time
import traceback

import numpy as np
import pytest
import torch
from fresh_process import run_fresh
from sklearn.linear_model import LogisticRegression
from small_estimators import make_small

from sklearn_rcloud import (
    DenseMLPClassifier,
    MagnitudePruningClassifier,
    NASWOTSearchClassifier,
    RandomCloudClassifier,
    RandomPruningClassifier,
    RandomSearchSparseClassifier,
    RandomSparseClassifier,
    SAEPEnsembleClassifier,
)
from sklearn_rcloud.proxies import ReadoutProxy, prefix_accuracy
from sklearn_rcloud.search import MLPSearchSpace

#: Seconds a refusal may take: validation only, no search, no training.
FAST = 5.0
HIDDEN_ESTIMATORS = [
    DenseMLPClassifier,
    RandomCloudClassifier,
    MagnitudePruningClassifier,
    RandomPruningClassifier,
    RandomSearchSparseClassifier,
    RandomSparseClassifier,
]


@pytest.fixture(scope="module")
def data():
    X = np.random.RandomState(0).rand(120, 4)
    return X, (3 * X[:, 0]).astype(int)


@pytest.fixture
def limit(monkeypatch):
    """Pin the memory limit at 8 GiB, whatever the machine."""
    try:
        from sklearn_rcloud import _memory
    except ImportError:
        # Without the check these sizes would allocate, or hang, for minutes.
        pytest.fail("sklearn_rcloud checks no size against memory")
    monkeypatch.setattr(_memory, "memory_limit", lambda: 8 * 2**30)


def refused(estimator, data, error, *names):
    """Fit ``estimator``, which must raise ``error`` quickly, from the library,
    with a message naming every one of ``names``; return the message."""
    start = time.perf_counter()
    with pytest.raises(error) as info:
        estimator.fit(*data)
    assert time.perf_counter() - start < FAST
    raiser = traceback.extract_tb(info.value.__traceback__)[-1].filename
    raiser = raiser.replace("\\", "/")
    assert not re.search("/(torch|skorch|joblib)/", raiser), raiser
    message = str(info.value)
    for name in names:
        assert name in message, message
    return message


# ------------------------------------------------- A: NASWOT's search space
@pytest.mark.parametrize(
    "name, value",
    [
        ("depth_range", (1, 2, 3)),
        ("depth_range", ("a", "b")),
        ("depth_range", (1.5, 2.7)),
        ("depth_range", (2.0, 3)),
        ("depth_range", (True, 2)),
        ("depth_range", (0, 2)),
        ("depth_range", (3, 1)),
        ("width_choices", ((4, 8),)),
        ("width_choices", (8.7, 16)),
        ("width_choices", (8.0, 16)),
        ("width_choices", ()),
        ("width_choices", (0, 8)),
        ("width_choices", "ab"),
    ],
    ids=repr,
)
def test_naswot_refuses_a_malformed_search_space(data, name, value):
    search = make_small(NASWOTSearchClassifier, **{name: value})
    message = refused(search, data, (ValueError, TypeError), name)
    assert repr(value) in message


def test_naswot_takes_numpy_integers(data):
    search = make_small(
        NASWOTSearchClassifier,
        depth_range=(np.int64(1), np.uint8(2)),
        width_choices=np.array([4, 8], dtype=np.int32),
        max_iter=3,
        random_state=0,
    ).fit(*data)
    for hidden in search.search_history_["hidden_layer_sizes"]:
        assert 1 <= len(hidden) <= 2
        assert all(type(width) is int and width in (4, 8) for width in hidden)


def test_search_space_keeps_integers_exactly():
    space = MLPSearchSpace((np.int32(1), 3), (16, np.int64(8), 16))
    assert space.depth_range == (1, 3)
    assert space.width_choices == (8, 16)
    with pytest.raises(TypeError, match="width_choices"):
        MLPSearchSpace((1, 2), (8.7, 16))


# ------------------------------------------------ B: SAEP's candidate_search
class _CountingLogistic(LogisticRegression):
    n_fits = 0

    def fit(self, X, y, sample_weight=None):
        type(self).n_fits += 1
        return super().fit(X, y, sample_weight)


@pytest.mark.parametrize(
    "search",
    [_CountingLogistic(), SAEPEnsembleClassifier(n_rounds=1)],
    ids=["logistic", "an_ensemble"],
)
def test_saep_refuses_a_candidate_search_without_a_topology(data, search):
    saep = make_small(SAEPEnsembleClassifier, candidate_search=search, n_rounds=1)
    message = refused(saep, data, (ValueError, TypeError), "candidate_search")
    # Declared as an isinstance constraint: scikit-learn's error names the
    # class a member must be, whose fit sets topology_.
    assert "BaseNetworkClassifier" in message and type(search).__name__ in message
    assert _CountingLogistic.n_fits == 0  # refused before any candidate fits


# ------------------------------------------------------- C: Random Cloud's n_jobs
@pytest.mark.parametrize("n_jobs", [10**6, 1025, 0, -1025, -(10**6)])
def test_random_cloud_refuses_an_absurd_n_jobs(data, n_jobs):
    cloud = make_small(RandomCloudClassifier, n_jobs=n_jobs)
    message = refused(cloud, data, (ValueError, TypeError), "n_jobs")
    assert str(n_jobs) in message


@pytest.mark.parametrize("n_jobs", [None, 1, 2, -1, 64])
def test_random_cloud_takes_a_sensible_n_jobs(data, n_jobs):
    cloud = make_small(RandomCloudClassifier, n_jobs=n_jobs, max_iter=3)
    assert cloud.fit(*data).topology_.depth == 1


# ----------------------------------------------------------- D: NaN proxies
def nan_proxy(module, X, y):
    return float("nan")


def test_random_cloud_says_the_proxy_returned_nan(data):
    cloud = make_small(RandomCloudClassifier, proxy=nan_proxy)
    message = refused(cloud, data, ValueError, "nan_proxy", "non-finite")
    assert "huge magnitude" not in message


def test_a_proxy_returning_no_number_is_named(data):
    cloud = make_small(RandomCloudClassifier, proxy=lambda module, X, y: None)
    refused(cloud, data, TypeError, "proxy", "<lambda>", "None")


def test_naswot_warns_that_the_proxy_returned_nan(data):
    search = make_small(NASWOTSearchClassifier, proxy=nan_proxy, max_iter=3)
    with pytest.warns(UserWarning, match="nan_proxy returned a non-finite"):
        search.fit(*data)


# ------------------------------------------------------ E: sizes and memory
@pytest.mark.parametrize(
    "width", [np.uint64(2**64 - 1), 10**9], ids=["uint64_max", "1e9"]
)
@pytest.mark.parametrize("cls", HIDDEN_ESTIMATORS, ids=lambda c: c.__name__)
def test_a_width_beyond_memory_is_refused(data, limit, cls, width):
    estimator = make_small(cls, hidden_layer_sizes=(width,))
    message = refused(estimator, data, MemoryError, "hidden_layer_sizes", "memory")
    assert str(int(width)) in message


@pytest.mark.parametrize(
    "cls, params, names",
    [
        (RandomCloudClassifier, dict(n_networks=10**9), ["n_networks"]),
        (DenseMLPClassifier, dict(n_init=10**9), ["n_init"]),
        (SAEPEnsembleClassifier, dict(width=10**9), ["width"]),
        (SAEPEnsembleClassifier, dict(n_rounds=10**9), ["n_rounds"]),
        (NASWOTSearchClassifier, dict(n_candidates=10**9), ["n_candidates"]),
        (
            NASWOTSearchClassifier,
            dict(depth_range=(1, 800), width_choices=(2**16,)),
            ["depth_range", "width_choices"],
        ),
        (RandomSearchSparseClassifier, dict(n_candidates=10**9), ["n_candidates"]),
        # The training's copies (gradients, Adam's moments, the best epoch's
        # weights) count: 2.5e9 weights are 10 GB alone, about 50 GB trained.
        (DenseMLPClassifier, dict(hidden_layer_sizes=(50_000, 50_000)), []),
        (DenseMLPClassifier, dict(hidden_layer_sizes=(3000,) * 400), []),
    ],
    ids=[
        "cloud_n_networks",
        "dense_n_init",
        "saep_width",
        "saep_n_rounds",
        "naswot_n_candidates",
        "naswot_depth_range",
        "sparse_n_candidates",
        "dense_two_wide_layers",
        "dense_400_layers",
    ],
)
def test_sizes_beyond_memory_are_refused(data, limit, cls, params, names):
    estimator = make_small(cls, **params)
    message = refused(estimator, data, MemoryError, *names)
    assert re.search(r"\d (GiB|TiB|PiB|EiB) of memory", message), message


@pytest.mark.parametrize(
    "cls, params, names",
    [
        (NASWOTSearchClassifier, dict(depth_range=(1, 10**6)), ["depth_range"]),
        (DenseMLPClassifier, dict(hidden_layer_sizes=(4,) * 1001), []),
        (RandomCloudClassifier, dict(hidden_layer_sizes=(4,) * 5000), []),
    ],
    ids=["naswot_depth_range", "dense", "random_cloud"],
)
def test_networks_deeper_than_the_cap_are_refused(data, cls, params, names):
    # 10**6 layers took 5 GB of module objects in 47 s before failing.
    estimator = make_small(cls, **params)
    message = refused(estimator, data, ValueError, "hidden layers", *names)
    assert "1,000" in message


def test_random_cloud_counts_its_search_records(data, limit):
    # On one feature and two classes the cloud's weights (16 bytes a unit)
    # fit in 8 GiB, its 300 million scores (40 bytes each) do not.
    X, y = data[0][:, :1], data[1] > 0
    cloud = make_small(
        RandomCloudClassifier, hidden_layer_sizes=(1000,), n_networks=300_000
    )
    message = refused(cloud, (X, y), MemoryError, "n_networks", "step")
    assert "candidates per network" in message


def test_a_memory_refusal_is_a_value_error_too(data, limit):
    estimator = make_small(DenseMLPClassifier, hidden_layer_sizes=(10**9,))
    refused(estimator, data, ValueError, "hidden_layer_sizes")


def test_the_memory_limit_is_the_physical_memory(monkeypatch):
    from sklearn_rcloud import _memory

    pages, page_size = 1000, 4096
    monkeypatch.setattr(
        _memory.os,
        "sysconf",
        lambda name: {"SC_PHYS_PAGES": pages, "SC_PAGE_SIZE": page_size}[name],
        raising=False,
    )
    assert _memory.memory_limit() == pages * page_size

    def unknown(name):
        raise ValueError(name)

    monkeypatch.setattr(_memory.os, "sysconf", unknown, raising=False)
    assert _memory.memory_limit() == _memory.FALLBACK_LIMIT


@pytest.mark.parametrize(
    "cls, params",
    [
        (RandomCloudClassifier, dict(hidden_layer_sizes=(100,), n_networks=200)),
        (DenseMLPClassifier, dict(hidden_layer_sizes=(100,), n_init=10)),
        (NASWOTSearchClassifier, dict(n_candidates=100, width_choices=(8, 64))),
        (SAEPEnsembleClassifier, dict(width=64, n_rounds=1)),
    ],
    ids=["cloud", "dense", "naswot", "saep"],
)
def test_legitimate_sizes_still_fit(data, cls, params):
    # The real limit, whatever this machine has.
    fitted = make_small(cls, max_iter=3, random_state=0, **params).fit(*data)
    assert fitted.predict(data[0]).shape == (len(data[0]),)


# --------------------------------------------- F: the read-out's working memory
def _ridge_loo_accuracy(hidden, y, width, alpha):
    """The leave-one-out accuracy of the ridge read-out on the first ``width``
    units, from its hat matrix (numpy, float64): the direct computation."""
    n_samples = len(hidden)
    features = np.hstack([np.ones((n_samples, 1)), hidden[:, :width]])
    targets = np.eye(y.max() + 1)[y]
    penalty = alpha * ((features**2).sum(axis=0) + n_samples)
    gram = features.T @ features + np.diag(penalty)
    hat = features @ np.linalg.solve(gram, features.T)
    leverage = np.diag(hat)[:, None]
    loo = (hat @ targets - leverage * targets) / (1 - leverage)
    return float(np.mean(loo.argmax(axis=1) == y))


@pytest.mark.parametrize("n_samples, n_units", [(20, 45), (30, 300), (12, 12)])
def test_readout_with_fewer_rows_than_units_equals_the_direct_ridge(n_samples, n_units):
    rng = np.random.default_rng(0)
    hidden = np.maximum(rng.normal(size=(2, n_samples, n_units)), 0)
    hidden[1, :, 3] = 0  # a dead unit
    y = np.arange(n_samples) % 3
    rng.shuffle(y)
    proxy = ReadoutProxy(alpha=1e-2)
    widths = np.array([n_units, n_units // 2, 5, 1])
    scores = proxy.score_prefixes(
        torch.as_tensor(hidden),
        torch.zeros(2, 3, n_units, dtype=torch.float64),
        torch.zeros(2, 3, dtype=torch.float64),
        torch.as_tensor(y),
        widths,
    )
    expected = [
        [_ridge_loo_accuracy(hidden[net], y, width, 1e-2) for width in widths]
        for net in range(2)
    ]
    np.testing.assert_allclose(scores.numpy(), expected, atol=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_dual_readout_factor_equals_the_gram_factor(weighted):
    generator = torch.Generator().manual_seed(0)
    hidden = torch.rand(3, 25, 80, generator=generator, dtype=torch.float64)
    targets = torch.nn.functional.one_hot(torch.arange(25) % 4, 4).double()
    root = None
    if weighted:
        root = torch.rand(25, generator=generator, dtype=torch.float64) + 0.1
        hidden, targets = root[None, :, None] * hidden, root[:, None] * targets
    proxy = ReadoutProxy()
    gram = proxy._primal_factor(hidden, targets, root)
    dual = proxy._dual_factor(hidden, targets, root)
    for direct, kernel in zip(gram, dual):
        torch.testing.assert_close(kernel, direct, rtol=1e-9, atol=1e-10)


def test_prefix_accuracy_in_chunks_equals_one_pass(monkeypatch):
    from sklearn_rcloud.proxies import _prefix

    generator = torch.Generator().manual_seed(1)
    features = torch.randn(3, 40, 60, generator=generator, dtype=torch.float64)
    coefs = torch.randn(3, 60, 3, generator=generator, dtype=torch.float64)
    y = torch.randint(0, 3, (40,), generator=generator)
    widths = np.arange(60, 0, -1)
    targets = torch.nn.functional.one_hot(y, 3).double()
    whole = prefix_accuracy(features, coefs, None, y, widths, loo_targets=targets)
    monkeypatch.setattr(_prefix, "_PREFIX_BLOCK_ELEMENTS", 500)
    chunked = prefix_accuracy(features, coefs, None, y, widths, loo_targets=targets)
    torch.testing.assert_close(chunked, whole, rtol=0, atol=0)


@pytest.mark.skipif(sys.platform == "win32", reason="no resource module")
def test_a_wide_cloud_scores_within_its_memory_budget():
    # Before: a float64 (width + 1)^2 matrix per network and a
    # width x width masked stack, 1.8 GB of peak memory at width 2000.
    output = run_fresh(
        "import resource, sys, numpy as np\n"
        "from sklearn_rcloud import RandomCloudClassifier\n"
        "X = np.random.RandomState(0).rand(120, 4)\n"
        "y = (3 * X[:, 0]).astype(int)\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "RandomCloudClassifier(hidden_layer_sizes=(2000,), n_networks=10,\n"
        "    max_iter=3, random_state=0).fit(X, y)\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "kib = 1024 if sys.platform == 'darwin' else 1\n"
        "print((after - before) // kib // 1024)\n"
    )
    grown_mib = int(output.split()[-1])
    assert grown_mib < 400, f"peak memory grew by {grown_mib} MiB"


def test_memory_errors_do_not_name_torch(data, limit):
    estimator = make_small(RandomCloudClassifier, n_networks=10**9)
    message = refused(estimator, data, MemoryError, "n_networks")
    assert not re.search(r"alloc|DefaultCPUAllocator|Tensor", message)
