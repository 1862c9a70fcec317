"""Pruning baselines: train the full network, prune it, fine-tune it."""

from __future__ import annotations

import time
from abc import abstractmethod
from numbers import Integral, Real

import torch
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from ..init import init_weights
from ..pruning import (
    CRITERIA,
    count_nonzero_parameters,
    geometric_schedule,
    hidden_sizes_for_sparsity,
    magnitude_keep,
    make_pruning_permanent,
    prune_weights,
    random_keep,
)
from ..topology import module_weights
from ._base import BaseNetworkClassifier, check_hidden_layer_sizes, torch_generator

__all__ = [
    "BasePruningClassifier",
    "MagnitudePruningClassifier",
    "RandomPruningClassifier",
]

#: What ``sparsity='auto'`` removes when no target topology is given.
DEFAULT_SPARSITY = 0.5

_SHARED_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers,), default=(100,)
        Hidden widths of the full network that is trained first.
    target_hidden_layer_sizes : array-like of shape (n_layers,) or None, \
            default=None
        Hidden widths after pruning, each at most the full width (the Random
        Cloud paper's protocol prunes to the topology Random Cloud found).
        When set, ``sparsity`` must be left at 'auto'.
    sparsity : float in [0, 1) or 'auto', default='auto'
        Fraction of the parameters to remove. Structured pruning keeps the
        same fraction of neurons in every hidden layer, choosing the widths
        whose parameter count is closest to the target. 'auto' follows
        ``target_hidden_layer_sizes`` when it is set and is 0.5 otherwise.
    structured : bool, default=True
        True: remove whole hidden neurons, physically (``topology_`` shrinks).
        False: zero individual weights with :mod:`torch.nn.utils.prune`; the
        masks stay in force during fine-tuning, ``topology_`` keeps the full
        shape and ``n_params_`` counts the non-zero weights plus the biases
        (never pruned).
    schedule : {'one-shot', 'iterative'}, default='one-shot'
        'one-shot': prune to the target once, then fine-tune. 'iterative':
        ``n_iterations`` rounds of prune-then-fine-tune, each removing the same
        fraction of what is left, the last reaching the target.
    n_iterations : int, default=3
        Rounds of the iterative schedule.
    pretrain_epochs : int or 'auto', default='auto'
        Maximum epochs of training the full network before pruning; 0 prunes
        at initialisation (what the paper's single-seed baseline script does).
        'auto' is 1,000 with a validation split (which decides when to stop),
        else 200 epochs or 500 optimiser steps, whichever is more (an L-BFGS
        epoch is one iteration).
    finetune_epochs : int or 'auto', default='auto'
        Maximum epochs of fine-tuning after each pruning round; 'auto' as for
        ``pretrain_epochs``.
    activation : {'relu', 'sigmoid', 'tanh'}, default='relu'
    init : {'kaiming', 'uniform', 'glorot'}, default='kaiming'
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
    early_stopping : bool or 'auto', default='auto'
        'auto' is True above 2,000 training rows, False below.
    validation_fraction : float, default=0.1
    n_iter_no_change : int or None, default=10
        Applies to pre-training and to each fine-tuning phase.
    tol : float, default=1e-4
    device : {'cpu', 'cuda', 'auto'}, default='cpu'
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffles{random_note}.
    verbose : int, default=0

    Attributes
    ----------
    topology_ : Topology
        The pruned topology (the full one when ``structured=False``).
    initial_topology_ : Topology
        The full topology trained first.
    n_params_ : int
        Parameters of the pruned network (non-zero weights plus biases when
        ``structured=False``).
    reduction_ : float
        ``1 - n_params_ / initial_topology_.n_params``.
    kept_neurons_ : list of ndarray or None
        Per hidden layer, the indices (in the full network) of the surviving
        neurons; None when ``structured=False``.
    pretrain_time_, prune_time_, finetune_time_, train_time_, fit_time_ : float
        Seconds spent pre-training, selecting and removing, fine-tuning,
        training in total (pre-training plus fine-tuning), and in ``fit``.
    net_ : skorch.NeuralNetClassifier
        The net of the last fine-tuning phase.
    module_ : torch.nn.Sequential
        The pruned, fine-tuned network; it outputs logits.
    n_iter_ : int
        Epochs of the last fine-tuning phase.
    history_ : dict of ndarray
        The training curve of the last fine-tuning phase: ``epoch``,
        ``train_loss`` and, with ``early_stopping=True``, ``valid_loss`` and
        ``valid_acc``.
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
"""


class BasePruningClassifier(BaseNetworkClassifier):
    """Train the full network, prune it, fine-tune it (shared machinery).

    Warning: this class should not be used directly. Use derived classes
    instead.
    """

    _parameter_constraints: dict = {
        # Training runs in phases, each with its own epoch budget.
        **{
            name: constraint
            for name, constraint in BaseNetworkClassifier._parameter_constraints.items()
            if name != "max_epochs"
        },
        "target_hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
            None,
        ],
        "sparsity": [Interval(Real, 0, 1, closed="left"), StrOptions({"auto"})],
        "structured": ["boolean"],
        "schedule": [StrOptions({"one-shot", "iterative"})],
        "n_iterations": [Interval(Integral, 1, None, closed="left")],
        "pretrain_epochs": [
            Interval(Integral, 0, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "finetune_epochs": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
    }

    @abstractmethod
    def _keep_neurons(self, weights, topology, target_hidden, generator):
        """Per hidden layer, the indices of the neurons to keep."""

    #: How unstructured pruning picks weights: 'magnitude' or 'random'.
    _weight_method: str

    def _targets(self, topology):
        """Resolve the pruning target to hidden widths or a weight count."""
        if self.target_hidden_layer_sizes is not None and self.sparsity != "auto":
            raise ValueError(
                "Set one of `target_hidden_layer_sizes` (e.g. the topology a "
                "RandomCloudClassifier found) and `sparsity` (fraction of "
                "parameters to remove), not both; got "
                f"target_hidden_layer_sizes={self.target_hidden_layer_sizes!r} and "
                f"sparsity={self.sparsity!r}."
            )
        if self.target_hidden_layer_sizes is None:
            sparsity = DEFAULT_SPARSITY if self.sparsity == "auto" else self.sparsity
            target_hidden = hidden_sizes_for_sparsity(topology, sparsity)
            target_params = (1.0 - sparsity) * topology.n_params
        else:
            target_hidden = check_hidden_layer_sizes(self.target_hidden_layer_sizes)
            if len(target_hidden) != topology.depth or any(
                t > h for t, h in zip(target_hidden, topology.hidden_layer_sizes)
            ):
                raise ValueError(
                    f"target_hidden_layer_sizes={target_hidden} must have one width "
                    f"per hidden layer of {topology.hidden_layer_sizes}, each at "
                    "most the full width."
                )
            target_params = topology.with_hidden(target_hidden).n_params
        return target_hidden, target_params

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the full network, prune it and fine-tune it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target labels.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        start = time.perf_counter()
        X, y = self._validate_fit_data(X, y)
        init_seed, pretrain_seed, prune_seed, finetune_seed = self._random_seeds(4)
        topology = self._full_topology(X.shape[1])
        self.initial_topology_ = topology
        target_hidden, target_params = self._targets(topology)
        module = topology.to_module(
            init_weights(topology, self.init, torch_generator(init_seed, "cpu"))
        )

        self.pretrain_time_ = 0.0
        if self.pretrain_epochs != 0:
            net, self.pretrain_time_ = self._fit_module(
                module, X, y, pretrain_seed, max_epochs=self.pretrain_epochs
            )
            module = net.module_

        n_rounds = self.n_iterations if self.schedule == "iterative" else 1
        generator = torch_generator(prune_seed, "cpu")
        if self.structured:
            widths = [
                geometric_schedule(full, target, n_rounds)
                for full, target in zip(topology.hidden_layer_sizes, target_hidden)
            ]
            kept = [torch.arange(h) for h in topology.hidden_layer_sizes]
        else:
            n_biases = topology.n_params - topology.n_weights
            n_keep = max(1, int(round(target_params)) - n_biases)
            weight_counts = geometric_schedule(topology.n_weights, n_keep, n_rounds)

        self.prune_time_ = self.finetune_time_ = 0.0
        for round_index in range(n_rounds):
            tic = time.perf_counter()
            if self.structured:
                round_hidden = tuple(w[round_index] for w in widths)
                weights = module_weights(module)
                keep = self._keep_neurons(weights, topology, round_hidden, generator)
                topology, weights = topology.keep_neurons(weights, keep)
                kept = [previous[k] for previous, k in zip(kept, keep)]
                module = topology.to_module(weights)
            else:
                prune_weights(
                    module, weight_counts[round_index], self._weight_method, generator
                )
            self.prune_time_ += time.perf_counter() - tic
            net, seconds = self._fit_module(
                module,
                X,
                y,
                finetune_seed + round_index,
                max_epochs=self.finetune_epochs,
            )
            module = net.module_
            self.finetune_time_ += seconds

        if self.structured:
            self._set_network(net, topology)
            self.kept_neurons_ = [k.numpy() for k in kept]
        else:
            make_pruning_permanent(module)
            self._set_network(net, topology)
            self.n_params_ = count_nonzero_parameters(module)
            self.kept_neurons_ = None
        self.train_time_ = self.pretrain_time_ + self.finetune_time_
        self.reduction_ = 1.0 - self.n_params_ / self.initial_topology_.n_params
        self.fit_time_ = time.perf_counter() - start
        return self


class MagnitudePruningClassifier(BasePruningClassifier):
    __doc__ = (
        """Magnitude pruning baseline: train, remove the weakest neurons, fine-tune.

    The full network is trained, then the hidden neurons with the smallest
    ``criterion`` are removed (structured) or the smallest weights over the
    whole network are zeroed (unstructured), then the network is fine-tuned.
    All training goes through the same engine and recipe as
    :class:`DenseMLPClassifier` and :class:`RandomCloudClassifier`.
"""
        + _SHARED_DOC.replace("{random_note}", " and the validation split").replace(
            "    structured : bool",
            """    criterion : {'l2', 'l1', 'outgoing'}, default='l2'
        Neuron magnitude for structured pruning: 'l2' is the L2 norm of the
        neuron's incoming weights (the Random Cloud paper's baseline), 'l1'
        their L1 norm, 'outgoing' the L2 norm of its outgoing weights.
        Unstructured pruning always ranks single weights by ``|w|``.
    structured : bool""",
        )
        + """
    See Also
    --------
    RandomPruningClassifier : the same cycle with neurons chosen at random.
    RandomCloudClassifier : search for the small network without training the
        full one.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_rcloud import MagnitudePruningClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MagnitudePruningClassifier(
    ...     hidden_layer_sizes=(16,), target_hidden_layer_sizes=(4,), random_state=0
    ... ).fit(X, y)
    >>> clf.topology_
    Topology(4-4-3, relu, 35 params)
    """
    )

    _parameter_constraints: dict = {
        **BasePruningClassifier._parameter_constraints,
        "criterion": [StrOptions(set(CRITERIA))],
    }
    _weight_method = "magnitude"

    def __init__(
        self,
        *,
        hidden_layer_sizes=(100,),
        target_hidden_layer_sizes=None,
        sparsity="auto",
        criterion="l2",
        structured=True,
        schedule="one-shot",
        n_iterations=3,
        pretrain_epochs="auto",
        finetune_epochs="auto",
        activation="relu",
        init="kaiming",
        loss="cross_entropy",
        optimizer="auto",
        lr=1e-3,
        alpha=1.0,
        batch_size="auto",
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.target_hidden_layer_sizes = target_hidden_layer_sizes
        self.sparsity = sparsity
        self.criterion = criterion
        self.structured = structured
        self.schedule = schedule
        self.n_iterations = n_iterations
        self.pretrain_epochs = pretrain_epochs
        self.finetune_epochs = finetune_epochs
        self.activation = activation
        self.init = init
        self.loss = loss
        self.optimizer = optimizer
        self.lr = lr
        self.alpha = alpha
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _keep_neurons(self, weights, topology, target_hidden, generator):
        return magnitude_keep(weights, target_hidden, self.criterion)


class RandomPruningClassifier(BasePruningClassifier):
    __doc__ = (
        """Random pruning baseline: train, remove random neurons, fine-tune.

    The control for :class:`MagnitudePruningClassifier`: the same cycle and
    target, with the surviving neurons (structured) or weights (unstructured)
    drawn uniformly at random.
"""
        + _SHARED_DOC.replace(
            "{random_note}",
            ", the validation split and which neurons are removed",
        )
        + """
    See Also
    --------
    MagnitudePruningClassifier : keep the neurons with the largest weights.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_rcloud import RandomPruningClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = RandomPruningClassifier(
    ...     hidden_layer_sizes=(16,), sparsity=0.5, random_state=0
    ... ).fit(X, y)
    >>> clf.topology_.hidden_layer_sizes
    (8,)
    """
    )

    _weight_method = "random"

    def __init__(
        self,
        *,
        hidden_layer_sizes=(100,),
        target_hidden_layer_sizes=None,
        sparsity="auto",
        structured=True,
        schedule="one-shot",
        n_iterations=3,
        pretrain_epochs="auto",
        finetune_epochs="auto",
        activation="relu",
        init="kaiming",
        loss="cross_entropy",
        optimizer="auto",
        lr=1e-3,
        alpha=1.0,
        batch_size="auto",
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.target_hidden_layer_sizes = target_hidden_layer_sizes
        self.sparsity = sparsity
        self.structured = structured
        self.schedule = schedule
        self.n_iterations = n_iterations
        self.pretrain_epochs = pretrain_epochs
        self.finetune_epochs = finetune_epochs
        self.activation = activation
        self.init = init
        self.loss = loss
        self.optimizer = optimizer
        self.lr = lr
        self.alpha = alpha
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _keep_neurons(self, weights, topology, target_hidden, generator):
        return random_keep(topology.hidden_layer_sizes, target_hidden, generator)
