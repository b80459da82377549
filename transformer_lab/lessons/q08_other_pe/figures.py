"""The figure of notebook 08's extrapolation experiment: loss against length, by position, and every seed's growth."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.colors import Normalize
from matplotlib.patches import Polygon

from ... import viz
from ...viz.figures import KEY_LABEL, QUERY_LABEL, as_array, new_figure
from .experiment import SCHEMES

__all__ = ['plot_extrapolation', 'DECAY_LINES', 'scheme_explorer_figure', 'update_scheme_explorer', 'plot_loss_by_length', 'plot_loss_by_position', 'plot_bias_by_distance']


def plot_extrapolation(result):
    """Left: cross-entropy against the evaluation length (thin: seeds, bold: their mean; dashed: the
    optimum). Middle: the excess over the optimum at each position of the longest sequences (mean of
    the seeds). Right: each seed's growth of the excess from the training length to the longest."""
    fig = viz.new_figure(13, 3.8)
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
                                positions=[i + (block - 1) / 2 for i in range(0, last, block)],
                                title=f"excess by position, {last}-token sequences (mean of seeds, blocks of {block})")
    viz.plot_seed_dots({s: result.growth(s) for s in SCHEMES}, ax=ax3, ylabel="excess growth (nats)",
                         colors={s: f"C{i}" for i, s in enumerate(SCHEMES)},
                         title=f"growth of the excess, {result.train_len} → {last} tokens, every seed")
    ax3.tick_params(axis="x", labelrotation=45)
    return fig


# label -> colour of the lines in the RoPE long-term-decay panel, in the order they are drawn
DECAY_LINES = {
    "q = k (aligned): Σ cos(rθᵢ)/P": "C0",
    "RoFormer's decaying bound (÷ its value at 0)": "C1",
    "independent random q, k: mean of 512 pairs": "C2",
    "one random pair q, k": "C7",
}


def _upper_triangle(T: int) -> Polygon:
    """A hatched staircase over the cells with key > query (what a causal mask hides)."""
    pts = [(0.5, -0.5), (T - 0.5, -0.5), (T - 0.5, T - 1.5)]
    for r in range(T - 2, -1, -1):  # the lower edge of row r's masked cells, right to left
        pts.append((r + 0.5, r + 0.5))
        if r > 0:
            pts.append((r + 0.5, r - 0.5))
    return Polygon(pts, closed=True, facecolor="lightgrey", edgecolor="grey", hatch="xx", lw=0.5, label="masked")


def scheme_explorer_figure(T: int, distances: Sequence[int], decay_ylim: tuple[float, float] = (-0.5, 1.75)):
    """Three panels with fixed limits: the positional score pattern, the softmax weights, RoPE's decay.

    Left: the scores position alone produces (each row minus its mean over the keys it sees,
    divided by the largest |value|, so every scheme fits the fixed colour scale [-1, 1]).
    Middle: the row softmax of the raw pattern (fixed scale [0, 1]). Masked cells (causal) are
    hatched. Right: RoPE's score against the distance r for aligned and random q, k.
    Returns ``(fig, artists)``; :func:`update_scheme_explorer` moves the artists.
    """
    fig = new_figure(10.5, 3.2, dpi=68)
    ax_s, ax_w, ax_d = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.25]})
    blank = np.zeros((T, T))
    edges = np.arange(T + 1) - 0.5  # cell (i, j) centred on (x=j, y=i); a mesh blits ~3x faster than imshow
    im_s = ax_s.pcolormesh(edges, edges, blank, cmap="RdBu_r", norm=Normalize(-1, 1))
    im_w = ax_w.pcolormesh(edges, edges, blank, cmap="viridis", norm=Normalize(0, 1))
    fig.colorbar(im_s, ax=ax_s, shrink=0.8, label="score ÷ max|score| (row-centred)")
    fig.colorbar(im_w, ax=ax_w, shrink=0.8, label="softmax weight")
    hatches = []
    for ax in (ax_s, ax_w):
        ax.set_xlim(-0.5, T - 0.5)
        ax.set_ylim(T - 0.5, -0.5)  # query 0 on top
        ax.set_aspect("equal")
        ax.set_xlabel(KEY_LABEL, fontsize=8)
        ax.set_ylabel(QUERY_LABEL, fontsize=8)
        ticks = list(range(0, T, max(1, T // 6)))
        ax.set_xticks(ticks, ticks, fontsize=7)
        ax.set_yticks(ticks, ticks, fontsize=7)
        ax.set_frame_on(False)  # the image is the frame: a spine under a blitted image would be painted over
        patch = _upper_triangle(T)
        ax.add_patch(patch)
        hatches.append(patch)
    title_s = ax_s.set_title(" ", fontsize=9)
    ax_w.set_title("softmax weights (hatched: masked)", fontsize=9)  # static: not redrawn
    lines = []
    for label, colour in DECAY_LINES.items():
        (line,) = ax_d.plot([], [], color=colour, lw=0.8 if "one random" in label else 1.4, label=label)
        lines.append(line)
    ax_d.axhline(0, color="grey", lw=0.6, zorder=1)  # under the lines, as the blitted picture has it
    ax_d.set_xlim(-0.02 * max(distances), 1.02 * max(distances))  # margins: no line touches the frame
    ax_d.set_ylim(*decay_ylim)  # the top band is left free for the legend, so no line crosses it
    ax_d.set_xlabel("relative distance r = n - m")
    ax_d.set_ylabel("RoPE score qᵀR_r k / Dh")
    ax_d.legend(fontsize=7, loc="upper right")
    ax_d.set_title("RoPE: score against distance r", fontsize=9)
    return fig, {
        "scores": im_s, "weights": im_w, "hatch_scores": hatches[0], "hatch_weights": hatches[1],
        "title_scores": title_s, "decay": lines,
    }


def update_scheme_explorer(artists, display, weights, causal: bool, title: str, distances,
                           decay: Mapping[str, object]) -> None:
    """Move the explorer's artists (no new artists, no change of limits or colour scales)."""
    artists["scores"].set_array(np.ma.masked_invalid(as_array(display)))
    artists["weights"].set_array(as_array(weights))
    artists["hatch_scores"].set_visible(causal)
    artists["hatch_weights"].set_visible(causal)
    artists["title_scores"].set_text(title)
    x = as_array(distances)
    for line, label in zip(artists["decay"], DECAY_LINES):
        line.set_data(x, as_array(decay[label]))


def plot_loss_by_length(lengths: Sequence[int], losses: Mapping[str, Sequence[float]], train_len: int,
                        optimal: Sequence[float] | None = None, ax=None, title: str | None = None, legend: bool = True,
                        seeds: Mapping[str, Sequence[Sequence[float]]] | None = None):
    """Cross-entropy of sequences of each length, one line per scheme (the ALiBi paper's Figure 1, in miniature).

    ``seeds[name]`` (optional): one curve per seed, drawn thin under the bold ``losses[name]`` (their mean).
    """
    ax = ax or new_figure(5.5, 3.6).add_subplot()
    for i, (name, ys) in enumerate(losses.items()):
        for curve in (seeds or {}).get(name, ()):
            ax.plot(lengths, as_array(curve), "-", color=f"C{i}", lw=0.6, alpha=0.45)
        ax.plot(lengths, ys, "o-", ms=3, lw=1.8, color=f"C{i}", label=name)
    if optimal is not None:
        ax.plot(lengths, optimal, "k--", lw=1, label="optimal (exact next-token law)")
    ax.axvline(train_len, color="grey", ls=":", lw=1)
    ax.text(train_len, ax.get_ylim()[1], " training length", va="top", fontsize=7, color="grey")
    ax.set_xlabel("evaluation length L (tokens)")
    ax.set_ylabel("cross-entropy (nats/token)")
    if title:
        ax.set_title(title, fontsize=9)
    if legend:
        ax.legend(fontsize=7, ncol=2)
    return ax


def plot_loss_by_position(curves: Mapping[str, Sequence[float]], train_len: int, optimal: Sequence[float] | None = None,
                          ax=None, title: str | None = None, ylabel: str = "cross-entropy (nats)",
                          positions: Sequence[float] | None = None):
    """Cross-entropy (or its excess over the optimal) at each position of long sequences.

    ``positions``: the x of each value (default 0, 1, 2, …), e.g. the centres of blocks of positions
    when each value is a block's mean. The dotted line marks the training length.
    """
    ax = ax or new_figure(5.5, 3.6).add_subplot()
    for i, (name, ys) in enumerate(curves.items()):
        ys = as_array(ys)
        x = np.arange(len(ys)) if positions is None else as_array(positions)
        ax.plot(x, ys, color=f"C{i}", lw=1.2, label=name)
    if optimal is not None:
        x = np.arange(len(optimal)) if positions is None else as_array(positions)
        ax.plot(x, as_array(optimal), "k--", lw=1, label="optimal")
    ax.axvline(train_len - 0.5, color="grey", ls=":", lw=1)
    ax.set_xlabel("position in the sequence")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, ncol=2)
    return ax


def plot_bias_by_distance(curves: Mapping[str, Sequence], train_len: int, ax=None, title: str | None = None):
    """A learned score bias against the distance ``i - j`` from a query to an earlier key.

    ``curves[label]`` is one curve, or a list of curves (one per seed: each drawn thin, their mean
    bold). The shaded region holds the distances a model trained on ``train_len`` tokens saw;
    whatever lies right of it was never trained.
    """
    ax = ax or new_figure(5.0, 3.2).add_subplot()
    for i, (name, ys) in enumerate(curves.items()):
        ys = np.stack([as_array(y) for y in ys]) if _is_curve_list(ys) else as_array(ys)[None]  # (seeds, R)
        x = np.arange(ys.shape[1])
        if len(ys) > 1:
            for y in ys:
                ax.plot(x, y, color=f"C{i}", lw=0.6, alpha=0.45)
        ax.plot(x, ys.mean(0), color=f"C{i}", lw=1.6, label=name)
    ax.axvspan(0, train_len - 1, color="grey", alpha=0.15, label="distances seen in training")
    ax.set_xlabel("distance i - j from the query back to the key")
    ax.set_ylabel("score bias")
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    return ax


def _is_curve_list(ys) -> bool:
    """A list or tuple of curves (each 1-D), as opposed to one curve."""
    return isinstance(ys, (list, tuple)) and len(ys) > 0 and np.ndim(as_array(ys[0])) == 1
