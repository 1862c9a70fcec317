"""The dense reference network: the full topology, trained once."""

from __future__ import annotations

import time

from sklearn.base import _fit_context

from ..init import init_weights
from ._base import BaseNetworkClassifier, torch_generator

__all__ = ["DenseMLPClassifier"]


class DenseMLPClassifier(BaseNetworkClassifier):
    """A fully connected MLP trained once, with the library's training recipe.

    This is "full training" in every comparison of the library: the same
    initialisation schemes, loss, optimiser, batching and stopping rule as the
    network a search selects, applied to the whole topology.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers,), default=(100,)
        Hidden widths.
    activation : {'relu', 'sigmoid', 'tanh'}, default='relu'
        Hidden activation; the output layer emits logits.
    init : {'kaiming', 'uniform', 'glorot'}, default='kaiming'
        Initial weight distribution, see
        :class:`~sklearn_rcloud.RandomCloudClassifier`.
    loss : {'cross_entropy', 'mse'}, default='cross_entropy'
    optimizer : {'auto', 'lbfgs', 'adam', 'sgd'}, default='auto'
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
        'auto' is True above 2,000 training rows, False below.
    validation_fraction : float, default=0.1
    n_iter_no_change : int or None, default=10
    tol : float, default=1e-4
    device : {'cpu', 'cuda', 'auto'}, default='cpu'
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffles and the validation split.
    verbose : int, default=0

    Attributes
    ----------
    topology_ : Topology
        The trained topology.
    initial_topology_ : Topology
        The same as ``topology_`` (no reduction happens).
    n_params_ : int
    reduction_ : float
        Always 0.0.
    train_time_, fit_time_ : float
        Seconds in training and in the whole ``fit``.
    net_ : skorch.NeuralNetClassifier
    module_ : torch.nn.Sequential
    n_iter_ : int
        Training epochs run.
    history_ : dict of ndarray
        The training curve: ``epoch``, ``train_loss`` and, with
        ``early_stopping=True``, ``valid_loss`` and ``valid_acc``.
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    See Also
    --------
    RandomCloudClassifier : search for a smaller network first.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_rcloud import DenseMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = DenseMLPClassifier(hidden_layer_sizes=(8,), random_state=0).fit(X, y)
    >>> clf.topology_
    Topology(4-8-3, relu, 67 params)
    """

    _parameter_constraints: dict = {
        **BaseNetworkClassifier._parameter_constraints,
    }

    def __init__(
        self,
        *,
        hidden_layer_sizes=(100,),
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

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the full network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target labels.

        Returns
        -------
        self : DenseMLPClassifier
            The fitted estimator.
        """
        start = time.perf_counter()
        X, y = self._validate_fit_data(X, y)
        init_seed, train_seed = self._random_seeds(2)
        topology = self._full_topology(X.shape[1])
        weights = init_weights(topology, self.init, torch_generator(init_seed, "cpu"))
        self._train(topology, weights, X, y, train_seed)
        self.initial_topology_ = topology
        self.reduction_ = 0.0
        self.fit_time_ = time.perf_counter() - start
        return self
