"""The figure of notebook 03's training experiment: every seed's learning curve and final accuracy."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from ... import viz
from ...viz.figures import KEY_LABEL, BarCollection, as_array, new_figure

__all__ = ['plot_variance_vs_dk', 'plot_saturation', 'plot_cost', 'plot_score_training', 'SCORE_RANGE', 'SCORE_BINS', 'score_distribution_figure', 'update_score_distribution']


COLORS = {"additive": "C0", "dot": "C3", "scaled_dot": "C2"}


def plot_score_training(result):
    """Left and middle: held-out accuracy during training at each d_k (thin: seeds, bold: mean).
    Right: the final accuracy of every seed, by score function and d_k."""
    fig = viz.new_figure(11, 3.4)
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.2]})
    scores = list(COLORS)
    for ax, d_k in zip(axes, result.d_ks):
        viz.plot_histories({s: result.runs[s, d_k].histories for s in scores}, ax=ax, title=f"d_k = {d_k}")
        for line in ax.get_lines():
            line.set_color(COLORS[line.get_label()] if line.get_label() in COLORS else line.get_color())
        ax.set_ylim(0, 1)
    finals = {f"{s}\nd_k={d}": result.final(s, d) for d in result.d_ks for s in scores}
    colors = {f"{s}\nd_k={d}": COLORS[s] for d in result.d_ks for s in scores}
    viz.plot_seed_dots(finals, ax=axes[2], chance=1 / 8, colors=colors, title="final accuracy, every seed")
    axes[2].set_ylim(0, 1)
    return fig


SCORE_RANGE = 100.0  # x-limits of the score histogram: unscaled scores at d_k=1024 have std 32
SCORE_BINS = 100


def score_distribution_figure(n_keys: int, d_ks: Sequence[int], curves: Mapping[str, Sequence[float]]):
    """Three panels: histogram of scores, one row's softmax weights, entropy against d_k.

    Axis limits are fixed (scores in [-100, 100], fraction per bin on a log scale), so every
    state is drawn on the same axes and only the data artists move. ``curves`` maps a label to
    the mean entropy at each d_k (drawn once). The softmax weights are one
    :class:`~transformer_lab.viz.figures.BarCollection` (``artists["bars"].get_heights()``).
    Returns ``(fig, artists)``; :func:`update_score_distribution` moves the artists in place.
    """
    fig = new_figure(10.5, 3.0, dpi=72)
    ax_hist, ax_row, ax_ent = fig.subplots(1, 3)
    edges = np.linspace(-SCORE_RANGE, SCORE_RANGE, SCORE_BINS + 1)
    stairs = ax_hist.stairs(np.full(SCORE_BINS, 1e-9), edges, fill=True, alpha=0.6, color="C0", label="scores")
    (normal,) = ax_hist.plot([], [], "k--", lw=1, label="predicted N(0, Var)")
    ax_hist.set_xlim(-SCORE_RANGE, SCORE_RANGE)
    ax_hist.set_yscale("log")
    ax_hist.set_ylim(1e-3, 1.0)
    ax_hist.set_xlabel("score (q·k, or q·k/√d_k)")
    ax_hist.set_ylabel("fraction of scores per bin")
    ax_hist.legend(fontsize=7, loc="upper right")
    title = ax_hist.set_title(" ", fontsize=9)
    bars = ax_row.add_collection(BarCollection(range(n_keys), np.zeros(n_keys), facecolor="C1", edgecolor="none"))
    ax_row.set_ylim(0, 1)
    ax_row.set_xlabel(KEY_LABEL)
    ax_row.set_ylabel("softmax weight of query 0")
    for i, (label, ys) in enumerate(curves.items()):
        ax_ent.semilogx(d_ks, ys, "o-", ms=3, color=f"C{i + 2}", label=label, base=2)
    ax_ent.axhline(math.log(n_keys), color="grey", lw=0.8, ls=":", label="uniform (log S)")
    (marker,) = ax_ent.plot([], [], "o", ms=11, mfc="none", mec="red", mew=2, label="current")
    ax_ent.set_xlabel("d_k")
    ax_ent.set_ylabel("mean entropy of a row (nats)")
    ax_ent.legend(fontsize=7, loc="lower left")
    return fig, {"stairs": stairs, "normal": normal, "bars": bars, "marker": marker, "title": title}


def update_score_distribution(artists: Mapping[str, object], scores, row_weights, d_k: int, entropy: float,
                              predicted_var: float, title: str) -> None:
    """Move the explorer's artists to a new state (no new artists, no change of limits)."""
    s = as_array(scores).ravel()
    edges = np.linspace(-SCORE_RANGE, SCORE_RANGE, SCORE_BINS + 1)
    counts, _ = np.histogram(np.clip(s, -SCORE_RANGE, SCORE_RANGE), bins=edges)
    artists["stairs"].set_data(np.maximum(counts / s.size, 1e-9), edges)
    xs = np.linspace(-SCORE_RANGE, SCORE_RANGE, 801)
    sd = math.sqrt(predicted_var)
    width = edges[1] - edges[0]
    mass = width * np.exp(-0.5 * (xs / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
    keep = mass > 1e-4
    artists["normal"].set_data(xs[keep], np.minimum(mass[keep], 1.0))
    artists["title"].set_text(title)
    artists["bars"].set_heights(as_array(row_weights).astype(float))
    artists["marker"].set_data([d_k], [entropy])


# --- §3a-3c: variance against d_k, saturation, cost -------------------------------------------------

def plot_variance_vs_dk(d_ks: Sequence[int], variances: Sequence[float], ax=None):
    """Measured Var(q·k) against d_k on log-log axes, with the line Var = d_k."""
    ax = ax or new_figure(4.2, 3.2).add_subplot()
    ax.loglog(d_ks, d_ks, "k--", lw=1, label="Var = d_k (footnote 4)")
    ax.loglog(d_ks, variances, "o", color="C0", label="measured")
    ax.set_xlabel("d_k")
    ax.set_ylabel("Var(q·k)")
    ax.legend(fontsize=8)
    return ax


def plot_saturation(d_ks: Sequence[int], stats: Mapping[str, Mapping[str, Sequence[float]]], fig: Figure | None = None) -> Figure:
    """``stats[label][metric]`` over d_k: one panel per metric, one line per label (scaled/unscaled)."""
    metrics = list(next(iter(stats.values())).keys())
    fig = fig or new_figure(3.2 * len(metrics), 3.0)
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric in zip(axes, metrics):
        for i, (label, by_metric) in enumerate(stats.items()):
            ax.semilogx(d_ks, by_metric[metric], "o-", color=f"C{i}", label=label, base=2)
        ax.set_xlabel("d_k")
        ax.set_title(metric, fontsize=9)
    axes[0].legend(fontsize=8)
    return fig


def plot_cost(ns: Sequence[int], series: Mapping[str, Mapping[str, Sequence[float]]], fig: Figure | None = None) -> Figure:
    """``series[metric][label]`` against sequence length n: one log-log panel per metric."""
    fig = fig or new_figure(4.0 * len(series), 3.2)
    axes = fig.subplots(1, len(series), squeeze=False)[0]
    for ax, (metric, by_label) in zip(axes, series.items()):
        for i, (label, values) in enumerate(by_label.items()):
            ax.plot(ns, values, "o-", color=f"C{i}", label=label)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("sequence length n")
        ax.set_title(metric, fontsize=9)
        ax.legend(fontsize=8)
    return fig
