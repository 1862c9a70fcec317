"""Sharing the cores between joblib workers and torch's own threads.

Every parallel loop of a fit goes through joblib's ``Parallel`` with the
caller's ``n_jobs`` and no backend of its own, so ``joblib.parallel_config``
(e.g. a dask cluster) decides where the tasks run. Each task then caps torch's
intra-op threads at its share of the cores: without the cap, ``n_jobs``
workers each start a thread per core. (Not scikit-learn's ``Parallel``: to
hand its configuration to thread workers it resets the process's warnings
filters inside each task, which races with every other thread; the tasks of
a fit read no scikit-learn configuration.)
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager

from joblib import effective_n_jobs

__all__ = ["TINY_STEP_WORK", "step_threads", "threads_per_job", "torch_threads"]

#: Multiply-adds of one training step (the step's rows times the parameters
#: trained) below which it runs on one thread. Measured
#: (``benchmarks/bench_engine.py``, ``benchmarks/README.md``; 2 cores): idle,
#: a second intra-op thread took 0.88-1.09x the one-thread time of a step
#: below 3e6, 0.71-0.82x from 1.1e7 to 2.2e7 and 0.65x at 9.3e7 (full-batch
#: L-BFGS steps); with one other CPU-bound process on the machine, the two
#: threads waiting on each other made default fits 3-6x slower than idle
#: (digits' 1.1e7-step L-BFGS fit 5.97x, Adult's 2.1e6-step Adam fit 3.15x),
#: where one thread keeps them within 1.3x. Up to 3e7 a second thread saves
#: at most 29% idle and costs 3-6 fold busy, so the steps of the default
#: recipe on data of up to 2,000 rows and 150 features run on one thread.
TINY_STEP_WORK = 30_000_000


def step_threads(work):
    """Torch threads for training steps of ``work`` multiply-adds each: 1 for
    a tiny step (:data:`TINY_STEP_WORK`), else None (torch's setting
    stands), for :func:`torch_threads` inside a fit.

    Whatever the solver: a full-batch L-BFGS step, an Adam or SGD
    mini-batch step, or a population's step (every member's parameters).
    A tiny full-batch L-BFGS step gives the same result on one thread as on
    two, bit for bit (the seven small study datasets); a mini-batch step's
    result may differ in the last bits, as any change of thread count may
    make it.
    """
    return 1 if work < TINY_STEP_WORK else None


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


#: Guards the open :func:`torch_threads` blocks and the setting they found,
#: shared by every thread of the process.
_THREADS_LOCK = threading.Lock()
_open_blocks = set()
_setting_before = None


@contextmanager
def torch_threads(n_threads):
    """Cap torch's intra-op threads at ``n_threads`` inside the block, then restore.

    ``n_threads=None`` leaves them alone. Safe when blocks of several threads
    overlap: torch's setting is process-wide, so a save-and-restore per
    block would let the first block to end restore it while another runs,
    and the last one restore the first one's cap. The open blocks are
    counted instead; the setting found by the first to open is the one the
    last to close restores, even when a block ends with an exception. A
    thread that closes a block while others are open restores its own
    setting. A block is counted by one call inside the ``try`` (a token
    added to a set), so that an interrupt cannot leave it counted but never
    closed.
    """
    global _setting_before
    import torch

    own_setting = torch.get_num_threads()
    token = object()
    try:
        with _THREADS_LOCK:
            if not _open_blocks:
                _setting_before = own_setting
            _open_blocks.add(token)
        if n_threads is not None and max(1, int(n_threads)) != own_setting:
            torch.set_num_threads(max(1, int(n_threads)))
        yield
    finally:
        with _THREADS_LOCK:
            if token in _open_blocks:  # else interrupted before it changed anything
                _open_blocks.discard(token)
                restore = own_setting if _open_blocks else _setting_before
                if torch.get_num_threads() != restore:
                    torch.set_num_threads(restore)
