"""Shared test configuration: thread limits under pytest-xdist, the data
fixtures several modules use, and the Hypothesis profiles of the
property-based tests.

The estimators at small settings, which several modules also share, are
plain objects in ``small_estimators.py`` (imported, not injected), because
tests parametrise over them at collection time.

``ci`` (the default) keeps ``tests/test_hardening.py`` well under 90 seconds on
two cores; ``thorough`` runs ten times more examples. Pick one with the
environment variable ``HYPOTHESIS_PROFILE`` (or pytest's
``--hypothesis-profile``)::

    HYPOTHESIS_PROFILE=thorough pytest tests/test_hardening.py

Both are deterministic (``derandomize=True``) and keep no example database, so
every run tries the same examples.
"""

import os

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Every pytest-xdist worker is a process of its own: one thread each for
    # torch and for the BLAS, or the workers' thread pools fight over the
    # cores (OpenMP threads spin while they wait) and everything slows down.
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    _BLAS_LIMIT = threadpool_limits(limits=1)

import pytest
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.preprocessing import minmax_scale


@pytest.fixture(scope="session")
def wine():
    """Wine (3 classes, 178 rows), min-max scaled."""
    X, y = load_wine(return_X_y=True)
    return minmax_scale(X), y


@pytest.fixture(scope="session")
def cancer():
    """Breast cancer (2 classes, 569 rows), min-max scaled."""
    X, y = load_breast_cancer(return_X_y=True)
    return minmax_scale(X), y


try:
    from hypothesis import HealthCheck, settings
except ImportError:  # hypothesis is optional: tests/test_hardening.py skips
    settings = None

if settings is not None:
    settings.register_profile(
        "ci",
        max_examples=20,
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=False,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )
    settings.register_profile(
        "thorough", parent=settings.get_profile("ci"), max_examples=200
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def population_sizes(monkeypatch):
    """The number of members of every population ``fit_together`` trains."""
    from sklearn_rcloud.estimators import _together

    sizes = []
    train = _together.train_population

    def counting(networks, *args, **kwargs):
        sizes.append(len(networks))
        return train(networks, *args, **kwargs)

    monkeypatch.setattr(_together, "train_population", counting)
    return sizes
