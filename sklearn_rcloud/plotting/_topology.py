"""Draw a feedforward network as columns of neurons, one per layer."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support

from .._docstrings import substitute
from ..topology import Topology
from ._base import final_estimator, merge_kwargs

__all__ = ["TopologyDisplay", "plot_topology"]

_COLORS = {"input": "tab:blue", "hidden": "tab:orange", "output": "tab:green"}


#: What both constructors pass on to :meth:`TopologyDisplay.plot`.
_DRAWING_PARAMETERS = """\
ax : matplotlib Axes, default=None
    Axes to draw on. If None, a new figure and axes are created.
max_neurons : int, default=16
    Most circles drawn per layer, see :meth:`plot`.
neuron_kwargs : dict, default=None
    Keyword arguments of every layer's ``ax.scatter`` call.
edge_kwargs : dict, default=None
    Keyword arguments of the edges' ``LineCollection``."""


class TopologyDisplay:
    """Topology visualization: the layers of a network as columns of neurons.

    The input, hidden and output layers are columns of circles, left to
    right, with every connection between consecutive layers drawn as a light
    line. A layer wider than ``max_neurons`` is drawn with ``max_neurons``
    circles around an ellipsis; every column is labelled with its true width.
    It is recommended to build the display with :meth:`from_estimator`,
    :meth:`from_topology` or :func:`plot_topology`; all parameters are stored
    as attributes.

    Parameters
    ----------
    topology : Topology
        The network to draw.
    name : str or None, default=None
        Name of the estimator, shown in the title when given.

    Attributes
    ----------
    neurons_ : list of matplotlib PathCollection
        One per layer, input first: the circles drawn for its neurons.
    edges_ : list of matplotlib LineCollection
        One per pair of consecutive layers: a line between every pair of
        drawn neurons.
    ellipses_ : list of (matplotlib Text or None)
        One per layer: the ellipsis marking hidden neurons of a capped layer,
        None for a layer drawn in full.
    labels_ : list of matplotlib Text
        One per layer, under its column: the layer's name and true width.
    ax_ : matplotlib Axes
        Axes with the drawing.
    figure_ : matplotlib Figure
        Figure containing the drawing.

    See Also
    --------
    plot_topology : Draw the topology of a fitted estimator or a Topology.
    SearchHistoryDisplay : Score against size of the searched networks.

    Examples
    --------
    >>> from sklearn_rcloud import Topology
    >>> from sklearn_rcloud.plotting import TopologyDisplay
    >>> display = TopologyDisplay(Topology(30, (40, 3), 2)).plot(max_neurons=16)
    >>> [len(layer.get_offsets()) for layer in display.neurons_]
    [16, 16, 3, 2]
    >>> display.labels_[1].get_text()
    'Hidden 1\\n40'
    """

    def __init__(self, topology, *, name=None):
        self.topology = topology
        self.name = name

    def plot(self, ax=None, *, max_neurons=16, neuron_kwargs=None, edge_kwargs=None):
        """Plot the visualization.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on. If None, a new figure and axes are created.
        max_neurons : int, default=16
            Most circles drawn per layer (at least 2); a wider layer shows
            its first and last neurons around an ellipsis.
        neuron_kwargs : dict, default=None
            Keyword arguments of every layer's ``ax.scatter`` call (e.g.
            ``{"color": "white"}``).
        edge_kwargs : dict, default=None
            Keyword arguments of the edges'
            :class:`~matplotlib.collections.LineCollection`.

        Returns
        -------
        display : TopologyDisplay
            Object that stores the topology and the artists.

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> from sklearn_rcloud import Topology
        >>> from sklearn_rcloud.plotting import TopologyDisplay
        >>> fig, ax = plt.subplots()
        >>> display = TopologyDisplay(Topology(4, (3,), 2)).plot(ax=ax)
        >>> [len(layer.get_offsets()) for layer in display.neurons_]
        [4, 3, 2]
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt
        from matplotlib.collections import LineCollection

        topology = _check_topology(self.topology, f"{type(self).__name__}.plot")
        if (
            not isinstance(max_neurons, Integral)
            or isinstance(max_neurons, bool)
            or max_neurons < 2
        ):
            raise ValueError(f"max_neurons must be an int >= 2, got {max_neurons!r}.")
        if ax is None:
            _, ax = plt.subplots()

        sizes = topology.layer_sizes
        columns = [_column(size, max_neurons) for size in sizes]
        n_slots = max(len(ys) + (gap is not None) for ys, gap in columns)
        marker_size = float(np.clip((160 / n_slots) ** 2, 20, 400))

        self.edges_ = []
        for layer, ((left, _), (right, _)) in enumerate(zip(columns, columns[1:])):
            segments = [((layer, y0), (layer + 1, y1)) for y0 in left for y1 in right]
            edges = LineCollection(
                segments,
                **merge_kwargs(
                    {"colors": "0.6", "linewidths": 0.6, "alpha": 0.5, "zorder": 1},
                    edge_kwargs,
                ),
            )
            ax.add_collection(edges)
            self.edges_.append(edges)

        self.neurons_, self.ellipses_, self.labels_ = [], [], []
        # The labels sit in a band under the lowest neuron, sized for two lines
        # of text on an axes of the default height.
        top = (n_slots - 1) / 2
        label_band = 1.0 + 0.12 * (n_slots + 2)
        for layer, (size, (ys, gap)) in enumerate(zip(sizes, columns)):
            kind, label = _layer_name(layer, len(sizes))
            defaults = {
                "s": marker_size,
                "color": _COLORS[kind],
                "edgecolors": "black",
                "linewidths": 0.8,
                "zorder": 2,
            }
            self.neurons_.append(
                ax.scatter(
                    np.full(len(ys), layer),
                    ys,
                    **merge_kwargs(defaults, neuron_kwargs),
                )
            )
            self.ellipses_.append(
                None
                if gap is None
                else ax.text(
                    layer,
                    gap,
                    "\u22ee",
                    ha="center",
                    va="center",
                    fontsize=14,
                    zorder=3,
                )
            )
            self.labels_.append(
                ax.text(layer, -top - 0.8, f"{label}\n{size}", ha="center", va="top")
            )

        ax.set_xlim(-0.6, len(sizes) - 0.4)
        ax.set_ylim(-top - 0.5 - label_band, top + 0.5)
        ax.set_axis_off()
        shape = "-".join(str(size) for size in sizes)
        title = f"{shape}, {topology.activation}, {topology.n_params} parameters"
        ax.set_title(title if self.name is None else f"{self.name}\n{title}")

        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    @substitute(drawing_parameters=_DRAWING_PARAMETERS)
    def from_topology(
        cls,
        topology,
        *,
        ax=None,
        max_neurons=16,
        neuron_kwargs=None,
        edge_kwargs=None,
        name=None,
    ):
        """Draw a :class:`~sklearn_rcloud.Topology`.

        Parameters
        ----------
        topology : Topology
            The network to draw.
        {drawing_parameters}
        name : str, default=None
            Shown in the title when given.

        Returns
        -------
        display : TopologyDisplay
            Object that stores the topology and the artists.

        Examples
        --------
        >>> from sklearn_rcloud import Topology
        >>> from sklearn_rcloud.plotting import TopologyDisplay
        >>> display = TopologyDisplay.from_topology(Topology(4, (8,), 3))
        >>> [len(edges.get_segments()) for edges in display.edges_]
        [32, 24]
        """
        method = f"{cls.__name__}.from_topology"
        check_matplotlib_support(method)
        display = cls(_check_topology(topology, method), name=name)
        return display.plot(
            ax=ax,
            max_neurons=max_neurons,
            neuron_kwargs=neuron_kwargs,
            edge_kwargs=edge_kwargs,
        )

    @classmethod
    @substitute(drawing_parameters=_DRAWING_PARAMETERS)
    def from_estimator(
        cls,
        estimator,
        *,
        member=None,
        ax=None,
        max_neurons=16,
        neuron_kwargs=None,
        edge_kwargs=None,
        name=None,
    ):
        """Draw the trained network of a fitted estimator, its ``topology_``.

        Parameters
        ----------
        estimator : estimator or Pipeline
            A fitted estimator of this library (any with a ``topology_``), or
            a fitted ``Pipeline`` whose last step is one.
        member : int or None, default=None
            For an ensemble, whose members' topologies are ``topologies_``
            (:class:`~sklearn_rcloud.SAEPEnsembleClassifier`): the index of
            the member to draw, as in ``estimator.estimators_[member]``.
            Required for an ensemble, must be None otherwise.
        {drawing_parameters}
        name : str, default=None
            Shown in the title; None uses the estimator's class name.

        Returns
        -------
        display : TopologyDisplay
            Object that stores the topology and the artists.

        Raises
        ------
        NotFittedError
            When the estimator is not fitted.
        TypeError
            When the estimator has no ``topology_``.
        ValueError
            For an ensemble without a valid ``member``, or a ``member`` given
            for a single network.

        Notes
        -----
        The drawing shows the layer widths only. With unstructured pruning
        (``MagnitudePruningClassifier(structured=False)``) ``topology_`` keeps
        the full shape, so the drawn connections include the zeroed weights
        and the title counts the parameters of the full shape, not
        ``n_params_``.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn_rcloud import DenseMLPClassifier
        >>> from sklearn_rcloud.plotting import TopologyDisplay
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = DenseMLPClassifier(hidden_layer_sizes=(5,), max_iter=5)
        >>> display = TopologyDisplay.from_estimator(clf.fit(X, y))
        >>> [label.get_text() for label in display.labels_]
        ['Input\\n4', 'Hidden\\n5', 'Output\\n3']
        """
        method = f"{cls.__name__}.from_estimator"
        check_matplotlib_support(method)
        fitted = final_estimator(estimator, method)
        kind = type(fitted).__name__
        members = getattr(fitted, "topologies_", None)
        topology = getattr(fitted, "topology_", members)
        if topology is None:
            raise TypeError(
                f"{method} needs an estimator with a `topology_` (the estimators "
                f"of sklearn_rcloud); {kind} has none. Draw a Topology with "
                f"{cls.__name__}.from_topology."
            )
        label = kind if name is None else name
        if members is not None:
            n_members = len(members)
            if member is None:
                raise ValueError(
                    f"{kind} is an ensemble of {n_members} networks: pass "
                    f"member=i (0 <= i < {n_members}) to draw "
                    f"estimator.estimators_[i], or plot that member directly."
                )
            if (
                not isinstance(member, Integral)
                or isinstance(member, bool)
                or not -n_members <= member < n_members
            ):
                raise ValueError(
                    f"member must be an int in [0, {n_members}) for this "
                    f"ensemble of {n_members} networks, got {member!r}."
                )
            topology = members[member]
            if name is None:
                label = f"{kind}, member {member % n_members}"
        elif member is not None:
            raise ValueError(
                f"member={member!r} applies to ensembles only; {kind} has a "
                "single topology_."
            )
        display = cls(_check_topology(topology, method), name=label)
        return display.plot(
            ax=ax,
            max_neurons=max_neurons,
            neuron_kwargs=neuron_kwargs,
            edge_kwargs=edge_kwargs,
        )


def plot_topology(estimator_or_topology, ax=None, **kwargs):
    """Draw a network as layers of neurons.

    A thin convenience for :meth:`TopologyDisplay.from_topology` (given a
    :class:`~sklearn_rcloud.Topology`) and :meth:`TopologyDisplay.from_estimator`
    (given anything else).

    Parameters
    ----------
    estimator_or_topology : Topology, estimator or Pipeline
        A topology, a fitted estimator with a ``topology_``, or a fitted
        ``Pipeline`` whose last step is one.
    ax : matplotlib Axes, default=None
        Axes to draw on. If None, a new figure and axes are created.
    **kwargs : dict
        Passed on: ``max_neurons``, ``neuron_kwargs``, ``edge_kwargs``,
        ``name``, and for an estimator ``member`` (an ensemble's member to
        draw).

    Returns
    -------
    display : TopologyDisplay
        Object that stores the topology and the artists.

    See Also
    --------
    TopologyDisplay : The display this function builds.
    plot_search_history : Score against size of the searched networks.

    Examples
    --------
    >>> from sklearn_rcloud import Topology
    >>> from sklearn_rcloud.plotting import plot_topology
    >>> display = plot_topology(Topology(64, (32, 8), 10), max_neurons=8)
    >>> [len(layer.get_offsets()) for layer in display.neurons_]
    [8, 8, 8, 8]
    >>> [ellipsis is not None for ellipsis in display.ellipses_]
    [True, True, False, True]
    """
    if isinstance(estimator_or_topology, Topology):
        return TopologyDisplay.from_topology(estimator_or_topology, ax=ax, **kwargs)
    return TopologyDisplay.from_estimator(estimator_or_topology, ax=ax, **kwargs)


def _check_topology(topology, caller):
    if not isinstance(topology, Topology):
        raise TypeError(
            f"{caller} needs a sklearn_rcloud.Topology, got {type(topology).__name__}."
        )
    return topology


def _layer_name(layer, n_layers):
    """``(kind, label)`` of layer ``layer`` among ``n_layers``."""
    if layer == 0:
        return "input", "Input"
    if layer == n_layers - 1:
        return "output", "Output"
    return "hidden", "Hidden" if n_layers == 3 else f"Hidden {layer}"


def _column(size, max_neurons):
    """Heights of the circles of a layer of ``size``, and of its ellipsis.

    Positions are centred on 0, first neuron on top. A layer wider than
    ``max_neurons`` keeps its first ``ceil(max_neurons / 2)`` and last
    ``floor(max_neurons / 2)`` neurons, the ellipsis in the slot between.
    """
    if size <= max_neurons:
        return (size - 1) / 2 - np.arange(size, dtype=float), None
    slots = max_neurons / 2 - np.arange(max_neurons + 1, dtype=float)
    head = (max_neurons + 1) // 2
    return np.delete(slots, head), float(slots[head])
