"""Figures of a study (matplotlib, imported only when a figure is drawn)."""

from __future__ import annotations

import math
import textwrap

import numpy as np

from ._methods import FULL_METHOD
from ._report import _PRIMARY, _label, _task_of, summarize


def _panels(n_panels, fig, width, height):
    """A figure (``fig`` or a new one) and ``n_panels`` axes, at most 4 per row."""
    import matplotlib.pyplot as plt

    n_cols = min(4, n_panels)
    n_rows = math.ceil(n_panels / n_cols)
    if fig is None:
        fig = plt.figure(
            figsize=(width * n_cols, height * n_rows), layout="constrained"
        )
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, axes[:n_panels]


def plot_accuracy_vs_params(result, *, fig=None):
    """Test accuracy against parameter count, one panel per dataset.

    Every run is a small point, each method's mean a large marker. A
    regression dataset's panel plots the test R² instead.

    Parameters
    ----------
    result : StudyResult
    fig : matplotlib Figure or None
        Drawn on; a new one if None.

    Returns
    -------
    fig : matplotlib Figure
    """
    import matplotlib.pyplot as plt

    datasets = result.datasets
    fig, axes = _panels(len(datasets), fig, 3.6, 3.0)
    colors = dict(
        zip(result.methods, plt.rcParams["axes.prop_cycle"].by_key()["color"])
    )
    for ax, dataset in zip(axes, datasets):
        score = _PRIMARY[_task_of(result, dataset)]
        for method in result.methods:
            runs = [
                r
                for r in result.records
                if r["dataset"] == dataset and r["method"] == method and not r["error"]
            ]
            params = np.array([r["n_params"] for r in runs], dtype=float)
            accuracy = score.values(runs)
            if not len(runs) or np.isnan(params).all():
                continue
            color = colors.get(method)
            ax.scatter(params, accuracy, s=10, alpha=0.4, color=color)
            ax.scatter(
                np.nanmean(params),
                accuracy.mean(),
                s=70,
                color=color,
                edgecolor="black",
                label=_label(method),
            )
        ax.set_xscale("log")
        _few_log_ticks(ax)
        ax.set_title(dataset)
        ax.set_xlabel("parameters")
        ax.set_ylabel("test R²" if score.field == "r2" else "test accuracy (%)")
    axes[0].legend(fontsize="small")
    return fig


def _few_log_ticks(ax, max_ticks=4):
    """At most ``max_ticks`` short labels on a log x axis, whatever its range.

    Matplotlib labels a log axis spanning less than a decade with linear
    ticks every 20 (120, 140, ... 280), which overlap in a small panel. Here
    the labels are 1-2-5 multiples of powers of ten (only powers of ten over
    wide ranges); ranges too narrow to hold two of them get two to four
    round values; thousands read ``2k``.
    """
    from matplotlib.ticker import (
        FixedLocator,
        FuncFormatter,
        MaxNLocator,
        NullFormatter,
    )

    low, high = sorted(ax.get_xlim())
    decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    ticks = []
    for subs in ((1.0,), (1.0, 3.0), (1.0, 2.0, 5.0)):
        inside = [m * 10**k for k in decades for m in subs if low <= m * 10**k <= high]
        if len(inside) > max_ticks:
            # Wide ranges: every n-th power of ten.
            ticks = ticks or inside[:: math.ceil(len(inside) / max_ticks)]
            break
        ticks = inside
    if len(ticks) < 2:
        ticks = [
            t
            for t in MaxNLocator(nbins=3, steps=[1, 2, 2.5, 5, 10]).tick_values(
                low, high
            )
            if low <= t <= high
        ]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(_short_number))
    ax.xaxis.set_minor_formatter(NullFormatter())


def _short_number(value, _position=None):
    """``50``, ``500``, ``1.5k``, ``20k``, ``1M``."""
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:g}{suffix}"
    return f"{value:g}"


def plot_time_ratios(result, *, ax=None):
    """Median fit time of every method relative to full training, per dataset.

    Parameters
    ----------
    result : StudyResult
    ax : matplotlib Axes or None

    Returns
    -------
    ax : matplotlib Axes
    """
    import matplotlib.pyplot as plt

    rows = {(r["dataset"], r["method"]): r for r in summarize(result)}
    methods = [m for m in result.methods if m != FULL_METHOD]
    datasets = result.datasets
    if ax is None:
        _, ax = plt.subplots(
            figsize=(1.2 + 1.1 * len(datasets), 3.2), layout="constrained"
        )
    width = 0.8 / max(1, len(methods))
    x = np.arange(len(datasets))
    every_ratio = []
    for i, method in enumerate(methods):
        ratios = np.array([rows[(d, method)]["time_ratio"] for d in datasets])
        every_ratio.extend(ratios[np.isfinite(ratios)])
        # Bars from the full training's line, on a log scale: a ratio of 17
        # would otherwise flatten every ratio near 1, and 0.5 and 2 are as
        # far from it.
        ax.bar(
            x + (i - (len(methods) - 1) / 2) * width,
            ratios - 1.0,
            width,
            bottom=1.0,
            label=_label(method),
        )
    ax.set_yscale("log")
    low, high = min([1.0, *every_ratio]), max([1.0, *every_ratio])
    ax.set_ylim(low / 1.2, high * 1.2)
    ticks = [
        t for t in (0.25, 0.5, 1, 2, 5, 10, 20, 50) if low / 1.2 <= t <= high * 1.2
    ]
    ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
    ax.set_xticks(x, datasets, rotation=20)
    ax.set_ylabel("fit time / full training (log scale)")
    ax.legend(fontsize="small")
    return ax


def plot_proxy_scatter(result, score, *, fig=None):
    """One proxy's score at initialisation against trained test accuracy.

    One panel per dataset, one point per sampled topology, coloured by depth,
    with Kendall's tau in the title.

    Parameters
    ----------
    result : ProxyStudyResult
    score : str
        A proxy name of the study, or ``'n_params'``.
    fig : matplotlib Figure or None
        Drawn on; a new one if None.

    Returns
    -------
    fig : matplotlib Figure
    """

    datasets = result.datasets
    taus = {
        row["dataset"]: row
        for row in result.correlations(n_bootstrap=0)
        if row["score"] == score
    }
    fig, axes = _panels(len(datasets), fig, 3.4, 2.9)
    for ax, dataset in zip(axes, datasets):
        rows = sorted(
            (r for r in result.records if r["dataset"] == dataset),
            key=lambda r: int(r["index"]),
        )
        values = np.array([float(r[score]) for r in rows])
        accuracy = 100 * np.array([float(r["test_accuracy"]) for r in rows])
        depth = np.array([len(str(r["hidden_layer_sizes"]).split("-")) for r in rows])
        finite = np.isfinite(values)
        points = ax.scatter(
            values[finite],
            accuracy[finite],
            c=depth[finite],
            s=9,
            cmap="viridis",
            vmin=result.config.depth_range[0],
            vmax=result.config.depth_range[1],
        )
        if score in ("n_params", "synflow"):
            ax.set_xscale("log")
        row = taus[dataset]
        rank = "constant score" if row["constant"] else f"tau = {row['tau']:.2f}"
        ax.set_title(f"{dataset} ({rank})", fontsize="medium")
        ax.set_xlabel(score)
        ax.set_ylabel("test accuracy (%)")
    low, high = result.config.depth_range
    fig.colorbar(
        points, ax=axes.tolist(), label="hidden layers", ticks=range(low, high + 1)
    )
    # Wrapped to the figure's width: one panel is narrower than the title.
    title = f"{score} at initialisation vs accuracy after training"
    fig.suptitle(textwrap.fill(title, width=max(20, int(8 * fig.get_figwidth()))))
    return fig


_SPARSITY_STYLE = {
    "random_search": dict(color="C0", marker="o", label="random search"),
    "random_sparse": dict(color="C1", marker="s", label="random sparse"),
    "random_cloud": dict(color="C2", marker="^", label="Random Cloud (same budget)"),
}


def _sparsity_panels(result, measure, ylabel, title, scale, fig):
    """Mean +- sd of ``measure`` against sparsity per method, dense as a band."""
    sparsities = list(result.config.sparsities)
    positions = np.arange(len(sparsities))
    fig, axes = _panels(len(result.datasets), fig, 3.4, 2.8)
    for ax, dataset in zip(axes, result.datasets):
        dense = scale * result.values(measure, dataset, 0.0, "dense")
        if len(dense):
            mean, sd = dense.mean(), dense.std()
            ax.axhline(mean, color="black", linestyle="--", lw=1, label="dense parent")
            ax.axhspan(mean - sd, mean + sd, color="black", alpha=0.08)
        for method, style in _SPARSITY_STYLE.items():
            stats = [
                scale * result.values(measure, dataset, *result.trained_as(method, s))
                for s in sparsities
            ]
            mean = np.array([v.mean() if len(v) else np.nan for v in stats])
            sd = np.array([v.std() if len(v) else np.nan for v in stats])
            ax.plot(positions, mean, lw=1.5, ms=4, **style)
            ax.fill_between(
                positions, mean - sd, mean + sd, color=style["color"], alpha=0.15
            )
        ax.set_xticks(positions, [f"{s:g}" for s in sparsities])
        ax.set_title(dataset)
        ax.set_xlabel("node sparsity")
        ax.set_ylabel(ylabel)
    axes[0].legend(fontsize="x-small")
    fig.suptitle(title)
    return fig


def plot_sparsity_accuracy(result, *, fig=None):
    """Test accuracy against node sparsity, one panel per dataset.

    Lines are means over folds, bands one standard deviation; the dashed line
    and grey band are the dense parent.

    Parameters
    ----------
    result : SparsityStudyResult
    fig : matplotlib Figure or None
        Drawn on; a new one if None.

    Returns
    -------
    fig : matplotlib Figure
    """
    return _sparsity_panels(
        result,
        "test_accuracy",
        "test accuracy (%)",
        "Accuracy of sparse sub-networks (mean ± sd over folds)",
        100.0,
        fig,
    )


def plot_sparsity_convergence(result, *, fig=None):
    """Epochs to reach the convergence share of the final validation accuracy.

    Same layout as :func:`plot_sparsity_accuracy`.

    Parameters
    ----------
    result : SparsityStudyResult
    fig : matplotlib Figure or None

    Returns
    -------
    fig : matplotlib Figure
    """
    share = 100 * result.config.convergence_fraction
    return _sparsity_panels(
        result,
        "convergence_epoch",
        f"epochs to {share:.0f}% of final",
        f"Convergence: first epoch at {share:.0f}% of the final validation "
        "accuracy (mean ± sd over folds)",
        1.0,
        fig,
    )


def plot_validation_curves(result, sparsity, *, fig=None):
    """Validation accuracy per epoch at one sparsity, one panel per dataset.

    Parameters
    ----------
    result : SparsityStudyResult
    sparsity : float
        One of the study's sparsities.
    fig : matplotlib Figure or None

    Returns
    -------
    fig : matplotlib Figure
    """
    fig, axes = _panels(len(result.datasets), fig, 3.4, 2.8)
    styles = {"dense": dict(color="black", label="dense parent"), **_SPARSITY_STYLE}
    for ax, dataset in zip(axes, result.datasets):
        for method, style in styles.items():
            curves = 100 * result.curves(dataset, *result.trained_as(method, sparsity))
            if not len(curves):
                continue
            epochs = np.arange(1, curves.shape[1] + 1)
            mean, sd = curves.mean(axis=0), curves.std(axis=0)
            ax.plot(epochs, mean, lw=1.2, color=style["color"], label=style["label"])
            ax.fill_between(
                epochs, mean - sd, mean + sd, color=style["color"], alpha=0.1
            )
        ax.set_title(dataset)
        ax.set_xlabel("epoch")
        ax.set_ylabel("validation accuracy (%)")
    axes[0].legend(fontsize="x-small")
    fig.suptitle(f"Validation accuracy during training at node sparsity {sparsity:g}")
    return fig


def plot_saep_rounds(result, curve="size_curve", *, fig=None):
    """Ensemble size or validation accuracy per round, one panel per dataset.

    Lines are means over folds, bands one standard deviation, one line per
    pruning rule.

    Parameters
    ----------
    result : SAEPStudyResult
    curve : {'size_curve', 'accuracy_curve'}, default='size_curve'
    fig : matplotlib Figure or None

    Returns
    -------
    fig : matplotlib Figure
    """
    scale, ylabel = (
        (1.0, "ensemble size")
        if curve == "size_curve"
        else (100.0, "validation accuracy (%)")
    )
    fig, axes = _panels(len(result.datasets), fig, 3.4, 2.8)
    for ax, dataset in zip(axes, result.datasets):
        for index, rule in enumerate(result.config.rules):
            curves = scale * result.curves(curve, dataset, rule)
            if not len(curves):
                continue
            rounds = np.arange(1, curves.shape[1] + 1)
            mean, sd = curves.mean(axis=0), curves.std(axis=0)
            label = "unpruned" if rule == "none" else rule.upper()
            color = "black" if rule == "none" else f"C{index}"
            ax.plot(rounds, mean, lw=1.4, color=color, label=label)
            ax.fill_between(rounds, mean - sd, mean + sd, color=color, alpha=0.12)
        ax.set_title(dataset)
        ax.set_xlabel("round")
        ax.set_ylabel(ylabel)
    axes[0].legend(fontsize="x-small")
    fig.suptitle(f"SAEP: {ylabel} per round (mean ± sd over folds)")
    return fig
