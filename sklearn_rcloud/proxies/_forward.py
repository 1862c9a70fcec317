"""Forward-only scores: the untrained network's accuracy and loss, a ridge read-out.

Both have two faces that must agree: a batched ``score_prefixes`` that scores
every truncation of the last hidden layer of a block of cloud networks in one
pass (see :mod:`sklearn_rcloud.cloud`), and the plain-module call
``scorer(module, X, y) -> float``. Both also score a stack of same-shape
networks (``score_stack``).

The regression twins (:class:`TrainR2Proxy`, :class:`TrainSquaredErrorProxy`,
:class:`RegressionReadoutProxy`) take continuous targets of shape
``(n_samples, n_outputs)`` (a 1-D target is one column) that the network's
identity output layer predicts, and score the R² or the squared error instead
of the accuracy or the cross-entropy.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .._tensors import as_tensor
from ._prefix import (
    prefix_accuracy,
    prefix_r2,
    prefix_squared_errors,
    r2_from_squared_errors,
    total_sum_of_squares,
)
from ._stack import StackedNetworks, as_target, as_tensors

__all__ = [
    "ReadoutProxy",
    "RegressionReadoutProxy",
    "TrainAccuracyProxy",
    "TrainLossProxy",
    "TrainR2Proxy",
    "TrainSquaredErrorProxy",
]

# Columns the dual read-out (fewer rows than units) adds per step.
_DUAL_BLOCK = 128


def _majority_rate(y, sample_weight=None):
    """Share (weighted by ``sample_weight``) of the most frequent class."""
    y = as_tensor(np.asarray(y)).reshape(-1).long()
    weights = None if sample_weight is None else torch.as_tensor(sample_weight)
    counts = torch.bincount(y, weights=weights)
    return float(counts.max()) / float(counts.sum())


def _weighted_mean(values, sample_weight):
    """Mean over the last axis (samples), weighted by ``sample_weight``."""
    if sample_weight is None:
        return values.double().mean(dim=-1)
    weights = torch.as_tensor(sample_weight, device=values.device).double()
    return (values.double() * weights).sum(dim=-1) / weights.sum()


def _on(sample_weight, like):
    """``sample_weight`` as a tensor on ``like``'s device, or None."""
    if sample_weight is None:
        return None
    return torch.as_tensor(sample_weight, device=like.device)


def _regression_targets(y, hidden):
    """A regression target as ``(n_samples, n_outputs)`` at ``hidden``'s dtype,
    checked against the rows of ``hidden`` (``(n_networks, n_samples, width)``)."""
    y = as_target(y, hidden, "regression")
    if len(y) != hidden.shape[1]:
        raise ValueError(
            "The activations and y have different numbers of samples: "
            f"{hidden.shape[1]} and {len(y)}."
        )
    return y


def _check_outputs(n_outputs, y):
    """A ``ValueError`` unless the network has one output per target column."""
    if n_outputs != y.shape[1]:
        raise ValueError(
            f"The network has {n_outputs} outputs but y has {y.shape[1]} "
            "columns; a regression network predicts every target column."
        )


def _squared_error_sums(outputs, y, sample_weight):
    """``sum_i w_i (outputs - y)^2`` over the rows, float64, shape
    ``(n_networks, n_outputs)``."""
    squares = (outputs.double() - y.double()).square()
    if sample_weight is None:
        return squares.sum(dim=1)
    weights = torch.as_tensor(sample_weight, device=outputs.device).double()
    return torch.einsum("nro,r->no", squares, weights)


def _total_weight(n_samples, sample_weight):
    """The number of rows, or the sum of their weights, as a float."""
    if sample_weight is None:
        return float(n_samples)
    return float(torch.as_tensor(sample_weight).double().sum())


def _finite_or_last(scores):
    """``scores`` (ndarray) with NaN, from overflowing activations, at ``-inf``."""
    return np.where(np.isnan(scores), -np.inf, scores)


class _ForwardProxy:
    """A score averaged over every training row, from one forward pass.

    Subclasses implement ``score_stack``; one module is scored as a stack of
    one.
    """

    #: An average over the rows: it honours sample weights.
    supports_sample_weight = True
    #: Working memory per network relative to its float32 hidden activations.
    memory_factor = 1

    def __call__(self, module, X, y, sample_weight=None):
        stack = StackedNetworks.from_module(module)
        return float(self.score_stack(stack, X, y, sample_weight)[0])

    def __repr__(self):
        return f"{type(self).__name__}()"


class TrainAccuracyProxy(_ForwardProxy):
    """Training-set accuracy of the untrained network (the Random Cloud paper's score).

    ``chance_level`` is the majority-class rate: a network must beat it to be
    better than predicting the most frequent class.
    """

    name = "train_accuracy"

    def chance_level(self, y, sample_weight=None):
        return _majority_rate(y, sample_weight)

    def score_prefixes(
        self, hidden, out_weight, out_bias, y, widths, sample_weight=None
    ):
        # logits = hidden @ out_weight.T + out_bias, truncated to leading units
        return prefix_accuracy(
            hidden,
            out_weight.transpose(1, 2),
            out_bias,
            y,
            widths,
            sample_weight=_on(sample_weight, hidden),
        )

    def score_stack(self, stack, X, y, sample_weight=None):
        """Scores of every network of a :class:`StackedNetworks`, shape (n,)."""
        X, y = as_tensors(X, y, stack.parameter)
        with torch.no_grad():
            logits, _, _ = stack.forward(X)
            hits = logits.argmax(dim=2) == y
        return _weighted_mean(hits, sample_weight).cpu().numpy()


class TrainLossProxy(_ForwardProxy):
    """Minus the training cross-entropy of the untrained network.

    A network whose random weights already give a low loss on the training
    data starts "better positioned in the loss landscape", the criterion of
    random search over sparse sub-networks (Farahani, 2024). Unlike the
    accuracy it is continuous, so networks that all predict the majority class
    at initialisation still get different scores. Higher is better.
    """

    name = "train_loss"

    def score_stack(self, stack, X, y, sample_weight=None):
        """Scores of every network of a :class:`StackedNetworks`, shape (n,)."""
        X, y = as_tensors(X, y, stack.parameter)
        with torch.no_grad():
            logits, _, _ = stack.forward(X)
            log_proba = torch.log_softmax(logits.double(), dim=2)
            picked = log_proba.gather(2, y.expand(stack.n_networks, -1)[..., None])
        scores = _weighted_mean(picked.squeeze(2), sample_weight).cpu().numpy()
        # Overflowing logits (unscaled inputs) give NaN: rank such networks last.
        return np.where(np.isnan(scores), -np.inf, scores)


class ReadoutProxy(_ForwardProxy):
    """Accuracy of a closed-form read-out on the random hidden features.

    The network's output layer is replaced by a ridge least-squares fit of the
    one-hot targets on ``[1, h]`` (``h``: the last hidden layer's activations),
    solved in closed form (no backpropagation). The score measures how
    linearly separable the random features make the classes, instead of how
    lucky the random output layer happens to be.

    By default the accuracy is the exact leave-one-out accuracy of the ridge
    fit (from the leverages, no refitting), an estimate of generalisation that
    stops rewarding width once extra units only fit noise. With
    ``leave_one_out=False`` it is the plain training accuracy, which never
    decreases much with width.

    Parameters
    ----------
    alpha : float, default=1e-3
        Ridge penalty of feature ``j``: ``alpha * (||a_j||^2 + n_samples)``,
        relative to the feature's own squared norm, plus a floor so that dead
        (all-zero) units stay well posed.
    leave_one_out : bool, default=True
        Score the leave-one-out accuracy instead of the training accuracy.

    Notes
    -----
    With the Gram matrix ``G = A^T A + Lambda`` factored as ``G = L L^T``, the
    ridge fit on the first ``k`` columns of ``A`` predicts
    ``sum_{j<k} u_j z_j^T`` with ``U = A L^{-T}`` and ``z = L^{-1} A^T Y``:
    Cholesky factors are nested, so every truncation is again one cumulative sum.
    With fewer rows ``n`` than columns ``m`` the same ``U`` is computed from
    ``(n, n)`` matrices instead of ``(m, m)`` ones (the kernel form), so the
    working memory is at most a few times that of the activations.
    """

    name = "readout"
    # The basis U, float64 solver matrices of at most (n, m) elements
    # (:meth:`_factor` takes the smaller of the (m, m) and the (n, n) form)
    # and float64 column blocks: about twelve times the float32 activations.
    memory_factor = 12

    def __init__(self, alpha=1e-3, leave_one_out=True):
        self.alpha = alpha
        self.leave_one_out = leave_one_out

    def chance_level(self, y, sample_weight=None):
        return _majority_rate(y, sample_weight)

    def _factor(self, hidden, targets, root_weight=None):
        """Orthonormal basis ``U`` and coefficients ``z`` of the ridge read-out.

        With ``A = [1, hidden]`` and ``G = A^T A + Lambda = L L^T``:
        ``U = A L^{-T}`` and ``z = L^{-1} A^T Y``. The ``(m, m)`` Gram algebra
        (``m`` = units + 1) is used when there are at least ``m`` rows; with
        fewer rows the same ``U`` comes from ``(n, n)`` matrices instead
        (:meth:`_dual_factor`), so the working memory never exceeds a few
        times that of ``hidden``.

        Parameters
        ----------
        hidden : Tensor of shape (n_networks, n_samples, n_units)
        targets : Tensor of shape (n_samples, n_classes)
            One-hot targets, at ``hidden``'s precision.
        root_weight : Tensor of shape (n_samples,) or None
            Square roots of the sample weights, by which ``hidden`` and
            ``targets`` are already multiplied row by row: the weighted least
            squares fit is the plain one on rows scaled so, its intercept
            column scaled alike.

        Returns
        -------
        basis : Tensor of shape (n_networks, n_samples, n_units + 1)
        coefs : Tensor of shape (n_networks, n_units + 1, n_classes)
        failed : Tensor of bool, shape (n_networks,)
            Networks whose activations overflow; their scores are meaningless.
        """
        n_samples, n_units = hidden.shape[1:]
        if n_samples < n_units + 1:
            return self._dual_factor(hidden, targets, root_weight)
        return self._primal_factor(hidden, targets, root_weight)

    def _primal_factor(self, hidden, targets, root_weight=None):
        """:meth:`_factor` from the ``(m, m)`` Gram matrix.

        The sums ``h^T h``, ``1^T h`` and ``h^T Y`` are taken at ``hidden``'s
        precision; only the small ``(m, m)`` algebra runs in float64, and
        ``U`` is one batched matmul on ``hidden`` (no ``[1, h]`` copy is ever
        built).
        """
        n_networks, n_samples, n_units = hidden.shape
        hidden_t = hidden.transpose(1, 2)
        if root_weight is None:
            column_sums = hidden.sum(dim=1).double()
            total_weight = n_samples
            intercept_targets = targets.sum(dim=0)
        else:
            column_sums = (root_weight[None, :, None] * hidden).sum(dim=1).double()
            total_weight = float(root_weight.double().square().sum())
            intercept_targets = root_weight @ targets
        gram = hidden.new_zeros((n_networks, n_units + 1, n_units + 1)).double()
        gram[:, 0, 0] = total_weight
        gram[:, 0, 1:] = column_sums
        gram[:, 1:, 0] = column_sums
        gram[:, 1:, 1:] = hidden_t @ hidden
        diagonal = gram.diagonal(dim1=1, dim2=2)
        # Per-column penalty, independent of the other columns so the factors
        # of every truncation nest; the n_samples term keeps dead units solvable.
        diagonal += self.alpha * (diagonal + total_weight)
        # Overflowing activations (unscaled inputs of huge magnitude) leave no
        # usable factorisation: such networks are marked and score -inf.
        identity = torch.eye(n_units + 1, dtype=gram.dtype, device=gram.device)
        failed = ~torch.isfinite(gram).flatten(1).all(dim=1)
        gram[failed] = identity
        lower, info = torch.linalg.cholesky_ex(gram)
        del gram
        failed |= info != 0
        lower[failed] = identity
        lower_inv = torch.linalg.solve_triangular(
            lower, identity.expand_as(lower), upper=False
        )
        del lower
        a_t_y = torch.cat(
            [
                intercept_targets.double().expand(n_networks, 1, -1),
                (hidden_t @ targets).double(),
            ],
            dim=1,
        )
        coefs = (lower_inv @ a_t_y).to(hidden.dtype)
        projection = lower_inv.transpose(1, 2).to(hidden.dtype)
        del lower_inv
        intercept = projection[:, :1, :]
        if root_weight is not None:
            intercept = root_weight[None, :, None] * intercept
        basis = torch.baddbmm(intercept, hidden, projection[:, 1:, :])
        return basis, coefs, failed

    def _dual_factor(self, hidden, targets, root_weight=None):
        """:meth:`_factor` from ``(n, n)`` matrices, for fewer rows than units.

        With ``B = A Lambda^{-1/2}``, the fit on the first ``k`` columns has
        hat matrix ``I - M_k``, ``M_k = (I + B_k B_k^T)^{-1}``. Adding the
        columns ``J`` (Woodbury, ``V = M B_J``, ``I + B_J^T V = C C^T``) gives
        ``M_{k+|J|} = M_k - U_J U_J^T`` with ``U_J = V C^{-T}``: the same
        nested columns as ``A L^{-T}`` (both are the unique basis with a
        positive-diagonal triangular factor), found ``_DUAL_BLOCK`` columns at
        a time in float64, and ``z = U^T Y``.
        """
        n_networks, n_samples, n_units = hidden.shape
        failed = ~torch.isfinite(hidden).flatten(1).all(dim=1)
        if root_weight is None:
            intercept = hidden.new_ones(n_samples).double()
        else:
            intercept = root_weight.double()
        total_weight = intercept.square().sum()
        targets = targets.double()
        basis = hidden.new_empty((n_networks, n_samples, n_units + 1))
        coefs = torch.empty(
            (n_networks, n_units + 1, targets.shape[1]),
            dtype=torch.float64,
            device=hidden.device,
        )
        inverse = torch.eye(n_samples, dtype=torch.float64, device=hidden.device)
        inverse = inverse.repeat(n_networks, 1, 1)
        for start in range(0, n_units + 1, _DUAL_BLOCK):
            stop = min(start + _DUAL_BLOCK, n_units + 1)
            columns = self._dual_columns(hidden, intercept, start, stop, failed)
            scale = self.alpha * (columns.square().sum(dim=1) + total_weight)
            scaled = columns * scale.rsqrt()[:, None, :]
            projected = inverse @ scaled
            inner = scaled.transpose(1, 2) @ projected
            inner.diagonal(dim1=1, dim2=2).add_(1.0)
            lower, info = torch.linalg.cholesky_ex(inner)
            failed |= info != 0
            block = torch.linalg.solve_triangular(
                lower, projected.transpose(1, 2), upper=False
            ).transpose(1, 2)
            inverse -= block @ block.transpose(1, 2)
            basis[:, :, start:stop] = block
            coefs[:, start:stop] = block.transpose(1, 2) @ targets
        basis[failed] = 0
        coefs[failed] = 0
        return basis, coefs.to(hidden.dtype), failed

    @staticmethod
    def _dual_columns(hidden, intercept, start, stop, failed):
        """Columns ``[start, stop)`` of ``A = [intercept, hidden]`` in float64,
        zero for the ``failed`` networks (their non-finite values would spread)."""
        columns = hidden[:, :, max(start - 1, 0) : stop - 1].double()
        if start == 0:
            first = intercept.expand(len(hidden), -1)[:, :, None]
            columns = torch.cat([first, columns], dim=2)
        # Not in place: for float64 activations ``columns`` may be a view.
        return torch.where(failed[:, None, None], 0.0, columns)

    def _weighted_inputs(self, hidden, targets, sample_weight):
        """Rows scaled by the square roots of the weights (see :meth:`_factor`).

        Scaling a row by a positive factor changes neither its read-out
        prediction's argmax nor its leave-one-out one; rows of weight zero
        drop out of the fit and count nothing in the accuracy.
        """
        if sample_weight is None:
            return hidden, targets, None
        root = torch.as_tensor(sample_weight, device=hidden.device).to(hidden.dtype)
        root = root.sqrt()
        return root[None, :, None] * hidden, root[:, None] * targets, root

    def score_prefixes(
        self, hidden, out_weight, out_bias, y, widths, sample_weight=None
    ):
        n_classes = out_weight.shape[1]
        targets = nn.functional.one_hot(y, n_classes).to(hidden.dtype)
        hidden, targets, root = self._weighted_inputs(hidden, targets, sample_weight)
        basis, coefs, failed = self._factor(hidden, targets, root)
        # k hidden units use the intercept and the first k unit columns.
        accuracy = prefix_accuracy(
            basis,
            coefs,
            None,
            y,
            np.asarray(widths) + 1,
            loo_targets=targets if self.leave_one_out else None,
            sample_weight=_on(sample_weight, hidden),
        )
        accuracy[failed] = -np.inf
        return accuracy

    def score_stack(self, stack, X, y, sample_weight=None):
        """Scores of every network of a :class:`StackedNetworks`, shape (n,)."""
        X, y = as_tensors(X, y, stack.parameter)
        with torch.no_grad():
            _, _, features = stack.forward(X)
            targets = nn.functional.one_hot(y, stack.n_outputs).to(features.dtype)
            features, targets, root = self._weighted_inputs(
                features, targets, sample_weight
            )
            basis, coefs, failed = self._factor(features, targets, root)
            fitted = basis @ coefs
            if self.leave_one_out:
                leverage = basis.square().sum(dim=2, keepdim=True)
                fitted = (fitted - leverage * targets) / (1.0 - leverage)
            hits = fitted.argmax(dim=2) == y
        scores = _weighted_mean(hits, sample_weight).cpu().numpy()
        scores[failed.cpu().numpy()] = -np.inf
        return scores

    def __repr__(self):
        return (
            f"{type(self).__name__}(alpha={self.alpha}, "
            f"leave_one_out={self.leave_one_out})"
        )


class TrainR2Proxy(_ForwardProxy):
    """R² of the untrained network's outputs on the training targets.

    The regression twin of :class:`TrainAccuracyProxy` (Random Cloud's
    "accuracy of the untrained network"): the identity output layer's
    predictions scored with ``sklearn.metrics.r2_score`` (uniform average
    over outputs, weighted by ``sample_weight``). A constant target column
    scores 1 when predicted exactly and 0 otherwise (``force_finite``);
    overflowing activations score ``-inf``.

    ``chance_level`` is 0, the R² of predicting the (weighted) mean: a
    network must beat it to be better than a constant.
    """

    name = "train_r2"

    def chance_level(self, y, sample_weight=None):
        """0.0: the R² of predicting the target's mean."""
        return 0.0

    def score_prefixes(
        self, hidden, out_weight, out_bias, y, widths, sample_weight=None
    ):
        """R² of every truncation of the last hidden layer, shape
        ``(n_networks, len(widths))``, float64."""
        y = _regression_targets(y, hidden)
        _check_outputs(out_weight.shape[1], y)
        # outputs = hidden @ out_weight.T + out_bias, truncated to leading units
        return prefix_r2(
            hidden,
            out_weight.transpose(1, 2),
            out_bias,
            y,
            widths,
            sample_weight=_on(sample_weight, hidden),
        )

    def score_stack(self, stack, X, y, sample_weight=None):
        """Scores of every network of a :class:`StackedNetworks`, shape (n,)."""
        X, y = as_tensors(X, y, stack.parameter, "regression")
        _check_outputs(stack.n_outputs, y)
        with torch.no_grad():
            outputs, _, _ = stack.forward(X)
            sse = _squared_error_sums(outputs, y, sample_weight)
            sst = total_sum_of_squares(y, _on(sample_weight, y))
            return r2_from_squared_errors(sse, sst).cpu().numpy()


class TrainSquaredErrorProxy(_ForwardProxy):
    """Minus the training squared error of the untrained network (regression).

    The regression twin of :class:`TrainLossProxy`: minus the (weighted)
    mean over rows of ``0.5 * mean over outputs of (output - y)^2``, the
    identity output layer against the (standardised) targets. Higher is
    better; overflowing activations score ``-inf``. Like its twin it has no
    chance level.
    """

    name = "train_loss"

    def score_prefixes(
        self, hidden, out_weight, out_bias, y, widths, sample_weight=None
    ):
        """Scores of every truncation of the last hidden layer, shape
        ``(n_networks, len(widths))``, float64."""
        y = _regression_targets(y, hidden)
        _check_outputs(out_weight.shape[1], y)
        sse = prefix_squared_errors(
            hidden,
            out_weight.transpose(1, 2),
            out_bias,
            y,
            widths,
            sample_weight=_on(sample_weight, hidden),
        )
        scores = -0.5 * sse.mean(dim=2) / _total_weight(len(y), sample_weight)
        return torch.where(scores.isnan(), -np.inf, scores)

    def score_stack(self, stack, X, y, sample_weight=None):
        """Scores of every network of a :class:`StackedNetworks`, shape (n,)."""
        X, y = as_tensors(X, y, stack.parameter, "regression")
        _check_outputs(stack.n_outputs, y)
        with torch.no_grad():
            outputs, _, _ = stack.forward(X)
            losses = 0.5 * (outputs.double() - y.double()).square().mean(dim=2)
        scores = -_weighted_mean(losses, sample_weight).cpu().numpy()
        return _finite_or_last(scores)


class RegressionReadoutProxy(ReadoutProxy):
    """R² of a closed-form ridge read-out on the random hidden features.

    The regression twin of :class:`ReadoutProxy`: the same ridge fit on
    ``[1, h]`` (same per-column penalty, same factorisation), of the
    continuous (standardised) targets instead of one-hot ones, scored by R²
    (``sklearn.metrics.r2_score``, uniform average over outputs, weighted by
    ``sample_weight``). By default the R² is the exact leave-one-out one:
    row ``i`` left out is predicted ``(yhat_i - h_ii y_i) / (1 - h_ii)``, so
    its residual is ``(y_i - yhat_i) / (1 - h_ii)``; with
    ``leave_one_out=False`` it is the training R².

    Parameters
    ----------
    alpha : float, default=1e-3
        Ridge penalty of feature ``j``: ``alpha * (||a_j||^2 + n_samples)``
        (see :class:`ReadoutProxy`).
    leave_one_out : bool, default=True
        Score the leave-one-out R² instead of the training R².

    Notes
    -----
    With sample weights the fit is weighted least squares, solved as the plain
    fit on rows scaled by ``sqrt(w_i)``; the leave-one-out residual of a row
    is that of the weighted fit without it, and row ``i`` weighs
    ``w_i`` in both sums of squares, as in ``r2_score``. ``chance_level`` is
    0, the R² of predicting the mean.
    """

    name = "readout"

    def chance_level(self, y, sample_weight=None):
        """0.0: the R² of predicting the target's mean."""
        return 0.0

    def score_prefixes(
        self, hidden, out_weight, out_bias, y, widths, sample_weight=None
    ):
        """R² of the read-out of every truncation of the last hidden layer,
        shape ``(n_networks, len(widths))``, float64."""
        targets = _regression_targets(y, hidden)
        scaled, scaled_targets, root = self._weighted_inputs(
            hidden, targets, sample_weight
        )
        basis, coefs, failed = self._factor(scaled, scaled_targets, root)
        del scaled
        if root is not None:
            # The basis of the unscaled rows, B = A L^{-T}, so that the kernel
            # predicts y itself; a row of weight zero has a zero row of U and
            # counts nothing, so dividing it by one is as good as any.
            basis /= torch.where(root > 0, root, torch.ones_like(root))[None, :, None]
        # k hidden units use the intercept and the first k unit columns.
        r2 = prefix_r2(
            basis,
            coefs,
            None,
            targets,
            np.asarray(widths) + 1,
            leave_one_out=self.leave_one_out,
            sample_weight=_on(sample_weight, hidden),
        )
        r2[failed] = -np.inf
        return r2

    def score_stack(self, stack, X, y, sample_weight=None):
        """Scores of every network of a :class:`StackedNetworks`, shape (n,)."""
        X, y = as_tensors(X, y, stack.parameter, "regression")
        with torch.no_grad():
            _, _, features = stack.forward(X)
            features, targets, root = self._weighted_inputs(features, y, sample_weight)
            basis, coefs, failed = self._factor(features, targets, root)
            # Residuals of the rows scaled by sqrt(w): their squares are the
            # weighted squares of the plain residuals.
            residuals = targets - basis @ coefs
            if self.leave_one_out:
                leverage = basis.square().sum(dim=2, keepdim=True)
                residuals = residuals / (1.0 - leverage)
            sse = residuals.double().square().sum(dim=1)
            sst = total_sum_of_squares(y, _on(sample_weight, y))
            scores = r2_from_squared_errors(sse, sst).cpu().numpy()
        scores[failed.cpu().numpy()] = -np.inf
        return scores
