"""A search space of MLP topologies: sampling, mutation, per-architecture seeds."""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import numpy as np

__all__ = ["MLPSearchSpace", "architecture_seed"]


@dataclass(frozen=True)
class MLPSearchSpace:
    """Hidden-layer configurations of an MLP: a depth and one width per layer.

    Parameters
    ----------
    depth_range : (int, int)
        Smallest and largest number of hidden layers, both included:
        ``1 <= min_depth <= max_depth``.
    width_choices : sequence of int
        The widths a hidden layer can take, each at least 1 (kept sorted,
        without repeats).

    Raises
    ------
    TypeError
        When ``depth_range`` or ``width_choices`` holds anything but
        integers (Python or numpy ints; floats, even integral ones, are
        refused rather than truncated).
    ValueError
        When ``depth_range`` is not a pair with ``1 <= min_depth <=
        max_depth``, or ``width_choices`` is empty or holds a width below 1.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rcloud.search import MLPSearchSpace
    >>> space = MLPSearchSpace((1, 2), (4, 8))
    >>> space.size
    6
    >>> space.largest
    (8, 8)
    """

    depth_range: tuple = (1, 3)
    width_choices: tuple = (8, 16, 32, 64)

    def __post_init__(self):
        object.__setattr__(self, "depth_range", _check_depth_range(self.depth_range))
        object.__setattr__(
            self, "width_choices", _check_width_choices(self.width_choices)
        )

    @property
    def size(self):
        """Number of distinct architectures."""
        low, high = self.depth_range
        n_widths = len(self.width_choices)
        return sum(n_widths**depth for depth in range(low, high + 1))

    @property
    def largest(self):
        """The architecture with the most parameters: deepest, widest."""
        return (self.width_choices[-1],) * self.depth_range[1]

    def sample(self, rng):
        """One architecture: a depth uniformly, then each width uniformly.

        Uniform over depths (not over architectures, which would almost
        always pick the deepest) so shallow networks are sampled as often as
        deep ones.
        """
        low, high = self.depth_range
        depth = int(rng.integers(low, high + 1))
        return tuple(int(w) for w in rng.choice(self.width_choices, size=depth))

    def mutate(self, hidden, rng):
        """A neighbour of ``hidden``: one layer's width changed, or a layer added
        or removed, each move drawn uniformly among those the space allows."""
        hidden = tuple(hidden)
        low, high = self.depth_range
        moves = []
        if len(self.width_choices) > 1:
            moves.append("width")
        if len(hidden) < high:
            moves.append("add")
        if len(hidden) > low:
            moves.append("remove")
        if not moves:
            return hidden
        move = moves[int(rng.integers(len(moves)))]
        position = int(rng.integers(len(hidden) + (move == "add")))
        if move == "width":
            others = [w for w in self.width_choices if w != hidden[position]]
            width = int(others[int(rng.integers(len(others)))])
            return hidden[:position] + (width,) + hidden[position + 1 :]
        if move == "add":
            width = int(self.width_choices[int(rng.integers(len(self.width_choices)))])
            return hidden[:position] + (width,) + hidden[position:]
        return hidden[:position] + hidden[position + 1 :]


def _check_depth_range(depth_range):
    """``depth_range`` as ``(low, high)`` Python ints, or a clear error."""
    expected = (
        "depth_range must be a pair of integers (min_depth, max_depth) with "
        f"1 <= min_depth <= max_depth, got {depth_range!r}."
    )
    values = _as_list(depth_range, expected)
    if len(values) != 2:
        raise ValueError(expected)
    if not all(_is_integer(value) for value in values):
        raise TypeError(expected)
    low, high = (int(value) for value in values)
    if not 1 <= low <= high:
        raise ValueError(expected)
    return low, high


def _check_width_choices(width_choices):
    """``width_choices`` as a sorted tuple of distinct Python ints, or a clear
    error."""
    expected = (
        "width_choices must be a non-empty sequence of positive integers, "
        f"got {width_choices!r}."
    )
    values = _as_list(width_choices, expected)
    if not values:
        raise ValueError(expected)
    if not all(_is_integer(value) for value in values):
        raise TypeError(expected)
    widths = tuple(sorted({int(value) for value in values}))
    if widths[0] < 1:
        raise ValueError(expected)
    return widths


def _as_list(values, expected):
    """The items of a sequence (not a string), else ``TypeError(expected)``."""
    if isinstance(values, str | bytes):
        raise TypeError(expected)
    try:
        return list(values)
    except TypeError:
        raise TypeError(expected) from None


def _is_integer(value):
    """Python and numpy integers; not bools, not floats even when integral."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def architecture_seed(base_seed, hidden):
    """A seed for the initial weights of ``hidden``, fixed given ``base_seed``.

    The same architecture always gets the same weights within one search, so a
    repeated sample scores the same and its training result can be reused.

    Parameters
    ----------
    base_seed : int
        The search's seed (drawn from the estimator's ``random_state``).
    hidden : tuple of int
        Hidden-layer widths of the architecture.

    Returns
    -------
    seed : int
        A 32-bit seed of its own for each architecture.
    """
    sequence = np.random.SeedSequence(entropy=int(base_seed), spawn_key=tuple(hidden))
    return int(sequence.generate_state(1)[0])
