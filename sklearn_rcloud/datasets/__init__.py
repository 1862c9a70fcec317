"""Bundled tabular datasets (UCI), loaded like :mod:`sklearn.datasets`."""

from ._base import (
    load_adult,
    load_banknote,
    load_ionosphere,
    load_optdigits,
    load_pima_diabetes,
    load_sonar,
)

__all__ = [
    "load_adult",
    "load_banknote",
    "load_ionosphere",
    "load_optdigits",
    "load_pima_diabetes",
    "load_sonar",
]
