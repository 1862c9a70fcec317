"""Row weights as every part of the library scales and sums them."""

import numpy as np

__all__ = ["mean_one", "weight_sum"]


def mean_one(weights):
    """``weights`` scaled to average one, as the engine weighs training rows.

    Scaled in float64 (first by their largest, so that neither tiny nor huge
    weights overflow), for the caller to cast to float32 afterwards: weights
    of any scale that float64 holds give the same training.
    """
    weights = np.asarray(weights, dtype=np.float64)
    weights = weights / weights.max()
    return weights * (len(weights) / weights.sum())


def weight_sum(weights):
    """The sum of non-negative ``weights`` in float64, without overflow where it
    can be avoided (each weight below float64's maximum, as many as there are)."""
    weights = np.asarray(weights, dtype=np.float64)
    top = weights.max(initial=0.0)
    if top == 0.0:
        return 0.0
    with np.errstate(over="ignore"):
        return float(top * np.sum(weights / top))
