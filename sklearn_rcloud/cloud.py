"""A cloud of randomly initialised MLPs held as stacked tensors.

All networks of a :class:`RandomCloud` share one maximal :class:`Topology`;
their weights are stacked along a leading network axis so one batched forward
pass computes every network's hidden activations.

Sub-topologies are scored without building them. Random Cloud shrinks one
hidden layer at a time by truncation (keep the first ``k`` units), with every
earlier layer at full width. For the shrinking layer with activations ``h``
(``n x H``) and outgoing weights ``W`` (``H x C``), the output of the network
truncated to ``k`` units is ``b + sum_{j<k} h[:, j] W[j, :]``: a cumulative sum
over ``j`` yields the logits of all ``H`` truncations at once
(:func:`prefix_accuracy`).

When the search moves past the last hidden layer, that layer is deleted and the
previous one needs an output layer of its own. The paper sets this bridging
matrix to zeros, which makes every such network predict a constant; here every
shallower depth gets a *bridge*, a fresh output layer drawn at creation from the
same initialisation scheme (a documented deviation).
"""

from __future__ import annotations

import numpy as np
import torch

from .init import draw_layer, init_weights
from .topology import ACTIVATIONS

__all__ = ["RandomCloud", "prefix_accuracy", "reduction_stages"]

# Elements (not bytes) one intermediate tensor of the prefix kernel may hold.
_PREFIX_BLOCK_ELEMENTS = 1 << 22


def reduction_stages(hidden_layer_sizes, step):
    """The sub-topologies the sequential reduction policy visits, in order.

    The last hidden layer shrinks by ``step`` neurons per step down to one
    neuron; then it is deleted and the layer before it shrinks the same way, and
    so on until only the first hidden layer, at its smallest width, is left.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int
        The maximal hidden widths.
    step : int
        Neurons removed per step.

    Returns
    -------
    stages : list of (int, ndarray)
        ``(depth, widths)``: ``depth`` hidden layers are kept, the first
        ``depth - 1`` at full width, the last one at each of ``widths``
        (descending).
    """
    stages = []
    for depth in range(len(hidden_layer_sizes), 0, -1):
        full = hidden_layer_sizes[depth - 1]
        widths = np.arange(full, 0, -step, dtype=np.int64)
        stages.append((depth, widths))
    return stages


def prefix_accuracy(features, coefs, intercept, y, widths, loo_targets=None):
    """Accuracy of every truncated linear read-out, from one cumulative sum.

    Parameters
    ----------
    features : Tensor of shape (n_networks, n_samples, n_features)
        Inputs of the read-out, e.g. hidden activations.
    coefs : Tensor of shape (n_networks, n_features, n_classes)
    intercept : Tensor of shape (n_networks, n_classes) or None
    y : Tensor of shape (n_samples,)
        Class indices.
    widths : ndarray of int
        Number of leading features the read-out uses, each in
        ``[1, n_features]``.
    loo_targets : Tensor of shape (n_samples, n_classes) or None, default=None
        When given, ``features`` must be an orthonormalised basis (``U`` of a
        least-squares fit) and the accuracy is the leave-one-out one: the
        prediction of sample ``i`` without it is
        ``(yhat_i - h_ii t_i) / (1 - h_ii)`` with leverage
        ``h_ii = sum_j U_ij^2``, itself a cumulative sum over features; the
        positive denominator does not change the argmax and is skipped.

    Returns
    -------
    accuracy : Tensor of shape (n_networks, len(widths))
        Fraction of samples whose argmax logit is the true class (the first
        maximal class wins ties).
    """
    n_networks, n_samples, n_features = features.shape
    n_classes = coefs.shape[-1]
    columns = torch.as_tensor(np.asarray(widths) - 1, device=features.device)
    correct = torch.zeros(
        (n_networks, len(columns)), dtype=torch.int64, device=features.device
    )
    rows = max(1, _PREFIX_BLOCK_ELEMENTS // (n_networks * n_features * n_classes))
    for start in range(0, n_samples, rows):
        block = features[:, start : start + rows]
        contributions = block.unsqueeze(-1) * coefs.unsqueeze(1)
        logits = contributions.cumsum(dim=2).index_select(2, columns)
        if intercept is not None:
            logits = logits + intercept[:, None, None, :]
        if loo_targets is not None:
            leverage = block.square().cumsum(dim=2).index_select(2, columns)
            targets = loo_targets[start : start + rows].to(logits.dtype)
            logits = logits - leverage.unsqueeze(-1) * targets[None, :, None, :]
        hits = logits.argmax(dim=-1) == y[start : start + rows, None]
        correct += hits.sum(dim=1)
    return correct.to(torch.float64) / n_samples


class RandomCloud:
    """``n_networks`` random MLPs of one maximal topology, stacked.

    Parameters
    ----------
    topology : Topology
        The maximal topology; every network starts at this shape.
    n_networks : int
        Size of the cloud.
    init : {'uniform', 'kaiming', 'glorot'}, default='uniform'
        Weight initialisation, see :func:`sklearn_rcloud.init.init_bounds`.
    generator : torch.Generator
        Source of all random draws.
    dtype : torch.dtype, default=torch.float32
    device : str or torch.device, default='cpu'

    Attributes
    ----------
    weights : list of (Tensor, Tensor)
        Stacked ``(weight, bias)`` per layer, weight shaped
        ``(n_networks, fan_out, fan_in)``.
    bridges : dict of int to (Tensor, Tensor)
        For every depth shallower than the maximal one, the output layer used
        once the deeper layers are deleted.
    """

    def __init__(
        self,
        topology,
        n_networks,
        init="uniform",
        generator=None,
        dtype=torch.float32,
        device="cpu",
    ):
        if topology.depth < 1:
            raise ValueError("A cloud needs at least one hidden layer to reduce.")
        if generator is None:
            generator = torch.Generator(device=device)
            generator.manual_seed(0)
        self.topology = topology
        self.n_networks = int(n_networks)
        self.dtype = dtype
        self.device = torch.device(device)
        self.weights = init_weights(
            topology, init, generator, self.n_networks, dtype, device
        )
        self.bridges = {
            depth: draw_layer(
                init,
                topology.hidden_layer_sizes[depth - 1],
                topology.n_outputs,
                None,
                generator,
                (self.n_networks,),
                dtype,
                device,
            )
            for depth in range(1, topology.depth)
        }

    # ------------------------------------------------------------- forward
    def hidden_activations(self, X, networks=slice(None)):
        """Activations of every hidden layer for a block of networks.

        Parameters
        ----------
        X : Tensor of shape (n_samples, n_features)
        networks : slice, default=slice(None)
            Which networks.

        Returns
        -------
        activations : list of Tensor
            One tensor per hidden layer, shaped
            ``(n_networks_in_block, n_samples, width)``.
        """
        activation = ACTIVATIONS[self.topology.activation]()
        X = X.to(device=self.device, dtype=self.dtype)
        first_weight, first_bias = self.weights[0]
        first_weight, first_bias = first_weight[networks], first_bias[networks]
        n_block, width, n_in = first_weight.shape
        # One large GEMM for the shared input: (n, f) @ (f, N*h).
        flat = X @ first_weight.reshape(n_block * width, n_in).T
        hidden = activation(
            flat.reshape(len(X), n_block, width).transpose(0, 1)
            + first_bias[:, None, :]
        )
        activations = [hidden]
        for weight, bias in self.weights[1 : self.topology.depth]:
            hidden = activation(
                torch.baddbmm(
                    bias[networks][:, None, :], hidden, weight[networks].transpose(1, 2)
                )
            )
            activations.append(hidden)
        return activations

    def output_layer(self, depth, networks=slice(None)):
        """Output ``(weight, bias)`` of the networks cut to ``depth`` hidden layers."""
        if depth == self.topology.depth:
            weight, bias = self.weights[-1]
        else:
            weight, bias = self.bridges[depth]
        return weight[networks], bias[networks]

    # ----------------------------------------------------------- extraction
    def sub_topology(self, hidden_layer_sizes):
        """The topology of a visited sub-network."""
        return self.topology.with_hidden(hidden_layer_sizes)

    def sub_network(self, index, hidden_layer_sizes):
        """Weights of network ``index`` truncated to ``hidden_layer_sizes``.

        The first ``len(hidden_layer_sizes)`` hidden layers are kept and
        truncated to the given widths; for a shallower depth the bridge becomes
        the output layer. Returns ``(topology, weights)`` with physically sliced,
        unstacked copies.
        """
        hidden_layer_sizes = tuple(int(h) for h in hidden_layer_sizes)
        depth = len(hidden_layer_sizes)
        if not 1 <= depth <= self.topology.depth:
            raise ValueError(f"Invalid sub-topology {hidden_layer_sizes}.")
        full_hidden = self.topology.hidden_layer_sizes[:depth]
        full = self.topology.with_hidden(full_hidden)
        weights = [(w[index], b[index]) for w, b in self.weights[:depth]]
        out_weight, out_bias = self.output_layer(depth)
        weights.append((out_weight[index], out_bias[index]))
        return full.truncate(weights, hidden_layer_sizes)

    def block_slices(self, n_samples, max_bytes=256 * 2**20):
        """Slices over networks keeping one block's activations under ``max_bytes``."""
        per_network = n_samples * sum(self.topology.hidden_layer_sizes)
        per_network *= torch.finfo(self.dtype).bits // 8
        block = int(max(1, min(self.n_networks, max_bytes // max(per_network, 1))))
        return [
            slice(start, min(start + block, self.n_networks))
            for start in range(0, self.n_networks, block)
        ]
