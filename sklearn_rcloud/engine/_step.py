"""A training step for plain MLPs with explicit gradients and fused optimisers.

The networks this library trains are small: at mini-batch sizes a step spends
most of its time in per-operation overhead (autograd's graph, the optimiser's
per-parameter Python loop), not in arithmetic. :class:`MLPStep` does the same
step with the few tensor operations it needs: the forward pass keeps the
activations, the backward pass is written out for ``Linear`` layers with ReLU,
logistic, tanh or identity activations, and Adam or SGD (with momentum)
update all parameters with
``torch._foreach_*`` operations. Its gradients and updates equal autograd's and
``torch.optim``'s (tested).

It applies only where it is exact: a ``Sequential`` of ``Linear`` layers and
those activations (their weights may carry :mod:`torch.nn.utils.prune` masks,
applied as the pruning hook applies them, the gradient of the unpruned
weights masked as autograd masks it), trained with cross-entropy or the
sigmoid squared error (with an optional L2 penalty on the weights and
optional per-sample weights), by Adam or SGD without weight decay, or by
L-BFGS (:class:`~sklearn_rcloud.engine.FlatLBFGS`, ``torch.optim.LBFGS``'s
algorithm on a flat vector of the parameters).
Adam uses torch's fused kernel where it exists for the device (CPU since
torch 2.4), else ``torch._foreach_*`` operations.
:func:`make_step` returns ``None`` otherwise, and the caller
falls back to autograd.
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from ..activations import activation_of
from ..pruning import weight_pruning_hook
from ..topology import plain_layers
from ._lbfgs import FlatLBFGS
from ._losses import LOSSES, losses_and_gradient
from ._update import AdamUpdate, SGDUpdate

__all__ = ["MLPStep", "make_step"]


def _trained_weight(linear):
    """The weight parameter the optimiser updates (``weight_orig`` when pruned)."""
    return linear.weight_orig if linear._forward_pre_hooks else linear.weight


def make_step(module, loss, optimizer, lr, l2=0.0, **options):
    """An :class:`MLPStep` for this training setting, or None where it is not exact.

    Parameters
    ----------
    module : torch.nn.Module
    loss : {'cross_entropy', 'mse', 'squared_error'}
    optimizer : {'adam', 'sgd', 'lbfgs'}
    lr : float
    l2 : float, default=0.0
        L2 penalty on the weights, as :class:`MLPStep` defines it.
    **options
        The optimiser's options, as :class:`MLPStep` takes them.
    """
    layers = plain_layers(module)
    if layers is None or loss not in LOSSES:
        return None
    if optimizer not in ("adam", "sgd", "lbfgs"):
        return None
    return MLPStep(*layers, loss=loss, optimizer=optimizer, lr=lr, l2=l2, **options)


class MLPStep:
    """One optimisation step of a plain MLP, without autograd.

    Parameters
    ----------
    linears : list of torch.nn.Linear
        Updated in place.
    activations : list of torch.nn.Module
        One activation module (ReLU, Sigmoid, Tanh or Identity) per hidden
        layer.
    loss : {'cross_entropy', 'mse', 'squared_error'}
        A loss of :data:`~sklearn_rcloud.engine._losses.LOSSES`, averaged
        over the batch.
    optimizer : {'adam', 'sgd', 'lbfgs'}
        ``torch.optim.Adam`` or ``torch.optim.SGD`` with the options below,
        or one L-BFGS iteration (:class:`~sklearn_rcloud.engine.FlatLBFGS`,
        history 10, strong-Wolfe line search) per call, ``lr`` unused.
    lr : float
    l2 : float, default=0.0
        L2 penalty: ``0.5 * l2 * sum(||W||^2)`` is added to the mean batch
        loss (weights only, not biases).
    betas : (float, float), default=(0.9, 0.999)
    eps : float, default=1e-8
        Adam's options, as ``torch.optim.Adam`` takes them.
    momentum : float, default=0.0
    nesterov : bool, default=False
        SGD's options, as ``torch.optim.SGD`` takes them (no dampening).
    """

    def __init__(
        self,
        linears,
        activations,
        loss,
        optimizer,
        lr,
        l2=0.0,
        *,
        betas=(0.9, 0.999),
        eps=1e-8,
        momentum=0.0,
        nesterov=False,
    ):
        self.linears = linears
        self.l2 = float(l2)
        self.activation = activation_of(activations[0]) if activations else None
        self.loss = loss
        self.class_targets = LOSSES[loss].class_targets
        self.optimizer = optimizer
        self.lr = float(lr)
        self._bind_layers()
        self._minus_ones = {}
        self._last_evaluation = None
        if optimizer == "adam":
            self.update = AdamUpdate(self.params, betas, eps)
        elif optimizer == "sgd":
            self.update = SGDUpdate(momentum, nesterov)
        else:
            self.lbfgs = FlatLBFGS()

    def __deepcopy__(self, memo):
        # A Parameter's deepcopy clones its data, so the views kept of the
        # weights would still read the original's: they are made anew from
        # the copied layers (deep-copied through ``memo``, as those of the
        # module they belong to when it is copied with this step).
        copied = object.__new__(type(self))
        memo[id(self)] = copied
        views = {"params", "weights", "weights_t", "pruned", "_last_evaluation"}
        views.update(("_param_sizes", "_param_arrays", "_offsets"))
        for name, value in vars(self).items():
            if name not in views:
                setattr(copied, name, copy.deepcopy(value, memo))
        copied._bind_layers()
        copied._last_evaluation = None
        return copied

    def _bind_layers(self):
        """The parameters, pruning hooks and weight views of ``self.linears``."""
        #: ``(index, hook)`` of the layers whose weights carry a pruning mask:
        #: their parameter is ``weight_orig``, their weight its masked product.
        self.pruned = [
            (index, weight_pruning_hook(m))
            for index, m in enumerate(self.linears)
            if m._forward_pre_hooks
        ]
        self.params = [p for m in self.linears for p in (_trained_weight(m), m.bias)]
        # Transposed views stay valid: parameters are only updated in place
        # (masked weights are recomputed before every pass, see _apply_masks).
        self.weights_t = [m.weight.detach().T for m in self.linears]
        self.weights = [m.weight.detach() for m in self.linears]
        self._param_sizes = [p.numel() for p in self.params]
        #: The parameters' NumPy views (CPU), through which L-BFGS reads and
        #: writes them without a round of torch calls; None on other devices.
        self._param_arrays = (
            [p.detach().numpy() for p in self.params]
            if self.params[0].device.type == "cpu"
            else None
        )
        self._offsets = np.cumsum([0, *self._param_sizes])

    def matches(self, module):
        """Whether this step was made for ``module`` as it is now (its layers,
        parameters and pruning masks)."""
        layers = plain_layers(module)
        if layers is None or len(layers[0]) != len(self.linears):
            return False
        pruned = [i for i, m in enumerate(layers[0]) if m._forward_pre_hooks]
        return pruned == [i for i, _ in self.pruned] and all(
            linear is mine
            and self.params[2 * i] is _trained_weight(linear)
            and self.params[2 * i + 1] is linear.bias
            for i, (linear, mine) in enumerate(zip(layers[0], self.linears))
        )

    # ---------------------------------------------------------- gradients
    @torch.no_grad()
    def _apply_masks(self):
        """Masked weights as their pruning hooks make them before a forward pass."""
        for index, hook in self.pruned:
            linear = self.linears[index]
            hook(linear, ())
            weight = linear.weight.detach()
            self.weights[index] = weight
            self.weights_t[index] = weight.T

    def _minus_one(self, like):
        """A cached ``(batch, 1)`` tensor of -1 (one fewer op per step)."""
        key = (like.shape[0], like.dtype, like.device)
        if key not in self._minus_ones:
            self._minus_ones[key] = torch.full_like(like[:, :1], -1.0)
        return self._minus_ones[key]

    def gradients(self, X, y, sample_weight=None):
        """Per-sample losses and gradients (weight, bias per layer).

        Parameters
        ----------
        X : Tensor of shape (batch, n_features)
        y : Tensor of shape (batch,) or (batch, n_outputs)
            Class indices, or the target values of ``squared_error``.
        sample_weight : Tensor of shape (batch,) or None, default=None
            Each sample's loss is multiplied by its weight before the batch
            mean (weights are normalised by the caller to average one over
            the training set, so the mean is the weighted average).

        Returns
        -------
        losses : Tensor of shape (batch,)
            Loss of every sample, weighted (its mean is the batch loss).
        grads : list of Tensor
            In ``params`` order: weight0, bias0, weight1, bias1, ...
        """
        if self.pruned:
            self._apply_masks()
        inputs = [X]
        hidden = X
        for linear, weight_t in zip(self.linears[:-1], self.weights_t):
            hidden = self.activation.forward(torch.addmm(linear.bias, hidden, weight_t))
            inputs.append(hidden)
        logits = torch.addmm(self.linears[-1].bias, hidden, self.weights_t[-1])
        batch = X.shape[0]
        if self.class_targets:
            y = y[:, None]
            minus_one = self._minus_one(logits)
        else:
            y, minus_one = y.reshape(logits.shape), None
        losses, grad = losses_and_gradient(self.loss, logits, y, minus_one)
        if sample_weight is not None:
            sample_weight = sample_weight.to(grad.dtype)
            grad.mul_(sample_weight[:, None])
        grad.div_(batch)

        grads = []
        for index in range(len(self.linears) - 1, -1, -1):
            a_in = inputs[index]
            grads.append(grad.sum(0))
            weight_grad = grad.T @ a_in
            if self.l2:
                weight_grad.add_(self.weights[index], alpha=self.l2)
            grads.append(weight_grad)
            if self.linears[index]._forward_pre_hooks:  # the pruned stay put
                weight_grad.mul_(self.linears[index].weight_mask)
            if index > 0:
                grad = self.activation.backward(grad @ self.weights[index], a_in)
        grads.reverse()  # now weight0, bias0, weight1, bias1, ...
        if sample_weight is not None:
            losses = losses * sample_weight
        if self.l2:
            squared_norm = torch.stack(torch._foreach_norm(self.weights)).square().sum()
            losses = losses + 0.5 * self.l2 * squared_norm
        return losses, grads

    # ---------------------------------------------------------------- L-BFGS
    def _flat_params(self):
        """The parameters as one float64 vector (a copy)."""
        if self._param_arrays is not None:
            return np.concatenate(
                [a.reshape(-1) for a in self._param_arrays], dtype=np.float64
            )
        flat = torch.cat([p.detach().reshape(-1) for p in self.params])
        return flat.cpu().numpy().astype(np.float64)

    @torch.no_grad()
    def _set_flat_params(self, flat):
        """Write the float64 vector ``flat`` into the parameters (as float32)."""
        if self._param_arrays is not None:
            for array, start, stop in zip(
                self._param_arrays, self._offsets[:-1], self._offsets[1:]
            ):
                array.reshape(-1)[...] = flat[start:stop]
            return
        values = torch.from_numpy(flat.astype(np.float32))
        values = values.to(self.params[0].device, non_blocking=True)
        chunks = torch.split(values, self._param_sizes)
        torch._foreach_copy_(
            self.params, [c.view_as(p) for c, p in zip(chunks, self.params)]
        )

    @torch.no_grad()
    def _evaluate(self, X, y, sample_weight):
        """``(per-sample losses, mean loss, flat float64 gradient)`` here and now."""
        losses, grads = self.gradients(X, y, sample_weight)
        if self._param_arrays is not None:
            flat_grad = np.concatenate(
                [g.numpy().reshape(-1) for g in grads], dtype=np.float64
            )
        else:
            flat = torch.cat([g.reshape(-1) for g in grads])
            flat_grad = flat.cpu().numpy().astype(np.float64)
        return losses, float(losses.double().mean()), flat_grad

    def _lbfgs_iteration(self, X, y, sample_weight):
        """One L-BFGS iteration; the per-sample losses before it.

        The loss and gradient where the previous iteration ended are kept:
        when the next one starts from those very parameters on the same
        data, it needs no evaluation of its own.
        """
        data = (
            X.data_ptr(),
            X.shape,
            y.data_ptr(),
            None if sample_weight is None else sample_weight.data_ptr(),
        )
        x = self._flat_params()
        cached = self._last_evaluation
        if cached is not None and cached[0] == data and np.array_equal(cached[1], x):
            start = cached[2]
        else:
            start = self._evaluate(X, y, sample_weight)
        losses, loss, grad = start
        evaluated = {id(grad): (losses, grad)}

        def evaluate(point):
            self._set_flat_params(point)
            losses, loss, grad = self._evaluate(X, y, sample_weight)
            evaluated[id(grad)] = (losses, grad)  # the grad kept: ids stay unique
            return loss, grad

        x_end, loss_end, grad_end = self.lbfgs.iterate(x, loss, grad, evaluate)
        if x_end is not x:
            self._set_flat_params(x_end)
            # As the float32 parameters now hold it.
            x_end = x_end.astype(np.float32).astype(np.float64)
            end = (evaluated[id(grad_end)][0], loss_end, grad_end)
        else:  # no step taken, nothing evaluated
            end = start
        self._last_evaluation = (data, x_end, end)
        return losses

    # --------------------------------------------------------------- update
    @torch.no_grad()
    def __call__(self, X, y, sample_weight=None):
        """Take one step on the batch; return the per-sample losses before it."""
        if self.optimizer == "lbfgs":
            return self._lbfgs_iteration(X, y, sample_weight)
        losses, grads = self.gradients(X, y, sample_weight)
        self.update(self.params, grads, self.lr)
        return losses
