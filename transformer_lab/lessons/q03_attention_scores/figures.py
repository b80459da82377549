"""Notebook 03's figures: the schematic, the explorer's panels, the √d_k sweep, the cost and the training."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from ... import viz
from ...viz.diagram import arrow, blank, box
from ...viz.figures import KEY_LABEL, MIN_FONT_SIZE, BarCollection, as_array, new_figure

__all__ = ['plot_variance_vs_dk', 'plot_saturation', 'plot_scale_sweep', 'plot_cost', 'plot_score_training', 'SCORE_RANGE',
           'SCORE_BINS', 'score_distribution_figure', 'update_score_distribution', 'schematic']


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
    for ax in axes[:2]:
        ax.legend(loc="upper left", fontsize=MIN_FONT_SIZE)  # the curves start at chance, bottom left: the corner stays free
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
    title = ax_hist.set_title(" ", fontsize=10)
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
    fig.legend(handles=[stairs, normal, *ax_ent.get_lines()], loc="outside upper center", ncols=6,
               fontsize=MIN_FONT_SIZE, frameon=False)  # one legend for the three panels, above them, off the data
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
    ax.loglog(d_ks, d_ks, "k--", lw=1, label="Var = d_k (fn. 4)", base=2)
    ax.loglog(d_ks, variances, "o", color="C0", label="measured", base=2)
    _d_k_ticks(ax, d_ks)
    ax.set_yticks(ax.get_xticks(), [t.get_text() for t in ax.get_xticklabels()])
    ax.set_ylim(ax.get_xlim())
    ax.set_ylabel("Var(q·k)")
    ax.legend(fontsize=MIN_FONT_SIZE, loc="lower right")  # the points run from lower left to upper right
    return ax


def _d_k_ticks(ax, d_ks: Sequence[int]) -> None:
    """Plain numbers on a base-2 d_k axis, every other width (1, 4, 16, …) so they do not collide."""
    ticks = list(d_ks)[::2] if len(d_ks) > 6 else list(d_ks)
    ax.set_xticks(ticks, [str(d) for d in ticks])
    ax.minorticks_off()
    ax.set_xlabel("d_k")


YLABELS = {  # the y label of each metric of the √d_k sweep
    "entropy (nats)": "mean entropy of a row (nats)",
    "max weight": "mean largest weight of a row",
    "Jacobian norm": "‖diag(p) − ppᵀ‖ (Frobenius)",
    "‖∂L/∂scores‖": "gradient norm per query row",
    "‖∂L/∂W_Q‖": "gradient norm (Frobenius)",
}


def _saturation_panel(ax, d_ks: Sequence[int], stats: Mapping[str, Mapping[str, Sequence[float]]], metric: str) -> None:
    for i, (label, by_metric) in enumerate(stats.items()):
        ax.semilogx(d_ks, by_metric[metric], "o-", ms=4, color=f"C{i}", label=label, base=2)
    _d_k_ticks(ax, d_ks)
    ax.set_ylabel(YLABELS.get(metric, metric))
    ax.set_title(metric, fontsize=10)


def plot_saturation(d_ks: Sequence[int], stats: Mapping[str, Mapping[str, Sequence[float]]], fig: Figure | None = None) -> Figure:
    """``stats[label][metric]`` over d_k: one panel per metric, one line per label (scaled/unscaled);
    each panel titled by its metric, its y axis labelled, one legend above the panels."""
    metrics = list(next(iter(stats.values())).keys())
    fig = fig or new_figure(3.2 * len(metrics), 3.2)
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric in zip(axes, metrics):
        _saturation_panel(ax, d_ks, stats, metric)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside upper center", ncols=len(stats),
               fontsize=MIN_FONT_SIZE, frameon=False)
    return fig


SWEEP_PANELS = ("max weight", "‖∂L/∂scores‖", "‖∂L/∂W_Q‖")  # the story in three steps; the rest is in the tables


def plot_scale_sweep(sweep) -> Figure:
    """What 1/√d_k does, on one figure (a :class:`~.analysis.ScaleSweep`): Var(q·k) against d_k with the
    line Var = d_k; the softmax's largest weight (it saturates); the gradient reaching the scores (it
    shrinks); the gradient reaching W_Q (it does not), unscaled and scaled."""
    fig = new_figure(11.0, 3.3)
    axes = fig.subplots(1, 4)
    plot_variance_vs_dk(sweep.d_ks, sweep.variances, ax=axes[0])
    axes[0].set_title("Var(q·k) grows like d_k", fontsize=10)
    for ax, metric in zip(axes[1:], SWEEP_PANELS):
        _saturation_panel(ax, sweep.d_ks, sweep.stats, metric)
    labels = {"unscaled": "unscaled q·k", "scaled": "scaled q·k/√d_k"}
    handles, names = axes[1].get_legend_handles_labels()
    fig.legend(handles, [labels.get(n, n) for n in names], loc="outside upper center", ncols=2,
               fontsize=MIN_FONT_SIZE, frameon=False)
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
        ax.set_ylabel(metric[metric.index("(") + 1:-1] if metric.endswith(")") and "(" in metric else metric)
        ax.set_title(metric, fontsize=10)
        ax.legend(fontsize=MIN_FONT_SIZE, loc="upper left")  # the lines rise to the right
    return fig


# --- the schematic: additive attention is a small MLP, dot product one multiply ---------------------

def schematic() -> Figure:
    """Notebook 03 at a glance: additive attention scores one (query, key) pair with a one-hidden-layer
    MLP, q and k projected to A hidden units, added, tanh, then vᵀ (left); the dot product multiplies
    q and k and divides by √d_k (right). Over n queries and n keys, the left builds an n×n×A tensor,
    the right one n×n matrix multiply. No training: a drawing."""
    fig = new_figure(10.5, 3.4, dpi=80)
    fig.set_layout_engine("none")  # a diagram: fixed margins, one drawing pass, no text measured twice
    ax_add, ax_dot = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1], "left": 0.01, "right": 0.99,
                                                      "bottom": 0.02, "top": 0.9, "wspace": 0.06})
    for ax in (ax_add, ax_dot):
        blank(ax)
    ax_add.set_title("additive (Bahdanau): a small MLP per (query, key) pair", fontsize=11)
    box(ax_add, (0.06, 0.78), "$q$")
    box(ax_add, (0.06, 0.32), "$k$")
    box(ax_add, (0.24, 0.78), "$W_q\\,q$", "#cfe3f3")
    box(ax_add, (0.24, 0.32), "$W_k\\,k$", "#f6d5c3")
    arrow(ax_add, (0.1, 0.78), (0.17, 0.78))
    arrow(ax_add, (0.1, 0.32), (0.17, 0.32))
    box(ax_add, (0.43, 0.55), "$+$")
    arrow(ax_add, (0.31, 0.74), (0.4, 0.6))
    arrow(ax_add, (0.31, 0.36), (0.4, 0.5))
    box(ax_add, (0.6, 0.55), "tanh", "#e3efd9")
    arrow(ax_add, (0.47, 0.55), (0.54, 0.55))
    box(ax_add, (0.78, 0.55), "$v^\\top \\cdot$", "#e3efd9")
    arrow(ax_add, (0.66, 0.55), (0.72, 0.55))
    box(ax_add, (0.94, 0.55), "$s$")
    arrow(ax_add, (0.84, 0.55), (0.9, 0.55))
    ax_add.text(0.5, 0.08, "hidden layer of A units for every pair: n × n × A numbers", ha="center", fontsize=10)
    ax_dot.set_title("dot product (scaled)", fontsize=11)
    box(ax_dot, (0.1, 0.78), "$q$")
    box(ax_dot, (0.1, 0.32), "$k$")
    box(ax_dot, (0.42, 0.55), "$q \\cdot k$", "#cfe3f3")
    arrow(ax_dot, (0.15, 0.74), (0.34, 0.6))
    arrow(ax_dot, (0.15, 0.36), (0.34, 0.5))
    box(ax_dot, (0.7, 0.55), "$/\\sqrt{d_k}$", "#e3efd9")
    arrow(ax_dot, (0.5, 0.55), (0.6, 0.55))
    box(ax_dot, (0.92, 0.55), "$s$")
    arrow(ax_dot, (0.8, 0.55), (0.88, 0.55))
    ax_dot.text(0.5, 0.08, "all pairs at once: one n × n matmul", ha="center", fontsize=10)
    return fig
