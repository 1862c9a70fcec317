"""Progress of a fit: scikit-learn's callbacks and the ``verbose`` display.

A fit is a tree of tasks, as scikit-learn's callback API
(:mod:`sklearn.callback`) sees it: the root task ``fit``, whose sub-tasks are
the search and the training (each training epoch a leaf), or the rounds of a
pruning schedule or an ensemble. :class:`FitProgress` opens and closes those
tasks for the callbacks set with ``set_callbacks`` (e.g. ``ProgressBar``,
``ScoringMonitor``) and, at ``verbose >= 1``, for a plain display: one line
redrawn in place on a terminal, nothing per step elsewhere, and one closing
line naming the network chosen.
"""

from __future__ import annotations

import contextlib
import copy
import sys
import time

from skorch.callbacks import Callback

from ..training import StopTraining

__all__ = ["FitProgress"]


class FitProgress:
    """The task tree of one ``fit`` of a library estimator.

    Parameters
    ----------
    estimator : BaseNetworkClassifier
        The estimator being fitted (``classes_`` set).
    X : ndarray of shape (n_samples, n_features)
        The validated training data, handed to the callbacks.
    y : ndarray of shape (n_samples,)
        The training labels as the user gave them.
    sample_weight : ndarray or None
    n_tasks : int or None
        Sub-tasks of the root (None: not known in advance).
    """

    def __init__(self, estimator, X, y, sample_weight, n_tasks):
        self.estimator = estimator
        self.X, self.y = X, y
        self.metadata = (
            None if sample_weight is None else {"sample_weight": sample_weight}
        )
        self.display = _Display(estimator) if estimator.verbose else None
        self.root = estimator._init_callback_context(max_subtasks=n_tasks)
        self.root.call_on_fit_task_begin(
            estimator=estimator, X=X, y=y, metadata=self.metadata
        )

    def _data(self):
        return {"X": self.X, "y": self.y, "metadata": self.metadata}

    @contextlib.contextmanager
    def task(self, name, n_steps=0, parent=None, reconstruction=None):
        """A sub-task (of the root, or of ``parent``) with ``n_steps`` leaves.

        ``reconstruction``: a callable returning the fitted attributes of the
        estimator as it stands at the end of the task, for the callbacks that
        evaluate it (e.g. ``ScoringMonitor``).
        """
        context = (parent or self.root).subcontext(task_name=name, max_subtasks=n_steps)
        context.call_on_fit_task_begin(estimator=self.estimator, **self._data())
        if self.display:
            self.display.begin(name, n_steps)
        try:
            yield context
        finally:
            context.call_on_fit_task_end(
                estimator=self.estimator,
                reconstruction_attributes=reconstruction,
                **self._data(),
            )

    def step(self, context, name, done):
        """One leaf of ``context`` just finished; True asks to stop its level."""
        leaf = context.subcontext(task_name=name)
        leaf.call_on_fit_task_begin(estimator=self.estimator, **self._data())
        stop = leaf.call_on_fit_task_end(estimator=self.estimator, **self._data())
        if self.display:
            self.display.step(done)
        return stop

    @property
    def watches_epochs(self):
        """Whether anyone looks at single epochs (callbacks or the display)."""
        return bool(getattr(self.estimator, "_skl_callbacks", None)) or bool(
            self.display
        )

    def training_callbacks(self, context):
        """skorch callbacks making every epoch a leaf of ``context`` (if watched)."""
        if not self.watches_epochs:
            return []
        return [("sklearn_callbacks", _EpochTasks(self, context))]

    @contextlib.contextmanager
    def member(self, context, member):
        """Fit ``member``, a sub-estimator, as a leaf of ``context``.

        The callbacks that propagate (e.g. ``ProgressBar``) follow it; its own
        task tree hangs from the leaf, as a grid search's fits do.
        """
        leaf = context.subcontext(task_name=type(member).__name__)
        with leaf.propagate_callback_context(member):
            yield

    def end(self, summary):
        """Close the root task; print ``summary()`` at ``verbose >= 1``."""
        self.root.call_on_fit_task_end(
            estimator=self.estimator,
            reconstruction_attributes={},
            **self._data(),
        )
        if self.display:
            self.display.finish(summary())


class _EpochTasks(Callback):
    """Every training epoch as a leaf task; a callback's stop request ends training."""

    def __init__(self, progress, context):
        self.progress = progress
        self.context = context
        self.leaf = None

    def on_epoch_begin(self, net, **kwargs):
        self.leaf = self.context.subcontext(task_name="epoch")
        self.leaf.call_on_fit_task_begin(
            estimator=self.progress.estimator, **self.progress._data()
        )

    def on_epoch_end(self, net, **kwargs):
        def reconstruction():
            # A network that predicts as if training stopped here.
            return {"module_": copy.deepcopy(net.module_).cpu()}

        stop = self.leaf.call_on_fit_task_end(
            estimator=self.progress.estimator,
            reconstruction_attributes=reconstruction,
            **self.progress._data(),
        )
        if self.progress.display:
            self.progress.display.step(len(net.history))
        self.leaf = None
        if stop:
            raise StopTraining

    def on_train_end(self, net, **kwargs):
        # An epoch that a stopping rule ended before this callback saw it.
        if self.leaf is not None:
            self.leaf.call_on_fit_task_end(estimator=self.progress.estimator)
            self.leaf = None


class _Display:
    """``verbose >= 1``: one line redrawn in place on a terminal, then a summary."""

    def __init__(self, estimator, stream=None):
        self.name = type(estimator).__name__
        self.stream = sys.stderr if stream is None else stream
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.task, self.total = "", 0
        self.last_draw = 0.0

    def begin(self, task, total):
        self.task, self.total = task, total
        self._draw(0, force=True)

    def step(self, done):
        self._draw(done)

    def _draw(self, done, force=False):
        if not self.interactive:
            return
        now = time.perf_counter()
        if not force and now - self.last_draw < 0.1:
            return
        self.last_draw = now
        if self.total:
            width = 24
            filled = int(width * min(done, self.total) / self.total)
            bar = "#" * filled + "-" * (width - filled)
            text = f"{self.name} {self.task} [{bar}] {done}/{self.total}"
        else:
            text = f"{self.name} {self.task}..."
        self.stream.write("\r" + text.ljust(78)[:78])
        self.stream.flush()

    def finish(self, summary):
        if self.interactive:
            self.stream.write("\r" + " " * 78 + "\r")
        print(f"{self.name}: {summary}", file=sys.stdout, flush=True)
