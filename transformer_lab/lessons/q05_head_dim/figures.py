"""The figures of notebook 05: the schematic (the split and what it costs), the low-rank fit of every
seed, the head-count sweep, and the explorer's figure."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from ... import viz
from ...viz.diagram import arrow
from ...viz.figures import MIN_FONT_SIZE, as_array, new_figure
from ..head_layouts import D_MODEL
from .analysis import one_key_kl_bound

__all__ = ["schematic", "plot_low_rank_fits", "plot_head_sweep_seeds"]

HEAD_COLOURS = ["#9ecae1", "#fdae6b", "#a1d99b", "#bcbddc"]


def _grid(ax, x, y, colours, cell=0.22, label=None, below=None):
    """A block of cells with its lower-left corner at (x, y), ``colours`` a (rows, cols) list of colours
    (one mesh: a patch per cell costs ~0.3 s to draw); ``label`` above, ``below`` under it."""
    rows, cols = len(colours), len(colours[0])
    palette = sorted({c for row in colours for c in row})
    index = np.array([[palette.index(c) for c in row] for row in colours[::-1]])  # bottom row first
    ax.pcolormesh(x + cell * np.arange(cols + 1), y + cell * np.arange(rows + 1), index,
                  cmap=ListedColormap(palette), vmin=-0.5, vmax=len(palette) - 0.5, edgecolors="white", linewidth=1)
    if label:
        ax.text(x + cols * cell / 2, y + rows * cell + 0.12, label, ha="center", va="bottom", fontsize=10.5)
    if below:
        ax.text(x + cols * cell / 2, y - 0.1, below, ha="center", va="top", fontsize=10)


def schematic() -> Figure:
    """Notebook 05 at a glance. Left: $d_{model}$ = 8 columns of $W_Q$ (and $W_K$, $W_V$) split into
    h = 4 heads of $d_k$ = 2: the matrices stay $d_{model} \\times d_{model}$ whatever h is. Middle: one
    head's scores $Q_h K_h^\\top$, an $(n \\times d_k)(d_k \\times n)$ product drawn to scale, so its
    rank is at most $d_k$. Right: what stays constant in h and what grows. No training: drawn by hand."""
    fig = new_figure(11.0, 4.0, dpi=80)
    fig.set_layout_engine("none")  # positions are given by hand, one unit = one inch
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 11)
    ax.set_ylim(0, 4.0)
    ax.set_axis_off()
    d_model, h, n = 8, 4, 6
    d_k = d_model // h
    c = 0.22  # one cell
    # left: W_Q (d_model × d_model), its columns split into h blocks of d_k
    x0, y0 = 0.5, 1.3
    _grid(ax, x0, y0, [[HEAD_COLOURS[j // d_k] for j in range(d_model)]] * d_model, c)
    for head in range(h):
        ax.text(x0 + (head + 0.5) * d_k * c, y0 + d_model * c + 0.08, f"h{head}", ha="center", va="bottom",
                fontsize=10)
    ax.text(x0 + d_model * c / 2, y0 + d_model * c + 0.45, "$W_Q$ ($W_K$, $W_V$ alike)", ha="center", va="bottom",
            fontsize=10.5)
    ax.text(x0 + d_model * c / 2, y0 - 0.12, f"$d_{{model}} \\times d_{{model}}$ = {d_model} × {d_model}\n"
            f"h = {h} blocks of $d_k = d_{{model}}/h$ = {d_k}", ha="center", va="top", fontsize=10)
    arrow(ax, (2.45, 2.2), (3.15, 2.2), color="0.35")
    ax.text(2.8, 2.3, "head 0:\n$Q_0 = X W_Q^{(0)}$", ha="center", va="bottom", fontsize=9.5)
    # middle: one head's Q_h (n × d_k) times K_hᵀ (d_k × n) gives the n × n scores, rank ≤ d_k
    xq, yq = 3.35, 1.2
    _grid(ax, xq, yq, [[HEAD_COLOURS[0]] * d_k] * n, c, label="$Q_h$", below="$n \\times d_k$")
    ax.text(xq + d_k * c + 0.18, yq + n * c / 2, "×", ha="center", va="center", fontsize=14)
    xk = xq + d_k * c + 0.38
    _grid(ax, xk, yq + (n - d_k) * c / 2, [[HEAD_COLOURS[0]] * n] * d_k, c, label="$K_h^\\top$",
          below="$d_k \\times n$")
    ax.text(xk + n * c + 0.2, yq + n * c / 2, "=", ha="center", va="center", fontsize=14)
    xs = xk + n * c + 0.42
    _grid(ax, xs, yq, [["#6baed6"] * n] * n, c, label="scores $S_h$", below="$n \\times n$, rank $\\leq d_k$")
    ax.text((xq + xs + n * c) / 2, 0.35, "every head's scores pass through $d_k$ dimensions:\n"
            "at most $d_k$ independent directions (the low-rank bottleneck)", ha="center", va="center", fontsize=10)
    # right: what the split costs
    xt = 7.75
    ax.text(xt, 3.55, "with $d_k = d_{model}/h$ ($d = d_{model}$):", ha="left", va="center", fontsize=10.5)
    lines = [("parameters", "$4\\,d_{model}^2$", "constant"),
             ("matmul FLOPs", "$8nd^2 + 4n^2d$", "constant"),
             ("attention weights", "$h\\,n^2$", "grows with h"),
             ("rank of each head", "$\\leq d_k = d/h$", "shrinks with h")]
    for i, (what, formula, trend) in enumerate(lines):
        y = 3.05 - 0.5 * i
        ax.text(xt, y, what, ha="left", va="center", fontsize=10)
        ax.text(xt + 1.55, y, formula, ha="left", va="center", fontsize=10)
        ax.text(xt + 1.55, y - 0.2, trend, ha="left", va="center", fontsize=9, color="C3" if "with" in trend else "0.3")
    ax.text(xt, 0.95, "full-width heads ($d_k = d_{model}$):\nparameters and FLOPs × h", ha="left", va="center",
            fontsize=10)
    ax.text(xt, 0.3, "then: h outputs of $n \\times d_k$, concatenated\nto $n \\times d_{model}$, mixed by $W_O$",
            ha="left", va="center", fontsize=10, color="0.3")
    return fig

FLOOR = 1e-6  # a KL that reached 0 is drawn here (log axis)


def plot_low_rank_fits(result):
    """KL(target ‖ best fit found) against d_k for both targets: thin lines are seeds, bold their
    mean; dashed: d_k = n - 1; dotted: the exact floor of d_k = 1 on a one-key pattern."""
    ax = viz.new_figure(8.4, 3.3).add_subplot()
    for i, (target, rows) in enumerate(result.kl.items()):
        kl = np.maximum(np.asarray(rows, dtype=float), FLOOR)  # (seeds, K)
        for row in kl:
            ax.plot(result.d_ks, row, color=f"C{i}", lw=0.7, alpha=0.5)
        ax.plot(result.d_ks, kl.mean(0), "o-", color=f"C{i}", lw=2, label=target)
    ax.axvline(result.n - 1, color="grey", ls="--", lw=1, label=f"d_k = n − 1 = {result.n - 1}")
    ax.axhline(one_key_kl_bound(result.n), color="C1", ls=":", lw=1, label="least KL of d_k = 1, one key per query")
    ax.set_yscale("log")
    ax.set_xticks(result.d_ks)
    ax.set_xlabel(f"head width d_k (n = {result.n} positions)")
    ax.set_ylabel("KL(target ‖ fitted pattern), nats")
    ax.set_title("best fit found by Adam; thin lines: seeds", fontsize=10)
    ax.legend(fontsize=MIN_FONT_SIZE, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax.figure


def plot_head_sweep_seeds(result):
    """Left: final accuracy and mean accuracy over training against h (bold: mean, dots: seeds).
    Right: the learning curves (thin: seeds, bold: mean)."""
    fig = viz.new_figure(9.6, 4.0)
    ax1, ax2 = fig.subplots(1, 2)
    hs = list(result.heads)
    metrics = {"final accuracy": [float(np.mean(result.final(h))) for h in hs],
               "mean accuracy over training": [float(np.mean(result.curve(h))) for h in hs]}
    per_seed = {"final accuracy": [result.final(h) for h in hs],
                "mean accuracy over training": [result.curve(h) for h in hs]}
    plot_head_sweep(hs, metrics, per_seed=per_seed, d_model=D_MODEL, ax=ax1)
    viz.plot_histories({f"h={h}, d_k={D_MODEL // h}": result.runs[h].histories for h in hs}, ax=ax2,
                         title="learning curves (thin: seeds)")
    ax2.set_ylim(0, 1.02)
    ax2.legend(fontsize=MIN_FONT_SIZE, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=len(hs), frameon=False)
    return fig


# --- the explorer's figure: cost against h and each head's score spectrum; the h sweep ---------------

SV_FLOOR = 1e-17  # normalised singular values are drawn no lower than this (float64 zero is ~1e-16)


def head_cost_figure(hs: Sequence[int], curves: Mapping[str, Sequence[float]], seq_len: int, max_heads: int):
    """Left: cost relative to one head against h (``curves[label]``, log-log, drawn once; a label
    holding "weights" is drawn as markers on the curve it coincides with), with a circle at the
    current layout. Right: each head's singular values of its score matrix, normalised by the
    largest, against their index 1..n (log scale, floor :data:`SV_FLOOR`), with a line at d_k.
    Legends sit under the axes, off the data. Returns ``(fig, artists)``."""
    n = seq_len
    fig = new_figure(10.0, 3.9, dpi=72)
    ax_cost, ax_sv = fig.subplots(1, 2)
    for i, (label, ys) in enumerate(curves.items()):
        if "weights" in label:  # the same numbers as full-width FLOPs (×h): markers, so both stay visible
            ax_cost.plot(hs, ys, "x", ms=9, mew=2, color="k", label=label, zorder=3)
        else:
            ax_cost.plot(hs, ys, "o-" if i == 0 else "s-", ms=5, lw=2, color=f"C{i}", label=label)
    ax_cost.set_xscale("log", base=2)
    ax_cost.set_yscale("log", base=2)
    ax_cost.set_xticks(list(hs), [str(h) for h in hs])
    top = max(max(ys) for ys in curves.values())
    ax_cost.set_ylim(0.5, top * 2)
    ys = [2.0**k for k in range(0, int(np.log2(top)) + 2)]
    ax_cost.set_yticks(ys, [f"×{y:g}" for y in ys])  # plain text: mathtext tick labels are slow to lay out
    ax_cost.minorticks_off()
    ax_cost.set_xlabel("number of heads h (d_model fixed)")
    ax_cost.set_ylabel("cost relative to h = 1")
    ax_cost.set_title("cost of one layer (red circle: the current layout)", fontsize=10)
    ax_cost.legend(fontsize=MIN_FONT_SIZE, loc="upper center", bbox_to_anchor=(0.5, -0.25), frameon=False)
    (marker,) = ax_cost.plot([], [], "o", ms=14, mfc="none", mec="red", mew=2)

    spectra = LineCollection([np.zeros((0, 2))] * max_heads, colors=[f"C{i % 10}" for i in range(max_heads)], lw=1.2)
    ax_sv.add_collection(spectra)
    ax_sv.set_yscale("log")
    ax_sv.set_ylim(SV_FLOOR / 3, 3.0)
    ticks = [10.0**k for k in range(-16, 1, 4)]
    ax_sv.set_yticks(ticks, [f"1e{k}" if k else "1" for k in range(-16, 1, 4)])
    ax_sv.minorticks_off()
    ax_sv.set_xlim(0.5, n + 0.5)
    ax_sv.axhspan(SV_FLOOR / 3, 1e-12, color="lightgrey", alpha=0.5, lw=0)
    ax_sv.text(n + 0.3, 1e-14, "numerically zero", ha="right", va="center", fontsize=MIN_FONT_SIZE, color="dimgrey")
    ax_sv.set_xlabel("singular value index i (of the n × n score matrix)")
    ax_sv.set_ylabel("σ_i / σ_1, one line per head")
    ax_sv.set_title("each head's score spectrum (dashed: d_k)", fontsize=10)
    (dk_line,) = ax_sv.plot([np.nan, np.nan], [SV_FLOOR / 3, 3.0], "k--", lw=1)
    return fig, {"marker": marker, "spectra": spectra, "dk_line": dk_line}


def update_head_cost(artists: Mapping[str, object], marker_xy: tuple[Sequence[float], Sequence[float]], spectra,
                     d_k: int) -> None:
    """Move the circle (``marker_xy = ([h], [cost ratio])``), the per-head spectra (``spectra (H, n)``
    normalised) and the d_k line."""
    artists["marker"].set_data(*marker_xy)
    sv = np.maximum(as_array(spectra), SV_FLOOR)  # (H, n)
    idx = np.arange(1, sv.shape[1] + 1)
    artists["spectra"].set_segments([np.column_stack([idx, row]) for row in sv])
    artists["dk_line"].set_xdata([d_k + 0.5, d_k + 0.5])


def plot_head_sweep(hs: Sequence[int], metrics: Mapping[str, Sequence[float]], per_seed=None, d_model=None, ax=None):
    """Accuracy against the number of heads at fixed d_model (log2 x axis, d_k under each tick);
    ``per_seed[label]`` (optional) adds each seed as a small dot."""
    ax = ax or new_figure(4.8, 3.3).add_subplot()
    for i, (label, ys) in enumerate(metrics.items()):
        ax.plot(hs, ys, "o-", color=f"C{i}", lw=2, label=label)
        if per_seed is not None and label in per_seed:
            for h, seeds in zip(hs, per_seed[label]):
                ax.plot([h] * len(seeds), seeds, ".", color=f"C{i}", alpha=0.5)
    ax.set_xscale("log", base=2)
    ticks = [f"{h}\n(d_k={d_model // h})" if d_model else str(h) for h in hs]
    ax.set_xticks(list(hs), ticks, fontsize=MIN_FONT_SIZE)
    ax.set_xlabel("number of heads h (d_model fixed)")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=MIN_FONT_SIZE, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=len(metrics), frameon=False)
    return ax
