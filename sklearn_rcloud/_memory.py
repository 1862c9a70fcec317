"""Memory a fit will need, estimated from its parameters before it starts.

Sizes that parameters fix up front (hidden widths, the networks of a cloud or
of a population, search candidates, a search space's largest topology) are
checked against :func:`memory_limit` at the start of ``fit``, before anything
is allocated: a setting that cannot fit fails at once with
:class:`~sklearn_rcloud.exceptions.MemoryLimitError` naming the parameters,
instead of failing inside torch, or paging for minutes.

The estimates are lower bounds (float32 weights, one network's activations,
the search's own records), and the limit is the whole physical memory, so a
setting that is refused could not have run on this machine.
"""

from __future__ import annotations

import os
import reprlib

from .exceptions import MemoryLimitError

__all__ = [
    "MAX_HIDDEN_LAYERS",
    "check_memory",
    "check_networks",
    "describe_network",
    "format_bytes",
    "memory_limit",
    "network_bytes",
    "setting",
]

#: Bytes of one float32 weight or activation.
FLOAT_BYTES = 4
#: The limit where the physical memory cannot be read (no ``os.sysconf``).
FALLBACK_LIMIT = 64 * 2**30
#: Rows of one network's forward pass counted in an estimate: every fit runs
#: at least one such pass (a training-free score's batch is 128 rows, a
#: training batch or an L-BFGS pass at least as many when the data has them).
ROWS_PER_PASS = 128
#: Bytes a search keeps per candidate it scores, at least: its row of
#: ``search_history_`` (a few 8-byte columns) and the float64 score.
RECORD_BYTES = 40
#: Bytes a search keeps per topology it samples, at least: its tuple of
#: widths and Python objects besides its row (NASWOT: about 230 measured).
SAMPLE_BYTES = 200
#: Copies of its parameters a network in training holds: the weights, their
#: gradients, Adam's two moments and the best epoch's weights.
TRAINING_COPIES = 5
#: Bytes of a torch module's objects per layer (a Linear and its activation,
#: 6.3 KiB measured), besides its tensors.
LAYER_BYTES = 6 * 1024
#: The deepest network any estimator builds. A plain MLP of hundreds of
#: layers does not train (no residual connections), and every layer costs a
#: sequential step of every pass and :data:`LAYER_BYTES`.
MAX_HIDDEN_LAYERS = 1_000

#: Long parameter values (400 widths) shortened in messages.
_SHORT = reprlib.Repr()
_SHORT.maxtuple = _SHORT.maxlist = 8
_SHORT.maxother = 80

_UNITS = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def memory_limit():
    """The most memory a fit may need: the machine's physical memory, in bytes.

    Read from ``os.sysconf`` (``SC_PHYS_PAGES * SC_PAGE_SIZE``);
    :data:`FALLBACK_LIMIT` (64 GiB) where the system does not say.

    Returns
    -------
    limit : int
    """
    try:
        limit = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return FALLBACK_LIMIT
    return int(limit) if limit > 0 else FALLBACK_LIMIT


def network_bytes(n_features, hidden_layer_sizes, n_outputs, n_networks=1, n_rows=0):
    """Bytes of ``n_networks`` networks of one shape, one of them in training,
    at least.

    Their float32 weights and biases, the training one's further
    :data:`TRAINING_COPIES` copies of them and its modules' objects
    (:data:`LAYER_BYTES` a layer), plus one network's float32 activations on
    ``n_rows`` rows. Exact Python integers: no size overflows.

    Parameters
    ----------
    n_features : int
    hidden_layer_sizes : sequence of int
    n_outputs : int
    n_networks : int, default=1
        Networks whose weights are held at once.
    n_rows : int, default=0
        Rows of the forward pass whose activations are counted.

    Returns
    -------
    n_bytes : int

    Examples
    --------
    >>> from sklearn_rcloud._memory import network_bytes
    >>> # (4 + 1) * 8 + (8 + 1) * 3 = 67 weights, 5 copies, 2 layers' modules
    >>> network_bytes(4, (8,), 3) == 4 * 67 * 5 + 2 * 6 * 1024
    True
    """
    sizes = [int(n_features), *(int(h) for h in hidden_layer_sizes), int(n_outputs)]
    n_params = sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes, sizes[1:]))
    n_units = sum(sizes[1:])
    n_copies = int(n_networks) + TRAINING_COPIES - 1
    return FLOAT_BYTES * (n_copies * n_params + int(n_rows) * n_units) + LAYER_BYTES * (
        len(sizes) - 1
    )


def check_memory(n_bytes, setting, purpose):
    """Raise :class:`~sklearn_rcloud.exceptions.MemoryLimitError` when
    ``n_bytes`` exceed :func:`memory_limit`.

    Parameters
    ----------
    n_bytes : int
        The estimated need.
    setting : str
        The parameters responsible, with their values, e.g.
        ``"hidden_layer_sizes=(10000,) and n_networks=500"``.
    purpose : str
        What the memory is for, e.g. ``"the cloud's weights"``.
    """
    limit = memory_limit()
    if n_bytes > limit:
        raise MemoryLimitError(
            f"{setting} would need at least {format_bytes(n_bytes)} of memory "
            f"for {purpose}, more than the {format_bytes(limit)} of this "
            "machine. Use smaller values."
        )


def check_networks(
    estimator,
    names,
    n_features,
    hidden_layer_sizes,
    n_outputs,
    n_networks=1,
    n_rows=0,
):
    """:func:`check_memory` of :func:`network_bytes`, blaming ``estimator``'s
    parameters ``names``.

    Parameters
    ----------
    estimator : estimator
        Holds the parameters the message names.
    names : tuple of str
        The parameters that set the size, e.g. ``("hidden_layer_sizes",)``.
    n_features, hidden_layer_sizes, n_outputs, n_networks, n_rows
        As :func:`network_bytes` takes them.
    """
    if len(hidden_layer_sizes) > MAX_HIDDEN_LAYERS:
        raise ValueError(
            f"{setting(estimator, names)} asks for a network of "
            f"{len(hidden_layer_sizes):,} hidden layers; at most "
            f"{MAX_HIDDEN_LAYERS:,} are built (a plain MLP that deep does not "
            "train, and every layer is a sequential step of every pass)."
        )
    shape = describe_network(n_features, hidden_layer_sizes, n_outputs)
    many = f"{n_networks} networks" if n_networks != 1 else "a network"
    check_memory(
        network_bytes(n_features, hidden_layer_sizes, n_outputs, n_networks, n_rows),
        setting(estimator, names),
        f"{many} of {shape}",
    )


def setting(estimator, names):
    """``"a=1, b=2 and c=3"``: ``estimator``'s parameters ``names``, valued."""
    pairs = [f"{name}={_SHORT.repr(getattr(estimator, name))}" for name in names]
    if len(pairs) == 1:
        return pairs[0]
    return f"{', '.join(pairs[:-1])} and {pairs[-1]}"


def describe_network(n_features, hidden_layer_sizes, n_outputs):
    """A short description of a network's shape, however deep it is."""
    hidden = [int(h) for h in hidden_layer_sizes]
    if len(hidden) <= 4:
        layers = "-".join(str(size) for size in (n_features, *hidden, n_outputs))
        return f"layer sizes {layers}"
    return (
        f"{n_features} inputs, {len(hidden)} hidden layers of up to "
        f"{max(hidden)} units and {n_outputs} outputs"
    )


def format_bytes(n_bytes):
    """``n_bytes`` in binary units, e.g. ``'1.5 GiB'``."""
    value = float(n_bytes)
    for unit in _UNITS[:-1]:
        if value < 1024:
            return f"{value:.3g} {unit}"
        value /= 1024
    return f"{value:.3g} {_UNITS[-1]}"
