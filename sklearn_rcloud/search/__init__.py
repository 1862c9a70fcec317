"""Search strategies over candidate sub-networks."""

from ._reduction import SearchResult, progressive_reduction, select_candidate

__all__ = ["SearchResult", "progressive_reduction", "select_candidate"]
