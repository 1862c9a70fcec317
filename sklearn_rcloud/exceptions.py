"""Exceptions raised by the library."""

__all__ = ["MemoryLimitError", "TrainingDivergedError"]


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


class MemoryLimitError(MemoryError, ValueError):
    """A parameter asks for more memory than the machine has.

    Raised by ``fit`` before anything is allocated, when the sizes the
    parameters fix up front (hidden widths, networks in a cloud or a
    population, search candidates) need more memory than
    :func:`sklearn_rcloud._memory.memory_limit`; the message names the
    parameters and the memory they need. It is a ``MemoryError`` and, as
    every invalid parameter value, a ``ValueError``.

    Examples
    --------
    >>> from sklearn_rcloud.exceptions import MemoryLimitError
    >>> issubclass(MemoryLimitError, MemoryError)
    True
    >>> issubclass(MemoryLimitError, ValueError)
    True
    """
