"""The figures of notebook 02's training experiments: every seed's curve and final accuracy, and
where the trained heads attend."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import torch
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from ... import viz
from ...viz.diagram import arrow, blank, box
from ...viz.figures import KEY_LABEL, MIN_FONT_SIZE, QUERY_LABEL, as_array, new_figure

__all__ = ['plot_cyclic', 'plot_partner', 'qk_explorer_figure', 'update_qk_explorer', 'schematic']

_BELOW = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.2), "ncols": 3, "fontsize": MIN_FONT_SIZE,
          "frameon": False}  # a legend under the axes, off the data


def _curves_and_dots(result, ax_curves, ax_dots, title: str, chance: float):
    variants = list(result.runs)
    viz.plot_histories({v: result.runs[v].histories for v in variants}, ax=ax_curves, title=title)
    ax_curves.set_ylim(0, 1.02)
    ax_curves.xaxis.set_major_locator(MaxNLocator(integer=True))  # training steps are whole numbers
    ax_curves.legend(**_BELOW)
    viz.plot_seed_dots({v.replace(" + ", "\n+ "): result.final(v) for v in variants}, ax=ax_dots, chance=chance,
                         title="final accuracy, every seed")
    ax_dots.set_ylim(0, 1.02)


def _ceiling(ax, ceiling: float) -> None:
    ax.axhline(ceiling, color="grey", ls="--", lw=1)
    ax.text(0.01, ceiling + 0.015, "symmetric ceiling", fontsize=MIN_FONT_SIZE, color="grey",
            transform=ax.get_yaxis_transform())


def plot_cyclic(result):
    """Top: held-out accuracy during training (thin: seeds, bold: mean) and every seed's final
    accuracy, with the symmetric ceiling. Bottom: each variant's attention weights between keys,
    averaged over the held-out sequences and the seeds (the cycle 0 → 1 → 2 → 3 → 0 is the band
    right of the diagonal, wrapping at the corner)."""
    fig = viz.new_figure(11, 6.4)
    grid = fig.add_gridspec(2, 6, height_ratios=[1, 1])
    ax_c, ax_d = fig.add_subplot(grid[0, :3]), fig.add_subplot(grid[0, 3:])
    _curves_and_dots(result, ax_c, ax_d, "cyclic successor (a → b, nothing points back)", chance=1 / 8)
    for ax in (ax_c, ax_d):
        _ceiling(ax, result.ceiling)
    K = next(iter(result.attention.values()))[0]["by_key"].shape[0]
    names = [f"key {i}" for i in range(K)]
    for i, (variant, per_seed) in enumerate(result.attention.items()):
        ax = fig.add_subplot(grid[1, 2 * i:2 * i + 2])
        by_key = torch.stack([d["by_key"] for d in per_seed]).mean(0)  # (K, K): query key -> attended key
        masked = torch.eye(K, dtype=torch.bool) if variant == "tied + self-mask" else None
        last = i == len(result.attention) - 1
        viz.plot_heatmap(by_key, ax, row_labels=names, col_labels=names, masked=masked, vmin=0, vmax=1,
                           title=f"{variant}: mean weights, {len(per_seed)} seeds", colorbar=last)  # one scale for all
        ax.set_ylabel("query item, by its key" if i == 0 else "")
        ax.set_xlabel("attended item, by its key")
    return fig


def plot_partner(result):
    """Held-out accuracy during training (thin: seeds, bold: mean) and every seed's final accuracy."""
    fig = viz.new_figure(9, 3.2)
    ax_c, ax_d = fig.subplots(1, 2)
    _curves_and_dots(result, ax_c, ax_d, "partner (a ↔ b, symmetric)", chance=1 / 8)
    return fig


def qk_explorer_figure(T: int):
    """Three panels for ``T`` tokens: the scores ``S / max|S|`` (rows = queries, columns = keys) with
    each row's top key circled; the attention weights after the row softmax, each row's top key
    circled, masked cells grey and crossed out; the eigenvalues of ``(S + Sᵀ)/2`` divided by the largest ``|λ|``.

    Every axis limit and colour scale is fixed (scores in [-1, 1], weights in [0, 1], eigenvalues
    in [-1.1, 1.1]), so only the data artists move. Returns ``(fig, artists)``;
    :func:`update_qk_explorer` moves the artists in place.
    """
    if isinstance(T, bool) or not isinstance(T, int) or T < 2:
        raise ValueError(f"T must be an int >= 2 (tokens), got {T!r}")
    fig = new_figure(10.2, 3.3, dpi=72)
    ax_s, ax_w, ax_e = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 0.9]})
    zeros = np.zeros((T, T))
    edges = np.arange(T + 1) - 0.5  # cell (i, j) centred on (x=j, y=i), as imshow places it
    # QuadMesh heatmaps: a mesh of a few hundred cells blits ~3x faster than an imshow image
    im_s = ax_s.pcolormesh(edges, edges, zeros, cmap="RdBu_r", norm=Normalize(-1, 1))
    im_w = ax_w.pcolormesh(edges, edges, zeros, cmap="viridis", norm=Normalize(0, 1))
    fig.colorbar(im_s, ax=ax_s, shrink=0.8)
    fig.colorbar(im_w, ax=ax_w, shrink=0.8)
    (top,) = ax_s.plot([], [], "o", ms=9, mfc="none", mec="black", mew=1.5, label="row's top score")
    (top_w,) = ax_w.plot([], [], "o", ms=9, mfc="none", mec="red", mew=1.5, label="row's top weight")
    # Masked cells (the diagonal, when attention to self is masked): a grey square crossed out. Two
    # marker lines rather than hatched patches: hatching costs ~10 ms per frame, markers almost nothing.
    cell = 150 / T  # marker size in points: about one cell of the 10-by-10 default
    diag = np.arange(T)
    (masked_bg,) = ax_w.plot(diag, diag, "s", ms=cell, mfc="lightgrey", mec="grey", mew=0.5, visible=False)
    (masked_x,) = ax_w.plot(diag, diag, "x", ms=0.7 * cell, mec="grey", mew=1.0, visible=False)
    for ax in (ax_s, ax_w):
        ax.set_xlim(-0.5, T - 0.5)
        ax.set_ylim(T - 0.5, -0.5)  # query 0 on top, as imshow draws it
        ax.set_aspect("equal")
        ax.set_xticks(range(T))
        ax.set_yticks(range(T))
        ax.tick_params(labelsize=MIN_FONT_SIZE)
        ax.set_xlabel(KEY_LABEL, fontsize=MIN_FONT_SIZE)
        ax.set_ylabel(QUERY_LABEL, fontsize=MIN_FONT_SIZE)
    ax_s.set_title("scores S / max|S|", fontsize=10)
    ax_w.set_title("weights A = softmax(S) by row", fontsize=10)
    masked_key = Line2D([], [], marker="s", ls="", ms=10, mfc="lightgrey", mec="grey", label="masked (self)")
    fig.legend(handles=[top, top_w, masked_key],
               loc="outside upper center", ncols=3, fontsize=MIN_FONT_SIZE, frameon=False)
    bars = ax_e.vlines(np.arange(T), 0, np.zeros(T), colors="C0", lw=9)  # one artist for T bars
    zero = ax_e.axhline(0, color="black", lw=0.8)
    ax_e.set_ylim(-1.1, 1.1)
    ax_e.set_xlim(-0.6, T - 0.4)
    ax_e.set_xticks(range(T))
    ax_e.tick_params(labelsize=MIN_FONT_SIZE)
    ax_e.set_xlabel("eigenvalue index (largest first)", fontsize=MIN_FONT_SIZE)
    ax_e.set_ylabel("λ / max|λ|", fontsize=MIN_FONT_SIZE)
    ax_e.set_title("eigenvalues of (S + Sᵀ)/2", fontsize=10)
    # In drawing order (the blitting renderer draws them in this order over the background); the
    # heatmaps' spines and the zero line go last, as in a full draw, so the moving images do not hide them.
    overlay = [zero, *ax_s.spines.values(), *ax_w.spines.values()]
    return fig, {"scores": im_s, "weights": im_w, "masked": [masked_bg, masked_x], "top": top, "top_w": top_w,
                 "bars": bars, "overlay": overlay}


def update_qk_explorer(artists: Mapping[str, object], scores, weights, eigenvalues, masked_self: bool) -> None:
    """Move the explorer's artists to a new state (no new artists, no change of limits)."""
    s = as_array(scores)
    w = as_array(weights)
    lam = as_array(eigenvalues)
    peak = float(np.abs(s).max()) or 1.0
    artists["scores"].set_array(s / peak)
    artists["weights"].set_array(w)
    T = s.shape[0]
    rows = np.arange(T)
    artists["top"].set_data(s.argmax(axis=1), rows)  # x = key (column), y = query (row)
    artists["top_w"].set_data(w.argmax(axis=1), rows)
    for marker in artists["masked"]:
        marker.set_visible(bool(masked_self))
    heights = lam / (float(np.abs(lam).max()) or 1.0)  # (T,)
    artists["bars"].set_segments([[(i, 0.0), (i, h)] for i, h in enumerate(heights)])
    artists["bars"].set_colors(["C3" if h < -1e-4 else "C0" for h in heights])  # red: negative, not PSD


# --- the schematic: tied against untied projections ------------------------------------------------

def _projections(ax, title: str, w_q: str, w_k: str, colors: tuple[str, str], k_name: str, result: str) -> None:
    """Two tokens x_i, x_j, each through its projection box, into one score."""
    blank(ax)
    ax.set_title(title, fontsize=11)
    for y, x_name, w, color, out in ((0.75, "$x_i$", w_q, colors[0], "$q_i$"), (0.35, "$x_j$", w_k, colors[1], k_name)):
        box(ax, (0.08, y), x_name, "white")
        arrow(ax, (0.15, y), (0.29, y))
        box(ax, (0.39, y), w, color)
        arrow(ax, (0.5, y), (0.6, y))
        box(ax, (0.72, y), out, "white")
    arrow(ax, (0.8, 0.7), (0.88, 0.6))
    arrow(ax, (0.8, 0.4), (0.88, 0.5))
    ax.text(0.94, 0.55, "$s_{ij}$", ha="center", va="center", fontsize=12)
    ax.text(0.5, 0.08, result, ha="center", va="center", fontsize=11)


def schematic() -> Figure:
    """Notebook 02 at a glance: separate projections W_Q, W_K against one shared W (left), and
    the score matrices each can hold for the cycle 0 → 1 → 2 → 3 → 0 (right): untied puts the
    score on each successor only; tied must be symmetric, so the best it can do, (S + Sᵀ)/2, scores
    the predecessor as high as the successor. No training: drawn from the formulas."""
    fig = new_figure(11.5, 3.2, dpi=80)
    fig.set_layout_engine("none")  # fixed margins: one drawing pass, no text measured twice
    grid = fig.add_gridspec(1, 4, width_ratios=[1.15, 1.15, 1, 1], left=0.01, right=0.99, bottom=0.2, top=0.88,
                            wspace=0.3)
    untied, tied = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])
    _projections(untied, "untied: two matrices", "$W_Q$", "$W_K$", ("#cfe3f3", "#f6d5c3"), "$k_j$",
                 r"$s_{ij} = q_i\cdot k_j/\sqrt{d_k} \neq s_{ji}$")
    _projections(tied, "tied: one matrix $W = W_Q = W_K$", "$W$", "$W$", ("#cfe3f3", "#cfe3f3"), "$k_j = q_j$",
                 r"$s_{ij} = q_i\cdot q_j/\sqrt{d_k} = s_{ji}$")
    K = 4
    cycle = np.zeros((K, K))
    cycle[np.arange(K), (np.arange(K) + 1) % K] = 1.0  # row i scores key i + 1: the successor
    names = [str(i) for i in range(K)]
    for col, (m, title) in enumerate(((cycle, "untied can hold: successor only"),
                                      ((cycle + cycle.T) / 2, "tied must be symmetric"))):
        ax = fig.add_subplot(grid[0, 2 + col])
        viz.plot_heatmap(m, ax, cmap="Blues", vmin=0, vmax=1, row_labels=names, col_labels=names, title=title)
    return fig
