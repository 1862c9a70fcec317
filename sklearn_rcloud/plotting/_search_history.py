"""Score against size of every network a search scored, the chosen one marked."""

from __future__ import annotations

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support

from .._docstrings import substitute
from ._base import final_estimator, merge_kwargs

__all__ = ["SearchHistoryDisplay", "plot_search_history"]


#: The drawing options of :meth:`SearchHistoryDisplay.plot` and its constructor.
_PLOT_PARAMETERS = """\
ax : matplotlib Axes, default=None
    Axes to draw on. If None, a new figure and axes are created.
log_x : bool, default=False
    Draw the number of parameters on a logarithmic axis.
scatter_kwargs : dict, default=None
    Keyword arguments of the scored networks' ``ax.scatter`` call.
selected_kwargs : dict, default=None
    Keyword arguments of the trained network's ``ax.scatter`` call.
finalists_kwargs : dict, default=None
    Keyword arguments of the finalists' ``ax.scatter`` call."""


class SearchHistoryDisplay:
    """Search history visualization: score against number of parameters.

    Every network a search scored is a point, the finalists trained on
    held-out rows (Random Cloud's ``n_finalists``) are diamonds, the network
    that was trained is a star. It is recommended to build the display with
    :meth:`from_estimator` or :func:`plot_search_history`; all parameters are
    stored as attributes.

    Parameters
    ----------
    n_params : array-like of shape (n_candidates,)
        Parameter count of every scored network.
    scores : array-like of shape (n_candidates,)
        Its score. Non-finite scores (e.g. networks that were not scored) are
        not drawn.
    selected_index : int or None, default=None
        Position in ``n_params`` and ``scores`` of the trained network; None
        marks none.
    finalist_indices : array-like of int or None, default=None
        Positions of the finalists; None or empty marks none.
    threshold : float or None, default=None
        A minimum score drawn as a horizontal dashed line; None or a
        non-finite value draws no line.
    score_name : str, default='Search score'
        Label of the y-axis.
    name : str or None, default=None
        Name of the estimator, used as the title when given.

    Attributes
    ----------
    scatter_ : matplotlib PathCollection
        The scored networks with a finite score.
    selected_ : matplotlib PathCollection or None
        The trained network's star; None when ``selected_index`` is None or
        its score is not finite.
    finalists_ : matplotlib PathCollection or None
        The finalists' diamonds; None when there are none.
    threshold_line_ : matplotlib Line2D or None
        The threshold line, None when no threshold is drawn.
    ax_ : matplotlib Axes
        Axes with the plot.
    figure_ : matplotlib Figure
        Figure containing the plot.

    See Also
    --------
    plot_search_history : Plot the search history of a fitted estimator.
    TopologyDisplay : Draw the trained network's layers.

    Examples
    --------
    >>> from sklearn_rcloud.plotting import SearchHistoryDisplay
    >>> display = SearchHistoryDisplay(
    ...     n_params=[67, 59, 51, 43], scores=[0.90, 0.93, 0.92, 0.70],
    ...     selected_index=2, threshold=0.5,
    ... )
    >>> display = display.plot(log_x=True)
    >>> display.selected_.get_offsets().tolist()
    [[51.0, 0.92]]
    >>> display.ax_.get_xscale()
    'log'
    """

    def __init__(
        self,
        n_params,
        scores,
        *,
        selected_index=None,
        finalist_indices=None,
        threshold=None,
        score_name="Search score",
        name=None,
    ):
        self.n_params = n_params
        self.scores = scores
        self.selected_index = selected_index
        self.finalist_indices = finalist_indices
        self.threshold = threshold
        self.score_name = score_name
        self.name = name

    @substitute(plot_parameters=_PLOT_PARAMETERS)
    def plot(
        self,
        ax=None,
        *,
        log_x=False,
        scatter_kwargs=None,
        selected_kwargs=None,
        finalists_kwargs=None,
    ):
        """Plot the visualization.

        Parameters
        ----------
        {plot_parameters}

        Returns
        -------
        display : SearchHistoryDisplay
            Object that stores the computed values and the artists.

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> from sklearn_rcloud.plotting import SearchHistoryDisplay
        >>> fig, ax = plt.subplots()
        >>> display = SearchHistoryDisplay([35, 67], [0.8, 0.9], selected_index=0)
        >>> display.plot(ax=ax).ax_ is ax
        True
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        n_params = np.asarray(self.n_params, dtype=float).reshape(-1)
        scores = np.asarray(self.scores, dtype=float).reshape(-1)
        if n_params.shape != scores.shape:
            raise ValueError(
                f"n_params and scores must have the same length, got "
                f"{n_params.size} and {scores.size}."
            )
        finite = np.isfinite(scores) & np.isfinite(n_params)

        scatter_kwargs = merge_kwargs(
            {
                "s": 18,
                "alpha": 0.5,
                "color": "tab:blue",
                "label": f"scored networks ({int(finite.sum())})",
                "zorder": 2,
            },
            scatter_kwargs,
        )
        self.scatter_ = ax.scatter(n_params[finite], scores[finite], **scatter_kwargs)

        self.finalists_ = None
        finalists = np.asarray(
            [] if self.finalist_indices is None else self.finalist_indices, dtype=int
        ).reshape(-1)
        finalists = finalists[finite[finalists]]
        if finalists.size:
            finalists_kwargs = merge_kwargs(
                {
                    "marker": "D",
                    "s": 60,
                    "facecolor": "none",
                    "edgecolor": "tab:orange",
                    "linewidths": 1.5,
                    "label": f"finalists, trained on held-out rows ({finalists.size})",
                    "zorder": 3,
                },
                finalists_kwargs,
            )
            self.finalists_ = ax.scatter(
                n_params[finalists], scores[finalists], **finalists_kwargs
            )

        self.selected_ = None
        if self.selected_index is not None:
            index = int(self.selected_index)
            if finite[index]:
                selected_kwargs = merge_kwargs(
                    {
                        "marker": "*",
                        "s": 260,
                        "color": "tab:red",
                        "edgecolor": "black",
                        "linewidths": 0.8,
                        "label": (
                            f"trained network ({int(n_params[index])} params, "
                            f"{scores[index]:.4g})"
                        ),
                        "zorder": 3,
                    },
                    selected_kwargs,
                )
                self.selected_ = ax.scatter(
                    n_params[index], scores[index], **selected_kwargs
                )

        self.threshold_line_ = None
        if self.threshold is not None and np.isfinite(self.threshold):
            self.threshold_line_ = ax.axhline(
                self.threshold,
                color="0.4",
                linestyle="--",
                linewidth=1,
                label=f"threshold ({self.threshold:.4g})",
                zorder=1,
            )

        if log_x:
            ax.set_xscale("log")
        ax.set_xlabel("Number of parameters")
        ax.set_ylabel(self.score_name)
        if self.name is not None:
            ax.set_title(self.name)
        ax.legend(loc="best")

        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    @substitute(plot_parameters=_PLOT_PARAMETERS)
    def from_estimator(
        cls,
        estimator,
        *,
        score="auto",
        ax=None,
        log_x=False,
        scatter_kwargs=None,
        selected_kwargs=None,
        finalists_kwargs=None,
        name=None,
    ):
        """Plot the search history of a fitted estimator.

        Parameters
        ----------
        estimator : estimator or Pipeline
            A fitted estimator with a ``search_history_`` (e.g.
            :class:`~sklearn_rcloud.RandomCloudClassifier`,
            :class:`~sklearn_rcloud.NASWOTSearchClassifier`,
            :class:`~sklearn_rcloud.RandomSearchSparseClassifier`), or a
            fitted ``Pipeline`` whose last step is one.
        score : str, default='auto'
            Column of ``search_history_`` drawn on the y-axis. ``'auto'`` is
            ``'fitness'`` for ``NASWOTSearchClassifier(strategy='area')``,
            which selects by fitness, and ``'score'`` otherwise.
        {plot_parameters}
        name : str, default=None
            Title of the plot; None uses the estimator's class name.

        Returns
        -------
        display : SearchHistoryDisplay
            Object that stores the computed values and the artists.

        Raises
        ------
        NotFittedError
            When the estimator is not fitted.
        TypeError
            When the estimator records no ``search_history_``.
        ValueError
            When the history has no such column, or none of its scores is
            finite (e.g. :class:`~sklearn_rcloud.RandomSparseClassifier`
            does not score its mask).

        Notes
        -----
        The trained network is found from ``selected_index_``
        (NASWOT), ``selected_candidate_`` (sparse search) or
        ``selected_network_`` with ``topology_`` (Random Cloud), else as the
        first row matching ``n_params_`` and ``search_score_``. For Random
        Cloud the ``threshold_`` in force is drawn as a dashed line.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn_rcloud import RandomCloudClassifier
        >>> from sklearn_rcloud.plotting import SearchHistoryDisplay
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = RandomCloudClassifier(
        ...     n_networks=3, hidden_layer_sizes=(6,), max_iter=5, random_state=0
        ... ).fit(X / X.max(axis=0), y)
        >>> display = SearchHistoryDisplay.from_estimator(clf)
        >>> len(display.scatter_.get_offsets()) == len(clf.search_history_["score"])
        True
        >>> int(display.selected_.get_offsets()[0, 0]) == clf.n_params_
        True
        """
        method = f"{cls.__name__}.from_estimator"
        check_matplotlib_support(method)
        fitted = final_estimator(estimator, method)
        kind = type(fitted).__name__
        history = getattr(fitted, "search_history_", None)
        if history is None:
            raise TypeError(
                f"{method} needs an estimator that records its search in "
                f"`search_history_` (RandomCloudClassifier, "
                f"NASWOTSearchClassifier, RandomSearchSparseClassifier); "
                f"{kind} has no `search_history_`."
            )
        if score == "auto":
            area = getattr(fitted, "strategy", None) == "area"
            score = "fitness" if area and "fitness" in history else "score"
        for column in ("n_params", score):
            if column not in history:
                raise ValueError(
                    f"The search_history_ of {kind} has no {column!r} column; "
                    f"its columns are {sorted(history)}."
                )
        n_params = np.asarray(history["n_params"], dtype=float)
        scores = np.asarray(history[score], dtype=float)
        if not np.isfinite(scores).any():
            raise ValueError(
                f"The search_history_ of {kind} has no finite {score!r}: "
                "nothing was scored, so there is no search to plot."
            )

        threshold = getattr(fitted, "threshold_", None) if score == "score" else None
        display = cls(
            n_params=n_params,
            scores=scores,
            selected_index=_selected_row(fitted, history, n_params, scores),
            finalist_indices=np.flatnonzero(history["finalist"])
            if "finalist" in history
            else None,
            threshold=threshold,
            score_name=_score_label(fitted, score),
            name=kind if name is None else name,
        )
        return display.plot(
            ax=ax,
            log_x=log_x,
            scatter_kwargs=scatter_kwargs,
            selected_kwargs=selected_kwargs,
            finalists_kwargs=finalists_kwargs,
        )


def plot_search_history(estimator, ax=None, **kwargs):
    """Plot score against number of parameters of every network a search scored.

    A thin convenience for :meth:`SearchHistoryDisplay.from_estimator`.

    Parameters
    ----------
    estimator : estimator or Pipeline
        A fitted estimator with a ``search_history_``, or a fitted
        ``Pipeline`` whose last step is one.
    ax : matplotlib Axes, default=None
        Axes to draw on. If None, a new figure and axes are created.
    **kwargs : dict
        Passed on to :meth:`SearchHistoryDisplay.from_estimator`: ``score``,
        ``log_x``, ``scatter_kwargs``, ``selected_kwargs``,
        ``finalists_kwargs``, ``name``.

    Returns
    -------
    display : SearchHistoryDisplay
        Object that stores the computed values and the artists.

    See Also
    --------
    SearchHistoryDisplay : The display this function builds.
    plot_topology : Draw the trained network's layers.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_rcloud import RandomCloudClassifier
    >>> from sklearn_rcloud.plotting import plot_search_history
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = RandomCloudClassifier(n_networks=5, max_iter=5, random_state=0).fit(X, y)
    >>> display = plot_search_history(clf)
    >>> display.ax_.get_xlabel()
    'Number of parameters'
    >>> display.ax_.get_ylabel()
    'Search score (readout)'
    """
    return SearchHistoryDisplay.from_estimator(estimator, ax=ax, **kwargs)


def _selected_row(estimator, history, n_params, scores):
    """Row of ``history`` holding the trained network, or None if unknown."""
    n_rows = len(scores)
    for attribute in ("selected_index_", "selected_candidate_"):
        row = getattr(estimator, attribute, None)
        if row is not None and 0 <= int(row) < n_rows:
            return int(row)
    network = getattr(estimator, "selected_network_", None)
    topology = getattr(estimator, "topology_", None)
    if network is not None and "network" in history and "hidden_layer_sizes" in history:
        hidden = getattr(topology, "hidden_layer_sizes", None)
        rows = [
            row
            for row in np.flatnonzero(np.asarray(history["network"]) == network)
            if tuple(history["hidden_layer_sizes"][row]) == hidden
        ]
        if rows:
            return int(rows[0])
    size = getattr(estimator, "n_params_", None)
    value = getattr(estimator, "search_score_", None)
    if size is not None and value is not None:
        rows = np.flatnonzero((n_params == size) & np.isclose(scores, value))
        if rows.size:
            return int(rows[0])
    return None


def _score_label(estimator, score):
    """The y-axis label of column ``score`` for ``estimator``."""
    if score == "fitness":
        return "Fitness (validation accuracy)"
    if score == "score":
        scorer = getattr(estimator, "proxy", None)
        return f"Search score ({scorer})" if isinstance(scorer, str) else "Search score"
    return score
