"""Sparse sub-networks of a dense parent: random search over node masks."""

from __future__ import annotations

import time
from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval

from .._memory import (
    RECORD_BYTES,
    check_memory,
    setting,
)
from ..engine import resolve_device, to_device
from ..proxies import get_proxy
from ..recipe import Parameter
from ..search import nodes_kept, random_node_search
from ._base import (
    BaseNetworkClassifier,
    BaseNetworkRegressor,
    check_hidden_layer_sizes,
)
from ._parameters import (
    HIDDEN_LAYER_SIZES,
    N_CANDIDATES,
    PROXY,
    TRAINING_PARAMETERS,
    for_regression,
)

__all__ = [
    "RandomSearchSparseClassifier",
    "RandomSearchSparseRegressor",
    "RandomSparseClassifier",
    "RandomSparseRegressor",
]


class _SparseSubnetwork:
    """Node masks of a dense parent, scored and trained: the machinery the
    classifiers and the regressors share."""

    def _search_settings(self):
        """``(n_candidates, proxy or None)``; None means the masks are not scored."""
        raise NotImplementedError

    def _fit(self, X, y, sample_weight, progress):
        self._check_memory(X)
        parent_seed, mask_seed, train_seed, proxy_seed = self._random_seeds(4)
        device = resolve_device(self.device)
        # One conversion per fit: the search and the training read these.
        X_device, y_device = to_device(X, y, device)
        parent = self._full_topology(X.shape[1])
        self.initial_topology_ = parent
        n_kept = nodes_kept(parent.hidden_layer_sizes, self.sparsity)
        n_candidates, proxy = self._search_settings()
        search_start = time.perf_counter()
        with progress.task("search", 1) as search:
            cloud = self._random_cloud(parent, 1, parent_seed, device)
            result = random_node_search(
                cloud,
                n_kept,
                n_candidates,
                None
                if proxy is None
                else get_proxy(proxy, task=self._task, random_state=proxy_seed),
                X_device,
                y_device,
                mask_seed,
                sample_weight=sample_weight,
            )
            progress.step(search, "score", 1)
        selected = result.best()
        self.candidate_scores_ = result.scores
        self.selected_candidate_ = selected
        self.search_score_ = float(result.scores[selected])
        self.kept_nodes_ = result.mask(selected)
        self.search_history_ = {
            "candidate": np.arange(n_candidates, dtype=np.int64),
            "n_params": np.full(
                n_candidates, parent.with_hidden(n_kept).n_params, dtype=np.int64
            ),
            "score": result.scores.copy(),
            "singular": result.singular.copy(),
        }
        self.search_time_ = time.perf_counter() - search_start

        full = [(w[0].cpu().float(), b[0].cpu().float()) for w, b in cloud.weights]
        topology, weights = parent.keep_neurons(full, self.kept_nodes_)
        self._train(
            topology, weights, X_device, y_device, train_seed, sample_weight, progress
        )
        self.node_sparsity_ = 1.0 - sum(n_kept) / sum(parent.hidden_layer_sizes)
        self.weight_sparsity_ = 1.0 - topology.n_weights / parent.n_weights

    def _check_memory(self, X):
        """Refuse a parent, or node masks, that cannot fit in memory."""
        hidden = check_hidden_layer_sizes(self.hidden_layer_sizes)
        self._check_network_memory(X, ("hidden_layer_sizes",), hidden)
        n_candidates, _ = self._search_settings()
        if "n_candidates" in self.get_params():
            # Every mask's kept node indices (int64) are drawn up front.
            per_mask = 8 * sum(nodes_kept(hidden, self.sparsity)) + RECORD_BYTES
            check_memory(
                n_candidates * per_mask,
                setting(self, ("n_candidates", "hidden_layer_sizes")),
                f"{n_candidates} node masks and their records",
            )


class BaseSparseSubnetworkClassifier(_SparseSubnetwork, BaseNetworkClassifier):
    """Base class of the node-mask sub-network classifiers.

    Warning: this class should not be used directly. Use derived classes
    instead.
    """


class BaseSparseSubnetworkRegressor(_SparseSubnetwork, BaseNetworkRegressor):
    """Base class of the node-mask sub-network regressors.

    Warning: this class should not be used directly. Use derived classes
    instead.
    """


_HIDDEN = HIDDEN_LAYER_SIZES.replace(
    default=(128, 128), doc="Hidden widths of the dense, over-parameterised parent."
)
_SPARSITY = Parameter(
    "sparsity",
    0.75,
    (Interval(Real, 0, 1, closed="left"),),
    "float in [0, 1)",
    "Fraction of every hidden layer's nodes removed: a layer of width ``H`` "
    "keeps ``H - round(sparsity * H)`` nodes, at least one. ``sparsity=0`` "
    "trains the parent itself.",
)

_SHARED_DOC = """
    {{parameters}}

    {{network_attributes}}
    node_sparsity_ : float
        Fraction of the parent's hidden nodes removed.
    weight_sparsity_ : float
        Fraction of the parent's connection weights (biases not counted)
        removed; about ``1 - (1 - sparsity) ** 2`` between two hidden layers.
    kept_nodes_ : list of ndarray of int
        Per hidden layer, the parent's nodes the sub-network keeps (sorted).
    candidate_scores_ : ndarray of shape (n_candidates,)
        Score of every mask at initialisation{unscored}.
    selected_candidate_ : int
        The mask trained (the best-scoring, ties to the first).
    search_score_ : float
        Its score.
    search_history_ : dict of ndarray
        ``candidate``, ``n_params`` (the same for every mask), ``score`` and
        ``singular`` (NASWOT kernel regularised), one entry per mask.
    {{training_attributes}}
    search_time_, train_time_, fit_time_ : float
        Seconds drawing and scoring the masks, training, and in ``fit``.
    {{data_attributes}}
"""
_NETWORK_DOCS = dict(
    topology="The trained sub-network, physically compacted.",
    initial_topology="The dense parent.",
)


_RECONSTRUCTION_NOTE = """
    Notes
    -----
    Method from Farahani, "Random Search as a Baseline for Sparse Neural
    Network Architecture Search" (arXiv 2403.08265, 2024). Its code, network
    sizes, sparsity definition and selection score are not public: the
    definitions here (node sparsity per hidden layer, masks scored at
    initialisation on the training data, the best one trained from its
    inherited weights) are this library's reconstruction, see the
    :ref:`User Guide <sparse_search>`.
"""


_SEARCH_PARAMETERS = (
    _HIDDEN,
    _SPARSITY,
    N_CANDIDATES.replace(default=50, doc="Random node masks drawn and scored."),
    PROXY.replace(
        default="train_loss",
        doc=PROXY.doc + " The default is minus the untrained "
        "sub-network's training cross-entropy.",
    ),
    *TRAINING_PARAMETERS,
)


class RandomSearchSparseClassifier(BaseSparseSubnetworkClassifier):
    __doc__ = (
        """Random search over sparse sub-networks of a dense parent.

    The dense parent ``hidden_layer_sizes`` is initialised once. ``n_candidates``
    random node masks, each keeping the same number of nodes per hidden
    layer, cut sub-networks out of it; every sub-network is scored at
    initialisation by ``proxy`` (all masks in one batched forward pass), and
    the best-scoring one is physically compacted and trained from the
    weights it inherits.

    With ``n_candidates=1`` this is :class:`RandomSparseClassifier`, the random
    sparse baseline (same ``random_state``, same mask, same network).

    Read more in the :ref:`User Guide <sparse_search>`.
"""
        + _SHARED_DOC.format(unscored="")
        + """
    See Also
    --------
    RandomSparseClassifier : one random mask, unscored.
    RandomCloudClassifier : search shapes (not node subsets) of many parents.
"""
        + _RECONSTRUCTION_NOTE
        + """
    Examples
    --------
    >>> from sklearn_rcloud import RandomSearchSparseClassifier
    >>> from sklearn_rcloud.datasets import load_sonar
    >>> X, y = load_sonar(return_X_y=True)  # features already in [0, 1]
    >>> search = RandomSearchSparseClassifier(sparsity=0.9, random_state=0)
    >>> search.fit(X, y).topology_
    Topology(60-13-13-2, relu, 1003 params)
    >>> search.candidate_scores_.shape
    (50,)
"""
    )

    _parameters = _SEARCH_PARAMETERS
    _attribute_docs = _NETWORK_DOCS

    def _search_settings(self):
        return self.n_candidates, self.proxy


class RandomSparseClassifier(BaseSparseSubnetworkClassifier):
    __doc__ = (
        """A random sparse sub-network of a dense parent: the unsearched baseline.

    The dense parent ``hidden_layer_sizes`` is initialised, one random node
    mask keeping the same number of nodes per hidden layer cuts a
    sub-network out of it, and that sub-network is physically compacted and
    trained from the weights it inherits. It is what
    :class:`RandomSearchSparseClassifier` draws as its first trial, so with
    the same ``random_state`` the two differ only by the search.

    Read more in the :ref:`User Guide <sparse_search>`.
"""
        + _SHARED_DOC.format(unscored=": NaN, the mask is not scored")
        + """
    See Also
    --------
    RandomSearchSparseClassifier : the best of many scored masks.
"""
        + _RECONSTRUCTION_NOTE
        + """
    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_rcloud import RandomSparseClassifier
    >>> sparse = RandomSparseClassifier(hidden_layer_sizes=(64, 64), sparsity=0.75)
    >>> sparse.fit(*load_iris(return_X_y=True)).kept_nodes_[0].shape
    (16,)
    >>> round(sparse.weight_sparsity_, 3)
    0.919
"""
    )

    _parameters = (_HIDDEN, _SPARSITY, *TRAINING_PARAMETERS)
    _attribute_docs = _NETWORK_DOCS

    def _search_settings(self):
        return 1, None


class RandomSearchSparseRegressor(BaseSparseSubnetworkRegressor):
    __doc__ = (
        """Random search over sparse sub-networks of a dense parent, for regression.

    The regressor twin of :class:`RandomSearchSparseClassifier`: the same
    masks, scored by default by minus the untrained sub-network's training
    squared error on the target standardised inside ``fit`` (predictions are
    mapped back).
"""
        + _SHARED_DOC.format(unscored="")
        + """
    See Also
    --------
    RandomSparseRegressor : one random mask, unscored.
"""
        + _RECONSTRUCTION_NOTE
        + """
    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn_rcloud import RandomSearchSparseRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> search = RandomSearchSparseRegressor(sparsity=0.9, random_state=0)
    >>> search.fit(X, y).topology_
    Topology(10-13-13-1, relu, 339 params)
"""
    )

    _parameters = for_regression(
        _SEARCH_PARAMETERS,
        proxy="Training-free score of a mask's sub-network, higher is better: "
        "a name from :data:`sklearn_rcloud.proxies.REGRESSION_PROXIES` or a "
        "callable ``proxy(module, X, y) -> float`` (``y`` the standardised "
        "float32 target of shape ``(n_samples, n_outputs)``). The default is "
        "minus the untrained sub-network's training squared error.",
    )
    _attribute_docs = _NETWORK_DOCS

    def _search_settings(self):
        return self.n_candidates, self.proxy


class RandomSparseRegressor(BaseSparseSubnetworkRegressor):
    __doc__ = (
        """A random sparse sub-network of a dense parent, for regression.

    The regressor twin of :class:`RandomSparseClassifier`: the unsearched
    baseline, on the target standardised inside ``fit`` (predictions are
    mapped back).
"""
        + _SHARED_DOC.format(unscored=": NaN, the mask is not scored")
        + """
    See Also
    --------
    RandomSearchSparseRegressor : the best of many scored masks.
"""
        + _RECONSTRUCTION_NOTE
        + """
    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn_rcloud import RandomSparseRegressor
    >>> sparse = RandomSparseRegressor(hidden_layer_sizes=(64, 64), sparsity=0.75)
    >>> sparse.fit(*load_diabetes(return_X_y=True)).kept_nodes_[0].shape
    (16,)
"""
    )

    _parameters = for_regression((_HIDDEN, _SPARSITY, *TRAINING_PARAMETERS))
    _attribute_docs = _NETWORK_DOCS

    def _search_settings(self):
        return 1, None
