"""Visualizations of fitted estimators, following scikit-learn's Display API.

Each ``XxxDisplay`` stores what it draws; its ``plot`` method draws it and
keeps the matplotlib artists as attributes (``ax_``, ``figure_``, ...), and its
``from_estimator`` class method builds and plots it from a fitted estimator or
a ``Pipeline`` ending in one. matplotlib is imported only when something is
drawn, so importing this module does not need it.
"""

from ._search_history import SearchHistoryDisplay, plot_search_history
from ._topology import TopologyDisplay, plot_topology

__all__ = [
    "SearchHistoryDisplay",
    "TopologyDisplay",
    "plot_search_history",
    "plot_topology",
]
