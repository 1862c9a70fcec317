"""A fit as a transaction: its fitted state is published only when it succeeds."""

from __future__ import annotations

import contextlib
import functools
import warnings
from typing import NamedTuple

import torch
from sklearn import get_config, set_config

from ..engine import flushes_denormals

__all__ = ["fit_transaction", "fitted_attributes", "transactional"]


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
    torch_state, warnings_state = _TorchState.now(), _WarningsState.now()
    if not keep_fitted:
        for name in fitted_attributes(estimator):
            delattr(estimator, name)
    try:
        yield
    except BaseException as error:
        # One assignment: an interrupt cannot land halfway through it.
        estimator.__dict__ = before
        torch_state.restore()
        if not isinstance(error, Exception):
            warnings_state.restore()
        raise


class _TorchState(NamedTuple):
    """This thread's torch and scikit-learn settings that a fit changes for a
    while.

    The fit's context managers restore them as they leave, but an interrupt
    (a signal handler raising ``KeyboardInterrupt``) can land between a
    setting and the ``try`` that would undo it, e.g. inside ``torch.no_grad``'s
    entry: a failed fit puts them back as it found them.
    """

    grad_enabled: bool
    flush_denormal: bool
    n_threads: int
    sklearn_config: dict

    @classmethod
    def now(cls):
        return cls(
            torch.is_grad_enabled(),
            flushes_denormals(),
            torch.get_num_threads(),
            get_config(),
        )

    def restore(self):
        if self != self.now():
            torch.set_grad_enabled(self.grad_enabled)
            torch.set_flush_denormal(self.flush_denormal)
            if torch.get_num_threads() != self.n_threads:
                torch.set_num_threads(self.n_threads)
            set_config(**self.sklearn_config)


def transactional(keeps_fitted):
    """Run the decorated fit method as one :func:`fit_transaction`.

    It goes outside scikit-learn's ``_fit_context``, so that what that
    context does after the method (the callbacks' ``teardown``, which may
    raise) belongs to the transaction too.

    Parameters
    ----------
    keeps_fitted : callable
        ``keeps_fitted(estimator)``: whether the call continues the fitted
        state (``warm_start``, ``partial_fit``) rather than refitting.
    """

    def decorate(method):
        @functools.wraps(method)
        def transaction(estimator, *args, **kwargs):
            with fit_transaction(estimator, keep_fitted=keeps_fitted(estimator)):
                return method(estimator, *args, **kwargs)

        return transaction

    return decorate


class _WarningsState(NamedTuple):
    """The process's warnings filters and hook, as a fit found them.

    Put back after an interrupt only: one landing inside a
    ``warnings.catch_warnings()`` block of the code a fit runs (scikit-learn's
    ``type_of_target`` has one) leaves that block's filter behind. After an
    ordinary exception every such block has undone its change, and the
    filters, which are process-wide, may have been changed by another thread
    meanwhile.
    """

    filters: list
    showwarning: object

    @classmethod
    def now(cls):
        return cls(list(warnings.filters), warnings.showwarning)

    def restore(self):
        if warnings.showwarning is not self.showwarning:
            warnings.showwarning = self.showwarning
        if warnings.filters != self.filters:
            warnings.filters[:] = self.filters
            warnings._filters_mutated()
