"""Pruning baselines: train the full network, prune it, fine-tune it."""

from __future__ import annotations

import time
from numbers import Integral, Real

import torch
from sklearn.utils._param_validation import Interval, StrOptions

from ..engine import resolve_device, to_device
from ..init import init_weights, seeded_generator
from ..pruning import (
    CRITERIA,
    count_nonzero_parameters,
    geometric_schedule,
    hidden_sizes_for_sparsity,
    keep_zeros_pruned,
    magnitude_keep,
    make_pruning_permanent,
    prune_weights,
    random_keep,
)
from ..recipe import Parameter
from ..topology import module_weights
from ._base import (
    BaseNetworkClassifier,
    BaseNetworkRegressor,
    check_hidden_layer_sizes,
)
from ._parameters import (
    HIDDEN_LAYER_SIZES,
    TRAINING_PARAMETERS,
    for_regression,
    replaced,
)

__all__ = [
    "BasePruningClassifier",
    "BasePruningRegressor",
    "MagnitudePruningClassifier",
    "MagnitudePruningRegressor",
    "RandomPruningClassifier",
    "RandomPruningRegressor",
]

#: What ``sparsity='auto'`` removes when no target topology is given.
DEFAULT_SPARSITY = 0.5

_SHARED_DOC = """
    {parameters}

    {network_attributes}
    kept_neurons_ : list of ndarray or None
        Per hidden layer, the indices (in the full network) of the surviving
        neurons; None when ``structured=False``.
    pretrain_time_, prune_time_, finetune_time_, train_time_, fit_time_ : float
        Seconds spent pre-training, selecting and removing, fine-tuning,
        training in total (pre-training plus fine-tuning), and in ``fit``.
    {training_attributes}
    {data_attributes}
"""
_NETWORK_DOCS = dict(
    topology="The pruned topology (the full one when ``structured=False``).",
    initial_topology="The full topology trained first.",
    n_params="Parameters of the pruned network (non-zero weights plus biases "
    "when ``structured=False``).",
)


_PRUNING_PARAMETERS = (
    HIDDEN_LAYER_SIZES.replace(
        doc="Hidden widths of the full network that is trained first."
    ),
    Parameter(
        "target_hidden_layer_sizes",
        None,
        ("array-like", Interval(Integral, 1, None, closed="left"), None),
        "array-like of shape (n_layers,) or None",
        "Hidden widths after pruning, each at most the full width (the "
        "Random Cloud paper's protocol prunes to the topology Random Cloud "
        "found). When set, ``sparsity`` must be left at 'auto'.",
    ),
    Parameter(
        "sparsity",
        "auto",
        (Interval(Real, 0, 1, closed="left"), StrOptions({"auto"})),
        "float in [0, 1) or 'auto'",
        "Fraction of the parameters to remove. Structured pruning keeps the "
        "same fraction of neurons in every hidden layer, choosing the widths "
        "whose parameter count is closest to the target. 'auto' follows "
        "``target_hidden_layer_sizes`` when it is set and is 0.5 otherwise.",
    ),
)
_SCHEDULE_PARAMETERS = (
    Parameter(
        "structured",
        True,
        ("boolean",),
        "bool",
        "True: remove whole hidden neurons, physically (``topology_`` "
        "shrinks). False: zero individual weights with "
        ":mod:`torch.nn.utils.prune`; the masks stay in force during "
        "fine-tuning, ``topology_`` keeps the full shape and ``n_params_`` "
        "counts the non-zero weights plus the biases (never pruned).",
    ),
    Parameter(
        "schedule",
        "one-shot",
        (StrOptions({"one-shot", "iterative"}),),
        "{'one-shot', 'iterative'}",
        "'one-shot': prune to the target once, then fine-tune. 'iterative': "
        "``n_rounds`` rounds of prune-then-fine-tune, each removing the same "
        "fraction of what is left, the last reaching the target.",
    ),
    Parameter(
        "n_rounds",
        3,
        (Interval(Integral, 1, None, closed="left"),),
        "int",
        "Rounds of the iterative schedule.",
    ),
    Parameter(
        "pretrain_max_iter",
        None,
        (Interval(Integral, 0, None, closed="left"), StrOptions({"auto"}), None),
        "int, 'auto' or None",
        "Maximum epochs of training the full network before pruning; None "
        "takes ``max_iter``; 0 prunes at initialisation (what the paper's "
        "single-seed baseline script does).",
    ),
)
_PRUNING_TRAINING = replaced(
    TRAINING_PARAMETERS,
    "max_iter",
    doc=next(p for p in TRAINING_PARAMETERS if p.name == "max_iter").doc
    + " It bounds each fine-tuning phase after pruning, and the pre-training "
    "unless ``pretrain_max_iter`` is set.",
)


class _Pruning:
    """Train the full network, prune it, fine-tune it: the machinery the
    classifiers and the regressors share."""

    def _keep_neurons(self, weights, topology, target_hidden, generator):
        """Per hidden layer, the indices of the neurons to keep."""
        raise NotImplementedError

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

    def _fit(self, X, y, sample_weight, progress):
        self._check_network_memory(
            X,
            ("hidden_layer_sizes",),
            check_hidden_layer_sizes(self.hidden_layer_sizes),
        )
        init_seed, pretrain_seed, prune_seed, finetune_seed = self._random_seeds(4)
        # Every phase trains on the same rows: put them on the device once.
        X, y = to_device(X, y, resolve_device(self.device))
        topology = self._full_topology(X.shape[1])
        self.initial_topology_ = topology
        target_hidden, target_params = self._targets(topology)
        module = topology.to_module(
            init_weights(topology, self.init, seeded_generator(init_seed, "cpu"))
        )

        self.pretrain_time_ = 0.0
        pretrain_max_iter = (
            self.max_iter if self.pretrain_max_iter is None else self.pretrain_max_iter
        )
        if pretrain_max_iter != 0:
            net, self.pretrain_time_ = self._fit_module(
                module,
                X,
                y,
                pretrain_seed,
                sample_weight,
                progress,
                task="pretraining",
                max_iter=pretrain_max_iter,
            )
            module = net.module_

        n_rounds = self.n_rounds if self.schedule == "iterative" else 1
        generator = seeded_generator(prune_seed, "cpu")
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
                sample_weight,
                progress,
                task=f"fine-tuning {round_index + 1}/{n_rounds}",
            )
            module = net.module_
            self.finetune_time_ += seconds

        self._set_network(net, topology)
        self.kept_neurons_ = [k.numpy() for k in kept] if self.structured else None
        self.train_time_ = self.pretrain_time_ + self.finetune_time_

    def _module_to_continue(self):
        module = super()._module_to_continue()
        if not self.structured:
            # Pruned weights stay zero while the network trains further.
            keep_zeros_pruned(module)
        return module

    def _set_network(self, net, topology, continued=False):
        if not self.structured:
            make_pruning_permanent(net.module_)
        super()._set_network(net, topology, continued)
        if not self.structured:
            self.n_params_ = count_nonzero_parameters(net.module_)


class BasePruningClassifier(_Pruning, BaseNetworkClassifier):
    """Train the full network, prune it, fine-tune it (shared machinery).

    Warning: this class should not be used directly. Use derived classes
    instead.
    """


class BasePruningRegressor(_Pruning, BaseNetworkRegressor):
    """Train the full network, prune it, fine-tune it, for regression.

    Warning: this class should not be used directly. Use derived classes
    instead.
    """


_MAGNITUDE_PARAMETERS = (
    *_PRUNING_PARAMETERS,
    Parameter(
        "criterion",
        "l2",
        (StrOptions(set(CRITERIA)),),
        "{'l2', 'l1', 'outgoing'}",
        "Neuron magnitude for structured pruning: 'l2' is the L2 norm of "
        "the neuron's incoming weights (the Random Cloud paper's "
        "baseline), 'l1' their L1 norm, 'outgoing' the L2 norm of its "
        "outgoing weights. Unstructured pruning always ranks single "
        "weights by ``|w|``.",
    ),
    *_SCHEDULE_PARAMETERS,
    *_PRUNING_TRAINING,
)
_RANDOM_PARAMETERS = (*_PRUNING_PARAMETERS, *_SCHEDULE_PARAMETERS, *_PRUNING_TRAINING)


class _MagnitudeKeep:
    """Keep the neurons (or weights) of the largest magnitude."""

    _weight_method = "magnitude"

    def _keep_neurons(self, weights, topology, target_hidden, generator):
        return magnitude_keep(weights, target_hidden, self.criterion)


class _RandomKeep:
    """Keep neurons (or weights) drawn uniformly at random."""

    _weight_method = "random"

    def _keep_neurons(self, weights, topology, target_hidden, generator):
        return random_keep(topology.hidden_layer_sizes, target_hidden, generator)


class MagnitudePruningClassifier(_MagnitudeKeep, BasePruningClassifier):
    __doc__ = (
        """Magnitude pruning baseline: train, remove the weakest neurons, fine-tune.

    The full network is trained, then the hidden neurons with the smallest
    ``criterion`` are removed (structured) or the smallest weights over the
    whole network are zeroed (unstructured), then the network is fine-tuned.
    All training goes through the same engine and recipe as
    :class:`DenseMLPClassifier` and :class:`RandomCloudClassifier`.
"""
        + _SHARED_DOC
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

    _parameters = _MAGNITUDE_PARAMETERS
    _attribute_docs = _NETWORK_DOCS


class RandomPruningClassifier(_RandomKeep, BasePruningClassifier):
    __doc__ = (
        """Random pruning baseline: train, remove random neurons, fine-tune.

    The control for :class:`MagnitudePruningClassifier`: the same cycle and
    target, with the surviving neurons (structured) or weights (unstructured)
    drawn uniformly at random.
"""
        + _SHARED_DOC
        + """
    See Also
    --------
    MagnitudePruningClassifier : keep the neurons with the largest weights.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_rcloud import RandomPruningClassifier
    >>> clf = RandomPruningClassifier(hidden_layer_sizes=(16,), sparsity=0.5)
    >>> clf.fit(*load_iris(return_X_y=True)).topology_.hidden_layer_sizes
    (8,)
    """
    )

    _parameters = _RANDOM_PARAMETERS
    _attribute_docs = _NETWORK_DOCS


class MagnitudePruningRegressor(_MagnitudeKeep, BasePruningRegressor):
    __doc__ = (
        """Magnitude pruning for regression: train, remove the weakest neurons,
    fine-tune.

    The regressor twin of :class:`MagnitudePruningClassifier`, on the target
    standardised inside ``fit`` (mapped back at ``predict``).
"""
        + _SHARED_DOC
        + """
    See Also
    --------
    RandomCloudRegressor : search for the small network without training the
        full one.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn_rcloud import MagnitudePruningRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = MagnitudePruningRegressor(
    ...     hidden_layer_sizes=(16,), target_hidden_layer_sizes=(4,), random_state=0
    ... ).fit(X, y)
    >>> reg.topology_
    Topology(10-4-1, relu, 49 params)
    """
    )

    _parameters = for_regression(_MAGNITUDE_PARAMETERS)
    _attribute_docs = _NETWORK_DOCS


class RandomPruningRegressor(_RandomKeep, BasePruningRegressor):
    __doc__ = (
        """Random pruning for regression: train, remove random neurons, fine-tune.

    The regressor twin of :class:`RandomPruningClassifier`, on the target
    standardised inside ``fit`` (mapped back at ``predict``).
"""
        + _SHARED_DOC
        + """
    See Also
    --------
    MagnitudePruningRegressor : keep the neurons with the largest weights.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn_rcloud import RandomPruningRegressor
    >>> reg = RandomPruningRegressor(hidden_layer_sizes=(16,), sparsity=0.5)
    >>> reg.fit(*load_diabetes(return_X_y=True)).topology_.hidden_layer_sizes
    (8,)
    """
    )

    _parameters = for_regression(_RANDOM_PARAMETERS)
    _attribute_docs = _NETWORK_DOCS
