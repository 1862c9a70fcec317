"""Search strategies over candidate networks.

The progressive reduction of a random cloud (Random Cloud), and the sampling,
scoring and regularised evolution of topologies from an MLP search space
(NASWOT and AREA).
"""

from ._evolution import fittest, regularized_evolution
from ._reduction import SearchResult, progressive_reduction, select_candidate
from ._sampling import initial_weights, score_architectures
from ._space import MLPSearchSpace, architecture_seed

__all__ = [
    "MLPSearchSpace",
    "SearchResult",
    "architecture_seed",
    "fittest",
    "initial_weights",
    "progressive_reduction",
    "regularized_evolution",
    "score_architectures",
    "select_candidate",
]
