"""Shared test configuration: the Hypothesis profiles of the property-based tests.

``ci`` (the default) keeps ``tests/test_hardening.py`` well under 90 seconds on
two cores; ``thorough`` runs ten times more examples. Pick one with the
environment variable ``HYPOTHESIS_PROFILE`` (or pytest's
``--hypothesis-profile``)::

    HYPOTHESIS_PROFILE=thorough pytest tests/test_hardening.py

Both are deterministic (``derandomize=True``) and keep no example database, so
every run tries the same examples.
"""

import os

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
