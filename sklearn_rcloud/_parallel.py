"""Sharing the cores between joblib workers and torch's own threads.

Every parallel loop of the library goes through scikit-learn's
:class:`~sklearn.utils.parallel.Parallel` with the caller's ``n_jobs`` and no
backend of its own, so ``joblib.parallel_config`` (e.g. a dask cluster) decides
where the tasks run. Each task then caps torch's intra-op threads at its share
of the cores: without the cap, ``n_jobs`` workers each start a thread per core.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from joblib import effective_n_jobs

__all__ = ["threads_per_job", "torch_threads"]


def threads_per_job(n_jobs):
    """Torch threads each of ``n_jobs`` parallel tasks may use: cores // jobs.

    ``n_jobs`` is resolved as joblib resolves it under the active
    ``parallel_config`` (None is 1, -1 is every core or worker). None for a
    single job: it keeps whatever torch is set to.
    """
    n_jobs = effective_n_jobs(n_jobs)
    if n_jobs <= 1:
        return None
    return max(1, (os.cpu_count() or 1) // n_jobs)


@contextmanager
def torch_threads(n_threads):
    """Cap torch's intra-op threads at ``n_threads`` inside the block, then restore.

    ``n_threads=None`` leaves them alone.
    """
    import torch

    previous = torch.get_num_threads()
    if n_threads is not None:
        torch.set_num_threads(max(1, int(n_threads)))
    try:
        yield
    finally:
        torch.set_num_threads(previous)
