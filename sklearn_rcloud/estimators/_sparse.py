"""Sparse sub-networks of a dense parent: random search over node masks."""

from __future__ import annotations

import time
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from ..cloud import RandomCloud
from ..proxies import SCORERS, get_scorer
from ..search import nodes_kept, random_node_search
from ..training import resolve_device
from ._base import BaseNetworkClassifier, torch_generator

__all__ = ["RandomSearchSparseClassifier", "RandomSparseClassifier"]


class BaseSparseSubnetworkClassifier(BaseNetworkClassifier):
    """Base class of the node-mask sub-network classifiers.

    Warning: this class should not be used directly. Use derived classes
    instead.
    """

    _parameter_constraints: dict = {
        **BaseNetworkClassifier._parameter_constraints,
        "sparsity": [Interval(Real, 0, 1, closed="left")],
    }

    def _search_settings(self):
        """``(n_trials, scorer or None)``; None means the masks are not scored."""
        raise NotImplementedError

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Draw node masks of the parent, keep the best, train it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; scale the features (e.g. ``MinMaxScaler`` in a
            ``Pipeline``).
        y : array-like of shape (n_samples,)
            Target labels, of any type.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        start = time.perf_counter()
        X, y = self._validate_fit_data(X, y)
        parent_seed, mask_seed, train_seed = self._random_seeds(3)
        device = resolve_device(self.device)
        parent = self._full_topology(X.shape[1])
        self.initial_topology_ = parent
        n_kept = nodes_kept(parent.hidden_layer_sizes, self.sparsity)
        n_trials, scorer = self._search_settings()

        cloud = RandomCloud(
            parent,
            1,
            init=self.init,
            generator=torch_generator(parent_seed, device),
            device=device,
        )
        result = random_node_search(
            cloud,
            n_kept,
            n_trials,
            None if scorer is None else get_scorer(scorer),
            torch.as_tensor(X, device=device),
            torch.as_tensor(y, device=device),
            mask_seed,
        )
        selected = result.best()
        self.trial_scores_ = result.scores
        self.selected_trial_ = selected
        self.search_score_ = float(result.scores[selected])
        self.kept_nodes_ = result.mask(selected)
        self.search_history_ = {
            "trial": np.arange(n_trials, dtype=np.int64),
            "n_params": np.full(
                n_trials, parent.with_hidden(n_kept).n_params, dtype=np.int64
            ),
            "score": result.scores.copy(),
            "singular": result.singular.copy(),
        }
        self.search_time_ = time.perf_counter() - start

        full = [(w[0].cpu().float(), b[0].cpu().float()) for w, b in cloud.weights]
        topology, weights = parent.keep_neurons(full, self.kept_nodes_)
        self._train(topology, weights, X, y, train_seed)
        self.reduction_ = 1.0 - self.n_params_ / parent.n_params
        self.node_sparsity_ = 1.0 - sum(n_kept) / sum(parent.hidden_layer_sizes)
        self.weight_sparsity_ = 1.0 - topology.n_weights / parent.n_weights
        self.fit_time_ = time.perf_counter() - start
        return self


_SHARED_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers,), default=(128, 128)
        Hidden widths of the dense, over-parameterised parent.
    sparsity : float in [0, 1), default=0.75
        Fraction of every hidden layer's nodes removed: a layer of width
        ``H`` keeps ``H - round(sparsity * H)`` nodes, at least one.
        ``sparsity=0`` trains the parent itself.{search_parameters}
    activation : {{'relu', 'sigmoid', 'tanh'}}, default='relu'
    init : {{'kaiming', 'uniform', 'glorot'}}, default='kaiming'
        The parent's initial weights; the sub-network inherits its nodes'.
    loss : {{'cross_entropy', 'mse'}}, default='cross_entropy'
    optimizer : {{'auto', 'lbfgs', 'adam', 'sgd'}}, default='auto'
        'auto': full-batch L-BFGS up to 2,000 training rows, Adam above
        (the user guide's "Training recipe" says why).
    lr : float, default=1e-3
        Learning rate of Adam and SGD; L-BFGS sets its steps by line search.
    alpha : float, default=1.0
        L2 penalty on the weights: ``0.5 * alpha * ||W||^2 / n_samples`` is
        added to the mean training loss (``alpha=1`` is the MAP estimate
        under a standard normal prior on every weight).
    batch_size : int or 'auto', default='auto'
        'auto' is ``min(200, n_samples)``; L-BFGS always takes every row.
    max_epochs : int or 'auto', default='auto'
        Maximum training epochs; an L-BFGS epoch is one iteration. 'auto' is
        1,000 with a validation split (which decides when to stop), else 200
        epochs or 500 optimiser steps, whichever is more.
    early_stopping : bool or 'auto', default='auto'
        Hold out ``validation_fraction`` (stratified) and monitor the
        validation loss, see :class:`~sklearn_rcloud.RandomCloudClassifier`.
        With ``n_iter_no_change=None`` nothing stops early but the validation
        curve is recorded in ``history_`` (how the sparsity study measures
        convergence).
        'auto' is True above 2,000 training rows, False below.
    validation_fraction : float, default=0.1
    n_iter_no_change : int or None, default=10
    tol : float, default=1e-4
    device : {{'cpu', 'cuda', 'auto'}}, default='cpu'
    random_state : int, RandomState instance or None, default=None
        Seeds the parent's weights, the masks (mask ``t`` depends only on the
        seed and ``t``) and the training.
    verbose : int, default=0

    Attributes
    ----------
    topology_ : Topology
        The trained sub-network, physically compacted.
    initial_topology_ : Topology
        The dense parent.
    n_params_ : int
    reduction_ : float
        ``1 - n_params_ / initial_topology_.n_params``.
    node_sparsity_ : float
        Fraction of the parent's hidden nodes removed.
    weight_sparsity_ : float
        Fraction of the parent's connection weights (biases not counted)
        removed; about ``1 - (1 - sparsity) ** 2`` between two hidden layers.
    kept_nodes_ : list of ndarray of int
        Per hidden layer, the parent's nodes the sub-network keeps (sorted).
    trial_scores_ : ndarray of shape (n_trials,)
        Score of every mask at initialisation{unscored}.
    selected_trial_ : int
        The mask trained (the best-scoring, ties to the first).
    search_score_ : float
        Its score.
    search_history_ : dict of ndarray
        ``trial``, ``n_params`` (the same for every mask), ``score`` and
        ``singular`` (NASWOT kernel regularised), one entry per mask.
    history_ : dict of ndarray
        The training curve: ``epoch``, ``train_loss`` and, with
        ``early_stopping=True``, ``valid_loss`` and ``valid_acc``.
    search_time_, train_time_, fit_time_ : float
        Seconds drawing and scoring the masks, training, and in ``fit``.
    net_ : skorch.NeuralNetClassifier
    module_ : torch.nn.Sequential
    n_iter_ : int
        Training epochs run.
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
"""


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


class RandomSearchSparseClassifier(BaseSparseSubnetworkClassifier):
    __doc__ = (
        """Random search over sparse sub-networks of a dense parent.

    The dense parent ``hidden_layer_sizes`` is initialised once. ``n_trials``
    random node masks, each keeping the same number of nodes per hidden
    layer, cut sub-networks out of it; every sub-network is scored at
    initialisation by ``scorer`` (all masks in one batched forward pass), and
    the best-scoring one is physically compacted and trained from the
    weights it inherits.

    With ``n_trials=1`` this is :class:`RandomSparseClassifier`, the random
    sparse baseline (same ``random_state``, same mask, same network).

    Read more in the :ref:`User Guide <sparse_search>`.
"""
        + _SHARED_DOC.format(
            search_parameters="""
    n_trials : int, default=50
        Random node masks drawn and scored.
    scorer : str or callable, default='train_loss'
        Training-free score of a mask, higher is better: a name from
        :data:`sklearn_rcloud.proxies.SCORERS` (default: minus the untrained
        sub-network's training cross-entropy) or
        ``callable(module, X, y) -> float``.""",
            unscored="",
        )
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
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> from sklearn_rcloud import RandomSearchSparseClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> search = RandomSearchSparseClassifier(sparsity=0.9, random_state=0)
    >>> clf = make_pipeline(MinMaxScaler(), search).fit(X, y)
    >>> clf[-1].topology_
    Topology(30-13-13-2, relu, 613 params)
    >>> clf.score(X, y) > 0.9
    True
"""
    )

    _parameter_constraints: dict = {
        **BaseSparseSubnetworkClassifier._parameter_constraints,
        "n_trials": [Interval(Integral, 1, None, closed="left")],
        "scorer": [StrOptions(set(SCORERS)), callable],
    }

    def __init__(
        self,
        *,
        hidden_layer_sizes=(128, 128),
        sparsity=0.75,
        n_trials=50,
        scorer="train_loss",
        activation="relu",
        init="kaiming",
        loss="cross_entropy",
        optimizer="auto",
        lr=1e-3,
        alpha=1.0,
        batch_size="auto",
        max_epochs="auto",
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.sparsity = sparsity
        self.n_trials = n_trials
        self.scorer = scorer
        self.activation = activation
        self.init = init
        self.loss = loss
        self.optimizer = optimizer
        self.lr = lr
        self.alpha = alpha
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _search_settings(self):
        return self.n_trials, self.scorer


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
        + _SHARED_DOC.format(
            search_parameters="", unscored=": NaN, the mask is not scored"
        )
        + """
    See Also
    --------
    RandomSearchSparseClassifier : the best of many scored masks.
"""
        + _RECONSTRUCTION_NOTE
        + """
    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> from sklearn_rcloud import RandomSparseClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> sparse = RandomSparseClassifier(sparsity=0.9, random_state=0)
    >>> clf = make_pipeline(MinMaxScaler(), sparse).fit(X, y)
    >>> round(clf[-1].weight_sparsity_, 3)
    0.971
    >>> clf.score(X, y) > 0.9
    True
"""
    )

    def __init__(
        self,
        *,
        hidden_layer_sizes=(128, 128),
        sparsity=0.75,
        activation="relu",
        init="kaiming",
        loss="cross_entropy",
        optimizer="auto",
        lr=1e-3,
        alpha=1.0,
        batch_size="auto",
        max_epochs="auto",
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.sparsity = sparsity
        self.activation = activation
        self.init = init
        self.loss = loss
        self.optimizer = optimizer
        self.lr = lr
        self.alpha = alpha
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _search_settings(self):
        return 1, None
