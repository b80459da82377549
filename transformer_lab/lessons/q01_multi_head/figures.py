"""The figures of notebook 01's experiment: every seed's learning curve and final accuracy, and what
removing each head costs in every seed."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import torch
from matplotlib.patches import Rectangle

from ... import viz
from ...viz.figures import KEY_LABEL, QUERY_LABEL, as_array, new_figure
from .experiment import TASK, label

__all__ = ["plot_head_count_training", "plot_head_maps", "plot_head_ablation"]


def plot_head_count_training(result):
    """Left: held-out accuracy during training (thin: seeds, bold: mean). Right: every seed's final accuracy."""
    fig = viz.new_figure(9.6, 3.3)
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.3, 1]})
    viz.plot_histories({label(h): result.runs[h].histories for h in result.heads}, ax=ax1,
                         title="d_model = 16, same parameters; thin lines: seeds")
    ax1.set_ylim(0, 1.02)
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
    fig = viz.new_figure(4.4 * len(models) + 0.4, 3.0)
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
        ax.set_title(f"{label(h)}: remove one head at a time (thin: seeds)", fontsize=9)
        ax.legend(fontsize=7, loc="upper left")
    return fig


# --- the explorer's figure: one head's attention map and what removing each head costs -------------

def head_pattern_figure(seq_len: int, max_heads: int, chance: float | None = None):
    """Left: one head's attention map ``(T, T)`` (rows = queries, columns = keys); the scored query
    row is outlined and the two keys it must read are marked. Right: accuracy with each head
    removed, against the intact model. Returns ``(fig, artists)``; limits and colour scale (weights
    in [0, 1]) are fixed, so :func:`update_head_pattern` only moves artists. The tick labels (the
    input's tokens) are static: set them with :func:`set_token_labels`, then re-render the
    background (:class:`KeyedBlitRenderer` keeps one background per input; ``fig.axes[0].xaxis``
    and ``.yaxis`` are the part that changes).
    """
    T = seq_len
    fig = new_figure(9.5, 3.5, dpi=72)
    ax_map, ax_bar = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})
    edges = np.arange(T + 1) - 0.5  # cell (i, j) centred on (x=j, y=i); a mesh blits ~3x faster than imshow
    image = ax_map.pcolormesh(edges, edges, np.zeros((T, T)), cmap="viridis", vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax_map, shrink=0.85, label="attention weight")
    ax_map.set_xticks(range(T), [f"{j}\n" for j in range(T)], fontsize=8)
    ax_map.set_yticks(range(T), [f"{i}: " for i in range(T)], fontsize=8)
    ax_map.set_xlabel(KEY_LABEL)
    ax_map.set_ylabel(QUERY_LABEL)
    ax_map.set_xlim(-0.5, T - 0.5)
    ax_map.set_ylim(T - 0.5, -0.5)
    ax_map.set_aspect("equal")
    outline = ax_map.add_patch(Rectangle((-0.5, T - 1.5), T, 1, fill=False, edgecolor="white", lw=1.5, ls="--"))
    (found,) = ax_map.plot([], [], "o", ms=15, mfc="none", mec="red", mew=2, label="key found by content")
    (previous,) = ax_map.plot([], [], "s", ms=15, mfc="none", mec="orange", mew=2, label="key one back")
    ax_map.legend(handles=[found, previous], fontsize=7, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2,
                  frameon=False)

    bars = ax_bar.bar(range(max_heads), np.zeros(max_heads), color="C0")
    ax_bar.set_xticks(range(max_heads), [f"h{i}" for i in range(max_heads)], fontsize=8)
    ax_bar.set_xlim(-0.6, max_heads - 0.4)
    ax_bar.set_ylim(0, 1.05)
    ax_bar.set_xlabel("head removed (head_mask = 0); selected: red")
    ax_bar.set_ylabel("accuracy without that head")
    (baseline,) = ax_bar.plot([-0.6, max_heads - 0.4], [np.nan, np.nan], color="k", lw=1.5, label="all heads")
    handles = [baseline]
    if chance is not None:
        handles.append(ax_bar.axhline(chance, color="grey", ls=":", lw=1, label="chance"))
    ax_bar.legend(handles=handles, fontsize=7, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, frameon=False)
    # the outline and the frame are drawn after the image, as a full draw would: blitted with it
    return fig, {"image": image, "outline": outline, "spines": list(ax_map.spines.values()), "found": found,
                 "previous": previous, "bars": bars, "baseline": baseline}


def set_token_labels(fig, labels: Sequence[str]) -> None:
    """Label the map's key columns and query rows with the input's tokens (static: re-render after)."""
    ax_map = fig.axes[0]
    ax_map.set_xticklabels([f"{j}\n{t}" for j, t in enumerate(labels)])
    ax_map.set_yticklabels([f"{i}: {t}" for i, t in enumerate(labels)])


def update_head_pattern(artists: Mapping[str, object], weights, found: int | None, previous: int | None,
                        ablated, baseline: float, selected: int) -> None:
    """Move the explorer's artists: the map ``weights (T, T)``, the relation markers on the last row,
    and the ablation bars (``ablated (H,)``; bars past H are hidden; the selected head is red)."""
    w = as_array(weights)
    artists["image"].set_array(w)
    T = w.shape[0]
    artists["found"].set_data([found] if found is not None else [], [T - 1] if found is not None else [])
    artists["previous"].set_data([previous] if previous is not None else [], [T - 1] if previous is not None else [])
    acc = as_array(ablated)
    for i, bar in enumerate(artists["bars"]):
        shown = i < len(acc)
        bar.set_visible(shown)
        bar.set_height(float(acc[i]) if shown else 0.0)
        bar.set_color("C3" if i == selected else "C0")
    artists["baseline"].set_ydata([baseline, baseline])
