"""A cloud of randomly initialised MLPs held as stacked tensors.

All networks of a :class:`RandomCloud` share one maximal :class:`Topology`;
their weights are stacked along a leading network axis so one batched forward
pass computes every network's hidden activations.

Sub-topologies are scored without building them. Random Cloud shrinks one
hidden layer at a time by truncation (keep the first ``k`` units), with every
earlier layer at full width. For the shrinking layer with activations ``h``
(``n x H``) and outgoing weights ``W`` (``H x C``), the output of the network
truncated to ``k`` units is ``b + sum_{j<k} h[:, j] W[j, :]``, the ``k``-th
cumulative sum over ``j``: all truncations are scored in one pass
(:func:`sklearn_rcloud.proxies.prefix_accuracy`, one batched matmul
against triangular-masked weights). The cloud knows nothing of how networks
are scored or chosen: the scores are :mod:`sklearn_rcloud.proxies`', the
reduction policy :mod:`sklearn_rcloud.search`'s.

When the search moves past the last hidden layer, that layer is deleted and the
previous one needs an output layer of its own. The paper sets this bridging
matrix to zeros, which makes every such network predict a constant; here every
shallower depth gets a *bridge*, a fresh output layer drawn at creation from the
same initialisation scheme (a documented deviation).
"""

from __future__ import annotations

import torch

from .activations import ACTIVATIONS
from .init import draw_layer, init_weights, seeded_generator

__all__ = ["BLOCK_BYTES", "RandomCloud"]

#: Memory budget of one block of networks' working tensors, in bytes.
BLOCK_BYTES = 256 * 2**20


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
            generator = seeded_generator(0, device)
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
        activate_ = ACTIVATIONS[self.topology.activation].forward_
        X = X.to(device=self.device, dtype=self.dtype)
        first_weight, first_bias = self.weights[0]
        first_weight, first_bias = first_weight[networks], first_bias[networks]
        n_block, width, n_in = first_weight.shape
        # One large GEMM for the shared input, bias fused: (n, f) @ (f, N*h).
        flat = torch.addmm(
            first_bias.reshape(-1), X, first_weight.reshape(n_block * width, n_in).T
        )
        # Contiguous per network, so the read-out matmuls need no copies.
        hidden = activate_(flat).view(len(X), n_block, width).transpose(0, 1)
        hidden = hidden.contiguous()
        del flat
        activations = [hidden]
        for weight, bias in self.weights[1 : self.topology.depth]:
            hidden = activate_(
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

    def sub_stack(self, hidden_layer_sizes, networks=slice(None)):
        """Stacked weights of a block of networks truncated to ``hidden_layer_sizes``.

        The batched counterpart of :meth:`sub_network`: ``(weight, bias)`` per
        layer with a leading network axis, as views of the cloud's tensors.
        """
        hidden_layer_sizes = tuple(int(h) for h in hidden_layer_sizes)
        depth = len(hidden_layer_sizes)
        if not 1 <= depth <= self.topology.depth or any(
            not 1 <= h <= full
            for h, full in zip(hidden_layer_sizes, self.topology.hidden_layer_sizes)
        ):
            raise ValueError(f"Invalid sub-topology {hidden_layer_sizes}.")
        fan_ins = (self.topology.n_features, *hidden_layer_sizes)
        layers = [*self.weights[:depth], self.output_layer(depth)]
        fan_outs = (*hidden_layer_sizes, self.topology.n_outputs)
        return [
            (weight[networks, :fan_out, :fan_in], bias[networks, :fan_out])
            for (weight, bias), fan_in, fan_out in zip(layers, fan_ins, fan_outs)
        ]

    def node_stack(self, kept, network=0):
        """Stacked weights of one network restricted to sets of its hidden nodes.

        The node-mask counterpart of :meth:`sub_stack`: mask ``t`` keeps, in
        every hidden layer, the nodes listed in ``kept[layer][t]``, and the
        sub-network inherits their incoming and outgoing weights (the output
        layer keeps every output). Every mask keeps the same number of nodes
        per layer, so the sub-networks form one stack.

        Parameters
        ----------
        kept : list of Tensor of int64
            One ``(n_masks, n_kept)`` tensor per hidden layer (every layer of
            the cloud's topology), holding distinct node indices.
        network : int, default=0
            Which network of the cloud is the parent.

        Returns
        -------
        weights : list of (Tensor, Tensor)
            ``(weight, bias)`` per layer with a leading mask axis, copies.
        """
        if len(kept) != self.topology.depth:
            raise ValueError(
                f"kept needs one index tensor per hidden layer ({self.topology.depth}),"
                f" got {len(kept)}."
            )
        kept = [torch.as_tensor(k, device=self.device).long() for k in kept]
        n_masks = kept[0].shape[0]
        stacked, columns = [], None
        for index, (weight, bias) in enumerate(self.weights):
            weight, bias = weight[network], bias[network]
            if index < self.topology.depth:
                rows = kept[index]
                weight, bias = weight[rows], bias[rows]
            else:
                weight = weight.expand(n_masks, *weight.shape)
                bias = bias.expand(n_masks, *bias.shape)
            if columns is not None:
                index_in = columns[:, None, :].expand(-1, weight.shape[1], -1)
                weight = weight.gather(2, index_in)
            stacked.append((weight.contiguous(), bias.contiguous()))
            columns = kept[index] if index < self.topology.depth else None
        return stacked

    def block_slices(self, n_samples, max_bytes=BLOCK_BYTES):
        """Slices over networks keeping one block's activations under ``max_bytes``."""
        per_network = n_samples * sum(self.topology.hidden_layer_sizes)
        per_network *= torch.finfo(self.dtype).bits // 8
        block = int(max(1, min(self.n_networks, max_bytes // max(per_network, 1))))
        return [
            slice(start, min(start + block, self.n_networks))
            for start in range(0, self.n_networks, block)
        ]
