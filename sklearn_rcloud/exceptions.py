"""Exceptions raised by the library."""

__all__ = ["TrainingDivergedError"]


class TrainingDivergedError(ValueError, FloatingPointError):
    """Training produced a non-finite loss or non-finite weights.

    Raised instead of returning a network whose predictions would be garbage.
    It is a ``ValueError`` (as scikit-learn's ``MLPClassifier`` raises for the
    same cause, usually unscaled inputs) and a ``FloatingPointError``.

    Examples
    --------
    >>> from sklearn_rcloud.exceptions import TrainingDivergedError
    >>> issubclass(TrainingDivergedError, ValueError)
    True
    """
