"""Population training: many MLPs trained as stacked networks, one per depth.

A training step of a small MLP costs its few tensor operations' dispatch,
not its arithmetic, so k networks trained one after another cost about k
times one. Stacked along a leading member axis (``torch.baddbmm``), k
networks of one depth take one set of operations per step.
:func:`train_population` groups the networks it is given by depth and trains
each group so, each member exactly as :func:`~sklearn_rcloud.engine.
train_network` would train it alone with the same recipe and seed:

* every member has its own shuffling order (its own seed) and, with
  ``early_stopping``, its own validation split;
* members of different widths are zero-padded to the widest; the padded
  units' gradients are masked, so their weights stay exactly zero;
* the loss is the sum of the members' losses, so each member's gradient is
  its solo gradient;
* each member has its own stopping rule (the engine's: ``n_iter_no_change``
  epochs without an improvement of ``tol``) and, with a validation split,
  its best epoch's weights restored; a member that has stopped stops
  changing (its update is masked, not only its gradient: Adam's moments
  would keep moving it);
* Adam and SGD (with momentum and Nesterov) step as
  :class:`~sklearn_rcloud.engine.MLPStep` does. L-BFGS, whose line
  search would couple the members, trains them one by one.

Memory is bounded: members are trained in groups whose stacked parameters,
optimiser state and batch activations fit ``memory_budget`` bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn.utils import prune

from .._parallel import step_threads, torch_threads
from .._weights import mean_one
from ..activations import ACTIVATIONS
from ..init import seeded_generator
from ..pruning import masked_weight
from ._config import (
    batching,
    penalty,
    planned_max_iter,
    resolve_batch_size,
    resolve_device,
    resolve_early_stopping,
    resolve_solver,
)
from ._data import to_device, validation_split
from ._losses import LOSSES, losses_and_gradient, task_of, validation_scores
from ._net import build_net
from ._train import check_trained, train_network, training_curve
from ._update import AdamUpdate, SGDUpdate

__all__ = ["TrainedMember", "member_net", "train_population"]

#: Default bound on a group's working memory, in bytes.
DEFAULT_MEMORY_BUDGET = 256 * 2**20


@dataclass
class TrainedMember:
    """One network of a population, trained.

    Attributes
    ----------
    module : torch.nn.Sequential
        The trained network at its own widths, on the CPU.
    train_loss : list of float
        Mean training loss of every epoch (the L2 penalty included).
    valid_loss, valid_score : list of float or None
        Validation loss and score (accuracy, or R² for regression) of every
        epoch, with a validation split.
    n_iter : int
        Epochs run.
    best_epoch : int
        The epoch (1-based) whose weights ``module`` holds.
    converged : bool
        Whether the stopping rule ended training before the epoch budget.
    """

    module: nn.Sequential
    train_loss: list
    valid_loss: list | None
    valid_score: list | None
    n_iter: int
    best_epoch: int
    converged: bool


def train_population(
    networks,
    X,
    y,
    config,
    seeds,
    sample_weight=None,
    memory_budget=DEFAULT_MEMORY_BUDGET,
    weight_masks=None,
):
    """Train several MLPs together, each as if it were alone.

    Members of one depth share a stacked population; members of several
    depths train in one population per depth.

    Parameters
    ----------
    networks : list of (Topology, weights)
        The members and their initial ``(weight, bias)`` per layer. They
        share the input and output sizes and the activation.
    X : ndarray or Tensor of shape (n_samples, n_features), float32
    y : ndarray or Tensor of shape (n_samples,), int64 class indices
    config : TrainingConfig
        The one recipe, as :func:`~sklearn_rcloud.engine.train_network`
        takes it.
    seeds : list of int
        One per member: its shuffling order and validation split.
    sample_weight : ndarray of shape (n_samples,) or None, default=None
    memory_budget : int, default=256 MiB
        Bound on a group's working memory; members beyond it train in a
        further group.
    weight_masks : list or None, default=None
        One entry per member: None, or per layer a ``(fan_out, fan_in)`` 0/1
        tensor (the layer's pruned weights, as :mod:`torch.nn.utils.prune`
        masks them) or None (the layer is not pruned). A masked member
        trains as the same network carrying those masks would alone: its
        pruned weights are zero and stay zero.

    Returns
    -------
    members : list of TrainedMember
        In the order of ``networks``.
    """
    networks = list(networks)
    seeds = [int(s) for s in seeds]
    if len(seeds) != len(networks):
        raise ValueError(
            f"Got {len(networks)} networks but {len(seeds)} seeds: one seed each."
        )
    if not networks:
        return []
    _check_one_family(networks)
    if weight_masks is None:
        weight_masks = [None] * len(networks)
    if len(weight_masks) != len(networks):
        raise ValueError(
            f"Got {len(networks)} networks but {len(weight_masks)} weight masks: "
            "one entry (or None) each."
        )
    task_of(config.loss)  # a loss the engine knows
    device = resolve_device(config.device)
    X, y = to_device(X, y, device)
    solver = resolve_solver(config.solver, len(X))
    if solver == "lbfgs":
        return [
            _solo(topology, weights, X, y, config, seed, sample_weight, masks)
            for (topology, weights), seed, masks in zip(networks, seeds, weight_masks)
        ]
    members = [None] * len(networks)
    for group in _groups(networks, len(X), config, memory_budget):
        population = _Population(
            [networks[i] for i in group],
            X,
            y,
            config,
            solver,
            [seeds[i] for i in group],
            sample_weight,
            [weight_masks[i] for i in group],
        )
        with torch_threads(step_threads(population.step_work)):
            trained = population.train()
        for index, member in zip(group, trained):
            members[index] = member
    return members


def member_net(member, X, y, config, seed, sample_weight=None):
    """A member as :func:`~sklearn_rcloud.engine.train_network` returns a network.

    The skorch net is built as the engine builds it for ``member``'s network
    (the same validation split, batch size, callbacks and optimiser), holds
    ``member.module`` and records the member's curves in its history, one
    batch entry per epoch as the engine's fast epoch does; then it is checked
    as a solo training is (divergence raises, a stopping rule that never fired
    warns). Its optimiser starts afresh: training it further (``warm_start``)
    does not carry the population's optimiser state over.

    Parameters
    ----------
    member : TrainedMember
    X, y, config, seed, sample_weight :
        What the member was trained with (:func:`train_population`).

    Returns
    -------
    net : skorch.NeuralNetClassifier
        Initialised, with ``net.module_`` being ``member.module``.
    """
    device = resolve_device(config.device)
    X, y = to_device(X, y, device)
    solver = resolve_solver(config.solver, len(X))
    net, X_fit, _, _ = build_net(
        member.module, X, y, config, solver, seed, sample_weight, device
    )
    net.initialize()
    history = net.history
    n_batches = math.ceil(len(X_fit) / net.batch_size)
    for epoch in range(member.n_iter):
        history.new_epoch()
        history.record("epoch", epoch + 1)
        history.new_batch()
        history.record_batch("train_loss", member.train_loss[epoch])
        history.record_batch("train_batch_size", len(X_fit))
        history.record("train_batch_count", n_batches)
        history.record("train_loss", member.train_loss[epoch])
        if member.valid_loss is not None:
            history.record("valid_loss", member.valid_loss[epoch])
            history.record(LOSSES[config.loss].score_name, member.valid_score[epoch])
    net.module_.cpu()
    check_trained(net)
    return net


def _check_one_family(networks):
    first = networks[0][0]
    for topology, _ in networks:
        if (
            topology.n_features != first.n_features
            or topology.n_outputs != first.n_outputs
            or topology.activation != first.activation
        ):
            raise ValueError(
                "A population shares the input and output sizes and the "
                f"activation: {topology!r} differs from {first!r}."
            )


#: Below this many parameters a step costs its dispatch, not its arithmetic,
#: so padding a member up to it costs nothing.
_DISPATCH_BOUND_PARAMS = 4096


def _groups(networks, n_samples, config, memory_budget):
    """Member indices in groups of one depth and similar size that fit
    ``memory_budget``.

    Members are taken by depth, and from the largest down; one joins the
    current group if it has the group's depth, while padding it to the
    group's widths at most doubles its parameters (or the group is small
    enough that its steps cost only their dispatch), and while the group fits
    the budget.
    """
    batch = resolve_batch_size(config.batch_size, n_samples, "adam")
    order = sorted(
        range(len(networks)),
        key=lambda i: (networks[i][0].depth, -networks[i][0].n_params),
    )
    groups, widths = [], None
    for index in order:
        topology = networks[index][0]
        sizes = np.asarray(topology.layer_sizes)
        if groups and len(sizes) == len(widths):
            padded = np.maximum(widths, sizes)
            n_padded = _n_params(padded)
            fits = len(groups[-1]) + 1 <= _group_capacity(padded, batch, memory_budget)
            similar = (
                n_padded <= 2 * topology.n_params or n_padded <= _DISPATCH_BOUND_PARAMS
            )
            if fits and similar:
                groups[-1].append(index)
                widths = padded
                continue
        groups.append([index])
        widths = sizes
    return groups


def _n_params(layer_sizes):
    return sum(
        int(a) * int(b) + int(b) for a, b in zip(layer_sizes[:-1], layer_sizes[1:])
    )


def _group_capacity(layer_sizes, batch, memory_budget):
    """How many members of these padded widths fit ``memory_budget``."""
    # Parameters, gradients, two optimiser moments and a best copy; the
    # batch's inputs, activations and their gradients.
    per_member = 4 * (5 * _n_params(layer_sizes) + 3 * batch * int(np.sum(layer_sizes)))
    return max(1, int(memory_budget // max(per_member, 1)))


def _solo(topology, weights, X, y, config, seed, sample_weight, masks=None):
    module = topology.to_module(weights)
    linears = [layer for layer in module if isinstance(layer, nn.Linear)]
    if masks is not None:
        for linear, mask in zip(linears, masks):
            if mask is not None:
                prune.custom_from_mask(linear, "weight", torch.as_tensor(mask))
    # Checked, as every member is, where it is used (member_net).
    net, _ = train_network(module, X, y, config, seed, sample_weight, check=False)
    trained = net.module_
    if masks is not None:
        # A member is a plain network: its pruned weights, zero, in place.
        trained = topology.to_module(
            [(masked_weight(layer), layer.bias) for layer in linears]
        )
    curve = training_curve(net)
    valid = "valid_loss" in curve
    n_iter = len(curve["train_loss"])
    return TrainedMember(
        module=trained,
        train_loss=[float(v) for v in curve["train_loss"]],
        valid_loss=[float(v) for v in curve["valid_loss"]] if valid else None,
        valid_score=(
            [float(v) for v in curve[LOSSES[config.loss].score_name]] if valid else None
        ),
        n_iter=n_iter,
        best_epoch=n_iter,
        converged=config.n_iter_no_change is not None
        and n_iter < planned_max_iter(config, len(X)),
    )


def _mean_one(weights):
    """``weights`` scaled to average one, as the engine scales them, in float32."""
    return mean_one(weights).astype(np.float32)


class _Population:
    """k members stacked: parameters of shape (k, out, in) and (k, out)."""

    def __init__(
        self, networks, X, y, config, solver, seeds, sample_weight, weight_masks
    ):
        self.config, self.solver = config, solver
        self.topologies = [t for t, _ in networks]
        self.k = len(networks)
        self.activation = ACTIVATIONS[self.topologies[0].activation]
        self.class_targets = LOSSES[config.loss].class_targets
        device, dtype = X.device, torch.float32
        self.early_stopping = resolve_early_stopping(config.early_stopping, len(X))
        self.X, self.y = X, y
        self._split(seeds, sample_weight)
        self.batch_size, self.max_epochs = batching(
            config, solver, self.early_stopping, self.n_fit
        )
        self.lr = float(config.learning_rate_init)
        sizes = np.max([t.layer_sizes for t in self.topologies], axis=0)
        self.weights, self.biases, self.masks = [], [], []
        for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            weight = torch.zeros((self.k, fan_out, fan_in), dtype=dtype, device=device)
            bias = torch.zeros((self.k, fan_out), dtype=dtype, device=device)
            out_mask = torch.zeros((self.k, fan_out), dtype=dtype, device=device)
            in_mask = torch.zeros((self.k, fan_in), dtype=dtype, device=device)
            pruned = {}
            for member, (_, initial) in enumerate(networks):
                w, b = initial[layer]
                w = torch.as_tensor(w, dtype=dtype, device=device)
                masks = weight_masks[member]
                if masks is not None and masks[layer] is not None:
                    mask = torch.as_tensor(masks[layer], device=device)
                    pruned[member] = mask.to(dtype)
                    w = w * pruned[member]
                weight[member, : w.shape[0], : w.shape[1]] = w
                bias[member, : w.shape[0]] = torch.as_tensor(b, dtype=dtype)
                out_mask[member, : w.shape[0]] = 1
                in_mask[member, : w.shape[1]] = 1
            self.weights.append(weight)
            self.biases.append(bias)
            if bool(out_mask.all()) and bool(in_mask.all()) and not pruned:
                self.masks.append(None)
                continue
            # Members narrower than the widest, and pruned weights: their
            # gradients are masked, so they stay exactly zero.
            mask = out_mask[:, :, None] * in_mask[:, None, :]
            for member, member_mask in pruned.items():
                fan_out, fan_in = member_mask.shape
                mask[member, :fan_out, :fan_in] *= member_mask
            self.masks.append((mask, out_mask))
        self.params = [p for pair in zip(self.weights, self.biases) for p in pair]
        if solver == "adam":
            self.update = AdamUpdate(
                self.params, (config.beta_1, config.beta_2), config.epsilon
            )
        else:
            self.update = SGDUpdate(config.momentum, config.nesterovs_momentum)
        self._minus_ones = {}
        self.frozen = None
        #: The member (index in ``networks``) at every position of the stack.
        self.slots = list(range(self.k))
        self.generators = [seeded_generator(s) for s in seeds]

    @property
    def step_work(self):
        """Multiply-adds of one step: the batch's rows times every parameter."""
        return min(self.batch_size, self.n_fit) * sum(p.numel() for p in self.params)

    # ------------------------------------------------------------ the data
    def _split(self, seeds, sample_weight):
        """Each member's training rows (and validation rows), as its solo fit's."""
        rows = np.arange(len(self.y))
        y = self.y.cpu().numpy()
        fit_rows, valid_rows, fit_weights, valid_weights = [], [], [], []
        for seed in seeds:
            if self.early_stopping:
                fit, valid, *_ = validation_split(
                    rows,
                    y,
                    self.config.validation_fraction,
                    seed,
                    stratify=self.class_targets,
                )
            else:
                fit, valid = rows, None
            fit_rows.append(fit)
            valid_rows.append(valid)
            if sample_weight is not None:
                fit_weights.append(sample_weight[fit])
                if valid is not None:
                    valid_weights.append(_mean_one(sample_weight[valid]))
            else:
                fit_weights.append(None)
        self.n_fit = len(fit_rows[0])
        device = self.X.device
        self.fit_rows = torch.as_tensor(np.stack(fit_rows), device=device)
        self.valid_rows = (
            torch.as_tensor(np.stack(valid_rows), device=device)
            if self.early_stopping
            else None
        )
        self.l2 = [penalty(self.config.alpha, self.n_fit, w) for w in fit_weights]
        self.l2_tensor = torch.as_tensor(self.l2, dtype=torch.float32, device=device)
        # Members of one split size and unweighted rows share the penalty.
        self.shared_l2 = self.l2[0] if len(set(self.l2)) == 1 else None
        # As the engine does: weights scaled to average one in either part,
        # and weights that are all equal make no difference.
        self.row_weights = self.valid_weights = None
        if sample_weight is not None:
            weights = np.stack([_mean_one(w) for w in fit_weights])
            if not np.all(weights == 1.0):
                self.row_weights = torch.as_tensor(weights, device=device)
            if valid_weights and not np.all(np.stack(valid_weights) == 1.0):
                self.valid_weights = torch.as_tensor(
                    np.stack(valid_weights), device=device
                )

    # ---------------------------------------------------------- the passes
    def _forward(self, X):
        """Logits laid out (k, c, b), and the inputs of every layer.

        The class axis is the middle one: torch's softmax over a short last
        axis of many rows is an order of magnitude slower than over a middle
        axis with the rows contiguous.
        """
        inputs, hidden = [X], X
        last = len(self.weights) - 1
        for index, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            if index == last:
                logits = torch.baddbmm(bias[:, :, None], weight, hidden.transpose(1, 2))
                return logits, inputs
            z = torch.baddbmm(bias[:, None, :], hidden, weight.transpose(1, 2))
            hidden = self.activation.forward(z)
            inputs.append(hidden)
        raise AssertionError("unreachable")

    def _losses(self, logits, y):
        """Per-sample losses (k, b) and their gradient (k, c, b) by the logits."""
        target = self._target(y)
        minus_one = self._minus_one(logits) if self.class_targets else None
        return losses_and_gradient(self.config.loss, logits, target, minus_one)

    def _target(self, y):
        """``y`` at rows (k, b) laid out as the logits: (k, 1, b) class indices,
        or (k, outputs, b) target values."""
        if self.class_targets:
            return y[:, None, :]
        return y.transpose(1, 2)

    def _minus_one(self, logits):
        """A cached (k, 1, batch) tensor of -1 (one fewer op per step)."""
        key = (logits.shape[0], logits.shape[2])
        if key not in self._minus_ones:
            self._minus_ones[key] = torch.full_like(logits[:, :1, :], -1.0)
        return self._minus_ones[key]

    def _gradients(self, X, y, weights):
        """Per-sample losses (k, b), penalty included, and the masked gradients."""
        logits, inputs = self._forward(X)
        losses, grad = self._losses(logits, y)
        if weights is not None:
            grad.mul_(weights[:, None, :])
            losses = losses * weights
        grad.div_(X.shape[1])
        # The output layer's gradient comes laid out (k, c, b); the hidden
        # layers' (k, b, units).
        grads = [grad.sum(2), self._weight_grad(torch.bmm(grad, inputs[-1]), -1)]
        if len(self.weights) > 1:
            grad = torch.bmm(grad.transpose(1, 2), self.weights[-1])
        for index in range(len(self.weights) - 2, -1, -1):
            a_in = inputs[index]
            grad = self.activation.backward(grad, inputs[index + 1])
            grads.append(grad.sum(1))
            grads.append(
                self._weight_grad(torch.bmm(grad.transpose(1, 2), a_in), index)
            )
            if index > 0:
                grad = torch.bmm(grad, self.weights[index])
        grads.reverse()  # now weight0, bias0, weight1, bias1, ...
        for layer, masks in enumerate(self.masks):
            if masks is not None:  # narrower members, pruned weights
                grads[2 * layer].mul_(masks[0])
                grads[2 * layer + 1].mul_(masks[1])
        if self.shared_l2 != 0.0:
            squared_norm = sum(w.square().sum(dim=(1, 2)) for w in self.weights)
            losses = losses + (0.5 * self.l2_tensor * squared_norm)[:, None]
        return losses, grads

    def _weight_grad(self, weight_grad, index):
        """The L2 penalty's gradient added to layer ``index``'s."""
        if self.shared_l2 == 0.0:
            return weight_grad
        if self.shared_l2 is not None:
            return weight_grad.add_(self.weights[index], alpha=self.shared_l2)
        return weight_grad.addcmul_(self.weights[index], self.l2_tensor[:, None, None])

    @torch.no_grad()
    def _step(self, X, y, weights):
        """One step of every member; the stopped members' weights stay as they were."""
        losses, grads = self._gradients(X, y, weights)
        self.update(self.params, grads, self.lr)
        if self.frozen is not None:
            # Masking the gradient alone would not do: Adam's moments would
            # keep moving a stopped member.
            for param, frozen, stopped in zip(self.params, self.frozen, self.stopped):
                torch.where(stopped, frozen, param, out=param)
        return losses

    def _freeze(self, member):
        """Freeze the member at stack position ``member`` at its weights."""
        if self.frozen is None:
            self.frozen = [p.clone() for p in self.params]
            self.stopped_members = torch.zeros(
                self.k, dtype=torch.bool, device=self.X.device
            )
            self.stopped = [
                self.stopped_members.reshape(-1, *([1] * (p.dim() - 1)))
                for p in self.params
            ]
        else:
            for param, frozen in zip(self.params, self.frozen):
                frozen[member].copy_(param[member])
        self.stopped_members[member] = True

    @torch.no_grad()
    def _validate(self):
        """Validation loss and score (k,) of every member, on its own rows
        (accuracy, or R² for regression)."""
        X, y = self._rows(self.valid_rows)
        logits, _ = self._forward(X)
        losses, _ = self._losses(logits, y)
        target = y if self.class_targets else self._target(y)
        scores = validation_scores(self.config.loss, logits, target, self.valid_weights)
        if self.valid_weights is None:
            return losses.double().mean(dim=1), scores
        return (losses.double() * self.valid_weights.double()).mean(dim=1), scores

    # ------------------------------------------------------------ training
    def train(self):
        k, config = self.k, self.config
        patience, tol = config.n_iter_no_change, float(config.tol)
        threshold = np.full(k, np.inf)
        misses = np.zeros(k, dtype=int)
        best_epoch = np.zeros(k, dtype=int)
        n_iter = np.zeros(k, dtype=int)
        stopped = np.zeros(k, dtype=bool)
        best, final = [None] * k, [None] * k
        train_loss = [[] for _ in range(k)]
        valid_loss = [[] for _ in range(k)] if self.early_stopping else None
        valid_score = [[] for _ in range(k)] if self.early_stopping else None
        shuffle = bool(config.shuffle) and self.batch_size < self.n_fit
        for epoch in range(1, self.max_epochs + 1):
            order = self._orders(shuffle)
            rows = torch.gather(self.fit_rows, 1, order)
            weights = (
                None
                if self.row_weights is None
                else torch.gather(self.row_weights, 1, order)
            )
            losses = []
            for start in range(0, self.n_fit, self.batch_size):
                window = slice(start, start + self.batch_size)
                batch = rows[:, window]
                losses.append(
                    self._step(
                        *self._rows(batch),
                        None if weights is None else weights[:, window],
                    )
                )
            # Per-sample losses, reduced once per epoch, as the engine does.
            epoch_loss = torch.cat(losses, dim=1).double().mean(dim=1).cpu().numpy()
            if self.early_stopping:
                v_loss, v_score = (t.cpu().numpy() for t in self._validate())
            newly_stopped = []
            for position, member in enumerate(self.slots):
                if stopped[member]:
                    continue
                n_iter[member] = epoch
                train_loss[member].append(float(epoch_loss[position]))
                monitor = epoch_loss[position]
                if self.early_stopping:
                    valid_loss[member].append(float(v_loss[position]))
                    valid_score[member].append(float(v_score[position]))
                    monitor = v_loss[position]
                if patience is None:
                    continue
                if monitor < threshold[member]:
                    misses[member] = 0
                    threshold[member] = monitor - tol
                    best_epoch[member] = epoch
                    if self.early_stopping:
                        best[member] = self._weights_at(position)
                else:
                    misses[member] += 1
                if misses[member] == patience:
                    stopped[member] = True
                    final[member] = self._weights_at(position)
                    newly_stopped.append(position)
            if stopped.all():
                break
            if newly_stopped:
                self._retire(newly_stopped, stopped)
        members = []
        for member in range(k):
            weights = final[member]
            if weights is None:
                weights = self._weights_at(self.slots.index(member))
            if (
                self.early_stopping
                and best[member] is not None
                and best_epoch[member] != n_iter[member]
            ):
                weights = best[member]
            topology = self.topologies[member]
            members.append(
                TrainedMember(
                    module=topology.to_module(weights),
                    train_loss=train_loss[member],
                    valid_loss=None if valid_loss is None else valid_loss[member],
                    valid_score=None if valid_score is None else valid_score[member],
                    n_iter=int(n_iter[member]),
                    best_epoch=int(
                        best_epoch[member]
                        if self.early_stopping and best[member] is not None
                        else n_iter[member]
                    ),
                    converged=bool(stopped[member]),
                )
            )
        return members

    def _retire(self, positions, stopped):
        """Take stopped members out of the computation.

        While they are fewer than half the stack they are frozen in place
        (their weights restored after every step); then the stack is
        rebuilt from the members still training, so that a population
        costs what its running members cost.
        """
        running = [p for p, m in enumerate(self.slots) if not stopped[m]]
        if len(running) <= self.k // 2:
            self._compact(running)
            return
        for position in positions:
            self._freeze(position)

    def _rows(self, rows):
        """``X`` and ``y`` at ``rows`` (k, b): (k, b, features) and (k, b).

        ``index_select`` on the flattened rows, which is several times faster
        than advanced indexing with a 2-d index.
        """
        flat = rows.reshape(-1)
        X = self.X.index_select(0, flat).view(*rows.shape, self.X.shape[1])
        y = self.y.index_select(0, flat)
        return X, y.view(*rows.shape, *y.shape[1:])

    def _orders(self, shuffle):
        """Each member's visiting order of its training rows, (k, n_fit)."""
        if not shuffle:
            order = torch.arange(self.n_fit, device=self.X.device)
            return order.expand(self.k, -1)
        return torch.stack(
            [torch.randperm(self.n_fit, generator=g) for g in self.generators]
        ).to(self.X.device)

    def _compact(self, positions):
        """Keep only the members at ``positions`` in the stack."""
        keep = torch.as_tensor(positions, device=self.X.device)

        def take(tensor):
            return None if tensor is None else tensor.index_select(0, keep)

        self.weights = [take(w) for w in self.weights]
        self.biases = [take(b) for b in self.biases]
        self.masks = [
            None if m is None else (take(m[0]), take(m[1])) for m in self.masks
        ]
        self.params = [p for pair in zip(self.weights, self.biases) for p in pair]
        self.update.map_state(take)
        self.fit_rows = take(self.fit_rows)
        self.valid_rows = take(self.valid_rows)
        self.row_weights = take(self.row_weights)
        self.valid_weights = take(self.valid_weights)
        self.l2 = [self.l2[p] for p in positions]
        self.l2_tensor = take(self.l2_tensor)
        self.generators = [self.generators[p] for p in positions]
        self.slots = [self.slots[p] for p in positions]
        self.k = len(positions)
        self.frozen = None  # every frozen member has just left

    def _weights_at(self, position):
        """``(weight, bias)`` per layer of the member at stack ``position``,
        at its own widths, on the CPU."""
        member = self.slots[position]
        sizes = self.topologies[member].layer_sizes
        return [
            (
                w[position, :fan_out, :fan_in].detach().cpu().clone(),
                b[position, :fan_out].detach().cpu().clone(),
            )
            for w, b, fan_in, fan_out in zip(
                self.weights, self.biases, sizes[:-1], sizes[1:]
            )
        ]
