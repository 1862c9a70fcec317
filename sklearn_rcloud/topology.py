"""Shape of a fully connected network: one source of truth for its size.

A :class:`Topology` describes an MLP by its layer widths and hidden activation.
It counts parameters and FLOPs, builds a plain :class:`torch.nn.Sequential`,
and slices weight tensors when neurons are removed. Removing a neuron is always
*physical*: its row in the incoming weight matrix, its bias and its column in
the outgoing matrix are cut out, so the smaller network really is smaller.

Weights are exchanged as a list of ``(weight, bias)`` pairs, one per linear
layer, with ``weight`` shaped ``(fan_out, fan_in)`` as in :class:`torch.nn.Linear`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from .activations import ACTIVATIONS, activation_of
from .pruning import only_weight_pruning_hooks

__all__ = ["Topology", "module_weights", "n_outputs", "plain_layers"]


def preset_linear(weight, bias):
    """An ``nn.Linear`` holding copies of ``weight`` and ``bias``.

    It is made without running ``nn.Linear.__init__``, whose default
    initialisation would draw from torch's global generator for weights that
    are overwritten anyway, and costs about 80 us per layer even on the meta
    device (populations and clouds build many modules). Not
    ``nn.utils.skip_init`` either: its ``to_empty`` runs torch's Python
    reference of ``empty_like`` and so imports its symbolic shape machinery
    (sympy, seconds on a cold start).
    """
    fan_out, fan_in = weight.shape
    linear = nn.Linear.__new__(nn.Linear)
    nn.Module.__init__(linear)
    linear.in_features, linear.out_features = fan_in, fan_out
    linear.weight = nn.Parameter(weight.detach().clone())
    linear.bias = nn.Parameter(bias.detach().clone().to(weight.device))
    return linear


@dataclass(frozen=True)
class Topology:
    """Layer widths and hidden activation of a feedforward classifier network.

    Parameters
    ----------
    n_features : int
        Width of the input layer.
    hidden_layer_sizes : tuple of int
        Widths of the hidden layers, input side first. May be empty (a linear
        model). Every width must be at least 1.
    n_outputs : int
        Width of the output layer (one unit per class, also for two classes).
    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Activation after every hidden layer. The output layer returns logits;
        the loss or the prediction function applies the output non-linearity.

    Examples
    --------
    >>> from sklearn_rcloud import Topology
    >>> Topology(60, (3,), 2, "logistic")
    Topology(60-3-2, logistic, 191 params)
    """

    n_features: int
    hidden_layer_sizes: tuple[int, ...]
    n_outputs: int
    activation: str = "relu"

    def __post_init__(self):
        hidden = tuple(int(h) for h in self.hidden_layer_sizes)
        object.__setattr__(self, "hidden_layer_sizes", hidden)
        object.__setattr__(self, "n_features", int(self.n_features))
        object.__setattr__(self, "n_outputs", int(self.n_outputs))
        if self.n_features < 1 or self.n_outputs < 1:
            raise ValueError(
                f"n_features and n_outputs must be >= 1, got {self.n_features} "
                f"and {self.n_outputs}."
            )
        if any(h < 1 for h in hidden):
            raise ValueError(
                f"Every hidden layer needs at least one neuron, got {hidden}."
            )
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(ACTIVATIONS)}, "
                f"got {self.activation!r}."
            )

    # ------------------------------------------------------------------ sizes
    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """Widths of all layers: input, hidden..., output."""
        return (self.n_features, *self.hidden_layer_sizes, self.n_outputs)

    @property
    def depth(self) -> int:
        """Number of hidden layers."""
        return len(self.hidden_layer_sizes)

    @property
    def n_params(self) -> int:
        """Number of weights and biases."""
        sizes = self.layer_sizes
        return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))

    @property
    def n_weights(self) -> int:
        """Number of connection weights (the parameters without the biases)."""
        sizes = self.layer_sizes
        return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))

    @property
    def n_flops(self) -> int:
        """Floating-point operations of one forward pass for one sample.

        Each linear layer costs ``2 * fan_in * fan_out`` (a multiply and an
        add per weight, the bias add taking the place of the first add) and each
        hidden unit one more for its activation. The output non-linearity is not
        counted: argmax does not need it.
        """
        sizes = self.layer_sizes
        return self.n_hidden_flops + 2 * sizes[-2] * sizes[-1]

    @property
    def n_hidden_flops(self) -> int:
        """Floating-point operations of one sample's pass up to the last hidden
        layer (counted as in :attr:`n_flops`): what any score of the network's
        features must compute at least once."""
        sizes = self.layer_sizes
        return sum(2 * a * b + b for a, b in zip(sizes[:-2], sizes[1:-1]))

    def with_hidden(self, hidden_layer_sizes: Sequence[int]) -> Topology:
        """The same input, output and activation with other hidden widths."""
        return Topology(
            self.n_features, tuple(hidden_layer_sizes), self.n_outputs, self.activation
        )

    # ------------------------------------------------------------ conversion
    def to_dict(self) -> dict:
        """A JSON-serialisable description; :meth:`from_dict` reverses it."""
        return {
            "n_features": self.n_features,
            "hidden_layer_sizes": list(self.hidden_layer_sizes),
            "n_outputs": self.n_outputs,
            "activation": self.activation,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Topology:
        """Build a topology from the output of :meth:`to_dict`."""
        return cls(
            n_features=data["n_features"],
            hidden_layer_sizes=tuple(data["hidden_layer_sizes"]),
            n_outputs=data["n_outputs"],
            activation=data.get("activation", "relu"),
        )

    @classmethod
    def from_module(cls, module: nn.Sequential) -> Topology:
        """Read the topology of a ``Sequential`` of ``Linear`` and activations."""
        linears = [m for m in module if isinstance(m, nn.Linear)]
        if not linears:
            raise ValueError("The module holds no torch.nn.Linear layer.")
        activation = "relu"
        for m in module:
            for name, row in ACTIVATIONS.items():
                if isinstance(m, row.module):
                    activation = name
        return cls(
            n_features=linears[0].in_features,
            hidden_layer_sizes=tuple(m.out_features for m in linears[:-1]),
            n_outputs=linears[-1].out_features,
            activation=activation,
        )

    def to_module(self, weights=None, dtype=torch.float32) -> nn.Sequential:
        """A plain ``torch.nn.Sequential`` of this shape, outputting logits.

        Parameters
        ----------
        weights : list of (Tensor, Tensor), optional
            ``(weight, bias)`` per linear layer, ``weight`` shaped
            ``(fan_out, fan_in)``. When omitted, the layers keep PyTorch's
            default initialisation, which draws from torch's global generator:
            pass weights (see :func:`sklearn_rcloud.init.init_weights`) for
            reproducible modules.
        dtype : torch.dtype, default=torch.float32
            Parameter dtype.

        Returns
        -------
        module : torch.nn.Sequential
            ``Linear, activation, ..., Linear``.
        """
        sizes = self.layer_sizes
        if weights is not None:
            self.check_weights(weights)
        layers = []
        for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            if weights is None:
                linear = nn.Linear(fan_in, fan_out, dtype=dtype)
            else:
                weight, bias = weights[index]
                linear = preset_linear(
                    torch.as_tensor(weight, dtype=dtype),
                    torch.as_tensor(bias, dtype=dtype),
                )
            layers.append(linear)
            if index < len(sizes) - 2:
                layers.append(ACTIVATIONS[self.activation].module())
        return nn.Sequential(*layers)

    def check_weights(self, weights) -> None:
        """Raise ``ValueError`` unless ``weights`` has this topology's shapes."""
        sizes = self.layer_sizes
        if len(weights) != len(sizes) - 1:
            raise ValueError(
                f"{self!r} has {len(sizes) - 1} linear layers, got weights "
                f"for {len(weights)}."
            )
        for index, ((weight, bias), fan_in, fan_out) in enumerate(
            zip(weights, sizes[:-1], sizes[1:])
        ):
            if tuple(weight.shape) != (fan_out, fan_in) or tuple(bias.shape) != (
                fan_out,
            ):
                raise ValueError(
                    f"Layer {index} of {self!r} needs weight {(fan_out, fan_in)} "
                    f"and bias {(fan_out,)}, got {tuple(weight.shape)} and "
                    f"{tuple(bias.shape)}."
                )

    # --------------------------------------------------------------- removal
    def keep_neurons(self, weights, keep):
        """Physically remove hidden neurons, keeping the listed ones.

        Parameters
        ----------
        weights : list of (Tensor, Tensor)
            Weights of a network with this topology.
        keep : sequence of index arrays
            For each hidden layer, the indices of the neurons to keep, in the
            order they should appear in the smaller network.

        Returns
        -------
        topology : Topology
            The smaller topology.
        weights : list of (Tensor, Tensor)
            Sliced copies: row ``i`` of layer ``l`` and column ``i`` of layer
            ``l + 1`` survive only if ``i`` is in ``keep[l]``.
        """
        self.check_weights(weights)
        if len(keep) != self.depth:
            raise ValueError(
                f"keep needs one index array per hidden layer ({self.depth}), "
                f"got {len(keep)}."
            )
        keep = [torch.as_tensor(k, dtype=torch.long).reshape(-1) for k in keep]
        for layer, (k, width) in enumerate(zip(keep, self.hidden_layer_sizes)):
            if k.numel() == 0:
                raise ValueError(f"keep[{layer}] is empty: a layer needs a neuron.")
            if k.min() < 0 or k.max() >= width or k.unique().numel() != k.numel():
                raise ValueError(
                    f"keep[{layer}] must hold distinct indices in [0, {width})."
                )
        sliced = []
        for index, (weight, bias) in enumerate(weights):
            if index < self.depth:
                weight, bias = weight[keep[index]], bias[keep[index]]
            if index > 0:
                weight = weight[:, keep[index - 1]]
            sliced.append((weight.clone(), bias.clone()))
        return self.with_hidden(tuple(len(k) for k in keep)), sliced

    def truncate(self, weights, hidden_layer_sizes):
        """Keep the first neurons of every hidden layer (the paper's truncation).

        Parameters
        ----------
        weights : list of (Tensor, Tensor)
            Weights of a network with this topology.
        hidden_layer_sizes : tuple of int
            Target widths, each at most the current width, same depth.

        Returns
        -------
        topology, weights
            As :meth:`keep_neurons` with ``keep[l] = range(hidden_layer_sizes[l])``.
        """
        hidden_layer_sizes = tuple(hidden_layer_sizes)
        if len(hidden_layer_sizes) != self.depth or any(
            h > full for h, full in zip(hidden_layer_sizes, self.hidden_layer_sizes)
        ):
            raise ValueError(
                f"Cannot truncate {self!r} to hidden sizes {hidden_layer_sizes}."
            )
        return self.keep_neurons(weights, [range(h) for h in hidden_layer_sizes])

    @property
    def layout(self) -> str:
        """The layer widths as text, input first: ``'60-12-2'``."""
        return "-".join(str(s) for s in self.layer_sizes)

    def __repr__(self) -> str:
        return f"Topology({self.layout}, {self.activation}, {self.n_params} params)"

    __str__ = __repr__


def plain_layers(module):
    """``(linears, activations)`` of a plain MLP, or None if it is not one.

    Plain: a ``Sequential`` alternating ``Linear`` layers and one of the
    library's activations (:data:`~sklearn_rcloud.activations.ACTIVATIONS`,
    the same one throughout), whose only hooks are the pruning masks of the
    linear layers' weights: a network that training by explicit gradients,
    or as a member of a population, reproduces exactly.
    """
    if not isinstance(module, nn.Sequential) or len(module) % 2 != 1:
        return None
    # Slicing the Sequential itself would build a new Sequential every call.
    layers = list(module._modules.values())
    linears, activations = layers[0::2], layers[1::2]
    if not all(type(m) is nn.Linear for m in linears):
        return None
    if not all(activation_of(m) is not None for m in activations):
        return None
    if len({type(m) for m in activations}) > 1:
        return None
    if not only_weight_pruning_hooks(module):
        return None
    return linears, activations


def n_outputs(module):
    """Outputs of a network: the width of its last ``Linear`` layer."""
    return [m for m in module.modules() if isinstance(m, nn.Linear)][-1].out_features


def module_weights(module):
    """Detached copies of the ``(weight, bias)`` of every ``Linear`` of ``module``."""
    return [
        (layer.weight.detach().clone(), layer.bias.detach().clone())
        for layer in module
        if isinstance(layer, nn.Linear)
    ]
