"""The figures of notebook 01's experiment: every seed's learning curve and final accuracy, and what
removing each head costs in every seed."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ... import viz
from ...viz.diagram import arrow, box
from ...viz.figures import KEY_LABEL, MIN_FONT_SIZE, QUERY_LABEL, as_array, new_figure
from .experiment import TASK, label

__all__ = ["schematic", "plot_head_count_training", "plot_head_maps", "plot_head_ablation"]


# --- the schematic: h heads side by side, concatenated, mixed by W_O ----------------------------------

def _patterns(n: int = 5) -> list[tuple[str, np.ndarray]]:
    """Four illustrative attention patterns (rows = queries, columns = keys), one per head."""
    eye = np.eye(n)
    one_back = np.roll(eye, -1, axis=1)  # row i reads key i - 1
    one_back[0] = eye[0]
    content = np.zeros((n, n))
    content[np.arange(n), [2, 0, 4, 2, 1]] = 1.0  # each query finds a key by content
    first = np.zeros((n, n))
    first[:, 0] = 1.0
    blend = np.full((n, n), 1.0 / n)  # an even spread: one average of everything
    return [("one back", 0.1 + 0.9 * one_back), ("by content", 0.1 + 0.9 * content),
            ("first token", 0.1 + 0.9 * first), ("spread out", blend)]


def schematic() -> Figure:
    """Notebook 01 at a glance: x is projected by each head's own $W_Q^i, W_K^i, W_V^i$ into a
    $d_k = d_{model}/h$ subspace; each head computes its own softmax, so its own attention pattern
    (illustrative patterns, not trained ones); the h outputs are concatenated back to $d_{model}$
    and mixed by $W_O$. The same parameters as one full-width head. No training: drawn by hand."""
    fig = new_figure(11.0, 4.0, dpi=80)
    fig.set_layout_engine("none")  # positions are given by hand, one unit = one inch
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ys = [3.15, 2.4, 1.65, 0.9]
    mid = 2.05
    box(ax, (0.65, mid), "x\n$T \\times d_{model}$", "#e8e8e8", size=10, wh=(0.95, 0.9))
    for i, (y, (name, pattern)) in enumerate(zip(ys, _patterns())):
        arrow(ax, (1.15, mid), (1.75, y))
        box(ax, (2.75, y), f"$W_Q^{i},\\ W_K^{i},\\ W_V^{i}$", "#cfe3f3", size=10.5, wh=(1.9, 0.5))
        arrow(ax, (3.72, y), (4.05, y))
        box(ax, (4.85, y), f"head {i}: softmax", "#fde9c9", size=10.5, wh=(1.5, 0.5))
        ax.imshow(pattern, cmap="Blues", vmin=0, vmax=1, extent=(5.75, 6.25, y - 0.25, y + 0.25), aspect="auto")
        ax.add_patch(Rectangle((5.75, y - 0.25), 0.5, 0.5, fill=False, edgecolor="0.35", lw=1))
        ax.text(6.35, y, name, ha="left", va="center", fontsize=10, color="0.25")
        arrow(ax, (7.45, y), (8.1, mid + (y - mid) * 0.45))
    ax.text(2.75, 3.7, "its own projections into\n$d_k = d_{model}/h$ dimensions", ha="center", va="center",
            fontsize=10)
    ax.text(5.7, 3.7, "its own attention pattern\n(rows: queries, columns: keys)", ha="center", va="center",
            fontsize=10)
    box(ax, (8.75, mid), "concat\n$T \\times h\\,d_k$\n$= T \\times d_{model}$", "#e3f1dd", size=10,
        wh=(1.25, 2.0))
    arrow(ax, (9.4, mid), (9.65, mid))
    box(ax, (10.3, mid), "$W_O$\n$d_{model} \\times d_{model}$", "#cfe3f3", size=9.5, wh=(1.2, 0.8))
    ax.text(5.5, 0.3, "h heads of width $d_k = d_{model}/h$: $W_Q, W_K, W_V, W_O$ stay $d_{model} \\times d_{model}$,"
            " the parameters and FLOPs of one full-width head.\nOne head has one softmax per query: one weighted"
            " average of the values.", ha="center", va="center", fontsize=10)
    ax.set_xlim(0, 11)  # after the images, which would set limits of their own
    ax.set_ylim(0, 4.0)
    return fig


def plot_head_count_training(result):
    """Left: held-out accuracy during training (thin: seeds, bold: mean). Right: every seed's final accuracy."""
    fig = viz.new_figure(9.6, 3.6)
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.3, 1]})
    viz.plot_histories({label(h): result.runs[h].histories for h in result.heads}, ax=ax1,
                         title="d_model = 16, same parameters; thin lines: seeds")
    ax1.set_ylim(0, 1.02)
    ax1.legend(fontsize=MIN_FONT_SIZE, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=len(result.heads),
               frameon=False)  # under the axes: a fast seed's curve can pass anywhere inside
    viz.plot_seed_dots({label(h): result.final(h) for h in result.heads}, ax=ax2, chance=1 / TASK.n_out,
                         title="final accuracy, every seed")
    ax2.set_ylim(0, 1.02)
    return fig


def plot_head_maps(result, tokens, seed_index: int = 0):
    """Every head's attention map of the largest model (one seed) on one input ``tokens (T,)``:
    rows = queries, columns = keys, labelled with the tokens; the scored query is the last row."""
    h = max(result.heads)
    model = result.runs[h].models[seed_index]
    with torch.no_grad():
        _, cache = model(tokens[None], return_cache=True)
    weights = cache["blocks.0.attn.weights"][0]  # (H, T, S)
    labels = TASK.token_labels(tokens)
    ncols = min(h, 4)
    fig = viz.plot_heatmaps({f"head {i}": weights[i] for i in range(h)}, ncols=ncols, row_labels=labels,
                              col_labels=labels, vmin=0, vmax=1, colorbar=False)
    for i, ax in enumerate(fig.axes[:h]):  # labels on the outer panels only: the same tokens everywhere
        if i % ncols:
            ax.set_ylabel("")
            ax.tick_params(labelleft=False)
        if i < h - ncols:
            ax.set_xlabel("")
            ax.tick_params(labelbottom=False)
    fig.colorbar(fig.axes[0].images[0], ax=fig.axes[:h], shrink=0.8, label="attention weight")
    return fig


def plot_head_ablation(result):
    """For each multi-head model: the accuracy lost when one head is removed, heads sorted from the
    cheapest to the costliest, one line per seed (bold: the mean over seeds)."""
    models = list(result.drops)
    fig = viz.new_figure(5.8 * len(models) + 0.4, 3.0)
    axes = fig.subplots(1, len(models), squeeze=False)[0]
    for ax, h in zip(axes, models):
        drops = np.sort(np.asarray(result.drops[h], dtype=float), axis=1)  # (seeds, H), cheapest first
        rank = np.arange(1, h + 1)
        for row in drops:
            ax.plot(rank, row, "o-", color="C1", lw=0.8, ms=3, alpha=0.5)
        ax.plot(rank, drops.mean(0), "o-", color="C1", lw=2.2, ms=4, label="mean over seeds")
        ax.axhline(0.15, color="grey", ls=":", lw=1)
        ax.set_xticks(rank)
        ax.set_ylim(-0.05, 1.0)
        ax.set_xlabel("head removed, sorted from cheapest to costliest")
        ax.set_ylabel("accuracy lost")
        ax.set_title(f"{label(h)}: remove one head at a time", fontsize=10)
        ax.plot([], [], "o-", color="C1", lw=0.8, ms=3, alpha=0.5, label="each seed")
        ax.plot([], [], color="grey", ls=":", lw=1, label="0.15: 'little cost'")
        ax.legend(fontsize=MIN_FONT_SIZE, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


# --- the explorer's figure: one head's attention map and what removing each head costs -------------

def head_pattern_figure(seq_len: int, max_heads: int, chance: float | None = None):
    """Left: one head's attention map ``(T, T)`` (rows = queries, columns = keys); the scored query
    row is outlined and the two keys it must read are marked. Right: accuracy with each head
    removed, against the intact model: one bar per head of the model shown (``max_heads`` bars are
    made; :func:`update_head_pattern` spreads the model's H over the axis and hides the rest, so a
    one-head model shows one bar, not one bar and seven empty slots). A title says which model,
    head, layer and input are shown. Returns ``(fig, artists)``; limits and colour scale (weights
    in [0, 1]) are fixed, so :func:`update_head_pattern` only moves artists. The tick labels (the
    input's tokens) are static: set them with :func:`set_token_labels`, then re-render the
    background (:class:`KeyedBlitRenderer` keeps one background per input; ``fig.axes[0].xaxis``
    and ``.yaxis`` are the part that changes).
    """
    T = seq_len
    fig = new_figure(10.5, 3.9, dpi=72)
    ax_map, ax_bar = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})
    title = fig.suptitle("8 heads · head 0 · layer 0 · input 0", fontsize=11)  # set by update_head_pattern
    edges = np.arange(T + 1) - 0.5  # cell (i, j) centred on (x=j, y=i); a mesh blits ~3x faster than imshow
    image = ax_map.pcolormesh(edges, edges, np.zeros((T, T)), cmap="viridis", vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax_map, shrink=0.85, label="attention weight")
    ax_map.set_xticks(range(T), [f"{j}\n" for j in range(T)], fontsize=MIN_FONT_SIZE)
    ax_map.set_yticks(range(T), [f"{i}: " for i in range(T)], fontsize=MIN_FONT_SIZE)
    ax_map.set_xlabel(KEY_LABEL)
    ax_map.set_ylabel(QUERY_LABEL)
    ax_map.set_xlim(-0.5, T - 0.5)
    ax_map.set_ylim(T - 0.5, -0.5)
    ax_map.set_aspect("equal")
    outline = ax_map.add_patch(Rectangle((-0.5, T - 1.5), T, 1, fill=False, edgecolor="white", lw=1.5, ls="--"))
    (found,) = ax_map.plot([], [], "o", ms=15, mfc="none", mec="red", mew=2, label="key found by content")
    (previous,) = ax_map.plot([], [], "s", ms=15, mfc="none", mec="orange", mew=2, label="key one back")
    ax_map.legend(handles=[found, previous], fontsize=MIN_FONT_SIZE, loc="lower left", bbox_to_anchor=(0.0, 1.0),
                  ncol=2, frameon=False)

    bars = ax_bar.bar(range(max_heads), np.zeros(max_heads), color="C0")
    names = [ax_bar.text(i, -0.02, f"h{i}", transform=ax_bar.get_xaxis_transform(), ha="center", va="top",
                         fontsize=MIN_FONT_SIZE) for i in range(max_heads)]  # under each bar, moved with it
    ax_bar.set_xticks([])
    ax_bar.set_xlim(-0.5, max_heads - 0.5)
    ax_bar.set_ylim(0, 1.05)
    ax_bar.set_xlabel("head removed (head_mask = 0); selected: red", labelpad=16)
    ax_bar.set_ylabel("accuracy without that head")
    (baseline,) = ax_bar.plot([-0.5, max_heads - 0.5], [np.nan, np.nan], color="k", lw=1.5, label="all heads")
    handles = [baseline]
    if chance is not None:
        handles.append(ax_bar.axhline(chance, color="grey", ls=":", lw=1, label="chance"))
    ax_bar.legend(handles=handles, fontsize=MIN_FONT_SIZE, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  frameon=False)  # beside the bars, never over them
    # the outline and the frame are drawn after the image, as a full draw would: blitted with it
    return fig, {"title": title, "image": image, "outline": outline, "spines": list(ax_map.spines.values()),
                 "found": found, "previous": previous, "bars": bars, "names": names, "baseline": baseline}


def set_token_labels(fig, labels: Sequence[str]) -> None:
    """Label the map's key columns and query rows with the input's tokens (static: re-render after)."""
    ax_map = fig.axes[0]
    ax_map.set_xticklabels([f"{j}\n{t}" for j, t in enumerate(labels)])
    ax_map.set_yticklabels([f"{i}: {t}" for i, t in enumerate(labels)])


def update_head_pattern(artists: Mapping[str, object], weights, found: int | None, previous: int | None,
                        ablated, baseline: float, selected: int, title: str = "") -> None:
    """Move the explorer's artists: the title, the map ``weights (T, T)``, the relation markers on the
    last row, and the ablation bars (``ablated (H,)``: the model's H bars spread evenly over the axis,
    each named under it; bars past H are hidden; the selected head is red)."""
    artists["title"].set_text(title)
    w = as_array(weights)
    artists["image"].set_array(w)
    T = w.shape[0]
    artists["found"].set_data([found] if found is not None else [], [T - 1] if found is not None else [])
    artists["previous"].set_data([previous] if previous is not None else [], [T - 1] if previous is not None else [])
    acc = as_array(ablated)
    slots = len(artists["bars"])
    H = len(acc)
    slot = slots / H  # the axis spans `slots` unit slots: H bars share it
    width = min(0.8 * slot, 1.6)
    for i, (bar, name) in enumerate(zip(artists["bars"], artists["names"])):
        shown = i < H
        bar.set_visible(shown)
        name.set_visible(shown)
        if not shown:
            continue
        centre = -0.5 + slot * (i + 0.5)
        bar.set_x(centre - width / 2)
        bar.set_width(width)
        bar.set_height(float(acc[i]))
        bar.set_color("C3" if i == selected else "C0")
        name.set_x(centre)
    artists["baseline"].set_ydata([baseline, baseline])
