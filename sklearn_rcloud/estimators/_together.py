"""Several estimators fitted on one dataset, their trainings done together.

:func:`fit_together` runs every estimator's ``fit`` in a thread of its own,
one thread computing at a time. Whenever a fit reaches a training, it waits;
once every fit still running waits, the waiting trainings are done as
populations (:func:`~sklearn_rcloud.engine.train_population`), one per
recipe, depth and dataset, and every fit carries on with its trained
network. So the k-th training of every estimator shares a population: the
dense networks of several seeds, every pruning baseline's full network, then
its fine-tuned one, the masked networks of several sparsities.
Trainings that are the same computation (twins) are done once.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import dataclasses
import hashlib
import threading
import time
import warnings

import numpy as np
import torch
from sklearn import config_context, get_config

from ..engine import DEFAULT_MEMORY_BUDGET, member_net, train_population
from ..pruning import masked_weight, refresh_masked_weights
from ..topology import Topology, plain_layers

__all__ = ["FitOutcome", "fit_each", "fit_together", "train_with_others"]

#: The fit_together this thread's fit belongs to, and the fit's position.
_SLOT = contextvars.ContextVar("sklearn_rcloud_fit_together", default=None)


@dataclasses.dataclass
class _Training:
    """One fit's training, waiting for the others."""

    fit: int
    order: int
    topology: Topology
    weights: list
    X: object
    y: object
    config: object
    seed: int
    sample_weight: object
    #: None when no layer is pruned; else per layer the 0/1 mask of its
    #: pruned weights, or None for a layer that is not pruned.
    masks: list | None = None
    #: The module handed in; a masked one gets its trained weights back.
    module: object = None
    done: threading.Event = dataclasses.field(default_factory=threading.Event)
    member: object = None
    share: float = 0.0
    error: BaseException | None = None

    def identity(self):
        """What makes two trainings of one group the same computation."""
        return (
            self.topology.layer_sizes,
            self.seed,
            tuple(_digest(t) for pair in self.weights for t in pair),
            None if self.masks is None else tuple(_digest(m) for m in self.masks),
        )

    def group_key(self, digest):
        """Trainings with one key can share a population (``digest``: of data)."""
        return (
            repr(self.config),
            self.topology.n_features,
            self.topology.n_outputs,
            len(self.topology.hidden_layer_sizes),
            self.topology.activation,
            digest(self.X),
            digest(self.y),
            digest(self.sample_weight),
        )


class _Rendezvous:
    """Where the fits of one :func:`fit_together` wait for each other."""

    def __init__(self, n_fits, memory_budget):
        self.memory_budget = memory_budget
        self.condition = threading.Condition()
        #: Held by the one fit computing; released while it waits.
        self.turn = threading.Lock()
        self.running = n_fits
        self.waiting = []
        self.counts = [0] * n_fits
        #: Per fit: seconds spent computing, and its shares of populations.
        self.seconds = [0.0] * n_fits
        #: Per fit: the warnings it raised (``warnings.WarningMessage``).
        self.warnings = [[] for _ in range(n_fits)]
        self._since = [0.0] * n_fits
        #: id -> (array, digest): a fit hands the same data to every training.
        self._digests = {}
        #: The trainings being trained, and whether the caller gave up.
        self.serving = []
        self.abandoned = False

    def take_turn(self, fit):
        self.turn.acquire()
        self._since[fit] = time.perf_counter()

    def give_turn(self, fit):
        self.seconds[fit] += time.perf_counter() - self._since[fit]
        self.turn.release()

    def wait_for_training(self, training):
        with self.condition:
            if self.abandoned:
                raise _Abandoned
            self.waiting.append(training)
            self.condition.notify_all()
        self.give_turn(training.fit)
        training.done.wait()
        self.take_turn(training.fit)
        if training.error is not None:
            raise training.error
        if training.masks is not None:
            training.member.module = _trained_in_place(
                training.module, training.member.module
            )
        net = member_net(
            training.member,
            training.X,
            training.y,
            training.config,
            training.seed,
            training.sample_weight,
        )
        self.seconds[training.fit] += training.share
        return net, training.share

    def _digest(self, values):
        """:func:`_digest` of ``values``, computed once per array."""
        if values is None:
            return None
        # The array is kept with its digest, so that its id is not reused.
        cached = self._digests.get(id(values))
        if cached is None:
            cached = self._digests[id(values)] = (values, _digest(values))
        return cached[1]

    def fit_ended(self, fit):
        self.give_turn(fit)
        with self.condition:
            self.running -= 1
            self.condition.notify_all()

    def serve(self):
        """Train the waiting trainings whenever every running fit waits."""
        while True:
            with self.condition:
                self.condition.wait_for(lambda: len(self.waiting) == self.running)
                if not self.running:
                    return
                trainings, self.waiting = self.waiting, []
                self.serving = trainings
            trainings.sort(key=lambda t: (t.fit, t.order))
            groups = {}
            for training in trainings:
                key = training.group_key(self._digest)
                groups.setdefault(key, []).append(training)
            for group in groups.values():
                try:
                    _train_group(group, self.memory_budget)
                except Exception as error:  # handed to the fits that wait
                    for training in group:
                        training.error = error
            for training in trainings:
                training.done.set()
            self.serving = []

    def abandon(self):
        """End every fit at its next training, which raises :class:`_Abandoned`
        in it (its transaction puts it back as it was): the caller was
        interrupted."""
        with self.condition:
            self.abandoned = True
            pending, self.waiting = self.waiting + self.serving, []
            self.serving = []
        for training in pending:
            if not training.done.is_set():
                training.error = _Abandoned()
                training.done.set()


#: Seconds to wait for a thread whose start() was interrupted to begin (it
#: begins within microseconds once the OS has it).
_BEGIN_TIMEOUT = 5.0


class _Abandoned(BaseException):
    """Ends a fit of an interrupted :func:`fit_together` (not an ``Exception``:
    nothing in the fit may take it for an error to handle)."""


def train_with_others(module, X, y, config, seed, sample_weight=None):
    """Train ``module`` with the other fits of the running :func:`fit_together`.

    Returns ``(net, seconds)`` as :func:`~sklearn_rcloud.engine.train_network`
    does (``seconds``: this network's share of its population's time), or
    None outside ``fit_together`` and for a module that is not a plain
    ``Linear``/activation stack, which the caller then trains alone. A
    network whose weights carry :mod:`torch.nn.utils.prune` masks trains in
    the population with its pruned weights masked, and its own module gets
    the trained weights (the pruned ones unchanged, as alone).
    """
    slot = _SLOT.get()
    network = _plain_network(module)
    if slot is None or network is None:
        return None
    rendezvous, fit = slot
    order = rendezvous.counts[fit]
    rendezvous.counts[fit] += 1
    topology, weights, masks = network
    training = _Training(
        fit, order, topology, weights, X, y, config, seed, sample_weight, masks, module
    )
    return rendezvous.wait_for_training(training)


def fit_together(
    estimators, X, y, sample_weight=None, *, memory_budget=DEFAULT_MEMORY_BUDGET
):
    """Fit several estimators on one dataset, training their networks together.

    Each estimator is fitted as its ``fit`` would fit it: its search, its
    seeds, its recipe, every training it does. Each fit runs in a thread of
    its own, one computing at a time; when a fit reaches a training it
    waits, and once every fit still running waits, the waiting trainings of
    one recipe, one depth and one training set are trained as one
    population, where each trains as it would alone, with its own shuffling,
    validation split and stopping rule. So the k-th training of every
    estimator shares a population: several seeds of one estimator, the
    pretraining and then the fine-tuning of pruning baselines, several
    sparsities of one parent, a dense baseline beside Random Cloud. Their
    trainings cost about what their arithmetic costs rather than one
    dispatch-bound training each. Under L-BFGS (the ``'auto'`` solver on
    2,000 rows or fewer) the members still train one by one. Twin trainings
    (one network, the same initial weights and seed, e.g. a pruning
    baseline's pretraining and the dense network of its seed) are trained
    once, and each fit gets its own copy.

    A network trained in a population matches its solo training up to
    float32 rounding (the stacked products add in another order; measured
    within 1e-6 after 20 epochs, and the drift grows with the epochs), so a
    fit here may differ from the same estimator's ``fit`` in the last digits
    and, rarely, in its stopping epoch or in what depends on it. Networks
    carrying pruning masks (unstructured pruning) share populations too,
    their pruned weights masked. Watched trainings (``verbose``, callbacks)
    train alone, as does every training of an estimator of another
    library. A network continued later
    (``warm_start``) starts from a fresh optimiser state.

    Parameters
    ----------
    estimators : list of estimators
        Unfitted or fitted; each is refitted. Any scikit-learn estimator may
        be in the list, also a ``Pipeline``.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    sample_weight : array-like of shape (n_samples,) or None, default=None
        Passed to every ``fit`` that is given one.
    memory_budget : int, default=256 MiB
        Bound on one population's working memory, in bytes
        (:func:`~sklearn_rcloud.engine.train_population`).

    Returns
    -------
    estimators : list
        The same estimators, fitted. A training's ``train_time_`` (and the
        parts of it, e.g. ``pretrain_time_``) is its share of its
        population's time; the library estimator's ``fit_time_`` (a
        ``Pipeline``'s last step's) is the fit's own computing plus those
        shares, not its wall time, which counts the other fits' turns.

    Raises
    ------
    Exception
        The first error a fit raised, once every fit has ended.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_rcloud import DenseMLPClassifier, fit_together
    >>> X, y = load_iris(return_X_y=True)
    >>> seeds = [DenseMLPClassifier(random_state=s) for s in range(4)]
    >>> fitted = fit_together(seeds, X / X.max(axis=0), y)
    >>> all(model.score(X / X.max(axis=0), y) > 0.9 for model in fitted)
    True
    """
    outcome = fit_each(estimators, X, y, sample_weight, memory_budget=memory_budget)
    for log in outcome.warnings:
        for caught in log:
            warnings.warn_explicit(
                caught.message, caught.category, caught.filename, caught.lineno
            )
    outcome.raise_first_error()
    return outcome.estimators


@dataclasses.dataclass
class FitOutcome:
    """What :func:`fit_each` reports, per estimator in the order given.

    Attributes
    ----------
    estimators : list
    seconds : list of float
        The fit's own computing time plus its shares of its populations.
    warnings : list of list of warnings.WarningMessage
        What the fit warned (the global filters apply).
    errors : list of Exception or None
        What the fit raised, if it did.
    """

    estimators: list
    seconds: list
    warnings: list
    errors: list

    def raise_first_error(self):
        """Raise the first error a fit raised, if any did."""
        for error in self.errors:
            if error is not None:
                raise error


def fit_each(
    estimators, X, y, sample_weight=None, *, memory_budget=DEFAULT_MEMORY_BUDGET
):
    """:func:`fit_together`, reporting each fit's time, warnings and error.

    Returns
    -------
    FitOutcome
    """
    estimators = list(estimators)
    rendezvous = _Rendezvous(len(estimators), memory_budget)
    config = get_config()
    errors = [None] * len(estimators)

    #: Set by each thread as it begins: one whose start() an interrupt cut
    #: short still runs, and is waited for.
    begun = [threading.Event() for _ in estimators]

    def fit(index, estimator):
        begun[index].set()
        if rendezvous.abandoned:
            return
        _SLOT.set((rendezvous, index))
        rendezvous.take_turn(index)
        try:
            with config_context(**config), _thread_warnings(rendezvous.warnings[index]):
                if sample_weight is None:
                    estimator.fit(X, y)
                else:
                    estimator.fit(X, y, sample_weight=sample_weight)
        except BaseException as error:  # raised in the caller's thread below
            errors[index] = error
        finally:
            rendezvous.fit_ended(index)

    threads = [
        threading.Thread(
            target=contextvars.copy_context().run,
            args=(fit, index, estimator),
            name=f"fit_together-{index}",
            daemon=True,
        )
        for index, estimator in enumerate(estimators)
    ]
    launched = []
    try:
        for thread in threads:
            launched.append(thread)
            thread.start()
        rendezvous.serve()
    except BaseException:
        # Interrupted (Ctrl-C): no fit goes on behind the caller's back.
        # Each running fit ends at its next training, rolled back; one
        # computing now finishes that computation first.
        rendezvous.abandon()
        for index, thread in enumerate(launched):
            if begun[index].wait(timeout=_BEGIN_TIMEOUT):
                thread.join()
        raise
    for thread in threads:
        thread.join()
    for estimator, seconds, error in zip(estimators, rendezvous.seconds, errors):
        # The fit's wall time counts the others' turns: keep its own.
        final = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
        if error is None and hasattr(final, "fit_time_"):
            final.fit_time_ = seconds
    return FitOutcome(estimators, rendezvous.seconds, rendezvous.warnings, errors)


#: Guards the hook :func:`_thread_warnings` installs for as long as any
#: thread uses it.
_HOOK_LOCK = threading.Lock()
_hook_users = set()
_replaced_hook = None
_thread_log = threading.local()


@contextlib.contextmanager
def _thread_warnings(log):
    """Collect the warnings this thread shows in ``log`` (the filters apply).

    Python shows every warning through one process-wide hook,
    ``warnings.showwarning``. The first thread to enter installs a hook that
    hands a warning to the log of the thread that raised it, or, for a
    thread without one, to the hook it replaced; the last to leave puts that
    back. So fits in other threads, concurrent fit_together calls included,
    keep their warnings. A user is counted by one call inside the ``try`` (a
    token added to a set), as :func:`~sklearn_rcloud._parallel.torch_threads`
    counts its blocks, so that an interrupt cannot leave the hook installed.
    """
    global _replaced_hook
    token = object()
    try:
        with _HOOK_LOCK:
            if not _hook_users:
                _replaced_hook = warnings.showwarning
                warnings.showwarning = _show_in_thread_log
            _hook_users.add(token)
        _thread_log.log = log
        yield
    finally:
        _thread_log.log = None
        with _HOOK_LOCK:
            if token in _hook_users:  # else interrupted before it installed
                _hook_users.discard(token)
                if not _hook_users:
                    if warnings.showwarning is _show_in_thread_log:
                        warnings.showwarning = _replaced_hook
                    _replaced_hook = None


def _show_in_thread_log(message, category, filename, lineno, file=None, line=None):
    log = getattr(_thread_log, "log", None)
    if log is None:
        hook = _replaced_hook or warnings._showwarning_orig
        return hook(message, category, filename, lineno, file, line)
    log.append(warnings.WarningMessage(message, category, filename, lineno, file, line))


def _train_group(group, memory_budget):
    """Train a group's trainings as one population; twins train once.

    Trainings of one network (the same widths and initial weights) with one
    seed are the same computation, since the group shares its recipe and
    data: e.g. a pruning baseline's pretraining and the dense network of its
    seed, or the first candidates of several SAEP pruning rules. One of them
    is trained and every twin gets its own copy of the result.
    """
    first = group[0]
    distinct = {}
    for training in group:
        distinct.setdefault(training.identity(), []).append(training)
    twins = list(distinct.values())
    start = time.perf_counter()
    # Each fit checks its own network, and warns, when it builds its net
    # (member_net).
    members = train_population(
        [(same[0].topology, same[0].weights) for same in twins],
        first.X,
        first.y,
        first.config,
        [same[0].seed for same in twins],
        first.sample_weight,
        memory_budget=memory_budget,
        weight_masks=[same[0].masks for same in twins],
    )
    share = (time.perf_counter() - start) / len(group)
    for same, member in zip(twins, members):
        for index, training in enumerate(same):
            # The fit builds its net itself, so that its warnings are its own.
            training.member = member if index == 0 else copy.deepcopy(member)
            training.share = share


def _plain_network(module):
    """``(Topology, weights, masks)`` of a plain ``Linear``/activation stack
    (``masks``: None when no layer is pruned, else per layer the pruning
    mask of its weights or None), else None."""
    layers = plain_layers(module)
    # A population stacks hidden layers, and their biases.
    if layers is None or len(module) < 3:
        return None
    linears, _ = layers
    if any(layer.bias is None for layer in linears):
        return None
    masks = None
    if any(layer._forward_pre_hooks for layer in linears):
        # An unpruned layer stays unpruned in the population and in a solo
        # training (where pruning it would reorder L-BFGS's parameters).
        masks = [
            layer.weight_mask.detach().cpu() if layer._forward_pre_hooks else None
            for layer in linears
        ]
    weights = [
        (masked_weight(layer).detach().cpu(), layer.bias.detach().cpu())
        for layer in linears
    ]
    return Topology.from_module(module), weights, masks


@torch.no_grad()
def _trained_in_place(module, trained):
    """``module`` holding ``trained``'s weights; its pruned weights unchanged.

    A pruned weight's ``weight_orig`` keeps its value through a training
    alone (its gradient is masked), so it keeps it here too.
    """
    for linear, result in zip(list(module)[::2], list(trained)[::2]):
        if linear._forward_pre_hooks:
            kept = linear.weight_mask.bool()
            trained_weight = result.weight.to(linear.weight_orig.device)
            linear.weight_orig.copy_(trained_weight.where(kept, linear.weight_orig))
        else:
            linear.weight.copy_(result.weight)
        linear.bias.copy_(result.bias)
    refresh_masked_weights(module)
    return module


def _digest(values):
    """A digest of an array's or tensor's contents (None for None)."""
    if values is None:
        return None
    if torch.is_tensor(values):
        values = values.detach().cpu().numpy()
    values = np.ascontiguousarray(values)
    return (values.dtype.str, values.shape, hashlib.blake2b(values.data).hexdigest())
