"""The first-order updates, written once for a solo step and a population's.

``torch.optim.Adam``'s and ``torch.optim.SGD``'s updates of a list of
parameters given their gradients, without an optimiser object per training:
the fused Adam kernel where torch has one for the device (CPU since torch
2.4), else ``torch._foreach_*`` operations; SGD with momentum and Nesterov,
its buffer started at the first gradient as torch starts it. The parameters
may be a network's (:class:`~sklearn_rcloud.engine.MLPStep`) or a stack of
networks' (:func:`~sklearn_rcloud.engine.train_population`): the update is
elementwise, so each member's is its solo update.
"""

from __future__ import annotations

import torch

__all__ = ["AdamUpdate", "SGDUpdate", "fused_adam_available"]

# Options of the fused Adam kernel that the library never changes.
_ADAM_FIXED = dict(weight_decay=0.0, amsgrad=False, maximize=False)


class AdamUpdate:
    """``torch.optim.Adam``'s update (no weight decay, no AMSGrad).

    Parameters
    ----------
    params : list of Tensor
        The parameters it will update, for the shapes of its moments.
    betas : (float, float), default=(0.9, 0.999)
    eps : float, default=1e-8
    fused : bool or None, default=None
        Use torch's fused kernel; None: where the device has one.
    """

    def __init__(self, params, betas=(0.9, 0.999), eps=1e-8, fused=None):
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = float(eps)
        self.exp_avg = [torch.zeros_like(p) for p in params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in params]
        self.step_count = 0
        # Every parameter takes the same steps: one counter, listed once per
        # parameter as the fused kernel takes it, counted up once.
        self.state_steps = [
            torch.zeros((), dtype=torch.float32, device=params[0].device)
        ] * len(params)
        self.fused = fused_adam_available(params[0].device) if fused is None else fused

    @torch.no_grad()
    def __call__(self, params, grads, lr):
        """Update ``params`` in place by one step of size ``lr``."""
        self.step_count += 1
        beta1, beta2 = self.betas
        if self.fused:
            self.state_steps[0].add_(1.0)
            torch._fused_adam_(
                params,
                grads,
                self.exp_avg,
                self.exp_avg_sq,
                [],
                self.state_steps,
                lr=lr,
                beta1=beta1,
                beta2=beta2,
                eps=self.eps,
                **_ADAM_FIXED,
            )
            return
        torch._foreach_lerp_(self.exp_avg, grads, 1 - beta1)
        torch._foreach_mul_(self.exp_avg_sq, beta2)
        torch._foreach_addcmul_(self.exp_avg_sq, grads, grads, 1 - beta2)
        step_size = lr / (1 - beta1**self.step_count)
        denominator = torch._foreach_sqrt(self.exp_avg_sq)
        torch._foreach_div_(denominator, (1 - beta2**self.step_count) ** 0.5)
        torch._foreach_add_(denominator, self.eps)
        torch._foreach_addcdiv_(params, self.exp_avg, denominator, value=-step_size)

    def map_state(self, function):
        """Replace every state tensor ``t`` by ``function(t)`` (e.g. a subset)."""
        self.exp_avg = [function(t) for t in self.exp_avg]
        self.exp_avg_sq = [function(t) for t in self.exp_avg_sq]


class SGDUpdate:
    """``torch.optim.SGD``'s update (no dampening, no weight decay).

    Parameters
    ----------
    momentum : float, default=0.0
    nesterov : bool, default=False
        Ignored without momentum (torch refuses it; it is plain SGD then).
    """

    def __init__(self, momentum=0.0, nesterov=False):
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov) and self.momentum > 0
        self.momentum_buffers = None

    @torch.no_grad()
    def __call__(self, params, grads, lr):
        """Update ``params`` in place by one step of size ``lr``."""
        if self.momentum:
            if self.momentum_buffers is None:
                # torch starts the buffer at the first gradient.
                self.momentum_buffers = [g.clone() for g in grads]
            else:
                torch._foreach_mul_(self.momentum_buffers, self.momentum)
                torch._foreach_add_(self.momentum_buffers, grads)
            if self.nesterov:
                grads = torch._foreach_add(
                    grads, self.momentum_buffers, alpha=self.momentum
                )
            else:
                grads = self.momentum_buffers
        torch._foreach_add_(params, grads, alpha=-lr)

    def map_state(self, function):
        """Replace every state tensor ``t`` by ``function(t)`` (e.g. a subset)."""
        if self.momentum_buffers is not None:
            self.momentum_buffers = [function(t) for t in self.momentum_buffers]


def fused_adam_available(device):
    """Whether torch has a fused Adam kernel for ``device`` (CPU: torch >= 2.4)."""
    if not hasattr(torch, "_fused_adam_"):
        return False
    probe = [torch.zeros(1, device=device)]
    try:
        torch._fused_adam_(
            [probe[0].clone()],
            probe,
            [probe[0].clone()],
            [probe[0].clone()],
            [],
            [torch.ones((), device=device)],
            lr=0.0,
            beta1=0.9,
            beta2=0.999,
            eps=1e-8,
            **_ADAM_FIXED,
        )
    except (RuntimeError, NotImplementedError):
        return False
    return True
