"""Bundled tabular datasets (UCI), loaded like :mod:`sklearn.datasets`.

Classification: Sonar, Ionosphere, Pima Indians Diabetes, Banknote
Authentication, Optical Digits and Adult. Regression (float64 target):
Concrete Compressive Strength, Energy Efficiency, Airfoil Self-Noise, Abalone
and Wine Quality (red).
"""

from ._base import (
    load_abalone,
    load_adult,
    load_airfoil_self_noise,
    load_banknote,
    load_concrete,
    load_energy_efficiency,
    load_ionosphere,
    load_optdigits,
    load_pima_diabetes,
    load_sonar,
    load_wine_quality_red,
)

__all__ = [
    "load_abalone",
    "load_adult",
    "load_airfoil_self_noise",
    "load_banknote",
    "load_concrete",
    "load_energy_efficiency",
    "load_ionosphere",
    "load_optdigits",
    "load_pima_diabetes",
    "load_sonar",
    "load_wine_quality_red",
]
