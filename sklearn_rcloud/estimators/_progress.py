"""Progress of a fit: scikit-learn's callbacks and the ``verbose`` display.

A fit is a tree of tasks, as scikit-learn's callback API
(:mod:`sklearn.callback`) sees it: the root task ``fit``, whose sub-tasks are
the search and the training (each training epoch a leaf), or the rounds of a
pruning schedule or an ensemble. :class:`FitProgress` opens and closes those
tasks for the callbacks set with ``set_callbacks`` (e.g. ``ProgressBar``,
``ScoringMonitor``) and, at ``verbose >= 1``, for a plain display: on a
terminal one line per task, redrawn in place while it runs and left showing
where it ended (e.g. ``90/500, stopped early``), nothing per step elsewhere,
and one closing line naming the network chosen.
"""

from __future__ import annotations

import contextlib
import copy
import sys
import time

from skorch.callbacks import Callback

from ..engine import StopTraining

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
        completed = False
        try:
            yield context
            completed = True
        finally:
            if self.display:
                self.display.end(interrupted=not completed)
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

    def counter(self, context, name):
        """``count(done)``: the leaves of ``context`` up to ``done`` just finished.

        For a task whose steps are reported in batches (e.g. the networks of
        a cloud, scored a block at a time): each call ends one leaf per step
        since the previous call, and moves the display to ``done``.
        """
        state = {"done": 0}

        def count(done):
            for _ in range(state["done"], done):
                self.step(context, name, done)
            state["done"] = max(state["done"], done)

        return count

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


#: Characters of a display line (longer texts are not cut).
_LINE = 78


class _Display:
    """``verbose >= 1``: on a terminal, one line per task, redrawn in place
    while it runs and left showing where it ended ("90/500, stopped early");
    then a summary line (on any stream)."""

    def __init__(self, estimator, stream=None):
        self.name = type(estimator).__name__
        self.stream = sys.stderr if stream is None else stream
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.task, self.total, self.done = "", 0, 0
        self.last_draw = 0.0

    def begin(self, task, total):
        self.task, self.total, self.done = task, total, 0
        self._draw(force=True)

    def step(self, done):
        self.done = done
        self._draw()

    def end(self, interrupted=False):
        """Draw the task's last state and keep it: its line is done."""
        if self.total and self.done < self.total:
            note = "interrupted" if interrupted else "stopped early"
        else:
            note = "interrupted" if interrupted else "done"
        self._draw(force=True, note=note, final=True)

    def _draw(self, force=False, note=None, final=False):
        if not self.interactive:
            return
        now = time.perf_counter()
        if not force and now - self.last_draw < 0.1:
            return
        self.last_draw = now
        if self.total:
            prefix = f"{self.name} {self.task} "
            suffix = f" {self.done}/{self.total}"
            if note and note != "done":
                suffix += f", {note}"
            # The bar takes what the words leave of the line.
            width = max(8, min(24, _LINE - len(prefix) - len(suffix) - 2))
            filled = int(width * min(self.done, self.total) / self.total)
            bar = "#" * filled + "-" * (width - filled)
            text = f"{prefix}[{bar}]{suffix}"
        else:
            text = f"{self.name} {self.task}" + (f" {note}" if note else "...")
        self.stream.write("\r" + text.ljust(_LINE) + ("\n" if final else ""))
        self.stream.flush()

    def finish(self, summary):
        print(f"{self.name}: {summary}", file=sys.stdout, flush=True)
