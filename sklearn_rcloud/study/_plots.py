"""Figures of a study (matplotlib, imported only when a figure is drawn)."""

from __future__ import annotations

import math

import numpy as np

from ._methods import FULL_METHOD
from ._report import _label, summarize

__all__ = ["plot_accuracy_vs_params", "plot_proxy_scatter", "plot_time_ratios"]


def plot_accuracy_vs_params(result, *, fig=None):
    """Test accuracy against parameter count, one panel per dataset.

    Every run is a small point, each method's mean a large marker.

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
    from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

    datasets = result.datasets
    n_cols = min(4, len(datasets))
    n_rows = math.ceil(len(datasets) / n_cols)
    if fig is None:
        fig = plt.figure(figsize=(3.6 * n_cols, 3.0 * n_rows), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    colors = dict(
        zip(result.methods, plt.rcParams["axes.prop_cycle"].by_key()["color"])
    )
    for ax, dataset in zip(axes, datasets):
        for method in result.methods:
            runs = [
                r
                for r in result.records
                if r["dataset"] == dataset and r["method"] == method and not r["error"]
            ]
            params = np.array([r["n_params"] for r in runs], dtype=float)
            accuracy = 100 * np.array([r["accuracy"] for r in runs], dtype=float)
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
        # Few labelled ticks: minor labels of a narrow log range overlap.
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(dataset)
        ax.set_xlabel("parameters")
        ax.set_ylabel("test accuracy (%)")
    for ax in axes[len(datasets) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize="small")
    return fig


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
    for i, method in enumerate(methods):
        ratios = [rows[(d, method)]["time_ratio"] for d in datasets]
        ax.bar(
            x + (i - (len(methods) - 1) / 2) * width,
            ratios,
            width,
            label=_label(method),
        )
    ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
    ax.set_xticks(x, datasets, rotation=20)
    ax.set_ylabel("fit time / full training")
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
    import matplotlib.pyplot as plt

    datasets = result.datasets
    taus = {
        row["dataset"]: row["tau"]
        for row in result.correlations(n_bootstrap=0)
        if row["score"] == score
    }
    n_cols = min(4, len(datasets))
    n_rows = math.ceil(len(datasets) / n_cols)
    if fig is None:
        fig = plt.figure(figsize=(3.4 * n_cols, 2.9 * n_rows), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
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
        ax.set_title(f"{dataset} (tau = {taus[dataset]:.2f})", fontsize="medium")
        ax.set_xlabel(score)
        ax.set_ylabel("test accuracy (%)")
    for ax in axes[len(datasets) :]:
        ax.set_visible(False)
    fig.colorbar(points, ax=axes[: len(datasets)].tolist(), label="hidden layers")
    fig.suptitle(f"{score} at initialisation vs accuracy after training")
    return fig
