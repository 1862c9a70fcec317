"""Search strategies over candidate networks.

The progressive reduction of a random cloud (Random Cloud) and its finalists,
random search over node masks of a parent network (sparse sub-networks), and
the sampling, scoring and regularised evolution of topologies from an MLP
search space (NASWOT and AREA).
"""

from ._evolution import (
    assisted_evolution,
    best_distinct,
    fittest,
    regularized_evolution,
)
from ._finalists import select_finalists
from ._node_masks import (
    NodeMaskResult,
    nodes_kept,
    random_node_search,
    sample_node_masks,
)
from ._reduction import (
    SearchResult,
    progressive_reduction,
    reduction_candidates,
    reduction_stages,
    select_candidate,
)
from ._sampling import initial_weights, score_architectures
from ._space import MLPSearchSpace, architecture_seed

__all__ = [
    "assisted_evolution",
    "best_distinct",
    "MLPSearchSpace",
    "NodeMaskResult",
    "SearchResult",
    "architecture_seed",
    "fittest",
    "initial_weights",
    "nodes_kept",
    "progressive_reduction",
    "random_node_search",
    "reduction_candidates",
    "reduction_stages",
    "regularized_evolution",
    "sample_node_masks",
    "score_architectures",
    "select_candidate",
    "select_finalists",
]
