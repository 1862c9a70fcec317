"""L-BFGS on a flat float64 vector, one iteration per call.

``torch.optim.LBFGS``'s algorithm (the two-loop recursion, a history of
curvature pairs, and its strong-Wolfe line search with cubic
interpolation), written for the tiny networks the library trains. torch's
optimiser spends most of an iteration in bookkeeping: dozens of small tensor
operations, each with a few microseconds of dispatch, and a gather and
scatter of the parameters for every function evaluation. Here the parameters
are one flat NumPy vector and every scalar is a Python float, so an iteration
costs about one evaluation of the loss and its gradient, as scikit-learn's
L-BFGS (scipy's, on a flat vector) does.

The caller owns the parameters: :meth:`FlatLBFGS.iterate` takes the current
point and a function that evaluates the loss and gradient at any point, and
returns the point where the line search ended. One call is one iteration, so
that a training loop counts iterations as ``MLPClassifier``'s ``max_iter``
does for L-BFGS, and its stopping rule sees each one.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["FlatLBFGS"]


class FlatLBFGS:
    """The state of an L-BFGS minimisation over a flat vector.

    Parameters
    ----------
    history_size : int, default=10
        Curvature pairs kept.
    max_eval : int, default=26
        Most evaluations of one iteration's line search (torch's default for
        one iteration, 1.25 x ``max_iter``, would leave it none).
    tolerance_grad : float, default=1e-7
        No step is taken where the gradient's largest entry is at most this.
    tolerance_change : float, default=1e-9
        No step is taken where the directional derivative is above
        ``-tolerance_change``; the line search stops bracketing there too.
    c1, c2 : float, default=1e-4, 0.9
        The strong Wolfe conditions' constants.

    Attributes
    ----------
    n_iter : int
        Iterations taken (steps the line search ended with).
    n_evaluations : int
        Evaluations of the loss and gradient, the first point's included.
    """

    def __init__(
        self,
        history_size=10,
        max_eval=26,
        tolerance_grad=1e-7,
        tolerance_change=1e-9,
        c1=1e-4,
        c2=0.9,
    ):
        self.history_size = int(history_size)
        self.max_eval = int(max_eval)
        self.tolerance_grad = float(tolerance_grad)
        self.tolerance_change = float(tolerance_change)
        self.c1 = float(c1)
        self.c2 = float(c2)
        self.n_iter = 0
        self.n_evaluations = 0
        self._steps = []  # s_i = x_{i+1} - x_i
        self._changes = []  # y_i = g_{i+1} - g_i
        self._rho = []  # 1 / (y_i . s_i)
        self._hessian_scale = 1.0
        self._direction = None
        self._step_length = None
        self._previous_grad = None

    def iterate(self, x, loss, grad, evaluate):
        """Take one L-BFGS iteration from ``x``.

        Parameters
        ----------
        x : ndarray of shape (n,), float64
            The current point (not modified).
        loss : float
            The loss at ``x``.
        grad : ndarray of shape (n,), float64
            The gradient at ``x``.
        evaluate : callable
            ``evaluate(point) -> (loss, grad)`` at any point, ``grad`` a new
            float64 array.

        Returns
        -------
        x, loss, grad : ndarray, float, ndarray
            The point the line search ended at, with its loss and gradient;
            ``x`` itself (and its loss and gradient) where no step was
            taken: the gradient is below ``tolerance_grad`` or the direction
            is not one of descent.
        """
        if float(np.abs(grad).max()) <= self.tolerance_grad:
            return x, loss, grad
        direction = self._search_direction(grad)
        self._previous_grad = grad
        if self.n_iter == 0:
            step = min(1.0, 1.0 / float(np.abs(grad).sum()))
        else:
            step = 1.0
        slope = _dot(grad, direction)
        if slope > -self.tolerance_change:
            self._direction, self._step_length = direction, 0.0
            return x, loss, grad
        self.n_iter += 1
        step, loss, grad = self._strong_wolfe(
            x, evaluate, step, direction, loss, grad, slope
        )
        self._direction, self._step_length = direction, step
        return x + step * direction, loss, grad

    # -------------------------------------------------------------- direction
    def _search_direction(self, grad):
        """``-H grad`` by the two-loop recursion, after storing the last pair."""
        if self.n_iter == 0:
            return -grad
        if self._step_length:
            self._remember(
                self._step_length * self._direction, grad - self._previous_grad
            )
        q = -grad
        alphas = []
        for step, change, rho in zip(
            reversed(self._steps), reversed(self._changes), reversed(self._rho)
        ):
            alpha = _dot(step, q) * rho
            q -= alpha * change
            alphas.append(alpha)
        r = q
        r *= self._hessian_scale
        for step, change, rho, alpha in zip(
            self._steps, self._changes, self._rho, reversed(alphas)
        ):
            beta = _dot(change, r) * rho
            r += (alpha - beta) * step
        return r

    def _remember(self, step, change):
        curvature = _dot(change, step)
        if curvature <= 1e-10:  # not a positive curvature: skipped, as torch does
            return
        if len(self._steps) == self.history_size:
            del self._steps[0], self._changes[0], self._rho[0]
        self._steps.append(step)
        self._changes.append(change)
        self._rho.append(1.0 / curvature)
        self._hessian_scale = curvature / _dot(change, change)

    # ------------------------------------------------------------ line search
    def _strong_wolfe(self, x, evaluate, t, d, f, g, gtd):
        """torch's ``_strong_wolfe``: ``(t, f(x + t d), g(x + t d))``."""
        c1, c2 = self.c1, self.c2
        max_ls = self.max_eval - 1
        d_norm = float(np.abs(d).max())

        def at(step):
            self.n_evaluations += 1
            f_step, g_step = evaluate(x + step * d)
            return float(f_step), g_step, _dot(g_step, d)

        f_new, g_new, gtd_new = at(t)
        t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
        done = False
        ls_iter = 0
        while ls_iter < max_ls:
            if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
                bracket = [t_prev, t]
                bracket_f = [f_prev, f_new]
                bracket_g = [g_prev, g_new]
                bracket_gtd = [gtd_prev, gtd_new]
                break
            if abs(gtd_new) <= -c2 * gtd:
                bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
                done = True
                break
            if gtd_new >= 0:
                bracket = [t_prev, t]
                bracket_f = [f_prev, f_new]
                bracket_g = [g_prev, g_new]
                bracket_gtd = [gtd_prev, gtd_new]
                break
            t_next = _cubic_minimum(
                t_prev,
                f_prev,
                gtd_prev,
                t,
                f_new,
                gtd_new,
                bounds=(t + 0.01 * (t - t_prev), t * 10),
            )
            t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
            t = t_next
            f_new, g_new, gtd_new = at(t)
            ls_iter += 1
        if ls_iter == max_ls:
            bracket, bracket_f, bracket_g = [0.0, t], [f, f_new], [g, g_new]
            bracket_gtd = [gtd, gtd_new]

        # Zoom: shrink the bracket until a point meets the strong Wolfe
        # conditions.
        insufficient_progress = False
        low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
        while not done and ls_iter < max_ls:
            if abs(bracket[1] - bracket[0]) * d_norm < self.tolerance_change:
                break
            t = _cubic_minimum(
                bracket[0],
                bracket_f[0],
                bracket_gtd[0],
                bracket[1],
                bracket_f[1],
                bracket_gtd[1],
            )
            top, bottom = max(bracket), min(bracket)
            eps = 0.1 * (top - bottom)
            if min(top - t, t - bottom) < eps:
                if insufficient_progress or t >= top or t <= bottom:
                    t = top - eps if abs(t - top) < abs(t - bottom) else bottom + eps
                    insufficient_progress = False
                else:
                    insufficient_progress = True
            else:
                insufficient_progress = False
            f_new, g_new, gtd_new = at(t)
            ls_iter += 1
            if f_new > f + c1 * t * gtd or f_new >= bracket_f[low]:
                bracket[high], bracket_f[high] = t, f_new
                bracket_g[high], bracket_gtd[high] = g_new, gtd_new
                low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
            else:
                if abs(gtd_new) <= -c2 * gtd:
                    done = True
                elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                    bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                    bracket_g[high] = bracket_g[low]
                    bracket_gtd[high] = bracket_gtd[low]
                bracket[low], bracket_f[low] = t, f_new
                bracket_g[low], bracket_gtd[low] = g_new, gtd_new
        return bracket[low], bracket_f[low], bracket_g[low]


def _dot(a, b):
    """``a . b`` of two float64 vectors, on this thread.

    Not BLAS's ``ddot`` (``a @ b``): NumPy's OpenBLAS splits a dot product
    of more than some 10,000 entries over its own threads, which then wait
    on, and are waited on by, torch's intra-op threads spinning between the
    gradient's operations: a full-batch step of a 2,000-row, 11,000-parameter
    network took 2.4x longer on two torch threads than on one.
    """
    return float(np.einsum("i,i->", a, b))


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through two points and slopes, within bounds."""
    if bounds is None:
        lower, upper = (x1, x2) if x1 <= x2 else (x2, x1)
    else:
        lower, upper = bounds
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square < 0:
        return (lower + upper) / 2.0
    d2 = math.sqrt(d2_square)
    if x1 <= x2:
        minimum = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        minimum = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(minimum, lower), upper)
