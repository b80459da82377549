"""Notebook 08's figures: the extrapolation experiment (loss against length, by position, every seed's growth),
RoPE's decay, the learned biases against distance and the explorer's panels (the schematic is in
``diagram.py``). Each scheme keeps one look (:data:`SCHEME_STYLE`)."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Polygon

from ... import viz
from ...viz.figures import KEY_LABEL, MIN_FONT_SIZE, QUERY_LABEL, as_array, new_figure
from .experiment import SCHEMES

__all__ = ['SCHEME_STYLE', 'SCHEME_LABELS', 'plot_extrapolation', 'DECAY_LINES', 'plot_rope_decay', 'scheme_explorer_figure',
           'update_scheme_explorer', 'plot_loss_by_length', 'plot_loss_by_position', 'plot_bias_by_distance']

# One look per scheme, the same in every figure of notebook 08. The colour says the family (orange: added
# to the input, blue: rotates q and k, green: a bias on the scores, grey: none), in shades within a family;
# the line style and the marker tell the members of a family apart, so no two schemes look alike, even
# in grey. ALiBi, the one that extrapolates, is drawn thicker.
SCHEME_STYLE = {
    "normalized": dict(color="#fd8d3c", ls=":", marker="v"),
    "index": dict(color="#8c2d04", ls="-.", marker="s"),
    "learned": dict(color="#e6550d", ls="--", marker="^"),
    "sinusoidal": dict(color="#d94801", ls="-", marker="o"),
    "rope": dict(color="#2171b5", ls="-", marker="*"),
    "shaw": dict(color="#78c679", ls=":", marker="P"),
    "t5": dict(color="#1b9e77", ls="--", marker="D"),
    "alibi": dict(color="#006d2c", ls="-", marker="h", lw=2.8),
    "none": dict(color="#636363", ls="-", marker="x"),
}
# the legend's order and labels: grouped by family
SCHEME_LABELS = {
    "normalized": "normalized [0, 1] · input", "index": "raw index · input", "learned": "learned · input",
    "sinusoidal": "sinusoidal · input", "rope": "RoPE · rotates q, k", "shaw": "Shaw · bias", "t5": "T5 · bias",
    "alibi": "ALiBi · bias", "none": "none (NoPE)",
}


def _style(name: str, i: int) -> dict:
    """The look of scheme ``name`` (a scheme not in SCHEME_STYLE: the i-th default colour, solid)."""
    return SCHEME_STYLE.get(name, dict(color=f"C{i % 10}", ls="-", marker="o"))


def plot_extrapolation(result):
    """Left: cross-entropy against the evaluation length (thin: seeds, bold: their mean; dashed: the
    optimum). Middle: the excess over the optimum at each position of the longest sequences (mean of
    the seeds). Right: each seed's growth of the excess from the training length to the longest.
    One legend for the three panels, right of them, grouped by family; each scheme keeps its look
    (:data:`SCHEME_STYLE`: colour = family, line style and marker = the member)."""
    fig = viz.new_figure(14, 4.4)
    ax1, ax2, ax3 = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1.1, 1]})
    last = result.lengths[-1]
    plot_loss_by_length(result.lengths, {s: result.mean_ce(s) for s in SCHEMES}, result.train_len,
                        result.optimal, ax=ax1, legend=False, seeds=result.ce,
                        title=f"cross-entropy against length, {len(result.seeds)} seeds")
    block = 4  # one point per 4 positions: the mean of 4·(sequences) predictions, less noisy than one position
    mean_excess = {}
    for s in SCHEMES:
        by_pos = [sum(col) / len(col) for col in zip(*result.excess_by_position[s])]  # mean of the seeds
        mean_excess[s] = [sum(by_pos[i:i + block]) / block for i in range(0, last, block)]
    plot_loss_by_position(mean_excess, result.train_len, ax=ax2, ylabel="cross-entropy − optimal (nats)",
                          positions=[i + (block - 1) / 2 for i in range(0, last, block)], legend=False,
                          title=f"excess by position, {last} tokens (blocks of {block})")
    viz.plot_seed_dots({s: result.growth(s) for s in SCHEME_LABELS}, ax=ax3, ylabel="excess growth (nats)",
                       colors={s: SCHEME_STYLE[s]["color"] for s in SCHEMES},
                       title=f"growth of the excess, {result.train_len} → {last} tokens, every seed")
    ax3.tick_params(axis="x", labelrotation=45)
    handles = dict(zip(*reversed(ax1.get_legend_handles_labels())))  # label -> handle
    order = [*SCHEME_LABELS, "optimal (exact next-token law)"]
    fig.legend([handles[k] for k in order], [SCHEME_LABELS.get(k, "optimal") for k in order], loc="outside right upper",
               fontsize=10, frameon=False, title="scheme · family", title_fontsize=10)
    return fig


# the curves of :func:`.analysis.rope_decay_curves` -> (label, colour), in the order they are drawn
DECAY_LINES = {
    "aligned": ("q = k (aligned): Σ cos(rθᵢ)/P", "C0"),
    "bound": ("RoFormer's decaying bound (÷ its value at 0)", "C1"),
    "random_mean": ("independent random q, k: mean of 512 pairs", "C2"),
    "one_random": ("one random pair q, k", "C7"),
}


def _upper_triangle(T: int) -> Polygon:
    """A hatched staircase over the cells with key > query (what a causal mask hides)."""
    pts = [(0.5, -0.5), (T - 0.5, -0.5), (T - 0.5, T - 1.5)]
    for r in range(T - 2, -1, -1):  # the lower edge of row r's masked cells, right to left
        pts.append((r + 0.5, r + 0.5))
        if r > 0:
            pts.append((r + 0.5, r - 0.5))
    return Polygon(pts, closed=True, facecolor="lightgrey", edgecolor="grey", hatch="xx", lw=0.5, label="masked")


def plot_rope_decay(curves: Mapping[str, Sequence[float]], ax=None, title: str | None = None):
    """RoPE's score against the distance r = 0, 1, … (``curves`` from :func:`.analysis.rope_decay_curves`;
    labels and colours from :data:`DECAY_LINES`): aligned q = k decays (RoFormer's "long-term decay"),
    independent random q, k average zero at every r (Barbero et al. 2024). The legend sits right of the axes."""
    ax = ax or new_figure(8.5, 3.4).add_subplot()
    for key, (label, colour) in DECAY_LINES.items():
        if key in curves:
            y = as_array(curves[key])
            ax.plot(np.arange(len(y)), y, color=colour, lw=0.8 if key == "one_random" else 1.6, label=label)
    ax.axhline(0, color="grey", lw=0.6, zorder=1)
    ax.set_xlabel("relative distance r = n − m")
    ax.set_ylabel("RoPE score qᵀR_r k / Dh")
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=MIN_FONT_SIZE, loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


def scheme_explorer_figure(T: int, ylim: tuple[float, float] = (-2.1, 2.1)):
    """Three panels with fixed limits, all about the chosen scheme and head.

    Left: the scores that position alone produces (each row minus its mean over the keys it sees,
    divided by the largest |value|, so every scheme fits the fixed colour scale [-1, 1]).
    Middle: the row softmax of the raw pattern (fixed scale [0, 1]). Masked cells (causal) are
    hatched. Right: the same scores against the distance r = i − j back to the key, one line per
    query i, coloured by i: a scheme that sees only the offset draws one line (all queries agree);
    an absolute one draws a fan.
    Returns ``(fig, artists)``; :func:`update_scheme_explorer` moves the artists.
    """
    fig = new_figure(10.5, 3.5, dpi=64)
    ax_s, ax_w, ax_d = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.2]})
    blank = np.zeros((T, T))
    edges = np.arange(T + 1) - 0.5  # cell (i, j) centred on (x=j, y=i); a mesh blits ~3x faster than imshow
    im_s = ax_s.pcolormesh(edges, edges, blank, cmap="RdBu_r", norm=Normalize(-1, 1))
    im_w = ax_w.pcolormesh(edges, edges, blank, cmap="viridis", norm=Normalize(0, 1))
    fig.colorbar(im_s, ax=ax_s, shrink=0.8, label="score ÷ max|score|")
    fig.colorbar(im_w, ax=ax_w, shrink=0.8, label="softmax weight")
    hatches = []
    for ax in (ax_s, ax_w):
        ax.set_xlim(-0.5, T - 0.5)
        ax.set_ylim(T - 0.5, -0.5)  # query 0 on top
        ax.set_aspect("equal")
        ax.set_xlabel(KEY_LABEL)
        ax.set_ylabel(QUERY_LABEL)
        ticks = list(range(0, T, max(1, math.ceil(T / 5))))
        ax.set_xticks(ticks, ticks, fontsize=MIN_FONT_SIZE)
        ax.set_yticks(ticks, ticks, fontsize=MIN_FONT_SIZE)
        ax.set_frame_on(False)  # the image is the frame: a spine under a blitted image would be painted over
        patch = _upper_triangle(T)
        ax.add_patch(patch)
        hatches.append(patch)
    title_s = ax_s.set_title(" ", fontsize=10)
    ax_w.set_title("softmax (hatched: masked)", fontsize=10)  # static: not redrawn
    queries = LineCollection([np.zeros((1, 2))] * T, cmap="viridis", norm=Normalize(0, T - 1), lw=1.3)
    queries.set_array(np.arange(T))
    ax_d.add_collection(queries)
    ax_d.axhline(0, color="grey", lw=0.6, zorder=1)
    ax_d.set_xlim(-0.5, T - 0.5)
    ax_d.set_ylim(*ylim)
    ax_d.set_xlabel("distance r = i − j back to the key")
    ax_d.set_ylabel("score(i, i−r) − score(i, i), ÷ max")
    ax_d.set_title("against distance: one line per query i", fontsize=10)
    fig.colorbar(queries, ax=ax_d, shrink=0.8, label="query position i")
    return fig, {"scores": im_s, "weights": im_w, "hatch_scores": hatches[0], "hatch_weights": hatches[1],
                 "title_scores": title_s, "by_distance": queries}


def update_scheme_explorer(artists, display, weights, causal: bool, title: str, by_distance: Sequence) -> None:
    """Move the explorer's artists (no new artists, no change of limits or colour scales).
    ``by_distance[i]``: query i's scores at distances 0 … i (the right panel)."""
    artists["scores"].set_array(np.ma.masked_invalid(as_array(display)))
    artists["weights"].set_array(as_array(weights))
    artists["hatch_scores"].set_visible(causal)
    artists["hatch_weights"].set_visible(causal)
    artists["title_scores"].set_text(title)
    artists["by_distance"].set_segments([np.column_stack([np.arange(len(y)), as_array(y)]) for y in by_distance])


def plot_loss_by_length(lengths: Sequence[int], losses: Mapping[str, Sequence[float]], train_len: int,
                        optimal: Sequence[float] | None = None, ax=None, title: str | None = None, legend: bool = True,
                        seeds: Mapping[str, Sequence[Sequence[float]]] | None = None):
    """Cross-entropy of sequences of each length, one line per scheme (the ALiBi paper's Figure 1, in miniature).

    ``seeds[name]`` (optional): one curve per seed, drawn thin under the bold ``losses[name]`` (their mean).
    Each scheme keeps its look (:data:`SCHEME_STYLE`); the legend, if asked, sits right of the axes.
    """
    ax = ax or new_figure(7.0, 3.6).add_subplot()
    for i, (name, ys) in enumerate(losses.items()):
        style = _style(name, i)
        for curve in (seeds or {}).get(name, ()):
            ax.plot(lengths, as_array(curve), ls=style["ls"], color=style["color"], lw=0.6, alpha=0.45)
        ax.plot(lengths, ys, ls=style["ls"], marker=style["marker"], ms=5, lw=style.get("lw", 1.8),
                color=style["color"], label=name)
    if optimal is not None:
        ax.plot(lengths, optimal, "k--", lw=1, label="optimal (exact next-token law)")
    ax.axvline(train_len, color="grey", ls=":", lw=1)
    ax.text(train_len, 1.0, " training length", va="top", fontsize=MIN_FONT_SIZE, color="grey",
            transform=ax.get_xaxis_transform())
    ax.set_xlabel("evaluation length L (tokens)")
    ax.set_ylabel("cross-entropy (nats/token)")
    if title:
        ax.set_title(title, fontsize=10)
    if legend:
        ax.legend(fontsize=MIN_FONT_SIZE, loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


def plot_loss_by_position(curves: Mapping[str, Sequence[float]], train_len: int, optimal: Sequence[float] | None = None,
                          ax=None, title: str | None = None, ylabel: str = "cross-entropy (nats)",
                          positions: Sequence[float] | None = None, legend: bool = True):
    """Cross-entropy (or its excess over the optimal) at each position of long sequences.

    ``positions``: the x of each value (default 0, 1, 2, …), e.g. the centres of blocks of positions
    when each value is a block's mean. The dotted line marks the training length. The legend, if asked,
    sits right of the axes.
    """
    ax = ax or new_figure(7.0, 3.6).add_subplot()
    for i, (name, ys) in enumerate(curves.items()):
        ys = as_array(ys)
        x = np.arange(len(ys)) if positions is None else as_array(positions)
        style = _style(name, i)
        ax.plot(x, ys, color=style["color"], ls=style["ls"], lw=style.get("lw", 1.4) * 0.8, label=name)
    if optimal is not None:
        x = np.arange(len(optimal)) if positions is None else as_array(positions)
        ax.plot(x, as_array(optimal), "k--", lw=1, label="optimal")
    ax.axvline(train_len - 0.5, color="grey", ls=":", lw=1)
    ax.set_xlabel("position in the sequence")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    if legend:
        ax.legend(fontsize=MIN_FONT_SIZE, loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


def plot_bias_by_distance(curves: Mapping[str, Sequence], train_len: int, ax=None, title: str | None = None):
    """A learned score bias against the distance ``i - j`` from a query to an earlier key.

    ``curves[label]`` is one curve, or a list of curves (one per seed: each drawn thin, their mean
    bold). The shaded region holds the distances a model trained on ``train_len`` tokens saw;
    whatever lies right of it was never trained. The legend sits right of the axes.
    """
    ax = ax or new_figure(7.5, 3.4).add_subplot()
    for i, (name, ys) in enumerate(curves.items()):
        ys = np.stack([as_array(y) for y in ys]) if _is_curve_list(ys) else as_array(ys)[None]  # (seeds, R)
        x = np.arange(ys.shape[1])
        style = _style(name.split(",")[0].split(" ")[0].lower(), i)
        if len(ys) > 1:
            for y in ys:
                ax.plot(x, y, color=style["color"], ls=style["ls"], lw=0.7, alpha=0.5)
        ax.plot(x, ys.mean(0), color=style["color"], ls=style["ls"], lw=1.8, label=name)
    ax.axvspan(0, train_len - 1, color="grey", alpha=0.15, label="distances seen in training")
    ax.set_xlabel("distance i − j from the query back to the key")
    ax.set_ylabel("score bias")
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=MIN_FONT_SIZE, loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax


def _is_curve_list(ys) -> bool:
    """A list or tuple of curves (each 1-D), as opposed to one curve."""
    return isinstance(ys, (list, tuple)) and len(ys) > 0 and np.ndim(as_array(ys[0])) == 1
