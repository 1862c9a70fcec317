"""The prefix-sum kernel: every truncation of a linear read-out scored at once.

For a layer with activations ``h`` (``n x H``) and outgoing weights ``W``
(``H x C``), the read-out truncated to its first ``k`` units has logits
``b + sum_{j<k} h[:, j] W[j, :]``, the ``k``-th cumulative sum over ``j``.
:func:`prefix_accuracy` scores all of them in one batched matmul; the forward
proxies use it to score every truncation of a cloud's networks.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["prefix_accuracy"]

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


def _correct_counts(
    features, coefs, intercept, y, widths, loo_targets, sample_weight, binary
):
    """Correct predictions (weighted) of the read-outs of ``widths``, shape
    ``(n_networks, len(widths))``; see :func:`prefix_accuracy`."""
    # Only the features some width of the chunk uses take part.
    used = int(widths.max())
    features, coefs = features[:, :, :used], coefs[:, :used]
    n_networks, n_samples, n_features = features.shape
    n_outputs = coefs.shape[-1]
    widths = torch.as_tensor(widths, device=features.device)
    n_widths = len(widths)
    # mask[j, w] = feature j is used by the read-out of width widths[w]
    mask = (
        torch.arange(n_features, device=features.device)[:, None] < widths[None, :]
    ).to(features.dtype)
    stacked = (coefs[:, :, None, :] * mask[None, :, :, None]).reshape(
        n_networks, n_features, n_widths * n_outputs
    )
    if intercept is not None:
        offset = intercept[:, None, None, :].expand(-1, 1, n_widths, -1)
        offset = offset.reshape(n_networks, 1, n_widths * n_outputs)
    correct = torch.zeros(
        (n_networks, n_widths),
        dtype=torch.int64 if sample_weight is None else torch.float64,
        device=features.device,
    )
    rows = max(1, _PREFIX_BLOCK_ELEMENTS // (n_networks * n_widths * n_outputs))
    # One buffer for every block's logits: same-sized temporaries allocated and
    # freed block after block fragment the heap and inflate peak memory.
    buffer = torch.empty(
        n_networks * min(rows, n_samples) * n_widths * n_outputs,
        dtype=features.dtype,
        device=features.device,
    )
    for start in range(0, n_samples, rows):
        block = features[:, start : start + rows]
        n_rows = block.shape[1]
        logits = buffer[: n_networks * n_rows * n_widths * n_outputs].view(
            n_networks, n_rows, n_widths * n_outputs
        )
        if intercept is None:
            torch.bmm(block, stacked, out=logits)
        else:
            torch.baddbmm(offset, block, stacked, out=logits)
        logits = logits.view(n_networks, n_rows, n_widths, n_outputs)
        if loo_targets is not None:
            leverage = block.square() @ mask
            targets = loo_targets[start : start + rows].to(logits.dtype)
            logits -= leverage.unsqueeze(-1) * targets[None, :, None, :]
        y_block = y[start : start + rows]
        if binary:
            hits = (logits[..., 0] > 0) == (y_block == 1)[None, :, None]
        else:
            hits = logits.argmax(dim=-1) == y_block[None, :, None]
        if sample_weight is None:
            correct += hits.sum(dim=1)
        else:
            weights = sample_weight[start : start + rows].to(torch.float64)
            correct += torch.einsum("nrw,r->nw", hits.to(torch.float64), weights)
    return correct
