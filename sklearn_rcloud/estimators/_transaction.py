"""A fit as a transaction: its fitted state is published only when it succeeds."""

from __future__ import annotations

import contextlib

__all__ = ["fit_transaction", "fitted_attributes"]


def fitted_attributes(estimator):
    """Names of ``estimator``'s fitted attributes, as scikit-learn tells them:
    public names ending in an underscore."""
    return [
        name
        for name in vars(estimator)
        if name.endswith("_") and not name.startswith("__")
    ]


@contextlib.contextmanager
def fit_transaction(estimator, *, keep_fitted):
    """Run a fit of ``estimator`` inside the block, all or nothing.

    The block starts from ``estimator`` without the fitted attributes of its
    previous fit (``keep_fitted=False``; a refit sets anew everything it
    keeps, so nothing stale survives it) or with them (``keep_fitted=True``,
    continued training). If the block raises anything, ``KeyboardInterrupt``
    included, the estimator is put back exactly as it was before the call,
    unfitted or fitted with its previous model, and the exception goes on.

    The block must not change in place an object the estimator held before
    it (e.g. train the previous ``module_``); it trains copies.
    """
    before = dict(vars(estimator))
    if not keep_fitted:
        for name in fitted_attributes(estimator):
            delattr(estimator, name)
    try:
        yield
    except BaseException:
        state = vars(estimator)
        state.clear()
        state.update(before)
        raise
