"""The fitted estimator behind a ``Pipeline``, for tools that read its attributes."""

from __future__ import annotations

from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

__all__ = ["final_estimator"]


def final_estimator(estimator, caller):
    """The fitted estimator behind ``estimator``, the last step of a ``Pipeline``.

    Parameters
    ----------
    estimator : estimator or Pipeline
        A fitted estimator, or a fitted (possibly nested) pipeline ending in one.
    caller : str
        Name of the display method, for error messages.

    Returns
    -------
    estimator : estimator
        ``estimator`` itself, or the last step of the pipeline.

    Raises
    ------
    NotFittedError
        When the estimator is not fitted.
    """
    while isinstance(estimator, Pipeline):
        last = estimator.steps[-1][1]
        if last is None or last == "passthrough":
            raise ValueError(
                f"{caller} needs a Pipeline that ends in an estimator; its last "
                f"step {estimator.steps[-1][0]!r} is {last!r}."
            )
        estimator = last
    check_is_fitted(estimator)
    return estimator
