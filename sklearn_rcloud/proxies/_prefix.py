"""The prefix-sum kernel: every truncation of a linear read-out scored at once.

For a layer with activations ``h`` (``n x H``) and outgoing weights ``W``
(``H x C``), the read-out truncated to its first ``k`` units has logits
``b + sum_{j<k} h[:, j] W[j, :]``, the ``k``-th cumulative sum over ``j``.
:func:`prefix_accuracy` (class indices) and :func:`prefix_r2` (continuous
targets) score all of them in one batched matmul; the forward proxies use them
to score every truncation of a cloud's networks.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = [
    "prefix_accuracy",
    "prefix_r2",
    "prefix_squared_errors",
    "r2_from_squared_errors",
    "total_sum_of_squares",
]

# Elements (not bytes) one intermediate tensor of the prefix kernel may hold.
_PREFIX_BLOCK_ELEMENTS = 1 << 22


def prefix_accuracy(
    features, coefs, intercept, y, widths, loo_targets=None, sample_weight=None
):
    """Accuracy of every truncated linear read-out, in one batched matmul.

    The read-out truncated to its first ``k`` features has logits
    ``sum_{j<k} features[:, j] coefs[j]``, the ``k``-th prefix sum over ``j``.
    All prefix sums come from one matmul against the coefficients stacked
    with a lower-triangular mask, ``coefs[j] * [j < k]`` for every ``k`` in
    ``widths``: more arithmetic than a running sum, but at matrix-multiply speed
    instead of memory speed, and with no loop over candidates.

    Parameters
    ----------
    features : Tensor of shape (n_networks, n_samples, n_features)
        Inputs of the read-out, e.g. hidden activations.
    coefs : Tensor of shape (n_networks, n_features, n_classes)
    intercept : Tensor of shape (n_networks, n_classes) or None
    y : Tensor of shape (n_samples,)
        Class indices.
    widths : ndarray of int
        Number of leading features the read-out uses, each in
        ``[1, n_features]``.
    loo_targets : Tensor of shape (n_samples, n_classes) or None, default=None
        When given, ``features`` must be an orthonormalised basis (``U`` of a
        least-squares fit) and the accuracy is the leave-one-out one: the
        prediction of sample ``i`` without it is
        ``(yhat_i - h_ii t_i) / (1 - h_ii)`` with leverage
        ``h_ii = sum_j U_ij^2``, itself a masked sum over features; the
        positive denominator does not change the argmax and is skipped.
    sample_weight : Tensor of shape (n_samples,) or None, default=None
        Weights of the samples in the accuracy.

    Returns
    -------
    accuracy : Tensor of shape (n_networks, len(widths)), float64
        Fraction (weighted by ``sample_weight``) of samples whose argmax logit
        is the true class (the first maximal class wins ties).
    """
    n_networks, n_samples, n_features = features.shape
    binary = coefs.shape[-1] == 2
    if binary:
        # Two classes: the sign of the logit difference decides (class 0 on a
        # tie, as argmax), so one column replaces two and no argmax is needed.
        coefs = coefs[..., 1:] - coefs[..., :1]
        if intercept is not None:
            intercept = intercept[..., 1:] - intercept[..., :1]
        if loo_targets is not None:
            loo_targets = loo_targets[:, 1:] - loo_targets[:, :1]
    widths = np.asarray(widths)
    # The masked coefficients of all widths hold n_features * len(widths)
    # entries per network and output: score the widths in chunks under the
    # element budget, so memory stays linear in the width of the layer.
    per_width = n_networks * n_features * coefs.shape[-1]
    chunk = max(1, _PREFIX_BLOCK_ELEMENTS // per_width)
    correct = torch.cat(
        [
            _correct_counts(
                features,
                coefs,
                intercept,
                y,
                widths[start : start + chunk],
                loo_targets,
                sample_weight,
                binary,
            )
            for start in range(0, len(widths), chunk)
        ],
        dim=1,
    )
    if sample_weight is None:
        return correct.to(torch.float64) / n_samples
    return correct / sample_weight.to(torch.float64).sum()


def _prefix_blocks(features, coefs, intercept, widths):
    """The read-outs of ``widths`` on blocks of rows, one masked matmul each.

    Only the features some width uses take part. Yields, block after block
    of rows under the element budget, ``(rows, block, outputs, mask)``:
    the block's row slice, its features, the read-outs' outputs of shape
    ``(n_networks, n_rows, len(widths), n_outputs)`` (a view of one buffer
    reused by every block: same-sized temporaries allocated and freed block
    after block fragment the heap and inflate peak memory, so consume it
    before the next block) and ``mask[j, w]``, whether feature ``j`` is used
    by the read-out of width ``widths[w]``.
    """
    used = int(widths.max())
    features, coefs = features[:, :, :used], coefs[:, :used]
    n_networks, n_samples, n_features = features.shape
    n_outputs = coefs.shape[-1]
    widths = torch.as_tensor(widths, device=features.device)
    n_widths = len(widths)
    mask = (
        torch.arange(n_features, device=features.device)[:, None] < widths[None, :]
    ).to(features.dtype)
    stacked = (coefs[:, :, None, :] * mask[None, :, :, None]).reshape(
        n_networks, n_features, n_widths * n_outputs
    )
    if intercept is not None:
        offset = intercept[:, None, None, :].expand(-1, 1, n_widths, -1)
        offset = offset.reshape(n_networks, 1, n_widths * n_outputs)
    rows = max(1, _PREFIX_BLOCK_ELEMENTS // (n_networks * n_widths * n_outputs))
    buffer = torch.empty(
        n_networks * min(rows, n_samples) * n_widths * n_outputs,
        dtype=features.dtype,
        device=features.device,
    )
    for start in range(0, n_samples, rows):
        block = features[:, start : start + rows]
        n_rows = block.shape[1]
        outputs = buffer[: n_networks * n_rows * n_widths * n_outputs].view(
            n_networks, n_rows, n_widths * n_outputs
        )
        if intercept is None:
            torch.bmm(block, stacked, out=outputs)
        else:
            torch.baddbmm(offset, block, stacked, out=outputs)
        outputs = outputs.view(n_networks, n_rows, n_widths, n_outputs)
        yield slice(start, start + rows), block, outputs, mask


def _correct_counts(
    features, coefs, intercept, y, widths, loo_targets, sample_weight, binary
):
    """Correct predictions (weighted) of the read-outs of ``widths``, shape
    ``(n_networks, len(widths))``; see :func:`prefix_accuracy`."""
    correct = torch.zeros(
        (features.shape[0], len(widths)),
        dtype=torch.int64 if sample_weight is None else torch.float64,
        device=features.device,
    )
    for rows, block, logits, mask in _prefix_blocks(features, coefs, intercept, widths):
        if loo_targets is not None:
            leverage = block.square() @ mask
            targets = loo_targets[rows].to(logits.dtype)
            logits -= leverage.unsqueeze(-1) * targets[None, :, None, :]
        y_block = y[rows]
        if binary:
            hits = (logits[..., 0] > 0) == (y_block == 1)[None, :, None]
        else:
            hits = logits.argmax(dim=-1) == y_block[None, :, None]
        if sample_weight is None:
            correct += hits.sum(dim=1)
        else:
            weights = sample_weight[rows].to(torch.float64)
            correct += torch.einsum("nrw,r->nw", hits.to(torch.float64), weights)
    return correct


def prefix_squared_errors(
    features, coefs, intercept, y, widths, leave_one_out=False, sample_weight=None
):
    """Weighted sums of squared errors of every truncated linear read-out.

    The regression twin of :func:`prefix_accuracy`: the read-out truncated to
    its first ``k`` features predicts ``intercept + sum_{j<k} features[:, j]
    coefs[j]``, every truncation from one masked matmul, scored in chunks of
    widths and rows under the same element budget (memory linear in the
    number of features).

    Parameters
    ----------
    features : Tensor of shape (n_networks, n_samples, n_features)
    coefs : Tensor of shape (n_networks, n_features, n_outputs)
    intercept : Tensor of shape (n_networks, n_outputs) or None
    y : Tensor of shape (n_samples, n_outputs)
        Continuous targets.
    widths : ndarray of int
        Number of leading features the read-out uses, each in
        ``[1, n_features]``.
    leave_one_out : bool, default=False
        ``features`` is the basis ``B = A L^{-T}`` of a (weighted) ridge fit,
        ``A^T W A + Lambda = L L^T``, and the residuals are the leave-one-out
        ones, ``(y_i - yhat_i) / (1 - h_ii)``, with leverage
        ``h_ii = w_i sum_{j<k} B_ij^2`` (``w_i = 1`` without weights), itself
        a masked sum over features.
    sample_weight : Tensor of shape (n_samples,) or None, default=None
        Weights of the rows in the sums (and in the leverages).

    Returns
    -------
    sse : Tensor of shape (n_networks, len(widths), n_outputs), float64
        ``sum_i w_i (y_io - yhat_io)^2`` per truncation and output.
    """
    n_networks, _, n_features = features.shape
    widths = np.asarray(widths)
    per_width = n_networks * n_features * coefs.shape[-1]
    chunk = max(1, _PREFIX_BLOCK_ELEMENTS // per_width)
    return torch.cat(
        [
            _squared_errors(
                features,
                coefs,
                intercept,
                y,
                widths[start : start + chunk],
                leave_one_out,
                sample_weight,
            )
            for start in range(0, len(widths), chunk)
        ],
        dim=1,
    )


def prefix_r2(
    features, coefs, intercept, y, widths, leave_one_out=False, sample_weight=None
):
    """R² of every truncated linear read-out, in one batched matmul.

    Parameters
    ----------
    features, coefs, intercept, y, widths, leave_one_out, sample_weight
        As for :func:`prefix_squared_errors`.

    Returns
    -------
    r2 : Tensor of shape (n_networks, len(widths)), float64
        ``sklearn.metrics.r2_score(y, yhat, sample_weight=sample_weight)``
        of each truncation (uniform average over outputs); see
        :func:`r2_from_squared_errors` for constant targets and overflow.
    """
    sse = prefix_squared_errors(
        features, coefs, intercept, y, widths, leave_one_out, sample_weight
    )
    return r2_from_squared_errors(sse, total_sum_of_squares(y, sample_weight))


def total_sum_of_squares(y, sample_weight=None):
    """``sum_i w_i (y_io - ybar_o)^2`` per output, about the weighted mean.

    Parameters
    ----------
    y : Tensor of shape (n_samples, n_outputs)
    sample_weight : Tensor or ndarray of shape (n_samples,) or None

    Returns
    -------
    sst : Tensor of shape (n_outputs,), float64
    """
    y = y.to(torch.float64)
    if sample_weight is None:
        return (y - y.mean(dim=0)).square().sum(dim=0)
    weights = torch.as_tensor(sample_weight, device=y.device).to(torch.float64)
    mean = (weights @ y) / weights.sum()
    return weights @ (y - mean).square()


def r2_from_squared_errors(sse, sst):
    """``mean_o (1 - sse_o / sst_o)``, as ``sklearn.metrics.r2_score`` averages.

    A constant target column (``sst_o == 0``) scores 1 when it is predicted
    exactly and 0 otherwise (``r2_score``'s ``force_finite=True``). A
    non-finite error (overflowing activations) scores ``-inf``, so such
    networks rank last.

    Parameters
    ----------
    sse : Tensor of shape (..., n_outputs), float64
    sst : Tensor of shape (n_outputs,), float64

    Returns
    -------
    r2 : Tensor of shape (...,), float64
    """
    spread = sst > 0
    r2 = torch.where(
        spread,
        1.0 - sse / torch.where(spread, sst, torch.ones_like(sst)),
        (sse == 0).to(sse.dtype),
    )
    r2 = torch.where(torch.isfinite(sse), r2, torch.full_like(r2, -np.inf))
    return r2.mean(dim=-1)


def _squared_errors(features, coefs, intercept, y, widths, leave_one_out, weights):
    """Squared-error sums of the read-outs of ``widths``, shape
    ``(n_networks, len(widths), n_outputs)``; see :func:`prefix_squared_errors`."""
    sse = torch.zeros(
        (features.shape[0], len(widths), coefs.shape[-1]),
        dtype=torch.float64,
        device=features.device,
    )
    for rows, block, errors, mask in _prefix_blocks(features, coefs, intercept, widths):
        # Prediction minus target: the sign goes with the square.
        errors -= y[rows].to(errors.dtype)[None, :, None, :]
        block_weights = None
        if weights is not None:
            block_weights = weights[rows].to(torch.float64)
        if leave_one_out:
            leverage = block.square() @ mask
            if block_weights is not None:
                leverage *= block_weights.to(leverage.dtype)[None, :, None]
            errors /= (1.0 - leverage).unsqueeze(-1)
        # Squared in float64: a finite float32 error never overflows there.
        squares = errors.to(torch.float64).square_()
        if block_weights is None:
            sse += squares.sum(dim=1)
        else:
            sse += torch.einsum("nrwo,r->nwo", squares, block_weights)
    return sse
